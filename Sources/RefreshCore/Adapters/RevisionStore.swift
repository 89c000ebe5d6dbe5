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
    /// Users' data directories that were not copied, each with why (a symlink a user planted
    /// where the layout has a directory): a user cannot stop root's refresh, so these are
    /// reported and the refresh goes on. Sorted.
    public var notes: [String]

    public init(created: Bool, vanished: [String] = [], notes: [String] = []) {
        self.created = created
        self.vanished = vanished
        self.notes = notes
    }
}

/// What removing a collected revision's data directories did (or, dry, would do).
public struct DataRemoval: Sendable, Hashable {
    /// At most this many late writes are listed; ``lateWriteCount`` counts them all.
    public static let listLimit = 50

    /// The data directories removed (or that would be): `var/snap/NAME/REV` first, then every
    /// user's `snap/NAME/REV` in path order.
    public var directories: [String]
    /// Files under them (not directories) last modified in or after the second the revision
    /// stopped being current: what a process of the old revision wrote there after the
    /// refresh. Sorted, at most ``listLimit``; empty when that time is unknown.
    public var lateWrites: [String]
    /// How many such files there were.
    public var lateWriteCount: Int
    /// Data directories that stay, each with why (a symlink where a directory belongs, a
    /// mount point inside). Sorted.
    public var problems: [String]

    public init(directories: [String] = [], lateWrites: [String] = [], lateWriteCount: Int = 0, problems: [String] = []) {
        self.directories = directories
        self.lateWrites = lateWrites
        self.lateWriteCount = lateWriteCount
        self.problems = problems
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
    /// The homes (`ROOT/home/USER`, `ROOT/root`) that have `snap/NAME/REV` now, in path order:
    /// journalled before staging, so undoing it never removes a user's data it did not create.
    func userDataHomes(_ snap: SnapName, _ revision: Revision) -> [String]
    /// Makes `var/snap/NAME/TO` a copy of `var/snap/NAME/FROM` when TO does not exist yet,
    /// atomically (a partial copy is never in place), and the same in every home that has
    /// `snap/NAME/FROM` but no `snap/NAME/TO`.
    func copyData(_ snap: SnapName, from: Revision, to: Revision) throws(RefreshCoreError) -> DataCopyOutcome
    /// Removes the data directories a refresh created (and any partial copy): the system's when
    /// `system` (it did not exist before), and the users' except in the homes `userDataExisted`
    /// names (they had it before). Only for undoing a refresh that never switched.
    func removeCreatedData(_ snap: SnapName, _ revision: Revision, system: Bool, userDataExisted: [String]) throws(RefreshCoreError)
    /// Points `snap/NAME/current` and `var/snap/NAME/current` at `revision`, each atomically,
    /// and each user's `snap/NAME/current` whose `snap/NAME/REV` exists.
    /// - Returns: users' links that were left as they were, each with why. Sorted.
    @discardableResult
    func switchCurrent(_ snap: SnapName, to revision: Revision) throws(RefreshCoreError) -> [String]
    /// Unmounts and removes a revision that is not current (its image and its directory).
    func removeRevision(_ snap: SnapName, _ revision: Revision) throws(RefreshCoreError)
    /// The revisions that are not installed in any form (nothing at `snap/NAME/REV`, no image)
    /// but have a data directory, the system's or any user's (symlinks are neither followed nor
    /// counted): left behind before `gc` removed data with its revisions. Sorted.
    func dataLeftBehind(_ snap: SnapName) -> [Revision]
    /// Removes the data directories of a revision that is not current (the system's and every
    /// user's), never following a symlink nor crossing into another file system; first lists
    /// the files in them modified in or after `writtenSince`. With `dryRun`, only looks.
    func removeData(_ snap: SnapName, _ revision: Revision, writtenSince: Timestamp?, dryRun: Bool) -> DataRemoval
}
