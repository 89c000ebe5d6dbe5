/// Who a process is: its PID and the start time that tells a reused PID apart.
public struct ProcessIdentity: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var pid: Int32
    /// Start time in clock ticks since boot (`/proc/PID/stat` field 22); `nil` when unknown,
    /// as in a hand-written scenario.
    public var startTime: UInt64?

    public init(pid: Int32, startTime: UInt64? = nil) {
        self.pid = pid
        self.startTime = startTime
    }

    public var description: String { startTime.map { "\(pid)@\($0)" } ?? "\(pid)" }

    public static func < (lhs: ProcessIdentity, rhs: ProcessIdentity) -> Bool {
        (lhs.pid, lhs.startTime ?? 0) < (rhs.pid, rhs.startTime ?? 0)
    }
}

/// What a process shows about where it runs from, as `/proc` has it.
public struct ProcessEvidence: Sendable, Hashable {
    /// `/proc/PID/exe`, possibly with a ` (deleted)` suffix.
    public var exe: String?
    /// File-backed paths of `/proc/PID/maps`.
    public var maps: [String]
    /// `/proc/PID/cwd`.
    public var cwd: String?
    /// `/proc/PID/cgroup` lines or just their paths.
    public var cgroups: [String]
    /// For a process in a mount namespace of its own (as snap-confine makes them): the squashfs
    /// image mounted as its `/` (`ROOT/var/lib/snapd/snaps/core22_100.snap`), since the base's
    /// files do not show under `/snap/` there.
    public var rootImage: String?

    public init(exe: String? = nil, maps: [String] = [], cwd: String? = nil, cgroups: [String] = [], rootImage: String? = nil) {
        self.exe = exe
        self.maps = maps
        self.cwd = cwd
        self.cgroups = cgroups
        self.rootImage = rootImage
    }

    public var isEmpty: Bool { exe == nil && maps.isEmpty && cwd == nil && cgroups.isEmpty && rootImage == nil }
}

/// A revision of some snap, as a pair.
public struct SnapRevision: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var snap: SnapName
    public var revision: Revision

    public init(_ snap: SnapName, _ revision: Revision) {
        self.snap = snap
        self.revision = revision
    }

    public var description: String { "\(snap)=\(revision)" }

    public static func < (lhs: SnapRevision, rhs: SnapRevision) -> Bool {
        lhs.snap != rhs.snap ? lhs.snap < rhs.snap : lhs.revision < rhs.revision
    }
}

/// Which snap revision (and app) a process runs from, and what else it holds.
public struct Binding: Sendable, Hashable {
    public var snap: SnapName
    public var revision: Revision
    /// `nil` when no app could be told (then snap-level rules apply).
    public var app: AppName?
    /// The hook, for a process in a `snap.NAME.hook.HOOK-UUID.scope`.
    public var hook: AppName?
    /// Other snap revisions the process holds: its base, and anything else it maps. Sorted.
    public var pins: [SnapRevision]
    /// How the binding was found, for `ps` and explanations (`cgroup snap.vlc.vlc-….scope`).
    public var evidence: [String]

    public init(
        snap: SnapName, revision: Revision, app: AppName? = nil, hook: AppName? = nil,
        pins: [SnapRevision] = [], evidence: [String] = []
    ) {
        self.snap = snap
        self.revision = revision
        self.app = app
        self.hook = hook
        self.pins = pins.sorted()
        self.evidence = evidence
    }

    /// Whether the process holds `revision` of `snap`, as its own or as a pin.
    public func holds(_ snap: SnapName, _ revision: Revision) -> Bool {
        (self.snap == snap && self.revision == revision) || pins.contains(SnapRevision(snap, revision))
    }
}

/// A live process and, when it runs from a snap, its binding.
public struct RunningProcess: Sendable, Hashable {
    public var identity: ProcessIdentity
    public var evidence: ProcessEvidence
    /// `nil` for a process that does not run from any snap.
    public var binding: Binding?

    public init(identity: ProcessIdentity, evidence: ProcessEvidence = ProcessEvidence(), binding: Binding? = nil) {
        self.identity = identity
        self.evidence = evidence
        self.binding = binding
    }

    public var pid: Int32 { identity.pid }
}
