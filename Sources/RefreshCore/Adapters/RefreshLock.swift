/// A held lock; released by ``release()`` or when the last reference goes.
public protocol LockHold: AnyObject, Sendable {
    func release()
}

/// One refresh at a time on a host (`ROOT/var/lib/refreshctl/lock`).
public protocol RefreshLock: Sendable {
    /// Takes the lock.
    /// - Parameter wait: block until the holder lets go, instead of failing at once.
    /// - Throws: ``RefreshCoreError`` with code ``RefreshCoreError/Code/locked`` (exit code 4)
    ///   naming the holder.
    func acquire(wait: Bool) throws(RefreshCoreError) -> any LockHold
}

/// The engine's own records under `ROOT/var/lib/refreshctl/`: postponements and history.
public protocol RefreshRecords: Sendable {
    /// Adds `entry` to its snap's history, keeping the newest ``RefreshHistory/limit`` entries.
    func recordHistory(_ entry: RefreshHistory.Entry) throws(RefreshCoreError)
    /// Records when a postponed refresh of `snap` was first held back (kept if already there).
    func recordPostponement(_ snap: SnapName, since: Timestamp) throws(RefreshCoreError)
    /// Forgets a postponement, once the refresh went through.
    func clearPostponement(_ snap: SnapName)
}
