/// Where things live on a host (snapd's layout) under a root directory. Names are validated
/// types, so no path built here can escape the root through `..` or `/`.
public struct HostLayout: Sendable, Hashable {
    /// The root, without a trailing slash (`""` for `/`).
    public let root: String

    public init(root: String = "/") {
        var trimmed = root
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        self.root = trimmed
    }

    /// `ROOT/snap`.
    public var snapsDirectory: String { root + "/snap" }
    /// `ROOT/snap/NAME`.
    public func snapDirectory(_ name: SnapName) -> String { "\(snapsDirectory)/\(name)" }
    /// `ROOT/snap/NAME/REV`: the revision's tree, a squashfs mount point or a plain directory.
    public func revisionDirectory(_ name: SnapName, _ revision: Revision) -> String { "\(snapDirectory(name))/\(revision)" }
    /// `ROOT/snap/NAME/current`.
    public func currentLink(_ name: SnapName) -> String { "\(snapDirectory(name))/current" }
    /// `ROOT/var/lib/snapd/snaps`.
    public var imagesDirectory: String { root + "/var/lib/snapd/snaps" }
    /// `ROOT/var/lib/snapd/snaps/NAME_REV.snap`.
    public func image(_ name: SnapName, _ revision: Revision) -> String { "\(imagesDirectory)/\(name)_\(revision).snap" }
    /// `ROOT/var/snap/NAME`.
    public func dataRoot(_ name: SnapName) -> String { "\(root)/var/snap/\(name)" }
    /// `ROOT/var/snap/NAME/REV`.
    public func dataDirectory(_ name: SnapName, _ revision: Revision) -> String { "\(dataRoot(name))/\(revision)" }
    /// `ROOT/var/lib/refreshctl`: the engine's journal, lock and postponement records.
    public var stateDirectory: String { root + "/var/lib/refreshctl" }
    /// `ROOT/var/lib/refreshctl/postponed/NAME`: when a postponed refresh of NAME was first held back.
    public func postponementRecord(_ name: SnapName) -> String { "\(stateDirectory)/postponed/\(name)" }
    /// `ROOT/var/lib/refreshctl/left/NAME_REV`: when revision REV of NAME last stopped being current.
    public func leftRecord(_ name: SnapName, _ revision: Revision) -> String { "\(stateDirectory)/left/\(name)_\(revision)" }
    /// `ROOT/home`: users' homes, each with its `snap/NAME/REV` data.
    public var homesDirectory: String { root + "/home" }
    /// `ROOT/var/lib/refreshctl/held/NAME`: a hold put on NAME by hand (`refreshctl hold`).
    public func holdRecord(_ name: SnapName) -> String { "\(stateDirectory)/held/\(name)" }
    /// `ROOT/var/lib/refreshctl/history/NAME.json`: NAME's last refreshes.
    public func historyFile(_ name: SnapName) -> String { "\(stateDirectory)/history/\(name).json" }
    /// The host's root as a path prefix for binding inference.
    public var rootPath: String { root.isEmpty ? "/" : root }
}
