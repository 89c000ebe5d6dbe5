/// What a service manager says about a unit.
public struct ServiceStatus: Sendable, Hashable {
    public var unit: String
    /// `active`, `inactive`, `failed`, `activating`, `deactivating`, ...
    public var activeState: String
    /// The main process; `nil` when there is none.
    public var mainPID: Int32?
    /// The unit's own kill mode (`control-group`, `process`, `mixed`, `none`).
    public var killMode: String

    public init(unit: String, activeState: String, mainPID: Int32?, killMode: String) {
        self.unit = unit
        self.activeState = activeState
        self.mainPID = mainPID
        self.killMode = killMode
    }

    /// Whether stopping the unit takes processes other than the main one.
    public var stopTakesMembers: Bool { killMode != "process" && killMode != "none" }
}

/// How a service manager job ended.
public enum ServiceJobResult: Sendable, Hashable {
    /// Done; what the manager did, in words.
    case done(String)
    /// Not done within the timeout.
    case timedOut
    /// The manager refused or failed; why.
    case failed(String)
}

/// A service manager job that was started: its result once it has ended.
public protocol ServiceJob: Sendable {
    var result: ServiceJobResult? { get }
}

/// The host's service manager (systemd), when one runs it: services are stopped, started and
/// killed through it, never by signalling behind its back.
public protocol ServiceManager: Sendable {
    /// `systemd`, for reports.
    var name: String { get }
    /// The unit's status, or `nil` when the manager does not know the unit.
    func status(_ unit: String) async -> ServiceStatus?
    /// Stops the unit; the job ends when it is inactive, or times out.
    func stop(_ unit: String, timeout: TimeSpan) -> any ServiceJob
    /// Starts the unit.
    func start(_ unit: String, timeout: TimeSpan) -> any ServiceJob
    /// Sends `signal` to the unit's main process, or to all its processes.
    func kill(_ unit: String, signal: Signal, mainOnly: Bool) -> any ServiceJob
    /// Moves processes out of `unit` into a unit of their own named `scope`, so that stopping
    /// `unit` cannot take them.
    func moveOut(_ processes: [ProcessIdentity], of unit: String, into scope: String) -> any ServiceJob
}
