/// What happens to a running process of an old revision when its snap is refreshed
/// (policy key `on-refresh`).
public enum Action: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Untouched; new launches use the new revision; the old revision stays while it lives.
    case leaveRunning = "leave-running"
    /// Signal or stop command, wait `timeout`, then `then`.
    case shutdown
    /// SIGKILL at once.
    case kill
    /// Daemons: shut down, then start again from the new revision.
    case restart
    /// The refresh of the snap waits until the process exits, at most `max-postpone`.
    case postpone

    public var description: String { rawValue }
}

/// What follows when a shutdown times out, or when a postponement runs out (policy key `then`).
public enum Escalation: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case kill
    case leaveRunning = "leave-running"
    /// Give up the refresh: switch back to the old revision; exit code 1.
    case abort
    case shutdown
    case restart

    public var description: String { rawValue }

    /// The escalations that mean something after `action`; empty when `then` means nothing.
    public static func allowed(after action: Action) -> [Escalation] {
        switch action {
        case .shutdown, .restart: return [.kill, .leaveRunning, .abort]
        case .postpone: return [.leaveRunning, .shutdown, .kill, .restart]
        case .kill, .leaveRunning: return []
        }
    }
}
