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
    /// `/proc/PID/root` when the process is chrooted into a snap revision (not `/`).
    public var root: String?
    /// Open files (`/proc/PID/fd/*` targets) that lie in snap revisions.
    public var files: [String]

    public init(
        exe: String? = nil, maps: [String] = [], cwd: String? = nil, cgroups: [String] = [], rootImage: String? = nil,
        root: String? = nil, files: [String] = []
    ) {
        self.exe = exe
        self.maps = maps
        self.cwd = cwd
        self.cgroups = cgroups
        self.rootImage = rootImage
        self.root = root
        self.files = files
    }

    public var isEmpty: Bool {
        exe == nil && maps.isEmpty && cwd == nil && cgroups.isEmpty && rootImage == nil && root == nil && files.isEmpty
    }
}

/// How a process relates to the snap revision it is bound to (DESIGN.md, "Who runs what").
public enum ProcessRole: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Runs one of the snap's apps outside a service: its cgroup is `snap.NAME.APP-UUID.scope`,
    /// or its executable lies in the snap's revision. Decided by its app's rule, signalled alone.
    case app
    /// The main process of a service (`snap.NAME.APP.service`): systemd's `MainPID`, else the
    /// member whose parent is not a member.
    case main
    /// Any other process in a service's cgroup (workers, children the daemon started). Goes with
    /// its service per the kill mode, unless a rule names it.
    case member
    /// Runs no snap's app but uses a revision's files (working directory, root, a mapped or open
    /// file). Never signalled, never postpones a refresh; it pins the revision.
    case user

    public var description: String { rawValue }

    /// Whether the engine may act on a process of this role (signal it, wait for it, let it
    /// postpone a refresh): every role but ``user``.
    public var isActedOn: Bool { self != .user }
}

/// How a ``ProcessRole/user`` process uses a revision's files: what pins the revision.
public enum RevisionUse: String, Sendable, Hashable, CaseIterable, Comparable, CustomStringConvertible {
    /// `/proc/PID/cwd` lies in the revision (a shell `cd`'d into it).
    case workingDirectory = "working directory"
    /// `/proc/PID/root` lies in the revision (a process chrooted into it).
    case root = "root directory"
    /// A file of the revision is mapped (`/proc/PID/maps`): a library, or the image of a
    /// program started through another loader.
    case mappedFile = "mapped file"
    /// A file of the revision is open (`/proc/PID/fd/*`).
    case openFile = "open file"

    public var description: String { rawValue }

    public static func < (lhs: RevisionUse, rhs: RevisionUse) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
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
    /// How the process relates to the revision.
    public var role: ProcessRole
    /// For a ``ProcessRole/main`` or ``ProcessRole/member`` process: its service's unit,
    /// `snap.NAME.APP.service`.
    public var service: String?
    /// The executable's path inside its own revision, without the leading slash
    /// (`usr/bin/qemu-system-x86_64`), when it lies in that revision; what a rule's `exe` matches.
    public var executable: String?
    /// For a ``ProcessRole/user``: how it uses its revision (working directory, root, mapped or
    /// open file), in that order; empty when not known (a scenario binding).
    public var uses: [RevisionUse]

    public init(
        snap: SnapName, revision: Revision, app: AppName? = nil, hook: AppName? = nil,
        pins: [SnapRevision] = [], evidence: [String] = [], role: ProcessRole = .app, service: String? = nil,
        executable: String? = nil, uses: [RevisionUse] = []
    ) {
        self.snap = snap
        self.revision = revision
        self.app = app
        self.hook = hook
        self.pins = pins.sorted()
        self.evidence = evidence
        self.role = role
        self.service = service
        self.executable = executable
        self.uses = uses
    }

    /// Whether the process holds `revision` of `snap`, as its own or as a pin.
    public func holds(_ snap: SnapName, _ revision: Revision) -> Bool {
        (self.snap == snap && self.revision == revision) || pins.contains(SnapRevision(snap, revision))
    }
}

/// A live process and, when it runs from a snap, its binding.
public struct RunningProcess: Sendable, Hashable {
    public var identity: ProcessIdentity
    /// The parent PID (`/proc/PID/stat` field 4); `nil` when unknown, as in a scenario that
    /// does not say.
    public var parent: Int32?
    public var evidence: ProcessEvidence
    /// `nil` for a process that does not run from any snap.
    public var binding: Binding?

    public init(
        identity: ProcessIdentity, parent: Int32? = nil, evidence: ProcessEvidence = ProcessEvidence(), binding: Binding? = nil
    ) {
        self.identity = identity
        self.parent = parent
        self.evidence = evidence
        self.binding = binding
    }

    public var pid: Int32 { identity.pid }
}
