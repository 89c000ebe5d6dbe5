import RefreshCore

/// What systemd says about a unit: the fields of `systemctl show` the engine decides with.
public struct SystemdUnitStatus: Sendable, Hashable {
    /// systemd's high-level state of a unit (`ActiveState`).
    public enum ActiveState: String, Sendable, Hashable, CaseIterable {
        case active, reloading, inactive, failed, activating, deactivating, maintenance, refreshing
    }

    /// Which processes a stop signals (`KillMode`).
    public enum KillMode: String, Sendable, Hashable, CaseIterable {
        /// Every process in the unit's cgroup (no `stop-mode`, or a `-all` one).
        case controlGroup = "control-group"
        /// The main process only (`stop-mode: sigterm` and the like); the rest survive the stop.
        case process
        /// SIGTERM to the main process, SIGKILL to the rest.
        case mixed
        /// No process is signalled.
        case none
    }

    /// How the unit's main process last ended (`ExecMainCode`, `ExecMainStatus`).
    public enum MainExit: Sendable, Hashable {
        case exited(Int32)
        case killed(signal: Int32)
        case dumped(signal: Int32)
    }

    /// The unit's name as systemd knows it (`Id`; an alias resolves to the unit it names).
    public var unit: String
    /// `loaded`, `not-found`, `masked`, `bad-setting`, `error`, …
    public var loadState: String
    public var activeState: ActiveState
    /// The unit type's own state: `running`, `dead`, `stop-sigterm`, `auto-restart`, …
    public var subState: String
    /// The main process, in the PID namespace of the systemd asked; `nil` when there is none.
    public var mainPID: Int32?
    public var killMode: KillMode
    /// The unit's cgroup, relative to the cgroup root; `nil` when it has none (not running).
    public var controlGroup: String?
    /// How long systemd waits for a stop before SIGKILL; `nil` for no limit.
    public var timeoutStop: Duration?
    /// How the last main process ended; `nil` when none has.
    public var mainExit: MainExit?
    /// The result of the last run: `success`, `exit-code`, `signal`, `timeout`, …
    public var result: String
    /// The job systemd runs for the unit now (a stop, a start), if any.
    public var job: UInt32?
    /// Changes with every start of the unit; `nil` when it never ran.
    public var invocationID: String?

    public init(
        unit: String, loadState: String = "loaded", activeState: ActiveState, subState: String, mainPID: Int32? = nil,
        killMode: KillMode = .controlGroup, controlGroup: String? = nil, timeoutStop: Duration? = .seconds(90),
        mainExit: MainExit? = nil, result: String = "success", job: UInt32? = nil, invocationID: String? = nil
    ) {
        self.unit = unit
        self.loadState = loadState
        self.activeState = activeState
        self.subState = subState
        self.mainPID = mainPID
        self.killMode = killMode
        self.controlGroup = controlGroup
        self.timeoutStop = timeoutStop
        self.mainExit = mainExit
        self.result = result
        self.job = job
        self.invocationID = invocationID
    }

    /// Whether systemd has the unit loaded (it exists, and is not masked).
    public var isLoaded: Bool { loadState == "loaded" }
}

extension SystemdUnitStatus: CustomStringConvertible {
    /// `snap.demo.daemon.service: active (running), main PID 42, KillMode=process`.
    public var description: String {
        var text = "\(unit): \(activeState.rawValue) (\(subState))"
        if !isLoaded { text += ", \(loadState)" }
        if let mainPID { text += ", main PID \(mainPID)" }
        if let job { text += ", job \(job) running" }
        return text + ", KillMode=\(killMode.rawValue)"
    }
}
