import RefreshCore
#if canImport(Glibc)
import Glibc
#endif
import CRefreshSys

/// Users' per-revision data, as snapd keeps it: `ROOT/home/USER/snap/NAME/REV` and
/// `ROOT/root/snap/NAME/REV`, with a `current` link beside them.
///
/// A user owns `~/snap` and everything below it and may put anything there: `~/snap/NAME` may
/// be a symlink to /etc, `REV` a link to another user's files, a FIFO may wait where a file was.
/// So every step is taken from an open directory without following a symlink, nothing but a
/// regular file is ever opened (``FileTree``), nothing is changed through a name the user could
/// swap, and what the user broke is skipped with a note rather than failing root's refresh: a
/// user cannot stop a refresh, nor make root act outside their own `~/snap/NAME`.
extension FileSystemRevisionStore {
    /// One home's `snap/NAME`, open.
    struct UserDataRoot {
        /// `ROOT/home/alice` or `ROOT/root`: the home, as journalled and shown.
        let home: String
        /// `ROOT/home/alice/snap/NAME`.
        let path: String
        let fd: Int32
    }

    /// What is at a name in a data directory.
    enum EntryKind: Equatable {
        case missing
        case directory
        /// A symlink (with its target) or anything else that is not a directory.
        case other(String)
    }

    /// Calls `body` with every home's `snap/NAME` that is a real directory (opened without
    /// following a symlink, in path order) and notes on those that are symlinks; closes them after.
    func withUserDataRoots<T>(_ snap: SnapName, _ body: ([UserDataRoot], [String]) throws(RefreshCoreError) -> T) throws(RefreshCoreError) -> T {
        var roots: [UserDataRoot] = []
        var notes: [String] = []
        defer { for root in roots { Syscall.close(root.fd) } }
        if case .success(let rootFD) = Syscall.open(layout.rootPath, O_RDONLY | O_DIRECTORY) {
            defer { Syscall.close(rootFD) }
            var homes: [(String, Int32)] = []
            if let fd = openUserDirectory("root", at: rootFD, path: layout.root + "/root", notes: &notes) {
                homes.append((layout.root + "/root", fd))
            }
            if let homeFD = openUserDirectory("home", at: rootFD, path: layout.root + "/home", notes: &notes) {
                let names = (try? Syscall.directoryEntries(homeFD, path: layout.root + "/home").get()) ?? []
                for name in names.sorted() {
                    let path = layout.root + "/home/" + name
                    if let fd = openUserDirectory(name, at: homeFD, path: path, notes: &notes) { homes.append((path, fd)) }
                }
                Syscall.close(homeFD)
            }
            homes.sort { $0.0 < $1.0 }
            for (home, homeFD) in homes {
                defer { Syscall.close(homeFD) }
                guard let snapFD = openUserDirectory("snap", at: homeFD, path: home + "/snap", notes: &notes) else { continue }
                defer { Syscall.close(snapFD) }
                let path = "\(home)/snap/\(snap)"
                if let fd = openUserDirectory(snap.rawValue, at: snapFD, path: path, notes: &notes) {
                    roots.append(UserDataRoot(home: home, path: path, fd: fd))
                }
            }
        }
        return try body(roots, notes.sorted())
    }

    /// Opens a directory of the user-data walk without following a symlink: `nil` when it is
    /// missing or not a directory; a symlink adds a note (it is not followed).
    private func openUserDirectory(_ name: String, at dirFD: Int32, path: String, notes: inout [String]) -> Int32? {
        switch Syscall.open(name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, at: dirFD) {
        case .success(let fd): return fd
        case .failure(let error) where error.errno == ELOOP || error.errno == ENOTDIR:
            if case .success(let target) = Syscall.readLink(name, at: dirFD) {
                notes.append("\(path) is a symlink (to \(target)); refreshctl never follows a symlink to users' snap data, so nothing under it is copied, switched or removed: replace the link with the directory it points at")
            }
            return nil
        case .failure:
            return nil
        }
    }

    /// What `name` is in the directory `fd`, without following a symlink.
    func entryKind(_ name: String, at fd: Int32) -> EntryKind {
        switch Syscall.lstat(name, at: fd) {
        case .success(let info) where info.st_mode & S_IFMT == S_IFDIR: return .directory
        case .success(let info) where info.st_mode & S_IFMT == S_IFLNK:
            let target = (try? Syscall.readLink(name, at: fd).get()) ?? "?"
            return .other("a symlink (to \(target))")
        case .success: return .other("not a directory")
        case .failure(let error) where error.errno == ENOENT: return .missing
        case .failure(let error): return .other("unreadable (\(error))")
        }
    }

    /// The mount points at or below `path`.
    func mountPoints(under path: String, in points: Set<String>) -> [String] {
        points.filter { $0 == path || $0.hasPrefix(path + "/") }.sorted()
    }

    // MARK: The protocol's user-data steps

    public func userDataHomes(_ snap: SnapName, _ revision: Revision) -> [String] {
        (try? withUserDataRoots(snap) { roots, _ in
            roots.filter { entryKind(revision.description, at: $0.fd) == .directory }.map(\.home)
        }) ?? []
    }

    /// Copies each user's `snap/NAME/FROM` to `snap/NAME/TO` where TO does not exist, as the
    /// system data is copied (``FileTree``, through `TO.refreshctl-partial`, renamed into place
    /// without replacing anything). A user's FROM or TO that is a symlink or not a directory, or
    /// that has a file system mounted in it, is skipped with a note.
    /// - Throws: ``RefreshCoreError/Code/io`` when a copy fails (disk full): the refresh is then
    ///   undone, as for the system data.
    func copyUserData(_ snap: SnapName, from: Revision, to: Revision) throws(RefreshCoreError) -> (vanished: [String], notes: [String]) {
        let mounts = readMountPoints()
        return try withUserDataRoots(snap) { roots, rootNotes throws(RefreshCoreError) in
            var vanished: [String] = []
            var notes = rootNotes
            for root in roots {
                let source = "\(root.path)/\(from)"
                let target = "\(root.path)/\(to)"
                switch entryKind(from.description, at: root.fd) {
                case .missing: continue
                case .other(let what):
                    notes.append("\(source) is \(what), not a directory; it is not copied to \(target), and that user's current link stays")
                    continue
                case .directory: break
                }
                switch entryKind(to.description, at: root.fd) {
                case .directory: continue  // never overwritten
                case .other(let what):
                    notes.append("\(target) is \(what), not a directory; \(source) is not copied there, and that user's current link stays")
                    continue
                case .missing: break
                }
                let partialName = "\(to).refreshctl-partial"
                let partial = "\(root.path)/\(partialName)"
                let mounted = mountPoints(under: source, in: mounts) + mountPoints(under: partial, in: mounts)
                if !mounted.isEmpty {
                    notes.append("\(mounted.joined(separator: ", ")) is a mount point in a user's snap data; a copy never reads another file system there, so \(source) is not copied, and that user's current link stays")
                    continue
                }
                if case .failure(let error) = FileTree.remove(partialName, at: root.fd, path: partial) {
                    throw RefreshCoreError(.io, "cannot remove the leftover \(partial): \(error)", underlying: error)
                }
                switch FileTree.copy(from.description, in: root.fd, to: partialName, in: root.fd, path: source) {
                case .success(let report): vanished += report.vanished.map { source + "/" + $0 }
                case .failure(let error):
                    _ = FileTree.remove(partialName, at: root.fd, path: partial)
                    throw RefreshCoreError(.io, "cannot copy \(source) to \(target): \(error)", underlying: error)
                }
                if case .failure(let error) = Syscall.renameNoReplace(partialName, at: root.fd, to: to.description, at: root.fd) {
                    _ = FileTree.remove(partialName, at: root.fd, path: partial)
                    throw RefreshCoreError(.io, "cannot put the copy in place at \(target): \(error.at(target))", underlying: error)
                }
                fsync(root.fd)
            }
            return (vanished, notes)
        }
    }

    /// Points each user's `snap/NAME/current` at `revision` where `snap/NAME/REV` is a real
    /// directory, atomically (a new link renamed over the old one), owned like `snap/NAME`.
    /// - Returns: the links left as they were, with why.
    func switchUserCurrent(_ snap: SnapName, to revision: Revision) -> [String] {
        (try? withUserDataRoots(snap) { roots, _ in
            var notes: [String] = []
            let newLink = "current.refreshctl-new"
            for root in roots where entryKind(revision.description, at: root.fd) == .directory {
                let link = "\(root.path)/current"
                if case .success(let info) = Syscall.lstat("current", at: root.fd), info.st_mode & S_IFMT != S_IFLNK {
                    let what = info.st_mode & S_IFMT == S_IFDIR ? "a directory" : "not a symlink"
                    notes.append("\(link) is \(what); it must be a link to a revision, so it is left as it is and does not name revision \(revision): move it away")
                    continue
                }
                _ = unlinkat(root.fd, newLink, 0)
                guard symlinkat(revision.description, root.fd, newLink) == 0 else {
                    notes.append("cannot switch \(link) to \(revision): \(SystemCallError("symlink", path: "\(root.path)/\(newLink)", errno: errno))")
                    continue
                }
                giveLinkToOwner(newLink, in: root.fd)
                guard renameat(root.fd, newLink, root.fd, "current") == 0 else {
                    notes.append("cannot switch \(link) to \(revision): \(SystemCallError("rename", path: link, errno: errno))")
                    _ = unlinkat(root.fd, newLink, 0)
                    continue
                }
                fsync(root.fd)
            }
            return notes
        }) ?? []
    }

    /// Gives the new link the owner of the directory it is in, as the user's own `current` has.
    /// Through an O_PATH descriptor of the link, checked to be a symlink: a name the user could
    /// swap for a hard link to another file is never chowned.
    private func giveLinkToOwner(_ name: String, in dirFD: Int32) {
        guard case .success(let directory) = Syscall.fstat(dirFD) else { return }
        guard case .success(let fd) = Syscall.open(name, crs_o_path | O_NOFOLLOW, at: dirFD) else { return }
        defer { Syscall.close(fd) }
        guard case .success(let info) = Syscall.fstat(fd), info.st_mode & S_IFMT == S_IFLNK else { return }
        _ = fchownat(fd, "", directory.st_uid, directory.st_gid, Self.emptyPath | AT_SYMLINK_NOFOLLOW)
    }

    /// AT_EMPTY_PATH (fchownat(2)): act on the descriptor itself.
    private static let emptyPath: Int32 = 0x1000

    /// Removes the users' `snap/NAME/REV` that this refresh created (and partial copies),
    /// except in `existed`.
    func removeCreatedUserData(_ snap: SnapName, _ revision: Revision, existed: [String]) throws(RefreshCoreError) {
        try withUserDataRoots(snap) { roots, _ throws(RefreshCoreError) in
            for root in roots {
                var names = ["\(revision).refreshctl-partial"]
                if !existed.contains(root.home) { names.append(revision.description) }
                for name in names where entryKind(name, at: root.fd) == .directory {
                    let path = "\(root.path)/\(name)"
                    if case .failure(let error) = FileTree.remove(name, at: root.fd, path: path) {
                        throw RefreshCoreError(.io, "cannot remove \(path): \(error)", underlying: error)
                    }
                }
            }
        }
    }

    // MARK: Collecting

    public func dataLeftBehind(_ snap: SnapName) -> [Revision] {
        dataRevisions(snap).filter { revision in
            if case .success = Syscall.lstat(layout.revisionDirectory(snap, revision)) { return false }
            return !hasImage(snap, revision)
        }.sorted()
    }

    /// The revisions with a data directory, the system's or any user's.
    func dataRevisions(_ snap: SnapName) -> Set<Revision> {
        var revisions = Set<Revision>()
        func add(in fd: Int32, path: String) {
            for name in (try? Syscall.directoryEntries(fd, path: path).get()) ?? [] {
                if let revision = Revision(name), entryKind(name, at: fd) == .directory { revisions.insert(revision) }
            }
        }
        if case .success(let dataFD) = Syscall.open(layout.dataRoot(snap), O_RDONLY | O_DIRECTORY | O_NOFOLLOW) {
            add(in: dataFD, path: layout.dataRoot(snap))
            Syscall.close(dataFD)
        }
        _ = try? withUserDataRoots(snap) { roots, _ in
            for root in roots { add(in: root.fd, path: root.path) }
        }
        return revisions
    }

    public func removeData(_ snap: SnapName, _ revision: Revision, writtenSince: Timestamp?, dryRun: Bool) -> DataRemoval {
        var removal = DataRemoval()
        var late: [String] = []
        let mounts = readMountPoints()
        let name = revision.description
        /// One data directory: its late writes, then (unless dry) its removal.
        func collect(in fd: Int32, parent: String) {
            let path = "\(parent)/\(name)"
            switch entryKind(name, at: fd) {
            case .missing: return
            case .other(let what):
                removal.problems.append("\(path) is \(what); it is not followed nor removed")
                return
            case .directory: break
            }
            let mounted = mountPoints(under: path, in: mounts)
            if !mounted.isEmpty {
                removal.problems.append("\(path) stays: \(mounted.joined(separator: ", ")) is a mount point in it, and removal never crosses into another file system; unmount it, then run gc again")
                return
            }
            if let since = writtenSince {
                switch FileTree.modified(since: since.secondsSinceEpoch, name, at: fd, path: path) {
                case .success(let found): late += found
                case .failure(let error): removal.problems.append("\(path) stays: cannot list what was written in it (\(error))")
                    return
                }
            }
            if !dryRun, case .failure(let error) = FileTree.remove(name, at: fd, path: path) {
                removal.problems.append("\(path) stays (in part): \(error)")
                return
            }
            removal.directories.append(path)
        }
        if case .success(let dataFD) = Syscall.open(layout.dataRoot(snap), O_RDONLY | O_DIRECTORY | O_NOFOLLOW) {
            collect(in: dataFD, parent: layout.dataRoot(snap))
            Syscall.close(dataFD)
        } else if case .other(let what) = entryKind(layout.dataRoot(snap), at: AT_FDCWD) {
            removal.problems.append("\(layout.dataRoot(snap)) is \(what); nothing under it is followed nor removed")
        }
        _ = try? withUserDataRoots(snap) { roots, _ in
            for root in roots { collect(in: root.fd, parent: root.path) }
        }
        late.sort()
        removal.lateWriteCount = late.count
        removal.lateWrites = Array(late.prefix(DataRemoval.listLimit))
        removal.problems.sort()
        return removal
    }
}

extension FileTree {
    /// The non-directories under `name` in `dirFD` last modified in or after the second `since`
    /// (full paths), found without following a symlink, opening a file, or entering another
    /// file system.
    static func modified(since: Int64, _ name: String, at dirFD: Int32, path: String) -> Result<[String], Failure> {
        var found: [String] = []
        func walk(_ fd: Int32, _ path: String, device: dev_t) throws(Failure) {
            for child in try Failure.check(Syscall.directoryEntries(fd, path: path)).sorted() {
                let childPath = path + "/" + child
                let info: stat
                switch Syscall.lstat(child, at: fd) {
                case .success(let got): info = got
                case .failure(let error) where error.errno == ENOENT: continue
                case .failure(let error): throw .system(error.at(childPath))
                }
                guard info.st_mode & S_IFMT == S_IFDIR else {
                    if Int64(info.st_mtim.tv_sec) >= since { found.append(childPath) }
                    continue
                }
                guard info.st_dev == device else { throw .mountPoint(childPath) }
                let sub: Int32
                switch Syscall.open(child, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, at: fd) {
                case .success(let opened): sub = opened
                case .failure(let error) where error.errno == ENOENT: continue
                case .failure(let error): throw .system(error.at(childPath))
                }
                defer { Syscall.close(sub) }
                try walk(sub, childPath, device: device)
            }
        }
        do throws(Failure) {
            let fd = try Failure.check(Syscall.open(name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, at: dirFD).mapError { $0.at(path) })
            defer { Syscall.close(fd) }
            let top = try Failure.check(Syscall.fstat(fd, path: path))
            try walk(fd, path, device: top.st_dev)
            return .success(found)
        } catch {
            return .failure(error)
        }
    }
}
