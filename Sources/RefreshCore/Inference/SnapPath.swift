/// Finding snap revisions in paths and snap units in cgroups.
enum SnapPath {
    /// `path` without a trailing ` (deleted)`, as `/proc` marks files removed since they were opened.
    static func strippingDeleted(_ path: String) -> String {
        path.hasSuffix(" (deleted)") ? String(path.dropLast(10)) : path
    }

    /// The snap name, revision text and path inside the revision of `path`, when it lies under
    /// `prefix` (`/snap/` or `ROOT/snap/`): `/snap/vlc/10/bin/vlc` → (vlc, "10", "bin/vlc").
    static func split(_ path: String, under prefix: String) -> (name: SnapName, revision: Substring, inner: Substring)? {
        let path = strippingDeleted(path)
        guard path.hasPrefix(prefix) else { return nil }
        let rest = path.utf8.dropFirst(prefix.utf8.count)
        guard let slash = rest.firstIndex(of: UInt8(ascii: "/")),
            let name = SnapName(String(Substring(rest[..<slash])))
        else { return nil }
        let afterName = rest[rest.index(after: slash)...]
        let revisionEnd = afterName.firstIndex(of: UInt8(ascii: "/")) ?? afterName.endIndex
        let revision = Substring(afterName[..<revisionEnd])
        guard !revision.isEmpty else { return nil }
        let inner = revisionEnd == afterName.endIndex ? Substring("") : Substring(afterName[afterName.index(after: revisionEnd)...])
        return (name, revision, inner)
    }

    /// `ROOT/var/lib/snapd/snaps/core22_100.snap` → core22=100.
    static func imageRevision(_ path: String, under prefix: String) -> SnapRevision? {
        let path = strippingDeleted(path)
        guard path.hasPrefix(prefix), path.hasSuffix(".snap") else { return nil }
        let file = path.dropFirst(prefix.count).dropLast(5)
        guard !file.contains("/"), let underscore = file.lastIndex(of: "_"),
            let name = SnapName(String(file[..<underscore])),
            let revision = Revision(String(file[file.index(after: underscore)...]))
        else { return nil }
        return SnapRevision(name, revision)
    }

    /// A snap unit named in a cgroup: which snap, and the app or hook.
    struct Unit: Hashable {
        var snap: SnapName
        var app: AppName?
        var hook: AppName?
        var unitName: String
        /// Whether the unit lies in a user's own service manager (below `user@UID.service`),
        /// a tree the user may write to.
        var inUserManager = false

        /// A service of the system's service manager (`snap.NAME.APP.service` outside any
        /// user's tree): only such a service's processes are its main process and members.
        var isSystemService: Bool { unitName.hasSuffix(".service") && !inUserManager }
    }

    /// Finds `snap.NAME.APP.service`, `snap.NAME.APP-UUID.scope` or
    /// `snap.NAME.hook.HOOK-UUID.scope` in a `/proc/PID/cgroup` line (v1 `name=systemd` or v2)
    /// or a bare cgroup path; the innermost snap unit wins.
    static func unit(inCgroup line: String) -> Unit? {
        var path = Substring(line)
        // "hierarchy-ID:controllers:path" lines: only v2 ("0::") and systemd's v1 hierarchy.
        // Split on the UTF-8 bytes: Character-wise splitting walks grapheme clusters and costs
        // tens of nanoseconds a character.
        let fields = line.utf8.split(separator: UInt8(ascii: ":"), maxSplits: 2, omittingEmptySubsequences: false)
        if fields.count == 3, !line.hasPrefix("/") {
            guard fields[1].isEmpty || Substring(fields[1]) == "name=systemd" else { return nil }
            path = Substring(fields[2])
        }
        let components = path.utf8.split(separator: UInt8(ascii: "/"))
        for (index, component) in components.enumerated().reversed() where component.starts(with: "snap.".utf8) {
            guard var unit = unit(named: Substring(component)) else { continue }
            unit.inUserManager = components[..<index].contains { $0.starts(with: "user@".utf8) && Substring($0).hasSuffix(".service") }
            return unit
        }
        return nil
    }

    private static func unit(named component: Substring) -> Unit? {
        let parts = component.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false).map { Substring($0) }
        guard parts.count >= 4, let snap = SnapName(String(parts[1])) else { return nil }
        switch parts.last {
        case "service" where parts.count == 4:
            guard let app = AppName(String(parts[2])) else { return nil }
            return Unit(snap: snap, app: app, unitName: String(component))
        case "scope" where parts.count == 4:
            guard let app = withoutUUID(parts[2]).flatMap({ AppName(String($0)) }) else { return nil }
            return Unit(snap: snap, app: app, unitName: String(component))
        case "scope" where parts.count == 5 && parts[2] == "hook":
            guard let hook = withoutUUID(parts[3]).flatMap({ AppName(String($0)) }) else { return nil }
            return Unit(snap: snap, hook: hook, unitName: String(component))
        default:
            return nil
        }
    }

    /// `vlc-8c0a8d2e-6f6e-4f0e-9a7e-2b1c3d4e5f60` → `vlc`.
    private static func withoutUUID(_ text: Substring) -> Substring? {
        let bytes = Array(text.utf8)
        guard bytes.count > 37, bytes[bytes.count - 37] == UInt8(ascii: "-") else { return nil }
        let uuid = bytes[(bytes.count - 36)...]
        for (offset, byte) in uuid.enumerated() {
            if [8, 13, 18, 23].contains(offset) {
                guard byte == UInt8(ascii: "-") else { return nil }
            } else {
                let hex = (byte >= 48 && byte <= 57) || (byte >= 97 && byte <= 102) || (byte >= 65 && byte <= 70)
                guard hex else { return nil }
            }
        }
        return text.prefix(bytes.count - 37)
    }
}
