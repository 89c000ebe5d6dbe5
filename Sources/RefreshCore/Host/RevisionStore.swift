/// What the revision store found on a host.
public struct StoreListing: Sendable, Hashable {
    /// Snaps in name order.
    public var snaps: [Snap]
    /// Revisions whose tree is a mount point.
    public var mounted: Set<SnapRevision>
    /// Revisions with a per-revision data directory.
    public var dataDirectories: Set<SnapRevision>
    /// Things that are wrong and were not silently skipped: a broken snap.yaml, a revision
    /// directory that is a symlink, a `current` link that names no revision. Sorted.
    public var problems: [String]

    public init(snaps: [Snap], mounted: Set<SnapRevision> = [], dataDirectories: Set<SnapRevision> = [], problems: [String] = []) {
        self.snaps = snaps
        self.mounted = mounted
        self.dataDirectories = dataDirectories
        self.problems = problems
    }
}

/// The installed revisions of a host, and mounting them.
public protocol RevisionStore: Sendable {
    var layout: HostLayout { get }
    /// Reads every snap, revision, `current` link and snap.yaml.
    func list() -> StoreListing
    /// Mounts `ROOT/var/lib/snapd/snaps/NAME_REV.snap` read-only on `ROOT/snap/NAME/REV`
    /// through a loop device; a revision already mounted is left as it is.
    func mount(_ snap: SnapName, _ revision: Revision) throws(RefreshCoreError)
    /// Unmounts `ROOT/snap/NAME/REV`; a revision in use stays mounted and the error says so
    /// (code ``RefreshCoreError/Code/inUse``). Never forced, never lazy.
    func unmount(_ snap: SnapName, _ revision: Revision) throws(RefreshCoreError)
}
