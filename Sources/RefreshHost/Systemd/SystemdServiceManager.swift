import RefreshCore

/// Stops, starts and restarts services through systemd, signals them through it, and moves a
/// survivor out of its service into a scope of its own, so that the service's stop (whatever its
/// `KillMode`) cannot take it along.
///
/// Every request is a command (`systemctl`, `busctl`) run by the injected ``CommandRunner`` on the
/// host the engine acts on; tests inject one that runs inside a container whose PID 1 is systemd.
/// PIDs are those of that host's PID namespace.
///
/// Stop, start and restart block in `systemctl` until systemd finishes the job, bounded by the
/// caller's timeout, rather than `--no-block` and polling: systemd itself then says how the job
/// ended (done, failed and why), a restart needs no guessing from states that look the same
/// before and after it, and no polling interval is tuned. A timeout kills `systemctl` only; the
/// job goes on in systemd, and the outcome carries what systemd is doing then.
public struct SystemdServiceManager: Sendable {
    public enum KillWhom: String, Sendable, Hashable {
        /// The main process only.
        case main
        /// Every process in the unit's cgroup.
        case all
    }

    public let runner: any AsyncCommandRunner
    public let systemctl: String
    public let busctl: String
    /// The bound on a query (`systemctl show`, a D-Bus call) and on a kill.
    public var queryTimeout: Duration

    /// - Parameters:
    ///   - runner: runs the commands on the host the engine acts on.
    ///   - systemctl: the absolute path of `systemctl` there.
    ///   - busctl: the absolute path of `busctl` there.
    public init(runner: any AsyncCommandRunner, systemctl: String = "/usr/bin/systemctl", busctl: String = "/usr/bin/busctl",
                queryTimeout: Duration = .seconds(30)) {
        self.runner = runner
        self.systemctl = systemctl
        self.busctl = busctl
        self.queryTimeout = queryTimeout
    }

    /// The environment of every command: system `PATH`, untranslated messages.
    static let environment = ["PATH": Command.systemPath, "LC_ALL": "C"]

    // MARK: - Status

    /// The unit's status (`systemctl show`), parsed strictly; a scope's has no main process.
    ///
    /// - Throws: `RefreshCoreError` (`io`) when `systemctl` fails or prints what
    ///   ``SystemdUnitStatus/parse(show:)`` does not accept.
    public func status(_ unit: SystemdUnitName) async throws(RefreshCoreError) -> SystemdUnitStatus {
        let properties = SystemdUnitStatus.showProperties(for: unit.kind)
        let arguments = ["show", "--property=" + properties.joined(separator: ","), "--", unit.rawValue]
        let result = await runner.run(command(systemctl, arguments), timeout: queryTimeout)
        guard result.succeeded else {
            throw RefreshCoreError(.io, "systemctl show \(unit) \(result.summary): \(Self.message(result.output))")
        }
        return try SystemdUnitStatus.parse(show: result.output, kind: unit.kind)
    }

    // MARK: - Jobs

    /// `systemctl stop UNIT`: runs the unit's `ExecStop`, then signals as its `KillMode` says.
    public func stop(_ unit: SystemdUnitName, timeout: Duration) async -> ServiceOutcome {
        await job("stop", unit, timeout: timeout)
    }

    /// `systemctl start UNIT`.
    public func start(_ unit: SystemdUnitName, timeout: Duration) async -> ServiceOutcome {
        await job("start", unit, timeout: timeout)
    }

    /// `systemctl restart UNIT`: a stop, then a start (of a stopped unit, just a start).
    public func restart(_ unit: SystemdUnitName, timeout: Duration) async -> ServiceOutcome {
        await job("restart", unit, timeout: timeout)
    }

    private func job(_ verb: String, _ unit: SystemdUnitName, timeout: Duration) async -> ServiceOutcome {
        let result = await runner.run(command(systemctl, [verb, "--no-ask-password", "--", unit.rawValue]), timeout: timeout)
        return await outcome(of: result, "systemctl \(verb) \(unit)", unit)
    }

    /// `systemctl kill --kill-who=WHOM --signal=N UNIT`: systemd signals the unit's main process
    /// or every process of its cgroup (it knows which they are; nothing is signalled behind its
    /// back). `--kill-who` is the name before systemd 252 and an abbreviation of its newer
    /// `--kill-whom`, so both accept it.
    public func kill(_ unit: SystemdUnitName, signal: Int32, whom: KillWhom) async -> ServiceOutcome {
        let arguments = ["kill", "--kill-who=\(whom.rawValue)", "--signal=\(signal)", "--", unit.rawValue]
        let result = await runner.run(command(systemctl, arguments), timeout: queryTimeout)
        return await outcome(of: result, "systemctl kill \(unit)", unit)
    }

    private func outcome(of result: CommandResult, _ what: String, _ unit: SystemdUnitName) async -> ServiceOutcome {
        let after: Result<SystemdUnitStatus, RefreshCoreError>
        do throws(RefreshCoreError) { after = .success(try await status(unit)) } catch { after = .failure(error) }
        switch result.termination {
        case .exited(0):
            switch after {
            case .success(let status): return .done(status)
            case .failure(let error): return .failed("\(what) succeeded, but then: \(error.message)", nil)
            }
        case .exited:
            return .failed(Self.message(result.output), try? after.get())
        case .timedOut:
            return .timedOut(try? after.get())
        case .signalled(let signal):
            return .couldNotRun("\(what) was ended by signal \(signal)")
        case .couldNotStart(let why):
            return .couldNotRun("\(what): \(why)")
        }
    }

    // MARK: - Moving survivors out

    /// Moves `pids`, processes of `unit`, into a new transient scope `scope` (D-Bus
    /// `StartTransientUnit` with a `PIDs` property, as systemd-machined keeps a VM out of the
    /// unit that started it): afterwards, a stop or restart of `unit` — whatever its `KillMode`
    /// — does not signal them, while the rest of its cgroup still goes with it. The scope goes
    /// away by itself when its last process exits.
    ///
    /// Every PID must belong to `unit` when asked (systemd's own `GetUnitByPID`), so an exited
    /// process whose PID was reused is refused, not moved. Waits (bounded by `timeout`) until
    /// systemd reports every PID in the scope.
    ///
    /// - Returns: `.done` with the scope's status, or why not.
    public func moveOut(pids: [Int32], of unit: SystemdUnitName, into scope: SystemdUnitName, timeout: Duration) async -> ServiceOutcome {
        guard scope.kind == .scope else { return .failed("\(scope) is not a scope unit", nil) }
        guard !pids.isEmpty else { return .failed("no process to move out of \(unit)", nil) }
        if let bad = pids.first(where: { $0 <= 1 }) { return .failed("PID \(bad) is never moved", nil) }
        let current: SystemdUnitStatus
        do throws(RefreshCoreError) { current = try await status(unit) } catch { return .failed(error.message, nil) }
        guard current.isLoaded else { return .failed("\(unit) is not loaded (\(current.loadState))", current) }
        // LoadUnit, not GetUnit: systemd unloads a stopped unit nothing refers to.
        let unitPath: String
        switch await objectPath("LoadUnit", "s", unit.rawValue) {
        case .success(let path): unitPath = path
        case .failure(let error): return .failed("\(unit): \(error)", current)
        }
        for pid in Set(pids).sorted() {
            switch await objectPath("GetUnitByPID", "u", String(pid)) {
            case .success(unitPath): continue
            case .success(let other):
                return .failed("PID \(pid) is not a process of \(unit) (systemd has it in \(Self.unitName(fromObjectPath: other)))", nil)
            case .failure(let error):
                return .failed("PID \(pid) is not a process of \(unit): \(error)", nil)
            }
        }
        let unique = Set(pids).sorted().map(String.init)
        let properties = ["3", "PIDs", "au", String(unique.count)] + unique
            + ["Description", "s", "Survivors of \(unit), moved out by refreshctl", "CollectMode", "s", "inactive-or-failed"]
        let call = await runner.run(
            command(busctl, managerCall("StartTransientUnit", "ssa(sv)a(sa(sv))", [scope.rawValue, "fail"] + properties + ["0"])),
            timeout: timeout)
        switch call.termination {
        case .exited(0): break
        case .exited: return .failed("cannot create \(scope): \(Self.message(call.output))", nil)
        case .timedOut: return .timedOut(nil)
        case .signalled(let signal): return .couldNotRun("busctl was ended by signal \(signal)")
        case .couldNotStart(let why): return .couldNotRun("busctl: \(why)")
        }
        // The job that starts the scope moves the processes; wait until systemd says it has.
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        var scopePath: String?
        while true {
            if scopePath == nil, case .success(let path) = await objectPath("GetUnit", "s", scope.rawValue) { scopePath = path }
            var moved = 0
            if let scopePath {
                for pid in unique {
                    guard case .success(scopePath) = await objectPath("GetUnitByPID", "u", pid) else { break }
                    moved += 1
                }
            }
            if moved == unique.count { break }
            if clock.now >= deadline { return .timedOut(try? await status(scope)) }
            try? await Task.sleep(for: .milliseconds(20))
        }
        do throws(RefreshCoreError) {
            return .done(try await status(scope))
        } catch {
            return .failed("\(scope) was created, but then: \(error.message)", nil)
        }
    }

    /// The object path a `org.freedesktop.systemd1.Manager` method returns (`o "/org/…"`).
    private func objectPath(_ method: String, _ signature: String, _ argument: String) async -> Result<String, BusError> {
        let result = await runner.run(command(busctl, managerCall(method, signature, [argument])), timeout: queryTimeout)
        guard result.succeeded else { return .failure(BusError(message: Self.message(result.output))) }
        let text = result.output.hasSuffix("\n") ? String(result.output.dropLast()) : result.output
        let prefix = "o \"/org/freedesktop/systemd1/unit/"
        guard text.hasPrefix(prefix), text.hasSuffix("\""), text.count > prefix.count + 1,
            text.dropFirst(3).dropLast().utf8.allSatisfy({ byte in
                byte == UInt8(ascii: "/") || byte == UInt8(ascii: "_") || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                    || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            })
        else {
            return .failure(BusError(message: "busctl printed '\(Self.message(result.output))', not an object path"))
        }
        return .success(String(text.dropFirst(3).dropLast()))
    }

    private struct BusError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    private func managerCall(_ method: String, _ signature: String, _ arguments: [String]) -> [String] {
        // After "--", busctl reads no argument as an option (a PID never reads as "-1").
        ["--system", "--", "call", "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
         "org.freedesktop.systemd1.Manager", method, signature] + arguments
    }

    /// `snap.demo.daemon.service` from `/org/freedesktop/systemd1/unit/snap_2edemo_2edaemon_2eservice`
    /// (sd-bus escapes every byte but letters and digits as `_XX`).
    static func unitName(fromObjectPath path: String) -> String {
        let label = path.split(separator: "/").last.map(String.init) ?? path
        var bytes: [UInt8] = []
        var iterator = Array(label.utf8)[...]
        while let byte = iterator.popFirst() {
            if byte == UInt8(ascii: "_"), iterator.count >= 2, let value = UInt8(String(decoding: iterator.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(value)
                iterator = iterator.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private func command(_ program: String, _ arguments: [String]) -> Command {
        Command([program] + arguments, environment: Self.environment)
    }

    /// A command's output as one line for a message: trimmed, lines joined with "; ".
    static func message(_ output: String) -> String {
        let lines = output.split(separator: "\n").map { $0.trimmingSpaces() }.filter { !$0.isEmpty }
        return lines.isEmpty ? "(no output)" : lines.joined(separator: "; ")
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> String {
        var text = self[...]
        while text.first == " " || text.first == "\t" { text = text.dropFirst() }
        while text.last == " " || text.last == "\t" || text.last == "\r" { text = text.dropLast() }
        return String(text)
    }
}
