/// What happened to one process.
public struct ProcessResult: Sendable, Hashable {
    public enum Outcome: String, Sendable, Hashable {
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
