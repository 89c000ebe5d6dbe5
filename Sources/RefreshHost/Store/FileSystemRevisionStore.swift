import RefreshCore
#if canImport(Glibc)
import Glibc
#endif

/// The real ``RevisionStore``: directories and squashfs loop mounts under a root.
///
/// Every path is walked from an open directory with `O_NOFOLLOW`, so a symlink planted in the
/// tree never leads the store outside the root, and a revision directory that is itself a
/// symlink is refused and reported.
public struct FileSystemRevisionStore: RevisionStore {
    public let layout: HostLayout
    /// Where the kernel's mount table is read from.
    private let mountInfo: String

    public init(root: String = "/", mountInfo: String = "/proc/self/mountinfo") {
        self.layout = HostLayout(root: root)
        self.mountInfo = mountInfo
    }

    // MARK: Reading

    public func list() -> StoreListing {
        var problems: [String] = []
        guard let rootFD = openDirectory(layout.rootPath, at: AT_FDCWD, problems: &problems) else {
            return StoreListing(snaps: [], problems: problems)
        }
        defer { Syscall.close(rootFD) }
        let mountPoints = readMountPoints()
        var snaps: [Snap] = []
        var mounted = Set<SnapRevision>()
        var data = Set<SnapRevision>()
        if let snapFD = openDirectory("snap", at: rootFD, display: layout.snapsDirectory, problems: &problems, missingIsFine: true) {
            defer { Syscall.close(snapFD) }
            let names = (try? Syscall.directoryEntries(snapFD, path: layout.snapsDirectory).get()) ?? []
            for entry in names.sorted() {
                guard let name = SnapName(entry) else { continue }
                if let snap = readSnap(name, in: snapFD, mountPoints: mountPoints, mounted: &mounted, problems: &problems) {
                    snaps.append(snap)
                    for revision in snap.revisions where isDirectory(layout.dataDirectory(name, revision.revision)) {
                        data.insert(SnapRevision(name, revision.revision))
                    }
                }
            }
        }
        return StoreListing(snaps: snaps, mounted: mounted, dataDirectories: data, problems: problems.sorted())
    }

    private func readSnap(
        _ name: SnapName, in snapFD: Int32, mountPoints: Set<String>, mounted: inout Set<SnapRevision>,
        problems: inout [String]
    ) -> Snap? {
        let display = layout.snapDirectory(name)
        guard let dirFD = openDirectory(name.rawValue, at: snapFD, display: display, problems: &problems) else { return nil }
        defer { Syscall.close(dirFD) }
        let entries = (try? Syscall.directoryEntries(dirFD, path: display).get()) ?? []
        var revisions: [InstalledRevision] = []
        var current: Revision?
        var hasCurrentLink = false
        for entry in entries.sorted() {
            if entry == "current" {
                hasCurrentLink = true
                switch Syscall.readLink("current", at: dirFD) {
                case .success(let target):
                    if let revision = FileSystemRevisionStore.currentRevision(target, of: name, root: layout.root) {
                        current = revision
                    } else {
                        problems.append("\(display)/current points at '\(target)', which is not a revision of this snap; it must name a revision directory such as 12")
                    }
                case .failure(let error) where error.errno == EINVAL:
                    problems.append("\(display)/current is not a symlink; it must be a link to a revision directory")
                case .failure(let error):
                    problems.append("\(display)/current: \(error)")
                }
                continue
            }
            guard let revision = Revision(entry) else { continue }
            let path = layout.revisionDirectory(name, revision)
            guard case .success(let info) = Syscall.lstat(entry, at: dirFD) else { continue }
            if info.st_mode & S_IFMT == S_IFLNK {
                problems.append("\(path) is a symlink; revision directories must be real directories, so it is not used")
                continue
            }
            guard info.st_mode & S_IFMT == S_IFDIR else { continue }
            if mountPoints.contains(path) { mounted.insert(SnapRevision(name, revision)) }
            let snapInfo = readSnapYAML(name, revision, entry, in: dirFD, problems: &problems)
            revisions.append(InstalledRevision(revision: revision, info: snapInfo ?? SnapInfo(name: name)))
        }
        if revisions.isEmpty && !hasCurrentLink { return nil }  // not a snap (e.g. /snap/bin)
        if let current, !revisions.contains(where: { $0.revision == current }) {
            problems.append("\(display)/current points at revision \(current), which is not installed")
            return Snap(name: name, current: nil, revisions: revisions, postponedSince: readPostponement(name), hold: readHold(name, problems: &problems))
        }
        if current == nil, hasCurrentLink == false, !revisions.isEmpty {
            problems.append("\(display) has no 'current' link")
        }
        return Snap(name: name, current: current, revisions: revisions, postponedSince: readPostponement(name), hold: readHold(name, problems: &problems))
    }

    /// The revision a `current` link names, in every form snapd or a person may write: `12`,
    /// `12/`, `./12`, `/snap/NAME/12` (absolute on the host the root is), or `ROOT/snap/NAME/12`;
    /// `nil` for anything else (another snap's revision, `..`, a path elsewhere).
    static func currentRevision(_ target: String, of name: SnapName, root: String) -> Revision? {
        var components = target.split(separator: "/", omittingEmptySubsequences: true).filter { $0 != "." }.map(String.init)
        if target.hasPrefix("/") {
            var prefixes: [[String]] = [["snap", name.rawValue]]
            let rootComponents = root.split(separator: "/").map(String.init)
            if !rootComponents.isEmpty { prefixes.append(rootComponents + ["snap", name.rawValue]) }
            guard let prefix = prefixes.first(where: { components.count == $0.count + 1 && Array(components.prefix($0.count)) == $0 }) else {
                return nil
            }
            components.removeFirst(prefix.count)
        }
        guard components.count == 1 else { return nil }
        return Revision(components[0])
    }

    private func readSnapYAML(_ name: SnapName, _ revision: Revision, _ entry: String, in dirFD: Int32, problems: inout [String]) -> SnapInfo? {
        let path = "\(layout.revisionDirectory(name, revision))/meta/snap.yaml"
        var local: [String] = []
        guard let revisionFD = openDirectory(entry, at: dirFD, display: layout.revisionDirectory(name, revision), problems: &local) else {
            problems.append(contentsOf: local)
            return nil
        }
        defer { Syscall.close(revisionFD) }
        guard let metaFD = openDirectory("meta", at: revisionFD, display: "\(layout.revisionDirectory(name, revision))/meta", problems: &local, missingIsFine: true) else {
            if !local.isEmpty {
                problems.append(contentsOf: local)
            } else if access(layout.image(name, revision), F_OK) == 0 {
                problems.append("\(layout.revisionDirectory(name, revision)) is not mounted (its image \(layout.image(name, revision)) is there); its apps are unknown until it is mounted")
            } else {
                problems.append("\(path) is missing; the revision's apps are unknown")
            }
            return nil
        }
        defer { Syscall.close(metaFD) }
        var buffer: [UInt8] = []
        switch Syscall.readFile("snap.yaml", at: metaFD, flags: O_NOFOLLOW, into: &buffer) {
        case .success(let count):
            guard count <= YAMLDocument.maximumSize else {
                problems.append("\(path): larger than 1 MiB; not read")
                return nil
            }
            let text = String(decoding: buffer[..<count], as: UTF8.self)
            do {
                let info = try SnapYAML.parse(text, file: path)
                if info.name != name {
                    problems.append("\(path): names the snap '\(info.name)', but it is installed as '\(name)'")
                }
                return info
            } catch {
                problems.append(contentsOf: error.diagnostics.filter { $0.severity == .error }.map(\.description))
                return nil
            }
        case .failure(let error):
            problems.append(error.errno == ELOOP ? "\(path) is a symlink; not followed" : "\(path): \(error)")
            return nil
        }
    }

    public func checkRevision(_ snap: SnapName, _ revision: Revision) throws(RefreshCoreError) {
        var problems: [String] = []
        var info: SnapInfo?
        if let rootFD = openDirectory(layout.rootPath, at: AT_FDCWD, problems: &problems) {
            defer { Syscall.close(rootFD) }
            if let snapsFD = openDirectory("snap", at: rootFD, display: layout.snapsDirectory, problems: &problems) {
                defer { Syscall.close(snapsFD) }
                if let dirFD = openDirectory(snap.rawValue, at: snapsFD, display: layout.snapDirectory(snap), problems: &problems) {
                    defer { Syscall.close(dirFD) }
                    info = readSnapYAML(snap, revision, revision.description, in: dirFD, problems: &problems)
                }
            }
        }
        guard let info, info.name == snap else {
            let why = problems.isEmpty ? "its meta/snap.yaml cannot be read" : problems.joined(separator: "; ")
            throw RefreshCoreError(.unsafeHost, "refusing to switch to \(snap) revision \(revision): \(why)")
        }
    }

    /// The hold on `name`; one that cannot be read is a problem, and holds nothing.
    private func readHold(_ name: SnapName, problems: inout [String]) -> SnapHold? {
        do {
            return try StateRecords(layout: layout).readHold(name)
        } catch {
            problems.append("\(error.description); the hold on \(name) is not applied until it is fixed (refreshctl unhold \(name), then hold again)")
            return nil
        }
    }

    private func readPostponement(_ name: SnapName) -> Timestamp? {
        var buffer: [UInt8] = []
        guard case .success(let count) = Syscall.readFile(layout.postponementRecord(name), into: &buffer) else { return nil }
        let text = String(decoding: buffer[..<count], as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
        return Timestamp(rfc3339: text)
    }

    /// Opens a directory without following a symlink; a symlink or an error is a problem.
    private func openDirectory(
        _ name: String, at dirFD: Int32, display: String? = nil, problems: inout [String], missingIsFine: Bool = false
    ) -> Int32? {
        switch Syscall.open(name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, at: dirFD) {
        case .success(let fd): return fd
        case .failure(let error):
            let shown = display ?? name
            if error.errno == ENOENT && missingIsFine { return nil }
            if error.errno == ELOOP || error.errno == ENOTDIR, case .success(let info) = Syscall.lstat(name, at: dirFD),
                info.st_mode & S_IFMT == S_IFLNK {
                problems.append("\(shown) is a symlink; it is not followed, so nothing under it is read")
            } else {
                problems.append("\(shown): \(error)")
            }
            return nil
        }
    }

    /// Mount points from the mount table, with octal escapes (`\040` for a space) decoded.
    func readMountPoints() -> Set<String> {
        var buffer: [UInt8] = []
        guard case .success(let count) = Syscall.readFile(mountInfo, into: &buffer) else { return [] }
        var points = Set<String>()
        for line in buffer[..<count].split(separator: UInt8(ascii: "\n")) {
            let fields = line.split(separator: UInt8(ascii: " "))
            guard fields.count > 4 else { continue }
            points.insert(FileSystemRevisionStore.unescapeMountField(fields[4]))
        }
        return points
    }

    static func unescapeMountField(_ field: ArraySlice<UInt8>) -> String {
        var bytes: [UInt8] = []
        var i = field.startIndex
        while i < field.endIndex {
            if field[i] == UInt8(ascii: "\\"), i + 3 < field.endIndex,
                let value = UInt8(String(decoding: field[(i + 1)...(i + 3)], as: UTF8.self), radix: 8) {
                bytes.append(value)
                i += 4
            } else {
                bytes.append(field[i])
                i += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    // MARK: Mounting

    public func mount(_ snap: SnapName, _ revision: Revision) throws(RefreshCoreError) {
        let target = layout.revisionDirectory(snap, revision)
        if readMountPoints().contains(target) { return }
        let image = layout.image(snap, revision)
        guard case .success(let imageInfo) = Syscall.lstat(image) else {
            throw RefreshCoreError(.unsafeHost, "cannot mount \(snap) revision \(revision): its image \(image) does not exist")
        }
        guard imageInfo.st_mode & S_IFMT == S_IFREG else {
            throw RefreshCoreError(.unsafeHost, "cannot mount \(snap) revision \(revision): \(image) is not a regular file (a symlink is not followed)")
        }
        // Walk to the mount point without following symlinks, creating what is missing, and
        // mount on the directory that walk opened (through /proc/self/fd), not on a path that
        // could be swapped for a symlink in between.
        let targetFD = try openCreatingDirectories(["snap", snap.rawValue, revision.description])
        defer { Syscall.close(targetFD) }
        let loop: (device: String, fd: Int32)
        switch Syscall.attachLoop(image) {
        case .success(let attached): loop = attached
        case .failure(let error):
            throw RefreshCoreError(.io, "cannot mount \(snap) revision \(revision): \(error)", underlying: error)
        }
        defer { Syscall.close(loop.fd) }  // autoclear: the device now lives as long as the mount
        if case .failure(let error) = Syscall.mountSquashfs(device: loop.device, on: "/proc/self/fd/\(targetFD)") {
            throw RefreshCoreError(.io, "cannot mount \(image) on \(target): \(error)", underlying: error)
        }
    }

    public func unmount(_ snap: SnapName, _ revision: Revision) throws(RefreshCoreError) {
        let target = layout.revisionDirectory(snap, revision)
        guard readMountPoints().contains(target) else { return }
        switch Syscall.unmount(target) {
        case .success: return
        case .failure(let error) where error.errno == EBUSY:
            throw RefreshCoreError(.inUse, "\(snap) revision \(revision) is still in use: \(target) is busy, so it stays mounted", underlying: error)
        case .failure(let error):
            throw RefreshCoreError(.io, "cannot unmount \(target): \(error)", underlying: error)
        }
    }

    /// Opens ROOT/a/b/c, creating missing directories, refusing any component that is a symlink.
    private func openCreatingDirectories(_ components: [String]) throws(RefreshCoreError) -> Int32 {
        var fd: Int32
        switch Syscall.open(layout.rootPath, O_RDONLY | O_DIRECTORY) {
        case .success(let opened): fd = opened
        case .failure(let error): throw RefreshCoreError(.io, "cannot open the root \(layout.rootPath): \(error)", underlying: error)
        }
        var path = layout.root
        for component in components {
            path += "/" + component
            _ = Syscall.makeDirectory(component, at: fd)
            let next = Syscall.open(component, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, at: fd)
            Syscall.close(fd)
            switch next {
            case .success(let opened): fd = opened
            case .failure(let error) where error.errno == ELOOP || error.errno == ENOTDIR:
                throw RefreshCoreError(.unsafeHost, "\(path) is a symlink or not a directory; refusing to follow it")
            case .failure(let error):
                throw RefreshCoreError(.io, "cannot open \(path): \(error)", underlying: error)
            }
        }
        return fd
    }
}
