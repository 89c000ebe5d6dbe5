import RefreshCore

/// What systemd did with a request (a stop, start, restart, kill, or a move into a scope).
public enum ServiceOutcome: Sendable, Hashable {
    /// systemd carried it out; the unit's status afterwards (the scope's, for a move).
    case done(SystemdUnitStatus)
    /// systemd refused it or the job failed: systemctl's message, and the unit's status
    /// afterwards when it could be read.
    case failed(String, SystemdUnitStatus?)
    /// The timeout passed before systemd finished. The job goes on inside systemd (systemctl
    /// only waits for it); the status says what systemd is doing now (`deactivating`,
    /// `stop-sigterm`, the job), when it could be read.
    case timedOut(SystemdUnitStatus?)
    /// The request never reached systemd: `systemctl` could not be run, or was killed.
    case couldNotRun(String)

    /// The unit's status afterwards, when there is one.
    public var status: SystemdUnitStatus? {
        switch self {
        case .done(let status): return status
        case .failed(_, let status), .timedOut(let status): return status
        case .couldNotRun: return nil
        }
    }

    public var succeeded: Bool {
        if case .done = self { return true }
        return false
    }
}
