import RefreshCore
#if canImport(Glibc)
import Glibc
#endif

/// The changes a refresh makes to the store: switching `current`, copying data, removing
/// revisions. Each path is reached from validated names, without following symlinks.
extension FileSystemRevisionStore {
    /// Where `current` points now (`nil` when the link is missing or names no revision).
    public func currentRevision(_ snap: SnapName) -> Revision? {
        guard case .success(let target) = Syscall.readLink(layout.currentLink(snap)) else { return nil }
        return Revision(target)
    }

    /// Points `snap/NAME/current` (and `var/snap/NAME/current`, when the data root exists) at
    /// `revision`, each atomically: a new link, renamed over the old one. Both directories, and
    /// the `current` in each, are checked and both new links made before either is switched, so
    /// a refusal leaves the two links as they were, and agreeing.
    ///
    /// Then each user's `snap/NAME/current` whose `snap/NAME/REV` is a real directory (see
    /// ``switchUserCurrent(_:to:)``); those left as they were are returned, with why.
    @discardableResult
    public func switchCurrent(_ snap: SnapName, to revision: Revision) throws(RefreshCoreError) -> [String] {
        try switchSystemCurrent(snap, to: revision)
        return switchUserCurrent(snap, to: revision)
    }

    private func switchSystemCurrent(_ snap: SnapName, to revision: Revision) throws(RefreshCoreError) {
        guard isDirectory(layout.revisionDirectory(snap, revision)) else {
            throw RefreshCoreError(.unsafeHost, "cannot switch \(snap) to revision \(revision): \(layout.revisionDirectory(snap, revision)) is not an installed revision directory")
        }
        let snapDirectory = layout.snapDirectory(snap)
        let snapFD = try openSnapDirectory(snap)
        defer { Syscall.close(snapFD) }
        let dataFD = try openDataRoot(snap)
        defer { if let dataFD { Syscall.close(dataFD) } }
        var links = [(snapFD, snapDirectory)]
        if let dataFD { links.append((dataFD, layout.dataRoot(snap))) }
        for (fd, directory) in links { try checkCurrentLink(in: fd, directory) }
        var prepared: [(Int32, String)] = []
        for (fd, directory) in links {
            do {
                try prepareLink(in: fd, directory, to: revision)
                prepared.append((fd, directory))
            } catch {
                for (made, _) in prepared { _ = unlinkat(made, Self.newLink, 0) }
                throw error
            }
        }
        for (fd, directory) in links {
            guard renameat(fd, Self.newLink, fd, "current") == 0 else {
                let error = SystemCallError("rename", path: "\(directory)/current", errno: errno)
                _ = unlinkat(fd, Self.newLink, 0)
                throw RefreshCoreError(.io, "cannot switch \(directory)/current: \(error)", underlying: error)
            }
        }
        for (fd, _) in links { fsync(fd) }
    }

    private static let newLink = "current.refreshctl-new"

    /// Refuses a `current` that is there but not a symlink: renaming a link over it would fail
    /// (a directory) or lose it (a file).
    private func checkCurrentLink(in fd: Int32, _ directory: String) throws(RefreshCoreError) {
        switch Syscall.lstat("current", at: fd) {
        case .success(let info) where info.st_mode & S_IFMT == S_IFLNK: return
        case .success:
            throw RefreshCoreError(.unsafeHost, "\(directory)/current is not a symlink; it must be a link to a revision: move it away, then try again")
        case .failure(let error) where error.errno == ENOENT: return
        case .failure(let error): throw RefreshCoreError(.io, "cannot read \(directory)/current: \(error)", underlying: error)
        }
    }

    private func prepareLink(in fd: Int32, _ directory: String, to revision: Revision) throws(RefreshCoreError) {
        _ = unlinkat(fd, Self.newLink, 0)
        guard symlinkat(revision.description, fd, Self.newLink) == 0 else {
            throw RefreshCoreError(.io, "cannot create \(directory)/\(Self.newLink): \(SystemCallError("symlink", errno: errno))")
        }
    }

    /// Opens `var/snap/NAME`; `nil` when the snap has no data root. A symlink there is refused:
    /// following it would copy and switch data somewhere else than the layout says.
    private func openDataRoot(_ snap: SnapName) throws(RefreshCoreError) -> Int32? {
        let path = layout.dataRoot(snap)
        switch Syscall.open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW) {
        case .success(let fd): return fd
        case .failure(let error) where error.errno == ENOENT: return nil
        case .failure(let error) where error.errno == ELOOP || error.errno == ENOTDIR:
            throw notADataDirectory(path, at: AT_FDCWD, name: path, of: "\(snap)")
        case .failure(let error): throw RefreshCoreError(.io, "cannot open \(path): \(error)", underlying: error)
        }
    }

    /// Whether `var/snap/NAME/REV` is a real directory (`false`: it does not exist); anything
    /// else there is refused.
    private func dataDirectoryExists(_ snap: SnapName, _ revision: Revision, in rootFD: Int32) throws(RefreshCoreError) -> Bool {
        let path = layout.dataDirectory(snap, revision)
        switch Syscall.lstat(revision.description, at: rootFD) {
        case .success(let info) where info.st_mode & S_IFMT == S_IFDIR: return true
        case .success: throw notADataDirectory(path, at: rootFD, name: revision.description, of: "\(snap) revision \(revision)")
        case .failure(let error) where error.errno == ENOENT: return false
        case .failure(let error): throw RefreshCoreError(.io, "cannot read \(path): \(error)", underlying: error)
        }
    }

    /// The refusal of a data directory that is a symlink or not a directory: what, where, and how to fix it.
    private func notADataDirectory(_ path: String, at fd: Int32, name: String, of owner: String) -> RefreshCoreError {
        if case .success(var target) = Syscall.readLink(name, at: fd) {
            if !target.hasPrefix("/"), let slash = path.lastIndex(of: "/") { target = path[..<slash] + "/" + target }
            return RefreshCoreError(.unsafeHost, "\(path) is a symlink (to \(target)); the data of \(owner) must be a real directory, as refreshctl never follows symlinks in snap data: replace the link with the directory it points at (rm \(path) && mv \(target) \(path)), then try again; nothing was changed")
        }
        return RefreshCoreError(.unsafeHost, "\(path) is not a directory; the data of \(owner) must be a directory: move it away, then try again; nothing was changed")
    }

    /// Checks, changing nothing, what ``copyData(_:from:to:)`` and ``switchCurrent(_:to:)``
    /// need of the data: `var/snap/NAME`, FROM and TO are each a real directory or absent, and
    /// `var/snap/NAME/current` a symlink or absent. Call it before staging anything.
    /// - Throws: ``RefreshCoreError/Code/unsafeHost`` naming the path and the fix.
    public func checkData(_ snap: SnapName, from: Revision, to: Revision) throws(RefreshCoreError) {
        guard let rootFD = try openDataRoot(snap) else { return }
        defer { Syscall.close(rootFD) }
        _ = try dataDirectoryExists(snap, from, in: rootFD)
        _ = try dataDirectoryExists(snap, to, in: rootFD)
        try checkCurrentLink(in: rootFD, layout.dataRoot(snap))
    }

    /// Makes `var/snap/NAME/TO` a copy of `var/snap/NAME/FROM` with what `cp -a` keeps (see
    /// ``FileTree``), through `TO.refreshctl-partial`, fsynced and renamed into place (never over
    /// an existing TO: user data is never overwritten). A missing FROM gives an empty TO.
    /// `common/` is never touched. Files that vanish during the copy are left out and reported.
    /// - Throws: ``RefreshCoreError/Code/unsafeHost`` before changing anything when `var/snap/NAME`,
    ///   FROM or TO is a symlink or not a directory; ``RefreshCoreError/Code/io`` when the copy
    ///   fails (the partial copy is removed).
    ///
    /// Then each user's `snap/NAME/FROM`, the same way (see ``copyUserData(_:from:to:)``).
    public func copyData(_ snap: SnapName, from: Revision, to: Revision) throws(RefreshCoreError) -> DataCopyOutcome {
        var outcome = try copySystemData(snap, from: from, to: to)
        let users = try copyUserData(snap, from: from, to: to)
        outcome.vanished += users.vanished
        outcome.notes += users.notes
        return outcome
    }

    private func copySystemData(_ snap: SnapName, from: Revision, to: Revision) throws(RefreshCoreError) -> DataCopyOutcome {
        let target = layout.dataDirectory(snap, to)
        guard let rootFD = try openDataRoot(snap) else { return DataCopyOutcome(created: false) }
        defer { Syscall.close(rootFD) }
        let sourceExists = try dataDirectoryExists(snap, from, in: rootFD)
        if try dataDirectoryExists(snap, to, in: rootFD) { return DataCopyOutcome(created: false) }
        let source = layout.dataDirectory(snap, from)
        let partialName = "\(to).refreshctl-partial"
        let partial = layout.dataRoot(snap) + "/" + partialName
        if case .failure(let error) = FileTree.remove(partialName, at: rootFD, path: partial) {
            throw RefreshCoreError(.io, "cannot remove the leftover \(partial): \(error)", underlying: error)
        }
        var vanished: [String] = []
        if sourceExists {
            switch FileTree.copy(from.description, in: rootFD, to: partialName, in: rootFD, path: source) {
            case .success(let report): vanished = report.vanished.map { source + "/" + $0 }
            case .failure(let error):
                _ = FileTree.remove(partialName, at: rootFD, path: partial)
                throw RefreshCoreError(.io, "cannot copy \(source) to \(target): \(error)", underlying: error)
            }
        } else if case .failure(let error) = Syscall.makeNewDirectory(partialName, at: rootFD, mode: 0o755) {
            throw RefreshCoreError(.io, "cannot create \(partial): \(error)", underlying: error)
        }
        if case .failure(let error) = Syscall.renameNoReplace(partialName, at: rootFD, to: to.description, at: rootFD) {
            _ = FileTree.remove(partialName, at: rootFD, path: partial)
            throw RefreshCoreError(.io, "cannot put the copy in place at \(target): \(error.at(target))", underlying: error)
        }
        fsync(rootFD)
        return DataCopyOutcome(created: true, vanished: vanished)
    }

    /// Removes a data directory this refresh created (and any partial copy). Only for undoing a
    /// refresh that never switched: nothing has written there. Works inside `var/snap/NAME`
    /// without following a symlink: a symlinked data root, or a TO that is not a real directory,
    /// is not something this refresh made, so it is left alone. Never crosses a mount point.
    ///
    /// The users' copies are removed too, except in the homes `userDataExisted` names.
    public func removeCreatedData(_ snap: SnapName, _ revision: Revision, system: Bool, userDataExisted: [String]) throws(RefreshCoreError) {
        try removeCreatedUserData(snap, revision, existed: userDataExisted)
        if system { try removeCreatedSystemData(snap, revision) } else { try removePartialSystemData(snap, revision) }
    }

    /// Removes only a partial copy of the system data (TO existed before the refresh and stays).
    private func removePartialSystemData(_ snap: SnapName, _ revision: Revision) throws(RefreshCoreError) {
        guard case .success(let rootFD) = Syscall.open(layout.dataRoot(snap), O_RDONLY | O_DIRECTORY | O_NOFOLLOW) else { return }
        defer { Syscall.close(rootFD) }
        let name = "\(revision).refreshctl-partial"
        guard case .success(let info) = Syscall.lstat(name, at: rootFD), info.st_mode & S_IFMT == S_IFDIR else { return }
        let path = layout.dataRoot(snap) + "/" + name
        if case .failure(let error) = FileTree.remove(name, at: rootFD, path: path) {
            throw RefreshCoreError(.io, "cannot remove \(path): \(error)", underlying: error)
        }
    }

    private func removeCreatedSystemData(_ snap: SnapName, _ revision: Revision) throws(RefreshCoreError) {
        let rootFD: Int32
        switch Syscall.open(layout.dataRoot(snap), O_RDONLY | O_DIRECTORY | O_NOFOLLOW) {
        case .success(let fd): rootFD = fd
        case .failure(let error) where [ENOENT, ELOOP, ENOTDIR].contains(error.errno): return
        case .failure(let error): throw RefreshCoreError(.io, "cannot open \(layout.dataRoot(snap)): \(error)", underlying: error)
        }
        defer { Syscall.close(rootFD) }
        for name in ["\(revision).refreshctl-partial", revision.description] {
            let path = layout.dataRoot(snap) + "/" + name
            guard case .success(let info) = Syscall.lstat(name, at: rootFD), info.st_mode & S_IFMT == S_IFDIR else { continue }
            if case .failure(let error) = FileTree.remove(name, at: rootFD, path: path) {
                throw RefreshCoreError(.io, "cannot remove \(path): \(error)", underlying: error)
            }
        }
    }

    /// Removes a revision: unmounts it (a busy mount stays and the error says it is in use),
    /// removes its image and its directory. Its data directories are ``removeData(_:_:writtenSince:dryRun:)``'s.
    /// Another file system mounted inside the revision (or a second mount on it) stops it before
    /// anything is removed; the error names the mount point.
    public func removeRevision(_ snap: SnapName, _ revision: Revision) throws(RefreshCoreError) {
        if currentRevision(snap) == revision {
            throw RefreshCoreError(.unsafeHost, "refusing to remove \(snap) revision \(revision): it is current")
        }
        try unmount(snap, revision)
        let directory = layout.revisionDirectory(snap, revision)
        if let mountPoint = readMountPoints().filter({ $0 == directory || $0.hasPrefix(directory + "/") }).min() {
            throw mountedInside(snap, revision, mountPoint)
        }
        // Moved aside first, so that no process can reach it by its path any more; then a
        // process that took hold of it since the engine's re-check (a plain directory is not
        // kept busy by the kernel as a mount is) is looked for, and if there is one the
        // revision is put back and kept.
        let snapDirectory = layout.snapDirectory(snap)
        let snapFD = try openSnapDirectory(snap)
        defer { Syscall.close(snapFD) }
        let aside = ".\(revision).refreshctl-removing"
        let asidePath = snapDirectory + "/" + aside
        let image = layout.image(snap, revision)
        guard renameat(snapFD, revision.description, snapFD, aside) == 0 else {
            let error = SystemCallError("rename", errno: errno)
            guard error.errno == ENOENT else { throw RefreshCoreError(.io, "cannot move \(directory) aside to remove it: \(error)") }
            // No directory (left so by hand): only its image may be left.
            if unlink(image) != 0 && errno != ENOENT {
                throw RefreshCoreError(.io, "cannot remove \(image): \(SystemCallError("unlink", errno: errno))")
            }
            return
        }
        if let user = firstUser(of: asidePath) {
            guard renameat(snapFD, aside, snapFD, revision.description) == 0 else {
                throw RefreshCoreError(.io, "pid \(user) started using \(snap) revision \(revision) while it was being removed, and it could not be put back from \(asidePath): \(SystemCallError("rename", errno: errno)); move it back by hand (mv \(asidePath) \(directory))")
            }
            throw RefreshCoreError(.inUse, "pid \(user) started using it while gc ran")
        }
        if unlink(image) != 0 && errno != ENOENT {
            let error = SystemCallError("unlink", errno: errno)
            _ = renameat(snapFD, aside, snapFD, revision.description)
            throw RefreshCoreError(.io, "cannot remove \(image): \(error)")
        }
        switch FileTree.remove(aside, at: snapFD, path: asidePath) {
        case .success: return
        case .failure(.mountPoint(let mountPoint)): throw mountedInside(snap, revision, mountPoint)
        case .failure(let error): throw RefreshCoreError(.io, "cannot remove \(asidePath): \(error)", underlying: error)
        }
    }

    /// `ROOT/snap/NAME`, opened without following a symlink: the directory whose entries a
    /// switch or a removal renames. The caller closes it.
    private func openSnapDirectory(_ snap: SnapName) throws(RefreshCoreError) -> Int32 {
        let snapDirectory = layout.snapDirectory(snap)
        switch Syscall.open(snapDirectory, O_RDONLY | O_DIRECTORY | O_NOFOLLOW) {
        case .success(let fd): return fd
        case .failure(let error):
            throw RefreshCoreError(.unsafeHost, "cannot open \(snapDirectory) (it must be a real directory): \(error)", underlying: error)
        }
    }

    /// The first process (PID) whose executable, working directory, root, mapped files or
    /// (for a process of no snap's app) open files lie in `directory`, by a fresh scan.
    func firstUser(of directory: String) -> Int32? {
        let inside = { (path: String) in path == directory || path.hasPrefix(directory + "/") }
        for process in ProcFileSystemInspector(root: layout.root).scan().processes {
            let evidence = process.evidence
            if evidence.exe.map(inside) == true || evidence.cwd.map(inside) == true || evidence.root.map(inside) == true
                || evidence.maps.contains(where: inside) || evidence.files.contains(where: inside) {
                return process.identity.pid
            }
        }
        return nil
    }

    private func mountedInside(_ snap: SnapName, _ revision: Revision, _ mountPoint: String) -> RefreshCoreError {
        let directory = layout.revisionDirectory(snap, revision)
        let what = mountPoint == directory ? "\(directory) is still a mount point after unmounting it once (more than one file system is mounted there)"
            : "\(mountPoint) is a mount point inside it (another file system is mounted there)"
        return RefreshCoreError(.unsafeHost, "cannot remove \(snap) revision \(revision): \(what), and removal never crosses into another file system; nothing below \(mountPoint) was removed: unmount it (umount \(mountPoint)), then run gc again")
    }

    /// Whether the revision is mounted now.
    public func isMounted(_ snap: SnapName, _ revision: Revision) -> Bool {
        readMountPoints().contains(layout.revisionDirectory(snap, revision))
    }

    public func hasImage(_ snap: SnapName, _ revision: Revision) -> Bool {
        if case .success = Syscall.lstat(layout.image(snap, revision)) { return true }
        return false
    }

    public func hasData(_ snap: SnapName, _ revision: Revision) -> Bool {
        if case .success = Syscall.lstat(layout.dataDirectory(snap, revision)) { return true }
        return false
    }

    func isDirectory(_ path: String) -> Bool {
        guard case .success(let info) = Syscall.lstat(path) else { return false }
        return info.st_mode & S_IFMT == S_IFDIR
    }
}
