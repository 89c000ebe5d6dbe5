import RefreshCore
#if canImport(Glibc)
import Glibc
#endif
import CRefreshSys

/// Every system call the adapters make goes through here: each retries `EINTR` and reports
/// failure as a ``SystemCallError`` naming the call and the path.
enum Syscall {
    /// openat(2), with `O_CLOEXEC` always added.
    static func open(_ path: String, _ flags: Int32, at dirfd: Int32 = AT_FDCWD, mode: mode_t = 0) -> Result<Int32, SystemCallError> {
        while true {
            let fd = openat(dirfd, path, flags | O_CLOEXEC, mode)
            if fd >= 0 { return .success(fd) }
            if errno != EINTR { return .failure(SystemCallError("open", path: path, errno: errno)) }
        }
    }

    /// close(2); errors are ignored, as there is nothing left to do with the descriptor.
    static func close(_ fd: Int32) { _ = Glibc.close(fd) }

    /// Reads the whole of `name` (relative to `dirfd`) into `buffer`, growing it as needed.
    /// - Returns: the byte count, or the error.
    static func readFile(_ name: String, at dirfd: Int32 = AT_FDCWD, flags: Int32 = 0, into buffer: inout [UInt8]) -> Result<Int, SystemCallError> {
        let fd: Int32
        switch open(name, O_RDONLY | flags, at: dirfd) {
        case .success(let opened): fd = opened
        case .failure(let error): return .failure(error)
        }
        defer { close(fd) }
        var count = 0
        while true {
            if count == buffer.count { buffer.append(contentsOf: repeatElement(0, count: max(4096, buffer.count))) }
            let n = buffer.withUnsafeMutableBytes { raw in
                Glibc.read(fd, raw.baseAddress! + count, raw.count - count)
            }
            if n > 0 { count += n; continue }
            if n == 0 { return .success(count) }
            if errno != EINTR { return .failure(SystemCallError("read", path: name, errno: errno)) }
        }
    }

    /// readlinkat(2).
    static func readLink(_ name: String, at dirfd: Int32 = AT_FDCWD) -> Result<String, SystemCallError> {
        var buffer = [CChar](repeating: 0, count: 4097)
        let n = readlinkat(dirfd, name, &buffer, 4096)
        if n < 0 { return .failure(SystemCallError("readlink", path: name, errno: errno)) }
        return .success(String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }

    /// fstatat(2) without following a final symlink.
    static func lstat(_ name: String, at dirfd: Int32 = AT_FDCWD) -> Result<stat, SystemCallError> {
        var info = stat()
        if fstatat(dirfd, name, &info, AT_SYMLINK_NOFOLLOW) != 0 {
            return .failure(SystemCallError("stat", path: name, errno: errno))
        }
        return .success(info)
    }

    /// The names in directory `fd` (duplicated, so `fd` stays open), without `.` and `..`.
    static func directoryEntries(_ fd: Int32, path: String) -> Result<[String], SystemCallError> {
        let copy = dup(fd)
        guard copy >= 0, let dir = fdopendir(copy) else {
            return .failure(SystemCallError("opendir", path: path, errno: errno))
        }
        defer { closedir(dir) }
        rewinddir(dir)
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return .success(names)
    }

    /// mkdirat(2); an existing directory is not an error.
    static func makeDirectory(_ name: String, at dirfd: Int32 = AT_FDCWD, mode: mode_t = 0o755) -> Result<Void, SystemCallError> {
        if mkdirat(dirfd, name, mode) == 0 || errno == EEXIST { return .success(()) }
        return .failure(SystemCallError("mkdir", path: name, errno: errno))
    }

    /// mount(2) of a read-only squashfs from a block device.
    static func mountSquashfs(device: String, on target: String) -> Result<Void, SystemCallError> {
        let flags = UInt(MS_RDONLY) | UInt(MS_NODEV) | UInt(MS_NOSUID)
        while true {
            if Glibc.mount(device, target, "squashfs", flags, nil) == 0 { return .success(()) }
            if errno != EINTR { return .failure(SystemCallError("mount", path: target, errno: errno)) }
        }
    }

    /// umount2(2) without MNT_FORCE or MNT_DETACH: a busy mount stays, reported as EBUSY.
    static func unmount(_ target: String) -> Result<Void, SystemCallError> {
        while true {
            if umount2(target, 0) == 0 { return .success(()) }
            if errno != EINTR { return .failure(SystemCallError("umount", path: target, errno: errno)) }
        }
    }

    /// A read-only, autoclearing loop device for `image`: its path and an open fd that keeps it
    /// attached until closed (a mount then keeps it).
    static func attachLoop(_ image: String) -> Result<(device: String, fd: Int32), SystemCallError> {
        var device = [CChar](repeating: 0, count: 64)
        let fd = crs_loop_attach_readonly(image, &device, device.count)
        if fd < 0 { return .failure(SystemCallError("attach loop device", path: image, errno: errno)) }
        return .success((String(cString: device), fd))
    }
}
