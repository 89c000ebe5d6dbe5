/// What a policy unit test expects of the decision for one process, or for every process of
/// an app: `processes: {4242: leave-running}` or `apps: {libvirtd: {action: restart, timeout: 30s}}`.
///
/// Only the fields that are set are compared; each keeps the position it was written at, so a
/// failure points at its own line.
public struct ProcessExpectation: Sendable, Hashable {
    /// Which processes the expectation is about.
    public enum Selector: Sendable, Hashable, CustomStringConvertible {
        /// The process with this PID.
        case pid(Int32)
        /// Every process of the app: `snap` is `nil` for an app named alone (`vlc`), which
        /// matches that app name in any snap, and set for `SNAP.APP` (`vlc.vlc`).
        case app(snap: SnapName?, app: AppName)

        /// `pid 4242`, `app vlc` or `app vlc.vlc`.
        public var description: String {
            switch self {
            case .pid(let pid): "pid \(pid)"
            case .app(let snap?, let app): "app \(snap).\(app)"
            case .app(nil, let app): "app \(app)"
            }
        }

        /// Whether `decision` is one of the processes this selector names.
        public func matches(_ decision: ProcessDecision) -> Bool {
            switch self {
            case .pid(let pid): decision.identity.pid == pid
            case .app(let snap, let app): decision.app == app && (snap == nil || decision.snap == snap)
            }
        }
    }

    /// The processes, and where the key was written.
    public var selector: Located<Selector>
    /// The action: `leave-running`, `shutdown`, `kill`, `restart` or `postpone`.
    public var action: Located<Action>?
    /// The signal a shutdown or restart sends.
    public var signal: Located<Signal>?
    /// The command a shutdown or restart runs instead of a signal, word by word.
    public var stopCommand: Located<[String]>?
    /// How long a shutdown or restart waits for the process to exit.
    public var timeout: Located<TimeSpan>?
    /// After a shutdown: what follows a timeout; after a postponement: what follows it.
    public var then: Located<Escalation>?
    /// When a postponement runs out.
    public var deadline: Located<Timestamp>?
    /// Text the decision's reason must contain (`rule 3`, `snap.yaml: refresh-mode`).
    public var reasonContains: Located<String>?
    /// The process's role: `app`, `main`, `member` or `user`.
    public var role: Located<ProcessRole>?
    /// The service (`snap.NAME.APP.service`) a main or member process belongs to.
    public var service: Located<String>?

    /// An expectation with only the fields given set.
    public init(
        selector: Located<Selector>, action: Located<Action>? = nil, signal: Located<Signal>? = nil,
        stopCommand: Located<[String]>? = nil, timeout: Located<TimeSpan>? = nil,
        then: Located<Escalation>? = nil, deadline: Located<Timestamp>? = nil,
        reasonContains: Located<String>? = nil, role: Located<ProcessRole>? = nil, service: Located<String>? = nil
    ) {
        self.role = role
        self.service = service
        self.selector = selector
        self.action = action
        self.signal = signal
        self.stopCommand = stopCommand
        self.timeout = timeout
        self.then = then
        self.deadline = deadline
        self.reasonContains = reasonContains
    }
}
