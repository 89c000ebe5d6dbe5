import RefreshCore
#if canImport(Glibc)
import Glibc
#endif
import CRefreshSys

/// Copying and removing directory trees with *at system calls, as `cp -a` and
/// `rm -r --one-file-system` would, but never following a symlink and never opening a special
/// file: a symlink is copied as a symlink and removed as a link; a FIFO, socket or device node is
/// made anew with mknod, never read.
///
/// The source is someone else's data and may change while it is copied (an app keeps running):
/// an entry that vanishes between listing and reading is left out and reported; one replaced by
/// something else in between is looked at again.
enum FileTree {
    /// What a copy met that it did not carry over.
    struct CopyReport: Sendable, Hashable {
        /// Entries, relative to the source directory, that were listed but gone before they could
        /// be read (a busy app's temporary files). They are not in the copy. In the order met.
        var vanished: [String] = []
    }

    /// Why a copy or a removal stopped.
    enum Failure: Error, Sendable, Hashable, CustomStringConvertible {
        case system(SystemCallError)
        /// The entry at this path was replaced by another file every time it was about to be read.
        case keptChanging(String)
        /// Removal met this mount point (another file system, or a bind mount) and stopped: nothing
        /// below it was touched.
        case mountPoint(String)

        var description: String {
            switch self {
            case .system(let error): return error.description
            case .keptChanging(let path): return "\(path) was replaced by another file each of the \(FileTree.attempts) times it was about to be copied"
            case .mountPoint(let path): return "\(path) is a mount point (another file system is mounted there); nothing below it was removed"
            }
        }
    }

    /// How often an entry that is replaced between looking at it and reading it is looked at again.
    static let attempts = 8

    /// Copies the directory `source` to `destination`, which must not exist. See
    /// ``copy(_:in:to:in:path:beforeOpening:)``.
    static func copy(
        _ source: String, to destination: String, beforeOpening hook: ((String) -> Void)? = nil, afterReadingData dataHook: ((String) -> Void)? = nil
    ) -> Result<CopyReport, Failure> {
        copy(source, in: AT_FDCWD, to: destination, in: AT_FDCWD, path: source, beforeOpening: hook, afterReadingData: dataHook)
    }

    /// Copies the directory `name` in `sourceParent` to `destinationName` in `destinationParent`
    /// (which must not exist yet) with what `cp -a` keeps: file types (FIFOs, sockets and device
    /// nodes are made anew), contents with their holes, hard links within the tree, symlinks as
    /// they are, owners, modes (setuid, setgid and sticky bits included), access and modification
    /// times (of symlinks too), and every extended attribute (ACLs and file capabilities
    /// included; owners are set before, as chown clears capabilities).
    ///
    /// Every copied file and directory is fsynced, and the new directory stays private (mode 0700,
    /// root's) until everything below it is in place, so nobody can reach into a half-made copy.
    /// - Parameters:
    ///   - path: the source as shown in errors.
    ///   - hook: called with each entry's relative path after it was looked at and before it is
    ///     opened; `dataHook`, with a regular file's, after its data was copied (tests use them
    ///     to change the source at the worst moments).
    /// - Returns: what vanished from the source during the copy, or why the copy stopped (a
    ///   partial destination is then left for the caller to remove).
    static func copy(
        _ name: String, in sourceParent: Int32, to destinationName: String, in destinationParent: Int32, path: String,
        beforeOpening hook: ((String) -> Void)? = nil, afterReadingData dataHook: ((String) -> Void)? = nil
    ) -> Result<CopyReport, Failure> {
        do throws(Failure) {
            let source = try Failure.check(Syscall.open(name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, at: sourceParent).mapError { $0.at(path) })
            defer { Syscall.close(source) }
            let info = try Failure.check(Syscall.fstat(source, path: path))
            try Failure.check(Syscall.makeNewDirectory(destinationName, at: destinationParent, mode: 0o700))
            let destination = try Failure.check(Syscall.open(destinationName, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, at: destinationParent))
            defer { Syscall.close(destination) }
            let copier = Copier(sourcePath: path, destinationTop: destination, hook: hook, dataHook: dataHook)
            try copier.copyContents(source, destination, relative: "")
            try copier.finishDirectory(info, source: source, destination: destination, relative: "")
            return .success(CopyReport(vanished: copier.vanished))
        } catch {
            return .failure(error)
        }
    }

    /// Removes `name` under `dirFD` and everything below it, without following symlinks and
    /// without leaving the file system it starts on (like `rm -r --one-file-system`, but a bind
    /// mount of the same file system stops it too): at a mount point it stops, touching nothing
    /// below it, and says where. `name` itself being a mount point stops it before anything goes.
    static func remove(_ name: String, at dirFD: Int32 = AT_FDCWD, path: String) -> Result<Void, Failure> {
        do throws(Failure) {
            try removeEntry(name, at: dirFD, path: path)
            return .success(())
        } catch {
            return .failure(error)
        }
    }

    fileprivate static func removeEntry(_ name: String, at dirFD: Int32, path: String) throws(Failure) {
        let info: stat
        switch Syscall.lstat(name, at: dirFD) {
        case .success(let found): info = found
        case .failure(let error) where error.errno == ENOENT: return
        case .failure(let error): throw .system(error.at(path))
        }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            switch Syscall.unlink(name, at: dirFD, path: path) {
            case .success: return
            case .failure(let error) where error.errno == ENOENT: return
            case .failure(let error): throw .system(error)
            }
        }
        let fd: Int32
        switch Syscall.open(name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, at: dirFD) {
        case .success(let opened): fd = opened
        case .failure(let error) where error.errno == ENOENT: return
        case .failure(let error): throw .system(error.at(path))
        }
        try removeContents(fd, path: path)
        switch Syscall.unlink(name, at: dirFD, directory: true, path: path) {
        case .success: return
        case .failure(let error) where error.errno == ENOENT: return
        case .failure(let error): throw .system(error)
        }
    }
}

extension FileTree {
    /// Removes what is in the directory `fd` (then closes it), unless it is a mount point.
    private static func removeContents(_ fd: Int32, path: String) throws(Failure) {
        defer { Syscall.close(fd) }
        if try Failure.check(Syscall.isMountPoint(fd, path: path)) { throw Failure.mountPoint(path) }
        for child in try Failure.check(Syscall.directoryEntries(fd, path: path)).sorted() {
            try removeEntry(child, at: fd, path: path + "/" + child)
        }
    }
}

extension FileTree.Failure {
    /// The value, or the error as a failure.
    static func check<T>(_ result: Result<T, SystemCallError>) throws(FileTree.Failure) -> T {
        switch result {
        case .success(let value): return value
        case .failure(let error): throw .system(error)
        }
    }
}

extension SystemCallError {
    /// The same error, naming `path`.
    func at(_ path: String) -> SystemCallError { SystemCallError(call, path: path, errno: errno) }
}

/// One copy's walk: the hard links met so far and what vanished.
private final class Copier {
    /// An inode: what hard links share.
    struct Identity: Hashable {
        var device: UInt64
        var inode: UInt64
        init(_ info: stat) {
            device = UInt64(info.st_dev)
            inode = UInt64(info.st_ino)
        }
    }

    /// What became of one attempt at an entry.
    enum Step { case copied, vanished, changed }

    let sourcePath: String
    let destinationTop: Int32
    let hook: ((String) -> Void)?
    let dataHook: ((String) -> Void)?
    /// Files with more than one link, by inode: the copy's first name for them, relative to the top.
    var links: [Identity: String] = [:]
    var vanished: [String] = []
    /// Cleared when the kernel cannot copy_file_range between these files; then read and write.
    var copyFileRange = true

    init(sourcePath: String, destinationTop: Int32, hook: ((String) -> Void)?, dataHook: ((String) -> Void)?) {
        self.sourcePath = sourcePath
        self.destinationTop = destinationTop
        self.hook = hook
        self.dataHook = dataHook
    }

    func display(_ relative: String) -> String { relative.isEmpty ? sourcePath : sourcePath + "/" + relative }

    func copyContents(_ from: Int32, _ to: Int32, relative: String) throws(FileTree.Failure) {
        let names = try FileTree.Failure.check(Syscall.directoryEntries(from, path: display(relative))).sorted()
        for name in names {
            try copyEntry(name, from, to, relative: relative.isEmpty ? name : relative + "/" + name)
        }
    }

    private func copyEntry(_ name: String, _ from: Int32, _ to: Int32, relative: String) throws(FileTree.Failure) {
        for _ in 0..<FileTree.attempts {
            let info: stat
            switch Syscall.lstat(name, at: from) {
            case .success(let found): info = found
            case .failure(let error) where error.errno == ENOENT:
                vanished.append(relative)
                return
            case .failure(let error): throw .system(error.at(display(relative)))
            }
            hook?(relative)
            let kind = info.st_mode & S_IFMT
            let identity = Identity(info)
            if kind != S_IFDIR, info.st_nlink > 1, let first = links[identity] {
                try FileTree.Failure.check(Syscall.makeHardLink(name, at: to, to: first, at: destinationTop).mapError { $0.at(display(relative)) })
                return
            }
            let step: Step
            switch kind {
            case S_IFDIR: step = try copyDirectory(name, info, from, to, relative: relative)
            case S_IFREG: step = try copyFile(name, info, from, to, relative: relative)
            case S_IFLNK, S_IFIFO, S_IFSOCK, S_IFCHR, S_IFBLK: step = try copyWithoutOpening(name, info, from, to, relative: relative)
            default: throw .system(SystemCallError("copy (unknown file type)", path: display(relative), errno: EINVAL))
            }
            switch step {
            case .copied:
                if kind != S_IFDIR, info.st_nlink > 1 { links[identity] = relative }
                return
            case .vanished:
                vanished.append(relative)
                return
            case .changed:
                continue
            }
        }
        throw .keptChanging(display(relative))
    }

    private static func same(_ a: stat, _ b: stat) -> Bool {
        a.st_dev == b.st_dev && a.st_ino == b.st_ino && a.st_mode & S_IFMT == b.st_mode & S_IFMT
    }

    private func copyDirectory(_ name: String, _ info: stat, _ from: Int32, _ to: Int32, relative: String) throws(FileTree.Failure) -> Step {
        let shown = display(relative)
        let source: Int32
        switch Syscall.open(name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, at: from) {
        case .success(let fd): source = fd
        case .failure(let error) where error.errno == ENOENT: return .vanished
        case .failure(let error) where error.errno == ELOOP || error.errno == ENOTDIR: return .changed
        case .failure(let error): throw .system(error.at(shown))
        }
        defer { Syscall.close(source) }
        let opened = try FileTree.Failure.check(Syscall.fstat(source, path: shown))
        guard Self.same(opened, info) else { return .changed }
        try FileTree.Failure.check(Syscall.makeNewDirectory(name, at: to, mode: 0o700).mapError { $0.at(shown) })
        let destination = try FileTree.Failure.check(Syscall.open(name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, at: to))
        defer { Syscall.close(destination) }
        try copyContents(source, destination, relative: relative)
        try finishDirectory(opened, source: source, destination: destination, relative: relative)
        return .copied
    }

    /// Owner, extended attributes, mode and times of a copied directory, then fsync: last, once
    /// everything below is in place (adding entries changes a directory's times).
    func finishDirectory(_ info: stat, source: Int32, destination: Int32, relative: String) throws(FileTree.Failure) {
        let attributes = try readAttributes(.descriptor(source), relative: relative)
        try applyAttributes(info, attributes, to: destination, name: nil, relative: relative)
        try FileTree.Failure.check(Syscall.sync(destination, path: display(relative)))
    }

    /// A regular file, opened without ever opening anything else: an O_PATH descriptor first
    /// (which opens nothing), checked to be the file that was looked at, then reopened for
    /// reading through /proc/self/fd.
    private func copyFile(_ name: String, _ info: stat, _ from: Int32, _ to: Int32, relative: String) throws(FileTree.Failure) -> Step {
        let shown = display(relative)
        let handle: Int32
        switch Syscall.open(name, crs_o_path | O_NOFOLLOW, at: from) {
        case .success(let fd): handle = fd
        case .failure(let error) where error.errno == ENOENT: return .vanished
        case .failure(let error): throw .system(error.at(shown))
        }
        defer { Syscall.close(handle) }
        let opened = try FileTree.Failure.check(Syscall.fstat(handle, path: shown))
        guard Self.same(opened, info) else { return .changed }
        let source: Int32
        switch Syscall.open("/proc/self/fd/\(handle)", O_RDONLY) {
        case .success(let fd): source = fd
        case .failure(let error):
            throw .system(SystemCallError("open (through /proc/self/fd, which must be mounted)", path: shown, errno: error.errno))
        }
        defer { Syscall.close(source) }
        let destination = try FileTree.Failure.check(
            Syscall.open(name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, at: to, mode: 0o600).mapError { $0.at(shown) })
        defer { Syscall.close(destination) }
        try copyBytes(source, destination, size: opened.st_size, relative: relative)
        dataHook?(relative)
        // Mode and extended attributes as they are after the data was read: a write to the
        // source meanwhile makes the kernel drop its file capabilities and (for a writer
        // without CAP_FSETID) its setuid and setgid bits, and the copy, which may hold that
        // write, must not get them back. Times stay as they were before, as cp -a keeps them.
        var after = try FileTree.Failure.check(Syscall.fstat(source, path: shown))
        after.st_atim = opened.st_atim
        after.st_mtim = opened.st_mtim
        let attributes = try readAttributes(.descriptor(source), relative: relative)
        try applyAttributes(after, attributes, to: destination, name: nil, relative: relative)
        try FileTree.Failure.check(Syscall.sync(destination, path: shown))
        return .copied
    }

    /// The data of a file, hole for hole: only the parts SEEK_DATA finds are copied, and the
    /// length is set at the end, so a sparse file stays sparse. A file that shrinks meanwhile is
    /// copied as far as it goes, at its first length.
    private func copyBytes(_ source: Int32, _ destination: Int32, size: off_t, relative: String) throws(FileTree.Failure) {
        let shown = display(relative)
        var offset: off_t = 0
        while offset < size {
            let start: off_t
            switch Syscall.seek(source, to: .data, from: offset, path: shown) {
            case .success(let found): start = found
            case .failure(let error) where error.errno == ENXIO: offset = size; continue
            case .failure(let error) where error.errno == EINVAL: start = offset  // no SEEK_DATA: all data
            case .failure(let error): throw .system(error)
            }
            guard start < size else { break }
            let end: off_t
            switch Syscall.seek(source, to: .hole, from: start, path: shown) {
            case .success(let found): end = min(found, size)
            case .failure(let error) where error.errno == ENXIO: end = start  // shrank meanwhile
            case .failure(let error) where error.errno == EINVAL: end = size
            case .failure(let error): throw .system(error)
            }
            let copied = try copyRange(source, destination, from: start, count: end - start, relative: relative)
            if copied < end - start { break }  // shrank meanwhile
            offset = end
        }
        try FileTree.Failure.check(Syscall.truncate(destination, size: size, path: shown))
    }

    /// Copies `count` bytes at `start` to the same offset; returns fewer at the end of the input.
    private func copyRange(_ source: Int32, _ destination: Int32, from start: off_t, count: off_t, relative: String) throws(FileTree.Failure) -> off_t {
        let shown = display(relative)
        var done: off_t = 0
        while done < count && copyFileRange {
            switch Syscall.copyRange(from: source, at: start + done, to: destination, at: start + done, count: Int(min(count - done, 1 << 30)), path: shown) {
            case .success(0): return done
            case .success(let n): done += off_t(n)
            case .failure(let error) where [EXDEV, EINVAL, ENOSYS, EOPNOTSUPP].contains(error.errno):
                copyFileRange = false
            case .failure(let error): throw .system(error)
            }
        }
        guard done < count else { return done }
        var buffer = [UInt8](repeating: 0, count: 1 << 17)
        while done < count {
            let want = Int(min(count - done, off_t(buffer.count)))
            let n = try FileTree.Failure.check(buffer.withUnsafeMutableBytes { Syscall.read(source, at: start + done, into: UnsafeMutableRawBufferPointer(rebasing: $0[..<want]), path: shown) })
            if n == 0 { return done }
            try FileTree.Failure.check(buffer.withUnsafeBytes { Syscall.write(destination, at: start + done, UnsafeRawBufferPointer(rebasing: $0[..<n]), path: shown) })
            done += off_t(n)
        }
        return done
    }

    /// A symlink, FIFO, socket or device node: never opened. Its target and extended attributes
    /// are read by name and count only if the name still holds the same inode afterwards; the new
    /// one is made in the copy's private directory, where names cannot be swapped.
    private func copyWithoutOpening(_ name: String, _ info: stat, _ from: Int32, _ to: Int32, relative: String) throws(FileTree.Failure) -> Step {
        let shown = display(relative)
        let kind = info.st_mode & S_IFMT
        var target: String?
        if kind == S_IFLNK {
            switch Syscall.readLink(name, at: from) {
            case .success(let found): target = found
            case .failure(let error) where error.errno == ENOENT: return .vanished
            case .failure(let error) where error.errno == EINVAL: return .changed  // no longer a symlink
            case .failure(let error): throw .system(error.at(shown))
            }
        }
        let attributes: [(String, [UInt8])]
        do throws(FileTree.Failure) {
            attributes = try readAttributes(.path("/proc/self/fd/\(from)/\(name)"), relative: relative)
        } catch .system(let error) where error.errno == ENOENT {
            return .vanished
        }
        switch Syscall.lstat(name, at: from) {
        case .success(let after) where Self.same(after, info): break
        case .success: return .changed
        case .failure(let error) where error.errno == ENOENT: return .vanished
        case .failure(let error): throw .system(error.at(shown))
        }
        if let target {
            try FileTree.Failure.check(Syscall.makeSymlink(name, at: to, target: target).mapError { $0.at(shown) })
        } else {
            try FileTree.Failure.check(Syscall.makeNode(name, at: to, mode: kind | 0o600, device: info.st_rdev).mapError { $0.at(shown) })
        }
        try applyAttributes(info, attributes, to: to, name: name, relative: relative)
        return .copied
    }

    /// Every extended attribute with its value, in name order; one that goes meanwhile is left out.
    private func readAttributes(_ target: Syscall.AttributeTarget, relative: String) throws(FileTree.Failure) -> [(String, [UInt8])] {
        let shown = display(relative)
        var attributes: [(String, [UInt8])] = []
        for name in try FileTree.Failure.check(Syscall.attributeNames(target, path: shown)) {
            if let value = try FileTree.Failure.check(Syscall.attribute(name, of: target, path: shown)) {
                attributes.append((name, value))
            }
        }
        return attributes
    }

    /// ACLs a new file may have inherited from a default ACL above it; removed when the source
    /// has none, so the copy has exactly the source's.
    private static let inheritable = ["system.posix_acl_access", "system.posix_acl_default"]

    /// Sets what `cp -a` keeps, in the order that keeps all of it: owner first (chown clears
    /// setuid, setgid and file capabilities), then extended attributes, then the mode, then the
    /// times (the others change the change time only). `name` is an entry of the directory `fd`
    /// (a symlink's mode is not set: it has none of its own); without it, `fd` is the file.
    private func applyAttributes(_ info: stat, _ attributes: [(String, [UInt8])], to fd: Int32, name: String?, relative: String) throws(FileTree.Failure) {
        let shown = display(relative)
        let isSymlink = info.st_mode & S_IFMT == S_IFLNK
        try FileTree.Failure.check(Syscall.changeOwner(fd, name, uid: info.st_uid, gid: info.st_gid, path: shown))
        let target: Syscall.AttributeTarget = name.map { .path("/proc/self/fd/\(fd)/\($0)") } ?? .descriptor(fd)
        for (attribute, value) in attributes {
            try FileTree.Failure.check(Syscall.setAttribute(attribute, value, of: target, path: shown))
        }
        if !isSymlink {
            for attribute in Self.inheritable where !attributes.contains(where: { $0.0 == attribute }) {
                try FileTree.Failure.check(Syscall.removeAttribute(attribute, of: target, path: shown))
            }
            try FileTree.Failure.check(Syscall.changeMode(fd, name, mode: info.st_mode & 0o7777, path: shown))
        }
        try FileTree.Failure.check(Syscall.setTimes(fd, name, access: info.st_atim, modification: info.st_mtim, path: shown))
    }
}
