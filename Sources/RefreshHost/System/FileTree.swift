import RefreshCore
#if canImport(Glibc)
import Glibc
#endif

/// Copying and removing directory trees with *at system calls, never following a symlink:
/// a symlink is copied as a symlink and removed as a link, not as what it points at.
enum FileTree {
    /// Copies the tree at `source` to `destination` (which must not exist), keeping modes,
    /// ownership, modification times and symlinks.
    static func copy(_ source: String, to destination: String) -> Result<Void, SystemCallError> {
        guard case .success(let sourceFD) = Syscall.open(source, O_RDONLY | O_DIRECTORY | O_NOFOLLOW) else {
            return .failure(SystemCallError("open", path: source, errno: errno))
        }
        defer { Syscall.close(sourceFD) }
        var info = stat()
        guard fstat(sourceFD, &info) == 0 else { return .failure(SystemCallError("stat", path: source, errno: errno)) }
        guard mkdir(destination, 0o700) == 0 else { return .failure(SystemCallError("mkdir", path: destination, errno: errno)) }
        guard case .success(let destinationFD) = Syscall.open(destination, O_RDONLY | O_DIRECTORY | O_NOFOLLOW) else {
            return .failure(SystemCallError("open", path: destination, errno: errno))
        }
        defer { Syscall.close(destinationFD) }
        if case .failure(let error) = copyContents(sourceFD, destinationFD, path: source) { return .failure(error) }
        return applyAttributes(info, to: destinationFD, path: destination)
    }

    private static func copyContents(_ sourceFD: Int32, _ destinationFD: Int32, path: String) -> Result<Void, SystemCallError> {
        let names: [String]
        switch Syscall.directoryEntries(sourceFD, path: path) {
        case .success(let found): names = found.sorted()
        case .failure(let error): return .failure(error)
        }
        for name in names {
            let childPath = path + "/" + name
            guard case .success(let info) = Syscall.lstat(name, at: sourceFD) else {
                return .failure(SystemCallError("stat", path: childPath, errno: errno))
            }
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                guard mkdirat(destinationFD, name, 0o700) == 0 else { return .failure(SystemCallError("mkdir", path: childPath, errno: errno)) }
                guard case .success(let from) = Syscall.open(name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, at: sourceFD) else {
                    return .failure(SystemCallError("open", path: childPath, errno: errno))
                }
                defer { Syscall.close(from) }
                guard case .success(let to) = Syscall.open(name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, at: destinationFD) else {
                    return .failure(SystemCallError("open", path: childPath, errno: errno))
                }
                defer { Syscall.close(to) }
                if case .failure(let error) = copyContents(from, to, path: childPath) { return .failure(error) }
                if case .failure(let error) = applyAttributes(info, to: to, path: childPath) { return .failure(error) }
            case S_IFREG:
                guard case .success(let from) = Syscall.open(name, O_RDONLY | O_NOFOLLOW, at: sourceFD) else {
                    return .failure(SystemCallError("open", path: childPath, errno: errno))
                }
                defer { Syscall.close(from) }
                guard case .success(let to) = Syscall.open(name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, at: destinationFD, mode: 0o600) else {
                    return .failure(SystemCallError("create", path: childPath, errno: errno))
                }
                defer { Syscall.close(to) }
                var buffer = [UInt8](repeating: 0, count: 1 << 16)
                while true {
                    let n = buffer.withUnsafeMutableBytes { read(from, $0.baseAddress, $0.count) }
                    if n < 0 { if errno == EINTR { continue }; return .failure(SystemCallError("read", path: childPath, errno: errno)) }
                    if n == 0 { break }
                    var offset = 0
                    while offset < n {
                        let w = buffer.withUnsafeBytes { write(to, $0.baseAddress! + offset, n - offset) }
                        if w < 0 { if errno == EINTR { continue }; return .failure(SystemCallError("write", path: childPath, errno: errno)) }
                        offset += w
                    }
                }
                if case .failure(let error) = applyAttributes(info, to: to, path: childPath) { return .failure(error) }
            case S_IFLNK:
                guard case .success(let target) = Syscall.readLink(name, at: sourceFD) else {
                    return .failure(SystemCallError("readlink", path: childPath, errno: errno))
                }
                guard symlinkat(target, destinationFD, name) == 0 else { return .failure(SystemCallError("symlink", path: childPath, errno: errno)) }
                _ = fchownat(destinationFD, name, info.st_uid, info.st_gid, AT_SYMLINK_NOFOLLOW)
            default:
                continue  // sockets, fifos and devices are not data to carry over
            }
        }
        return .success(())
    }

    private static func applyAttributes(_ info: stat, to fd: Int32, path: String) -> Result<Void, SystemCallError> {
        guard fchown(fd, info.st_uid, info.st_gid) == 0 else { return .failure(SystemCallError("chown", path: path, errno: errno)) }
        guard fchmod(fd, info.st_mode & 0o7777) == 0 else { return .failure(SystemCallError("chmod", path: path, errno: errno)) }
        var times = [info.st_atim, info.st_mtim]
        _ = futimens(fd, &times)
        return .success(())
    }

    /// Removes `name` under `dirFD` and everything below it, without following symlinks.
    static func remove(_ name: String, at dirFD: Int32 = AT_FDCWD, path: String) -> Result<Void, SystemCallError> {
        guard case .success(let info) = Syscall.lstat(name, at: dirFD) else {
            return errno == ENOENT ? .success(()) : .failure(SystemCallError("stat", path: path, errno: errno))
        }
        if info.st_mode & S_IFMT == S_IFDIR {
            guard case .success(let fd) = Syscall.open(name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, at: dirFD) else {
                return .failure(SystemCallError("open", path: path, errno: errno))
            }
            let names = (try? Syscall.directoryEntries(fd, path: path).get()) ?? []
            for child in names {
                if case .failure(let error) = remove(child, at: fd, path: path + "/" + child) {
                    Syscall.close(fd)
                    return .failure(error)
                }
            }
            Syscall.close(fd)
            guard unlinkat(dirFD, name, AT_REMOVEDIR) == 0 else { return .failure(SystemCallError("rmdir", path: path, errno: errno)) }
        } else {
            guard unlinkat(dirFD, name, 0) == 0 else { return .failure(SystemCallError("unlink", path: path, errno: errno)) }
        }
        return .success(())
    }
}
