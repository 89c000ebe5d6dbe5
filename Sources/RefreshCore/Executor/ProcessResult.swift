/// What happened to one process.
public struct ProcessResult: Sendable, Hashable {
    public enum Outcome: String, Sendable, Hashable, CaseIterable {
        case leftRunning = "left-running"
        case exited
        case killed
        case restarted
        case stillRunning = "still-running"
        case gone
        case refused
        case failed
    }

    public var identity: ProcessIdentity
    public var label: String
    public var action: Action
    public var outcome: Outcome
    /// What happened, in words: "sent SIGTERM, exited after 0.2s".
    public var detail: String
    /// The timeout ran out and the decision's `then` is `abort`.
    public var aborts: Bool

    package init(identity: ProcessIdentity, label: String, action: Action, outcome: Outcome, detail: String, aborts: Bool) {
        self.identity = identity
        self.label = label
        self.action = action
        self.outcome = outcome
        self.detail = detail
        self.aborts = aborts
    }
}

/// What happened to one service: stopped, restarted, or why not.
public struct ServiceResult: Sendable, Hashable {
    /// `snap.NAME.APP.service`.
    public var unit: String
    public var action: Action
    public var outcome: ProcessResult.Outcome
    /// What was done and what came of it: the signal or command, what the service manager
    /// did, what a command printed.
    public var detail: String

    package init(unit: String, action: Action, outcome: ProcessResult.Outcome, detail: String) {
        self.unit = unit
        self.action = action
        self.outcome = outcome
        self.detail = detail
    }
}
