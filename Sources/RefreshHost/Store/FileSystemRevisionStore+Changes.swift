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
    /// `revision`, each atomically: a new link, renamed over the old one.
    public func switchCurrent(_ snap: SnapName, to revision: Revision) throws(RefreshCoreError) {
        guard isDirectory(layout.revisionDirectory(snap, revision)) else {
            throw RefreshCoreError(.unsafeHost, "cannot switch \(snap) to revision \(revision): \(layout.revisionDirectory(snap, revision)) is not an installed revision directory")
        }
        try relink(layout.snapDirectory(snap), to: revision)
        if isDirectory(layout.dataRoot(snap)) {
            try relink(layout.dataRoot(snap), to: revision)
        }
    }

    private func relink(_ directory: String, to revision: Revision) throws(RefreshCoreError) {
        guard case .success(let fd) = Syscall.open(directory, O_RDONLY | O_DIRECTORY | O_NOFOLLOW) else {
            throw RefreshCoreError(.unsafeHost, "cannot open \(directory) (it must be a real directory): \(SystemCallError("open", errno: errno))")
        }
        defer { Syscall.close(fd) }
        let temporary = "current.refreshctl-new"
        _ = unlinkat(fd, temporary, 0)
        guard symlinkat(revision.description, fd, temporary) == 0 else {
            throw RefreshCoreError(.io, "cannot create \(directory)/\(temporary): \(SystemCallError("symlink", errno: errno))")
        }
        guard renameat(fd, temporary, fd, "current") == 0 else {
            let error = SystemCallError("rename", path: "\(directory)/current", errno: errno)
            _ = unlinkat(fd, temporary, 0)
            throw RefreshCoreError(.io, "cannot switch \(directory)/current: \(error)", underlying: error)
        }
        fsync(fd)
    }

    /// Makes `var/snap/NAME/TO` a copy of `var/snap/NAME/FROM` (modes, ownership, symlinks
    /// kept), through a temporary directory renamed into place. Does nothing when TO exists:
    /// user data is never overwritten. `common/` is never touched.
    public func copyData(_ snap: SnapName, from: Revision, to: Revision) throws(RefreshCoreError) -> DataCopyOutcome {
        let target = layout.dataDirectory(snap, to)
        if case .success = Syscall.lstat(target) { return DataCopyOutcome(created: false) }
        let source = layout.dataDirectory(snap, from)
        guard isDirectory(layout.dataRoot(snap)) else { return DataCopyOutcome(created: false) }
        let partial = target + ".refreshctl-partial"
        _ = FileTree.remove(partial, path: partial)
        if isDirectory(source) {
            if case .failure(let error) = FileTree.copy(source, to: partial) {
                _ = FileTree.remove(partial, path: partial)
                throw RefreshCoreError(.io, "cannot copy \(source) to \(target): \(error)", underlying: error)
            }
        } else if mkdir(partial, 0o755) != 0 {
            throw RefreshCoreError(.io, "cannot create \(partial): \(SystemCallError("mkdir", errno: errno))")
        }
        guard rename(partial, target) == 0 else {
            let error = SystemCallError("rename", path: target, errno: errno)
            _ = FileTree.remove(partial, path: partial)
            throw RefreshCoreError(.io, "cannot put the copy in place at \(target): \(error)", underlying: error)
        }
        _ = SystemJournalFiles().syncDirectory(layout.dataRoot(snap))
        return DataCopyOutcome(created: true)
    }

    /// Removes a data directory this refresh created (and any partial copy). Only for undoing a
    /// refresh that never switched: nothing has written there.
    public func removeCreatedData(_ snap: SnapName, _ revision: Revision) throws(RefreshCoreError) {
        for path in [layout.dataDirectory(snap, revision) + ".refreshctl-partial", layout.dataDirectory(snap, revision)] {
            if case .failure(let error) = FileTree.remove(path, path: path) {
                throw RefreshCoreError(.io, "cannot remove \(path): \(error)", underlying: error)
            }
        }
    }

    /// Removes a revision: unmounts it (a busy mount stays and the error says it is in use),
    /// removes its image and its directory. Its data directory stays: user data is never deleted.
    public func removeRevision(_ snap: SnapName, _ revision: Revision) throws(RefreshCoreError) {
        if currentRevision(snap) == revision {
            throw RefreshCoreError(.unsafeHost, "refusing to remove \(snap) revision \(revision): it is current")
        }
        try unmount(snap, revision)
        let image = layout.image(snap, revision)
        if unlink(image) != 0 && errno != ENOENT {
            throw RefreshCoreError(.io, "cannot remove \(image): \(SystemCallError("unlink", errno: errno))")
        }
        let directory = layout.revisionDirectory(snap, revision)
        if case .failure(let error) = FileTree.remove(directory, path: directory) {
            throw RefreshCoreError(.io, "cannot remove \(directory): \(error)", underlying: error)
        }
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
