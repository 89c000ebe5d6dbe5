import RefreshCore
import Synchronization

/// A host kept in memory, behind every adapter protocol, with a clock that only moves when the
/// engine waits: `apply`, `revert`, `recover` and `gc`, with every timeout and escalation,
/// run against it in microseconds and without root. In the manner of swift-nio's
/// `EmbeddedEventLoop`: time jumps straight to the next thing that happens.
///
/// ```swift
/// let host = try FakeHost(scenario: Scenario(parsing: text, file: "host.yaml"))
/// host.setExit(pid: 4242, after: .seconds(40), on: .sigterm)   // slower than the timeout
/// let engine = RefreshEngine(adapters: host.adapters())
/// let report = try await engine.apply(request, policy: .builtIn, wait: false)
/// host.log  // ["mount vlc 12", "switch vlc 12", "signal SIGTERM 4242", ..., "signal SIGKILL 4242"]
/// ```
///
/// Processes exit when told by their behaviour (by default 100 ms after any stopping signal,
/// at once on SIGKILL); commands take the time and have the effect a test scripts for them.
public final class FakeHost: Sendable {
    /// A snap on the fake host.
    public struct SnapRecord: Sendable {
        public var name: SnapName
        public var current: Revision?
        public var revisions: [Revision: SnapInfo]
        public var mounted: Set<Revision> = []
        public var images: Set<Revision> = []
        public var data: Set<Revision> = []
        /// Files written into a revision's data directory (relative paths), with when: `gc`
        /// lists those written after the revision stopped being current.
        public var dataWrites: [Revision: [String: Timestamp]] = [:]
        /// When each revision last stopped being current (the engine's records).
        public var leftAt: [Revision: Timestamp] = [:]
        public var postponedSince: Timestamp?
        /// A hold put by hand.
        public var hold: SnapHold?
    }

    /// A process on the fake host.
    public struct ProcessRecord: Sendable {
        public var identity: ProcessIdentity
        public var parent: Int32
        public var name: String
        public var evidence: ProcessEvidence
        /// When it exits (or exited); `nil` while nothing makes it exit.
        public var exitsAt: Int64?
        /// How long after each signal it exits; a signal not listed is ignored. SIGKILL is
        /// never ignored unless ``unkillable``.
        public var exitAfter: [Signal: TimeSpan]
        public var unkillable = false
        /// Every signal it got, in order.
        public var signals: [Signal] = []
    }

    /// What a command does when the engine runs it.
    public struct CommandScript: Sendable {
        public var duration: TimeSpan
        public var termination: CommandResult.Termination
        public var output: String
        /// Applied to the host when the command ends (a stop-command stops its daemon, a
        /// restart-command starts one).
        public var effect: @Sendable (inout World) -> Void

        public init(
            duration: TimeSpan = .milliseconds(10), termination: CommandResult.Termination = .exited(0), output: String = "",
            effect: @escaping @Sendable (inout World) -> Void = { _ in }
        ) {
            self.duration = duration
            self.termination = termination
            self.output = output
            self.effect = effect
        }
    }

    /// Everything on the fake host. Tests read it through ``world``; effects change it.
    public struct World: Sendable {
        public var now: Int64 = 1_000_000_000
        public var wallTime: Timestamp
        public var snaps: [SnapName: SnapRecord] = [:]
        public var processes: [Int32: ProcessRecord] = [:]
        public var commands: [String: CommandScript] = [:]
        /// Every command run, in order, with its environment.
        public var commandsRun: [Command] = []
        public var journal: String?
        /// What `revert` recorded: the revisions each snap was reverted from.
        public var revertedFrom: [SnapName: [Revision]] = [:]
        /// How many times the journal was written.
        public var journalWrites = 0
        /// Set to make the next journal write fail, as a full disk would.
        public var failJournalWrites = false
        public var lockHeld = false
        /// Each snap's refresh history, as the engine recorded it.
        public var history: [SnapName: RefreshHistory] = [:]
        /// Makes recording history fail (a full disk).
        public var historyFails = false
        /// What the engine did, in order: `mount vlc 12`, `copy vlc 10 12`, `switch vlc 12`,
        /// `signal SIGTERM 4242`, `run /bin/stop`, `remove vlc 8`, ...
        public var log: [String] = [] {
            didSet { if let last = log.last, log.count > oldValue.count { timeline.append("\(FakeHost.seconds(now - 1_000_000_000)) \(last)") } }
        }
        /// ``log`` with the fake time of each entry since the host was made: `2.1s signal SIGKILL 42`.
        public var timeline: [String] = []
        /// Whether the lock was held each time the engine waited.
        public var lockHeldWhileWaiting: [Bool] = []
        /// Called with each scan's number (1, 2, ...) before it is taken: a test can make a
        /// process appear between the plan and the collection.
        public var beforeScan: (@Sendable (Int, inout World) -> Void)?
        public var scans = 0
        /// Snaps whose `switchCurrent` fails.
        public var failSwitch: Set<SnapName> = []
        /// How many pidfds may be open at once (`nil`: no limit); beyond it `open` answers
        /// ``SignalRefusal/exhausted(_:)``, as the real signaller does at the open-files limit.
        public var handleLimit: Int?
        /// Snaps whose data copy fails.
        public var failCopy: Set<SnapName> = []
        /// The pidfds held open: reference -> process.
        public internal(set) var handles: [Int32: ProcessIdentity] = [:]
        var nextHandle: Int32 = 3
        var jobs: [Int: Job] = [:]
        var nextJob = 0

        struct Job: Sendable {
            var endsAt: Int64
            var result: CommandResult
            var effect: @Sendable (inout World) -> Void
            var ended = false
        }

        /// Whether the process with `pid` runs now.
        public func isRunning(_ pid: Int32) -> Bool {
            guard let process = processes[pid] else { return false }
            return process.exitsAt.map { $0 > now } ?? true
        }

        /// Makes the process exit now (a stop-command's effect).
        public mutating func exit(_ pid: Int32) {
            guard isRunning(pid) else { return }
            processes[pid]?.exitsAt = now
        }

        /// Starts a process now (a restart-command's effect).
        public mutating func start(pid: Int32, parent: Int32 = 1, exe: String, cgroup: String? = nil) {
            processes[pid] = ProcessRecord(
                identity: ProcessIdentity(pid: pid, startTime: UInt64(now / 10_000_000)), parent: parent, name: "fake",
                evidence: ProcessEvidence(exe: exe, cgroups: cgroup.map { [$0] } ?? []), exitsAt: nil,
                exitAfter: FakeHost.defaultExits)
        }

        /// Applies what is due by now: commands that ended.
        mutating func settle() {
            for (key, job) in jobs where !job.ended && job.endsAt <= now {
                jobs[key]?.ended = true
                job.effect(&self)
            }
        }

        /// The time of the next thing that happens after now, if any.
        func nextEvent() -> Int64? {
            let exits = processes.values.compactMap { $0.exitsAt }.filter { $0 > now }
            let ends = jobs.values.filter { !$0.ended }.map(\.endsAt)
            return (exits + ends).min()
        }
    }

    /// `2.1s`, `0s`, `30s`: a fake time for the timeline.
    static func seconds(_ nanoseconds: Int64) -> String {
        let tenths = nanoseconds / 100_000_000
        return tenths % 10 == 0 ? "\(tenths / 10)s" : "\(tenths / 10).\(tenths % 10)s"
    }

    /// By default a process exits 100 ms after a stopping signal.
    public static let defaultExits: [Signal: TimeSpan] = [
        .sigterm: .milliseconds(100), .sigint: .milliseconds(100), .sighup: .milliseconds(100),
        .sigusr1: .milliseconds(100), .sigusr2: .milliseconds(100), .sigquit: .milliseconds(100),
    ]

    let state: Mutex<World>
    public let layout: HostLayout

    /// An empty host at `wallTime`.
    public init(wallTime: Timestamp = Timestamp(secondsSinceEpoch: 1_795_000_000), root: String = "/") {
        state = Mutex(World(wallTime: wallTime))
        layout = HostLayout(root: root)
    }

    /// The host a scenario describes: its snaps (every revision mounted and with its data
    /// directory) and its processes (with start times, when the scenario gives none).
    public convenience init(scenario: Scenario) {
        self.init(wallTime: scenario.now ?? Timestamp(secondsSinceEpoch: 1_795_000_000))
        state.withLock { world in
            for snap in scenario.state.snaps.values {
                var record = SnapRecord(name: snap.name, current: snap.current, revisions: [:], postponedSince: snap.postponedSince, hold: snap.hold)
                for installed in snap.revisions {
                    record.revisions[installed.revision] = installed.info
                    record.mounted.insert(installed.revision)
                    record.images.insert(installed.revision)
                    if installed.revision <= (snap.current ?? installed.revision) { record.data.insert(installed.revision) }
                }
                world.snaps[snap.name] = record
            }
            for process in scenario.state.processes {
                var identity = process.identity
                if identity.startTime == nil { identity.startTime = UInt64(process.pid) * 7 }
                world.processes[process.pid] = ProcessRecord(
                    identity: identity, parent: process.parent ?? 1, name: "fake",
                    evidence: FakeHost.evidence(of: process), exitsAt: nil, exitAfter: FakeHost.defaultExits)
            }
        }
    }

    /// Evidence that binds as `process` is bound: its own, or made from its binding.
    static func evidence(of process: RunningProcess) -> ProcessEvidence {
        if !process.evidence.isEmpty { return process.evidence }
        guard let binding = process.binding else { return process.evidence }
        var evidence = ProcessEvidence()
        if binding.role == .user {
            evidence.cwd = "/snap/\(binding.snap)/\(binding.revision)"
        } else if let app = binding.app {
            evidence.exe = "/snap/\(binding.snap)/\(binding.revision)/\(binding.executable ?? "bin/\(app)")"
            evidence.cgroups = [binding.service.map { "0::/system.slice/\($0)" } ?? "0::/user.slice/snap.\(binding.snap).\(app)-\(FakeHost.uuid(process.pid)).scope"]
        } else {
            evidence.exe = "/snap/\(binding.snap)/\(binding.revision)/\(binding.executable ?? "bin/unknown")"
        }
        evidence.maps = binding.pins.map { "/snap/\($0.snap)/\($0.revision)/lib/libc.so.6" }
        return evidence
    }

    static func uuid(_ pid: Int32) -> String {
        let hex = String(UInt32(bitPattern: pid), radix: 16)
        let padded = String(repeating: "0", count: max(0, 12 - hex.count)) + hex
        return "00000000-0000-4000-8000-\(padded)"
    }

    /// Reads or changes the host.
    @discardableResult
    public func with<T: Sendable, E: Error>(_ body: (inout World) throws(E) -> T) throws(E) -> T {
        try state.withLock { (world: inout World) throws(E) -> T in try body(&world) }
    }

    /// A copy of the host now.
    public var world: World { state.withLock { $0 } }

    /// What the engine did, in order.
    public var log: [String] { state.withLock { $0.log } }

    /// Makes `pid` exit `delay` after it gets `signal` (and only then, for that signal).
    public func setExit(pid: Int32, after delay: TimeSpan, on signal: Signal) {
        state.withLock { $0.processes[pid]?.exitAfter[signal] = delay }
    }

    /// Makes `pid` ignore `signal` (SIGKILL too, with `unkillable`).
    public func ignore(pid: Int32, _ signal: Signal) {
        state.withLock { world in
            if signal == .sigkill { world.processes[pid]?.unkillable = true } else { world.processes[pid]?.exitAfter[signal] = nil }
        }
    }

    /// What running `program` does.
    public func script(_ program: String, _ script: CommandScript) {
        state.withLock { $0.commands[program] = script }
    }

    /// The adapters over this host; `serviceManager` is `nil` (no service manager) unless given.
    public func adapters(serviceManager: (any ServiceManager)? = nil) -> HostAdapters {
        HostAdapters(
            store: FakeRevisionStore(host: self), inspector: FakeProcessInspector(host: self),
            signaller: FakeSignaller(host: self), serviceManager: serviceManager, commands: FakeCommandRunner(host: self),
            clock: FakeClock(host: self), journal: FakeJournal(host: self), lock: FakeLock(host: self),
            records: FakeRecords(host: self))
    }
}
