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

/// What a data copy did.
public struct DataCopyOutcome: Sendable, Hashable {
    /// Whether the copy created the target directory (it is never overwritten when it exists).
    public var created: Bool
    /// Paths (relative to the source directory) that vanished while the copy ran, so a busy
    /// app's temporary files do not fail a refresh; they are reported.
    public var vanished: [String]

    public init(created: Bool, vanished: [String] = []) {
        self.created = created
        self.vanished = vanished
    }
}

/// The installed revisions of a host: reading them, staging, switching and removing them.
///
/// Every path is under the store's root and reached from validated names. The real store is
/// `FileSystemRevisionStore` (RefreshHost); `FakeRevisionStore` (RefreshFakes) keeps a host in
/// memory for tests.
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
    /// Whether the revision is mounted now.
    func isMounted(_ snap: SnapName, _ revision: Revision) -> Bool
    /// Whether `ROOT/var/lib/snapd/snaps/NAME_REV.snap` exists.
    func hasImage(_ snap: SnapName, _ revision: Revision) -> Bool
    /// Whether `ROOT/var/snap/NAME/REV` exists.
    func hasData(_ snap: SnapName, _ revision: Revision) -> Bool
    /// Checks, changing nothing, that the data directories of a refresh from `from` to `to` are
    /// what the layout says (real directories, not symlinks): called before anything is staged.
    func checkData(_ snap: SnapName, from: Revision, to: Revision) throws(RefreshCoreError)
    /// Checks, once `revision` is mounted and before anything switches to it, that its
    /// `meta/snap.yaml` can be read, parses, and names `snap`: a revision that does not is never
    /// made current.
    func checkRevision(_ snap: SnapName, _ revision: Revision) throws(RefreshCoreError)
    /// Makes `var/snap/NAME/TO` a copy of `var/snap/NAME/FROM` when TO does not exist yet,
    /// atomically (a partial copy is never in place).
    func copyData(_ snap: SnapName, from: Revision, to: Revision) throws(RefreshCoreError) -> DataCopyOutcome
    /// Removes a data directory a refresh created (and any partial copy): only for undoing a
    /// refresh that never switched.
    func removeCreatedData(_ snap: SnapName, _ revision: Revision) throws(RefreshCoreError)
    /// Points `snap/NAME/current` and `var/snap/NAME/current` at `revision`, each atomically.
    func switchCurrent(_ snap: SnapName, to revision: Revision) throws(RefreshCoreError)
    /// Unmounts and removes a revision that is not current (its image and its directory).
    func removeRevision(_ snap: SnapName, _ revision: Revision) throws(RefreshCoreError)
}
