/// Infers which snap revision and app a process runs from, and its role, out of what `/proc`
/// shows of it.
///
/// Used unchanged for a scenario's evidence and for a live host's, so both bind alike:
/// - Paths (`exe`, `maps`, `cwd`, `root`, open files) under `ROOT/snap/NAME/REV/` name the snap
///   revisions the process holds; a ` (deleted)` suffix is ignored, `current` means the
///   current revision.
/// - A snap cgroup (`snap.NAME.APP-UUID.scope`, `snap.NAME.APP.service`,
///   `snap.NAME.hook.HOOK-UUID.scope`) names the snap and app outright.
/// - Without one, the process belongs to the app snap among those it touches (base snaps —
///   type base/os/core, or some snap's `base:` — are what it pins), and its app is the one
///   whose snap.yaml `command` is its exe or one of its mapped files. With no such app, the
///   app is unknown and snap-level rules apply.
/// - A process with neither a snap cgroup nor an executable under `/snap/` runs no snap's app:
///   it is a ``ProcessRole/user`` of the revision whose files it uses (the first app snap's,
///   else the base's), never acted on; the rest are its pins.
public struct BindingInference: Sendable {
    private let snaps: [SnapName: Snap]
    private let bases: Set<SnapName>
    private let prefix: String
    private let imagePrefix: String

    /// - Parameters:
    ///   - snaps: the host's snaps, for metadata and `current`.
    ///   - root: the host root; snap paths are looked for under `root/snap/`.
    public init(snaps: [SnapName: Snap], root: String = "/") {
        self.snaps = snaps
        var bases = Set<SnapName>()
        for snap in snaps.values {
            guard let info = snap.info() else { continue }
            if info.type.isBaseLike { bases.insert(snap.name) }
            if let base = info.base { bases.insert(base) }
        }
        self.bases = bases
        var trimmed = root
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        self.prefix = trimmed + "/snap/"
        self.imagePrefix = trimmed + "/var/lib/snapd/snaps/"
    }

    private struct Touch {
        var snapRevision: SnapRevision
        var inner: Substring
        var source: Source
        var path: String
    }

    /// Where a path was seen, as the evidence notes name it.
    private enum Source: String {
        case exe, maps, cwd, root, openFile = "open file", rootImage = "root image"

        /// What it says about a user of the revision.
        var use: RevisionUse? {
            switch self {
            case .exe: nil
            case .maps: .mappedFile
            case .cwd: .workingDirectory
            case .root, .rootImage: .root
            case .openFile: .openFile
            }
        }
    }

    /// The binding of a process with `evidence`, or `nil` when it runs from no snap.
    ///
    /// The role is ``ProcessRole/app`` for a process in a scope or with its executable under
    /// `/snap/`, ``ProcessRole/user`` for one that only uses a revision's files, and
    /// ``ProcessRole/member`` for a process in a service's cgroup: which member is the main
    /// process takes all of a service's processes, see ``resolveServices(_:mainPIDs:)``.
    public func infer(_ evidence: ProcessEvidence) -> Binding? {
        var touches: [Touch] = []
        func touch(_ path: String, _ source: Source) {
            guard let (name, revisionText, inner) = SnapPath.split(path, under: prefix) else { return }
            let revision = revisionText == "current" ? snaps[name]?.current : Revision(String(revisionText))
            guard let revision else { return }
            touches.append(Touch(snapRevision: SnapRevision(name, revision), inner: inner, source: source, path: SnapPath.strippingDeleted(path)))
        }
        if let exe = evidence.exe { touch(exe, .exe) }
        let exeTouch = touches.first
        for path in evidence.maps { touch(path, .maps) }
        if let cwd = evidence.cwd { touch(cwd, .cwd) }
        if let root = evidence.root { touch(root, .root) }
        for path in evidence.files { touch(path, .openFile) }
        if let image = evidence.rootImage, let snapRevision = SnapPath.imageRevision(image, under: imagePrefix) {
            touches.append(Touch(snapRevision: snapRevision, inner: "", source: .rootImage, path: image))
        }
        let unit = evidence.cgroups.lazy.compactMap(SnapPath.unit(inCgroup:)).first

        guard let snap = unit?.snap ?? owner(of: touches) else { return nil }
        var notes: [String] = []
        if let unit { notes.append("cgroup \(unit.unitName)") }
        let own = touches.filter { $0.snapRevision.snap == snap }
        let revision: Revision
        if let first = own.first {
            revision = first.snapRevision.revision
        } else if let current = snaps[snap]?.current {
            revision = current
            notes.append("no path under \(prefix)\(snap)/, so the current revision \(current) is assumed")
        } else {
            return nil
        }
        var seen = Set<SnapRevision>()
        for t in touches where seen.insert(t.snapRevision).inserted {
            notes.append("\(t.source.rawValue) \(t.path)")
        }
        let pins = Set(touches.map(\.snapRevision)).subtracting([SnapRevision(snap, revision)])
        // No snap cgroup and no executable under /snap/: it runs no snap's app, it only uses
        // the revision's files.
        if unit == nil, exeTouch == nil {
            var uses = Set<RevisionUse>()
            for t in own where t.snapRevision.revision == revision { if let use = t.source.use { uses.insert(use) } }
            return Binding(snap: snap, revision: revision, pins: Array(pins), evidence: notes, role: .user, uses: uses.sorted())
        }
        var executable: String?
        if let exeTouch, exeTouch.snapRevision == SnapRevision(snap, revision), !exeTouch.inner.isEmpty {
            executable = String(exeTouch.inner)
        }
        var app = unit?.app
        if unit == nil, let info = snaps[snap]?.info(for: revision) {
            let inner = Set(own.filter { $0.snapRevision.revision == revision && $0.source != .openFile }.map { String($0.inner) })
            let candidates = info.apps.values.filter { $0.commandPath.map(inner.contains) ?? false }
            if candidates.count == 1 { app = candidates[0].name }
        }
        // A service in a user's own manager is the user's to make and name: its processes are
        // apps, signalled on their own, never the members of a system service.
        let isService = unit?.isSystemService ?? false
        return Binding(
            snap: snap, revision: revision, app: app, hook: unit?.hook, pins: Array(pins), evidence: notes,
            role: isService ? .member : .app, service: isService ? unit!.unitName : nil, executable: executable)
    }

    /// Tells each service's main process from its other members, given every process of the
    /// host (or scenario), bound. A service is the processes whose binding has the same
    /// ``Binding/service``:
    /// - where `mainPIDs` names the unit (systemd's `MainPID`), that process is the main one if
    ///   it is among them, and the others are members (none is main when it is not);
    /// - else the main process is the member whose parent is not a member; of several such, the
    ///   oldest (start time, then PID; an unknown start time counts as the newest).
    ///
    /// A member whose executable is the `command` of another app of the snap (qemu, started by
    /// libvirtd in libvirtd's cgroup) is bound to that app, so rules for it match it.
    public func resolveServices(_ processes: inout [RunningProcess], mainPIDs: [String: Int32] = [:]) {
        var byUnit: [String: [Int]] = [:]
        for index in processes.indices {
            guard let unit = processes[index].binding?.service else { continue }
            byUnit[unit, default: []].append(index)
        }
        for (unit, indices) in byUnit {
            let pids = Set(indices.map { processes[$0].pid })
            let main: Int?
            if let systemdMain = mainPIDs[unit] {
                main = indices.first { processes[$0].pid == systemdMain }
            } else {
                let parentless = indices.filter { index in processes[index].parent.map { !pids.contains($0) } ?? true }
                main = (parentless.isEmpty ? indices : parentless).min { a, b in
                    let x = processes[a].identity, y = processes[b].identity
                    return (x.startTime ?? .max, x.pid) < (y.startTime ?? .max, y.pid)
                }
            }
            for index in indices {
                guard var binding = processes[index].binding else { continue }
                if index == main {
                    binding.role = .main
                } else {
                    binding.role = .member
                    if let executable = binding.executable, let info = snaps[binding.snap]?.info(for: binding.revision) {
                        let candidates = info.apps.values.filter { $0.commandPath == executable }
                        if candidates.count == 1 { binding.app = candidates[0].name }
                    }
                }
                processes[index].binding = binding
            }
        }
    }

    /// The snap a process without a snap cgroup belongs to: the exe's, unless that is a base;
    /// else the first app snap it maps; else the base it runs from.
    private func owner(of touches: [Touch]) -> SnapName? {
        if let first = touches.first(where: { !bases.contains($0.snapRevision.snap) }) {
            return first.snapRevision.snap
        }
        return touches.first?.snapRevision.snap
    }
}
