/// What a refresh would do: per snap, the target, the outcome, a decision for every process,
/// and which revisions stay or go. A value; ``RefreshPlan/text(explain:)`` and ``RefreshPlan/json()``
/// print it.
public struct RefreshPlan: Sendable, Hashable {
    /// The plan format's version, printed in JSON.
    public static let formatVersion = 1

    public var snaps: [SnapPlan]
    /// Sorted, each starting with the snap it is about.
    public var warnings: [String]
    /// The time the plan was made for.
    public var now: Timestamp
    /// The service manager a plan of a live host assumed (`systemd`, or `none`: the engine
    /// signals daemons itself); `nil` for a plan on paper (a scenario), which assumes none.
    public var serviceManager: String?

    public init(snaps: [SnapPlan], warnings: [String], now: Timestamp) {
        self.snaps = snaps
        self.warnings = warnings
        self.now = now
    }

    /// DESIGN's exit codes: 1 when some snap cannot be refreshed, else 3 when one is
    /// postponed or held, else 0.
    public var exitCode: Int32 {
        if snaps.contains(where: { $0.outcome == .error }) { return 1 }
        if snaps.contains(where: { $0.outcome == .postponed || $0.outcome == .held }) { return 3 }
        return 0
    }
}

/// The plan for one snap.
public struct SnapPlan: Sendable, Hashable {
    /// What the refresh does for the snap as a whole (`outcome` in JSON and in test files).
    public enum Outcome: String, Sendable, Hashable, CaseIterable {
        /// The snap moves to the target revision.
        case refresh
        /// A running app's policy holds the refresh back until its deadline.
        case postponed
        /// A hold put by hand (`refreshctl hold`) keeps the snap where it is;
        /// ``SnapPlan/hold`` says until when, by whom and with what command.
        case held
        /// The target is the current revision already.
        case upToDate = "up-to-date"
        /// The snap cannot be refreshed; ``SnapPlan/error`` says why.
        case error
    }

    public var name: SnapName
    /// The current revision; `nil` when there is none.
    public var from: Revision?
    /// The target revision; `nil` when there is none (an error).
    public var to: Revision?
    public var outcome: Outcome
    /// Why the outcome is `error`.
    public var error: String?
    /// Sorted by PID: first this snap's own processes, then those that pin it as a base... all
    /// in PID order.
    public var processes: [ProcessDecision]
    /// Revisions that stay, newest first, each with why.
    public var keep: [KeptRevision]
    /// Revisions the refresh removes, newest first.
    public var remove: [Revision]
    /// When a postponement started and when it runs out.
    public var postponement: Postponement?
    /// The services among ``processes`` (a service of another snap too, when its processes pin
    /// this snap as a base), each stopped or restarted once, in unit order.
    public var services: [ServicePlan]
    /// The hold that keeps the snap where it is (outcome ``Outcome/held``).
    public var hold: SnapHold?

    public init(
        name: SnapName, from: Revision?, to: Revision?, outcome: Outcome, error: String? = nil,
        processes: [ProcessDecision] = [], keep: [KeptRevision] = [], remove: [Revision] = [],
        postponement: Postponement? = nil, services: [ServicePlan] = [], hold: SnapHold? = nil
    ) {
        self.hold = hold
        self.name = name
        self.from = from
        self.to = to
        self.outcome = outcome
        self.error = error
        self.processes = processes
        self.keep = keep
        self.remove = remove
        self.postponement = postponement
        self.services = services
    }

    /// The decision for `pid`, if the process is in this plan.
    public func decision(for pid: Int32) -> ProcessDecision? {
        processes.first { $0.identity.pid == pid }
    }
}

/// A revision the plan keeps, and why.
public struct KeptRevision: Sendable, Hashable {
    public var revision: Revision
    public var why: String

    public init(revision: Revision, why: String) {
        self.revision = revision
        self.why = why
    }
}

/// A postponed refresh's window.
public struct Postponement: Sendable, Hashable {
    public var since: Timestamp
    public var deadline: Timestamp

    public init(since: Timestamp, deadline: Timestamp) {
        self.since = since
        self.deadline = deadline
    }
}

/// What happens to one process, and why.
public struct ProcessDecision: Sendable, Hashable {
    /// One setting of a decision with where it came from.
    public struct Source: Sendable, Hashable {
        public var field: String
        public var source: String

        public init(field: String, source: String) {
            self.field = field
            self.source = source
        }
    }

    public var identity: ProcessIdentity
    /// The parent PID, when known.
    public var parent: Int32?
    /// How the process relates to the revision: app, main or member of a service, or user.
    public var role: ProcessRole
    /// The unit of the service a main or member process belongs to.
    public var service: String?
    /// The snap, revision and app the process runs from.
    public var snap: SnapName
    public var revision: Revision
    public var app: AppName?
    public var hook: AppName?
    /// For a process of another snap: the revision of the planned snap it pins (as a base).
    public var pins: Revision?
    public var action: Action
    /// Why this action: the policy line, snap.yaml field, `defaults` or built-in.
    public var reason: String
    /// Shutdowns and restarts: how, how long, and what then.
    public var signal: Signal?
    public var stopCommand: [String]?
    public var timeout: TimeSpan?
    public var then: Escalation?
    /// Restarts: the command that starts the daemon again; `nil` means the service manager.
    public var restartCommand: [String]?
    /// Postponements: when the postponement runs out.
    public var deadline: Timestamp?
    /// Where each of signal, stop-command, timeout, then and max-postpone came from.
    public var sources: [Source]

    public init(
        identity: ProcessIdentity, snap: SnapName, revision: Revision, app: AppName?, hook: AppName? = nil,
        pins: Revision? = nil, action: Action, reason: String, signal: Signal? = nil,
        stopCommand: [String]? = nil, timeout: TimeSpan? = nil, then: Escalation? = nil,
        deadline: Timestamp? = nil, sources: [Source] = [], role: ProcessRole = .app, parent: Int32? = nil,
        service: String? = nil
    ) {
        self.identity = identity
        self.role = role
        self.parent = parent
        self.service = service
        self.snap = snap
        self.revision = revision
        self.app = app
        self.hook = hook
        self.pins = pins
        self.action = action
        self.reason = reason
        self.signal = signal
        self.stopCommand = stopCommand
        self.timeout = timeout
        self.then = then
        self.deadline = deadline
        self.sources = sources
    }

    /// `vlc.vlc`, `vlc.hook.configure` or just `vlc` when the app is unknown.
    public var appLabel: String {
        if let app { return "\(snap).\(app)" }
        if let hook { return "\(snap).hook.\(hook)" }
        return "\(snap)"
    }
}

/// What happens to one service (`snap.NAME.APP.service`) as a whole: it is stopped, restarted
/// or left alone once, however many processes it has. Its main process and the members that go
/// with it (per the kill mode) are ``stopped``; the other members (``others``) are decided on
/// their own — survivors that the kill mode spares or a rule leaves running, or processes a
/// rule with `exe` names — and the stop must not take them.
public struct ServicePlan: Sendable, Hashable {
    /// `snap.NAME.APP.service`.
    public var unit: String
    public var snap: SnapName
    public var app: AppName
    /// The revision the service's main process runs from.
    public var revision: Revision
    /// The main process, when the service has one running.
    public var main: ProcessIdentity?
    /// What happens to the service: the action its main process's rule decides.
    public var action: Action
    /// Why: the rule, snap.yaml field, `defaults` or built-in.
    public var reason: String
    /// Which processes the stop reaches, and where that came from (a policy's `stop-mode`, the
    /// snap.yaml's, or the default).
    public var killMode: KillMode
    public var killModeSource: String
    /// The stop-mode the kill mode comes from; `nil` for the default (control group).
    public var stopMode: App.StopMode?
    /// Shutdowns and restarts: how, how long, and what then (as in ``ProcessDecision``).
    public var signal: Signal?
    public var stopCommand: [String]?
    public var timeout: TimeSpan?
    public var then: Escalation?
    /// Restarts: the command that starts the service again; `nil` means the service manager.
    public var restartCommand: [String]?
    /// Postponements: when the postponement runs out.
    public var deadline: Timestamp?
    /// Where each of signal, stop-command, timeout, then, restart-command and max-postpone
    /// came from.
    public var sources: [ProcessDecision.Source]
    /// The processes that share the service's fate: the main process, and with
    /// ``KillMode/controlGroup`` every member not in ``others``. The stop takes them and the
    /// engine waits for them. In PID order.
    public var stopped: [ProcessIdentity]
    /// The members the stop must not take, each decided on its own (its ``ProcessDecision``
    /// says how): members a rule names (with `exe`, or with another app's `app`), members the
    /// kill mode spares (``KillMode/process``), and the engine and its ancestors. In PID order.
    public var others: [ProcessIdentity]

    public init(
        unit: String, snap: SnapName, app: AppName, revision: Revision, main: ProcessIdentity?, action: Action,
        reason: String, killMode: KillMode, killModeSource: String, stopMode: App.StopMode? = nil, signal: Signal? = nil,
        stopCommand: [String]? = nil, timeout: TimeSpan? = nil, then: Escalation? = nil, restartCommand: [String]? = nil,
        deadline: Timestamp? = nil, sources: [ProcessDecision.Source] = [], stopped: [ProcessIdentity] = [],
        others: [ProcessIdentity] = []
    ) {
        self.stopMode = stopMode
        self.sources = sources
        self.unit = unit
        self.snap = snap
        self.app = app
        self.revision = revision
        self.main = main
        self.action = action
        self.reason = reason
        self.killMode = killMode
        self.killModeSource = killModeSource
        self.signal = signal
        self.stopCommand = stopCommand
        self.timeout = timeout
        self.then = then
        self.restartCommand = restartCommand
        self.deadline = deadline
        self.stopped = stopped
        self.others = others
    }

    /// `snap.NAME.APP.service`.
    public static func unitName(snap: SnapName, app: AppName) -> String { "snap.\(snap).\(app).service" }

    /// `stop-mode: sigterm (snap.yaml)`, `stop-mode: sigterm (policy.yaml:9: rule 2 (...))` or
    /// `no stop-mode (built-in)`: what sets the kill mode, for reasons and text.
    public var killModePhrase: String { ServicePlan.killModePhrase(stopMode: stopMode, source: killModeSource) }

    static func killModePhrase(stopMode: App.StopMode?, source: String) -> String {
        guard let stopMode else { return "no stop-mode (built-in)" }
        let origin = source.hasPrefix("snap.yaml") ? "snap.yaml" : source
        return "stop-mode: \(stopMode) (\(origin))"
    }

    /// `libvirt.libvirtd`.
    public var appLabel: String { "\(snap).\(app)" }
}
