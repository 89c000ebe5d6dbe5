/// Infers which snap revision and app a process runs from, out of what `/proc` shows of it.
///
/// Used unchanged for a scenario's evidence and for a live host's, so both bind alike:
/// - Paths (`exe`, `maps`, `cwd`) under `ROOT/snap/NAME/REV/` name the snap revisions the
///   process holds; a ` (deleted)` suffix is ignored, `current` means the current revision.
/// - A snap cgroup (`snap.NAME.APP-UUID.scope`, `snap.NAME.APP.service`,
///   `snap.NAME.hook.HOOK-UUID.scope`) names the snap and app outright.
/// - Without one, the process belongs to the app snap among those it touches (base snaps —
///   type base/os/core, or some snap's `base:` — are what it pins), and its app is the one
///   whose snap.yaml `command` is its exe or one of its mapped files. With no such app, the
///   app is unknown and snap-level rules apply.
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
        var source: String
        var path: String
    }

    /// The binding of a process with `evidence`, or `nil` when it runs from no snap.
    public func infer(_ evidence: ProcessEvidence) -> Binding? {
        var touches: [Touch] = []
        func touch(_ path: String, _ source: String) {
            guard let (name, revisionText, inner) = SnapPath.split(path, under: prefix) else { return }
            let revision = revisionText == "current" ? snaps[name]?.current : Revision(String(revisionText))
            guard let revision else { return }
            touches.append(Touch(snapRevision: SnapRevision(name, revision), inner: inner, source: source, path: SnapPath.strippingDeleted(path)))
        }
        if let exe = evidence.exe { touch(exe, "exe") }
        for path in evidence.maps { touch(path, "maps") }
        if let cwd = evidence.cwd { touch(cwd, "cwd") }
        if let image = evidence.rootImage, let snapRevision = SnapPath.imageRevision(image, under: imagePrefix) {
            touches.append(Touch(snapRevision: snapRevision, inner: "", source: "root image", path: image))
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
            notes.append("\(t.source) \(t.path)")
        }
        var app = unit?.app
        if unit == nil, let info = snaps[snap]?.info(for: revision) {
            let inner = Set(own.filter { $0.snapRevision.revision == revision }.map { String($0.inner) })
            let candidates = info.apps.values.filter { $0.commandPath.map(inner.contains) ?? false }
            if candidates.count == 1 { app = candidates[0].name }
        }
        let pins = Set(touches.map(\.snapRevision)).subtracting([SnapRevision(snap, revision)])
        return Binding(snap: snap, revision: revision, app: app, hook: unit?.hook, pins: Array(pins), evidence: notes)
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
