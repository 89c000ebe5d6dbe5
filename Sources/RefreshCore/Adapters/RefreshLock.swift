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
    /// The revisions `snap` was reverted from: `apply NAME` does not go back to them unless
    /// one is named (`NAME=REV`), as snapd does.
    func revertedFrom(_ snap: SnapName) -> [Revision]
    /// Records that `snap` was reverted from `revision`.
    func recordRevert(_ snap: SnapName, from revision: Revision) throws(RefreshCoreError)
    /// Forgets the reverts of `snap`, once it was refreshed.
    func clearReverts(_ snap: SnapName)
    /// Records that `revision` of `snap` stops being current at `time` (written right before
    /// the switch), so `gc` can list what an old process wrote to its data afterwards.
    func recordLeaving(_ snap: SnapName, _ revision: Revision, at time: Timestamp) throws(RefreshCoreError)
    /// When `revision` last stopped being current, if recorded.
    func leftAt(_ snap: SnapName, _ revision: Revision) -> Timestamp?
    /// Forgets that time, once the revision's data is gone.
    func forgetLeaving(_ snap: SnapName, _ revision: Revision)
}
