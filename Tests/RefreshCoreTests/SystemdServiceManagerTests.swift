import Foundation
import RefreshCore
import Testing
@testable import RefreshCore
@testable import RefreshHost

#if canImport(Glibc)
import Glibc
#endif

/// The systemd adapter against a real systemd (PID 1 of a container), with units written the
/// way snapd writes them, in both cgroup layouts.
@Suite(.serialized, .enabled(if: SystemdContainer.available, SystemdContainer.reason), .timeLimit(.minutes(5)), .systemdContainers())
struct SystemdServiceManagerTests {
    /// A snap daemon installed in a container: its unit, and a folder (shared with the host)
    /// where its scripts write their PIDs and logs.
    struct Daemon {
        let container: SystemdContainer
        let unit: SystemdUnitName
        let state: String
        let manager: SystemdServiceManager

        /// The container PID a script wrote to `file` in the state folder, once it has written
        /// one that `accept`s (scripts run after systemctl returns).
        func pid(_ file: String, where accept: (Int32) -> Bool = { _ in true }) async throws -> Int32 {
            for _ in 0..<500 {
                if let text = try? String(contentsOfFile: state + "/" + file, encoding: .utf8),
                    let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), accept(pid)
                { return pid }
                try await Task.sleep(for: .milliseconds(20))
            }
            throw HarnessError("\(state)/\(file) holds no PID")
        }

        func lines(_ file: String) -> [String] {
            ((try? String(contentsOfFile: state + "/" + file, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }

        /// Waits (at most 10 s) until the container's process `pid` is gone.
        func waitUntilGone(_ pid: Int32) async throws -> Bool {
            for _ in 0..<500 {
                if !container.isAlive(pid) { return true }
                try await Task.sleep(for: .milliseconds(20))
            }
            return false
        }

        /// Waits until the unit is neither activating nor deactivating; its status then.
        func settled() async throws -> SystemdUnitStatus {
            var status = try await manager.status(unit)
            for _ in 0..<500 where [.activating, .deactivating, .reloading].contains(status.activeState) || status.job != nil {
                try await Task.sleep(for: .milliseconds(20))
                status = try await manager.status(unit)
            }
            return status
        }
    }

    /// Installs `snap.SNAP.daemon.service` as snapd writes it (wrappers/internal/service_unit_gen.go):
    /// `stop-mode` gives `KillMode=process` unless it is empty or a `-all` mode, and
    /// `KillSignal`; `stop-timeout` gives `TimeoutStopSec`; `stop-command` gives `ExecStop`.
    /// The daemon and stop command are shell scripts in the shared folder.
    func install(_ layout: SystemdContainer.Layout, snap: String, daemon: String, stopCommand: String? = nil,
                 stopMode: String? = nil, stopTimeout: Int = 30) async throws -> Daemon {
        let container = try SystemdContainer.booted(layout)
        let state = container.shared + "/\(snap)"
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        func script(_ name: String, _ body: String) throws -> String {
            let path = state + "/" + name
            try ("#!/bin/sh\nSTATE=\(state)\n" + body + "\n").write(toFile: path, atomically: false, encoding: .utf8)
            chmod(path, 0o755)
            return path
        }
        var service = [
            "EnvironmentFile=-/etc/environment",
            "ExecStart=\(try script("daemon", daemon))",
            "SyslogIdentifier=\(snap).daemon",
            "Restart=on-failure",
            "WorkingDirectory=\(state)",
        ]
        if let stopCommand { service.append("ExecStop=\(try script("stop", stopCommand))") }
        service += ["TimeoutStopSec=\(stopTimeout)", "Type=simple"]
        if let stopMode, !stopMode.hasSuffix("-all") { service.append("KillMode=process") }
        if let stopMode { service.append("KillSignal=\(stopMode.replacingOccurrences(of: "-all", with: "").uppercased())") }
        let unit = try SystemdUnitName("snap.\(snap).daemon.service")
        try await container.installUnit(unit.rawValue, """
            [Unit]
            # Auto-generated, DO NOT EDIT
            Description=Service for snap application \(snap).daemon
            X-Snappy=yes

            [Service]
            \(service.joined(separator: "\n"))

            [Install]
            WantedBy=multi-user.target

            """, directory: "/etc/systemd/system")
        return Daemon(container: container, unit: unit, state: state, manager: SystemdServiceManager(runner: container.runner))
    }

    /// A daemon that starts a child (as libvirtd starts a qemu guest), writes both PIDs, and waits.
    static let parentDaemon = """
        /bin/sleep 100000 &
        echo $! > "$STATE/child.pid"
        echo $$ > "$STATE/main.pid"
        exec /bin/sleep 100000
        """

    @Test(arguments: SystemdContainer.Layout.allCases)
    func statusReadsARunningUnit(layout: SystemdContainer.Layout) async throws {
        let daemon = try await install(layout, snap: "status-\(layout)", daemon: Self.parentDaemon, stopMode: "sigterm", stopTimeout: 45)
        let started = await daemon.manager.start(daemon.unit, timeout: .seconds(30))
        #expect(started.succeeded, "\(started)")
        let main = try await daemon.pid("main.pid")
        let status = try await daemon.manager.status(daemon.unit)
        #expect(status.unit == daemon.unit.rawValue)
        #expect(status.loadState == "loaded")
        #expect(status.activeState == .active && status.subState == "running")
        #expect(status.mainPID == main)
        #expect(status.killMode == .process)
        #expect(status.timeoutStop == .seconds(45))
        #expect(status.controlGroup == "/system.slice/\(daemon.unit)")
        #expect(status.invocationID != nil && status.job == nil && status.mainExit == nil)
        // The same process, seen from the host: in the unit's cgroup under the container's.
        #expect(try daemon.container.hostCgroup(of: main) == "/\(daemon.container.name)/payload/system.slice/\(daemon.unit)")
        _ = await daemon.manager.stop(daemon.unit, timeout: .seconds(30))
        await killChild(daemon)
    }

    @Test(arguments: SystemdContainer.Layout.allCases)
    func restartGivesANewMainProcess(layout: SystemdContainer.Layout) async throws {
        let daemon = try await install(layout, snap: "restart-\(layout)", daemon: Self.parentDaemon)
        #expect(await daemon.manager.start(daemon.unit, timeout: .seconds(30)).succeeded)
        let before = try await daemon.manager.status(daemon.unit)
        let oldMain = try #require(before.mainPID)
        let restarted = await daemon.manager.restart(daemon.unit, timeout: .seconds(30))
        guard case .done(let after) = restarted else {
            Issue.record("restart: \(restarted)")
            return
        }
        #expect(after.activeState == .active)
        let newMain = try #require(after.mainPID)
        #expect(newMain != oldMain)
        #expect(after.invocationID != before.invocationID)
        #expect(try await daemon.pid("main.pid") { $0 == newMain } == newMain)
        #expect(try await daemon.waitUntilGone(oldMain), "the old main process is gone")
        _ = await daemon.manager.stop(daemon.unit, timeout: .seconds(30))
    }

    @Test(arguments: SystemdContainer.Layout.allCases)
    func stopRunsTheStopCommandOnce(layout: SystemdContainer.Layout) async throws {
        let daemon = try await install(layout, snap: "stopcmd-\(layout)", daemon: """
            echo $$ > "$STATE/main.pid"
            exec /bin/sleep 100000
            """, stopCommand: "echo \"stop $MAINPID\" >> \"$STATE/stop.log\"")
        #expect(await daemon.manager.start(daemon.unit, timeout: .seconds(30)).succeeded)
        let main = try await daemon.pid("main.pid")
        let stopped = await daemon.manager.stop(daemon.unit, timeout: .seconds(30))
        #expect(stopped.status?.activeState == .inactive, "\(stopped)")
        #expect(stopped.succeeded)
        #expect(daemon.lines("stop.log") == ["stop \(main)"], "ExecStop ran once, for the main process systemd knew")
        #expect(try await daemon.waitUntilGone(main))
        // Stopping a stopped service runs nothing again.
        #expect(await daemon.manager.stop(daemon.unit, timeout: .seconds(30)).succeeded)
        #expect(daemon.lines("stop.log") == ["stop \(main)"])
    }

    @Test(arguments: SystemdContainer.Layout.allCases)
    func withKillModeProcessAChildSurvivesTheStop(layout: SystemdContainer.Layout) async throws {
        let daemon = try await install(layout, snap: "process-\(layout)", daemon: Self.parentDaemon, stopMode: "sigterm")
        #expect(await daemon.manager.start(daemon.unit, timeout: .seconds(30)).succeeded)
        let main = try await daemon.pid("main.pid"), child = try await daemon.pid("child.pid")
        #expect(try await daemon.manager.status(daemon.unit).killMode == .process)
        let stopped = await daemon.manager.stop(daemon.unit, timeout: .seconds(30))
        #expect(stopped.status?.activeState == .inactive, "\(stopped)")
        #expect(try await daemon.waitUntilGone(main))
        #expect(daemon.container.isAlive(child), "KillMode=process signals the main process only")
        await killChild(daemon)
    }

    @Test(arguments: SystemdContainer.Layout.allCases)
    func aChildMovedOutSurvivesStopAndRestartWhileTheOthersDie(layout: SystemdContainer.Layout) async throws {
        // No stop-mode: KillMode=control-group, which takes every process of the unit.
        let daemon = try await install(layout, snap: "moveout-\(layout)", daemon: """
            /bin/sleep 100000 &
            echo $! > "$STATE/survivor.pid"
            /bin/sleep 100000 &
            echo $! > "$STATE/victim.pid"
            echo $$ > "$STATE/main.pid"
            exec /bin/sleep 100000
            """)
        #expect(await daemon.manager.start(daemon.unit, timeout: .seconds(30)).succeeded)
        let survivor = try await daemon.pid("survivor.pid"), victim = try await daemon.pid("victim.pid")
        let firstMain = try await daemon.pid("main.pid")
        #expect(try await daemon.manager.status(daemon.unit).killMode == .controlGroup)
        let scope = SystemdUnitName.survivorScope(snap: SnapName("moveout-\(layout)")!, app: AppName("daemon")!, pid: survivor)

        let moved = await daemon.manager.moveOut(pids: [survivor], of: daemon.unit, into: scope, timeout: .seconds(30))
        guard case .done(let scopeStatus) = moved else {
            Issue.record("moveOut: \(moved)")
            return
        }
        #expect(scopeStatus.unit == scope.rawValue && scopeStatus.activeState == .active)
        #expect(scopeStatus.controlGroup == "/system.slice/\(scope)")
        #expect(try daemon.container.hostCgroup(of: survivor) == "/\(daemon.container.name)/payload/system.slice/\(scope)")
        #expect(try daemon.container.hostCgroup(of: victim) == "/\(daemon.container.name)/payload/system.slice/\(daemon.unit)")

        // A restart takes the rest of the cgroup along, not the survivor.
        let restarted = await daemon.manager.restart(daemon.unit, timeout: .seconds(30))
        #expect(restarted.succeeded, "\(restarted)")
        #expect(try await daemon.waitUntilGone(victim))
        #expect(try await daemon.waitUntilGone(firstMain))
        #expect(daemon.container.isAlive(survivor))
        // A PID that is not (or no longer) the unit's is refused, and no scope is created.
        let other = try SystemdUnitName("refreshctl-survivor-other.scope")
        let again = await daemon.manager.moveOut(pids: [survivor], of: daemon.unit, into: other, timeout: .seconds(30))
        #expect(again == .failed("PID \(survivor) is not a process of \(daemon.unit) (systemd has it in \(scope))", nil))
        #expect(try await daemon.manager.status(other).loadState == "not-found")
        // And so does a stop: the new instance's children go, the survivor stays.
        let secondVictim = try await daemon.pid("victim.pid") { $0 != victim }
        let stopped = await daemon.manager.stop(daemon.unit, timeout: .seconds(30))
        #expect(stopped.status?.activeState == .inactive, "\(stopped)")
        #expect(try await daemon.waitUntilGone(secondVictim))
        #expect(daemon.container.isAlive(survivor))


        // The scope goes away with its last process.
        _ = try await daemon.container.shell("kill -KILL \(survivor)")
        var gone = false
        for _ in 0..<500 where !gone {
            gone = try await daemon.manager.status(scope).loadState == "not-found"
            if !gone { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(gone, "the empty scope is collected")
    }

    @Test(arguments: SystemdContainer.Layout.allCases)
    func aStopPastItsTimeoutIsReportedAndAKillEndsIt(layout: SystemdContainer.Layout) async throws {
        // A daemon that ignores SIGTERM, with systemd's own stop timeout far away.
        let daemon = try await install(layout, snap: "stubborn-\(layout)", daemon: """
            trap '' TERM
            echo $$ > "$STATE/main.pid"
            while :; do /bin/sleep 1; done
            """, stopTimeout: 300)
        #expect(await daemon.manager.start(daemon.unit, timeout: .seconds(30)).succeeded)
        let main = try await daemon.pid("main.pid")
        let stop = await daemon.manager.stop(daemon.unit, timeout: .seconds(1))
        guard case .timedOut(let during) = stop, let during else {
            Issue.record("expected a timed-out stop with a status, got \(stop)")
            return
        }
        // systemctl was killed; systemd goes on with the stop job, waiting for the daemon.
        #expect(during.activeState == .deactivating && during.subState == "stop-sigterm")
        #expect(during.job != nil)
        #expect(daemon.container.isAlive(main))

        let killed = await daemon.manager.kill(daemon.unit, signal: SIGKILL, whom: .all)
        #expect(killed.succeeded, "\(killed)")
        #expect(try await daemon.waitUntilGone(main))
        let after = try await daemon.settled()
        #expect([.inactive, .failed].contains(after.activeState), "\(after)")
        #expect(after.mainExit == .killed(signal: SIGKILL))
        #expect(after.job == nil, "the pending stop job finished with the kill")
        _ = try? await daemon.container.shell("systemctl reset-failed \(daemon.unit)")
    }

    @Test(arguments: SystemdContainer.Layout.allCases)
    func killSignalsTheMainProcessOnlyOrEveryProcess(layout: SystemdContainer.Layout) async throws {
        let daemon = try await install(layout, snap: "kill-\(layout)", daemon: Self.parentDaemon)
        #expect(await daemon.manager.start(daemon.unit, timeout: .seconds(30)).succeeded)
        let main = try await daemon.pid("main.pid"), child = try await daemon.pid("child.pid")
        // SIGSTOP to the main process only: the child keeps running, the main one stops.
        #expect(await daemon.manager.kill(daemon.unit, signal: SIGSTOP, whom: .main).succeeded)
        #expect(try await processState(daemon, main, becomes: "T") == "T")
        #expect(try await processState(daemon, child, becomes: "S") == "S")
        #expect(await daemon.manager.kill(daemon.unit, signal: SIGCONT, whom: .main).succeeded)
        // SIGKILL to all: both go.
        #expect(await daemon.manager.kill(daemon.unit, signal: SIGKILL, whom: .all).succeeded)
        #expect(try await daemon.waitUntilGone(main))
        #expect(try await daemon.waitUntilGone(child))
        _ = await daemon.manager.stop(daemon.unit, timeout: .seconds(30))
        _ = try? await daemon.container.shell("systemctl reset-failed \(daemon.unit)")
    }

    @Test(arguments: SystemdContainer.Layout.allCases)
    func theEngineDrivesItThroughTheCoreProtocol(layout: SystemdContainer.Layout) async throws {
        let daemon = try await install(layout, snap: "core-\(layout)", daemon: Self.parentDaemon, stopMode: "sigterm")
        let manager: any RefreshCore.ServiceManager = daemon.manager
        #expect(manager.name == "systemd")
        let unit = daemon.unit.rawValue
        #expect(try await wait(for: manager.start(unit, timeout: .seconds(30))) == .done("systemd reports \(unit): active (running), main PID \(try await daemon.pid("main.pid")), KillMode=process"))
        let main = try await daemon.pid("main.pid"), child = try await daemon.pid("child.pid")
        #expect(await manager.status(unit) == ServiceStatus(unit: unit, activeState: "active", mainPID: main, killMode: "process"))
        #expect(await manager.status(unit)?.stopTakesMembers == false)
        let scope = "refreshctl-survivor-core-\(layout).daemon-\(child).scope"
        guard case .done = try await wait(for: manager.moveOut([ProcessIdentity(pid: child)], of: unit, into: scope)) else {
            Issue.record("moveOut through the core protocol did not finish")
            return
        }
        #expect(try await wait(for: manager.stop(unit, timeout: .seconds(30))) == .done("systemd reports \(unit): inactive (dead), KillMode=process"))
        #expect(daemon.container.isAlive(child))
        #expect(await manager.status("snap.absent.daemon.service") == nil)
        #expect(manager.stop("not a unit", timeout: .seconds(1)).result
            == .failed("'not a unit' is not a systemd unit name: it must end in .service or .scope"))
        _ = try? await daemon.container.shell("kill -KILL \(child)")
    }

    /// Polls `job` (as the executor does) until it has a result.
    func wait(for job: any ServiceJob) async throws -> ServiceJobResult {
        for _ in 0..<3000 {
            if let result = job.result { return result }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw HarnessError("the job did not finish")
    }

    @Test(arguments: SystemdContainer.Layout.allCases)
    func aUnitThatDoesNotExist(layout: SystemdContainer.Layout) async throws {
        let manager = SystemdServiceManager(runner: try SystemdContainer.booted(layout).runner)
        let unit = try SystemdUnitName("snap.absent.daemon.service")
        let status = try await manager.status(unit)
        #expect(status.loadState == "not-found" && status.activeState == .inactive && status.mainPID == nil)
        let started = await manager.start(unit, timeout: .seconds(30))
        #expect(started == .failed("Failed to start snap.absent.daemon.service: Unit snap.absent.daemon.service not found.", status))
        let moved = await manager.moveOut(pids: [2], of: unit, into: try SystemdUnitName("refreshctl-survivor-absent.scope"), timeout: .seconds(30))
        #expect(moved == .failed("snap.absent.daemon.service is not loaded (not-found)", status))
    }

    /// The state letter of the container's process `pid` (`S` sleeping, `T` stopped, …), once
    /// it is `expected` (or after 2 s, whatever it is then).
    func processState(_ daemon: Daemon, _ pid: Int32, becomes expected: String) async throws -> String {
        let host = try daemon.container.hostPID(pid)
        var state = ""
        for _ in 0..<100 {
            let stat = try String(contentsOfFile: "/proc/\(host)/stat", encoding: .utf8)
            let close = try #require(stat.lastIndex(of: ")"))
            state = String(stat[stat.index(close, offsetBy: 2)])
            if state == expected { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        return state
    }

    func killChild(_ daemon: Daemon) async {
        if let child = try? await daemon.pid("child.pid") { _ = try? await daemon.container.shell("kill -KILL \(child)") }
    }
}
