/// snap.yaml `type`, as far as a refresh cares.
public enum SnapType: String, Sendable, Hashable, CaseIterable {
    case app, base, os, core, snapd, kernel, gadget

    /// Base-like snaps provide the root file system other snaps run on.
    public var isBaseLike: Bool { self == .base || self == .os || self == .core }
}

/// What one revision's `meta/snap.yaml` says.
public struct SnapInfo: Sendable, Hashable {
    public var name: SnapName
    public var version: String?
    public var type: SnapType
    /// The base snap the apps run on (`core22`), if any.
    public var base: SnapName?
    public var apps: [AppName: App]

    public init(
        name: SnapName, version: String? = nil, type: SnapType = .app, base: SnapName? = nil,
        apps: [AppName: App] = [:]
    ) {
        self.name = name
        self.version = version
        self.type = type
        self.base = base
        self.apps = apps
    }
}

/// An installed revision of a snap.
public struct InstalledRevision: Sendable, Hashable {
    public var revision: Revision
    public var info: SnapInfo

    public init(revision: Revision, info: SnapInfo) {
        self.revision = revision
        self.info = info
    }
}

/// A snap on a host: its installed revisions, which one is current, and refresh bookkeeping.
public struct Snap: Sendable, Hashable {
    public var name: SnapName
    /// The revision `current` points at; `nil` when the link is missing.
    public var current: Revision?
    /// Installed revisions, ascending.
    public var revisions: [InstalledRevision]
    /// When a postponed refresh of this snap was first held back.
    public var postponedSince: Timestamp?
    /// A hold put by hand (`refreshctl hold`), expired or not.
    public var hold: SnapHold?

    public init(
        name: SnapName, current: Revision?, revisions: [InstalledRevision],
        postponedSince: Timestamp? = nil, hold: SnapHold? = nil
    ) {
        self.hold = hold
        self.name = name
        self.current = current
        self.revisions = revisions.sorted { $0.revision < $1.revision }
        self.postponedSince = postponedSince
    }

    /// The metadata of `revision`, or of the current revision, or of the newest one.
    public func info(for revision: Revision? = nil) -> SnapInfo? {
        if let revision, let found = revisions.first(where: { $0.revision == revision }) {
            return found.info
        }
        if let current, let found = revisions.first(where: { $0.revision == current }) {
            return found.info
        }
        return revisions.last?.info
    }

    public func isInstalled(_ revision: Revision) -> Bool {
        revisions.contains { $0.revision == revision }
    }

    /// Installed revisions newer than `current`: staged, waiting for a refresh.
    public var staged: [Revision] {
        revisions.map(\.revision).filter { current == nil || $0 > current! }
    }
}
