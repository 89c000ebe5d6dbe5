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

    /// Runs `body` until it does not fail with `EINTR`: a result of -1 is a failure, reported
    /// with `errno` as a ``SystemCallError`` naming `call` and `path`.
    private static func retrying<T: FixedWidthInteger>(_ call: String, _ path: String?, _ body: () -> T) -> Result<T, SystemCallError> {
        while true {
            let result = body()
            if result != -1 { return .success(result) }
            if errno != EINTR { return .failure(SystemCallError(call, path: path, errno: errno)) }
        }
    }

    /// fstat(2).
    static func fstat(_ fd: Int32, path: String? = nil) -> Result<stat, SystemCallError> {
        var info = stat()
        return retrying("stat", path) { Glibc.fstat(fd, &info) }.map { _ in info }
    }

    /// mkdirat(2); an existing entry is an error.
    static func makeNewDirectory(_ name: String, at dirfd: Int32, mode: mode_t) -> Result<Void, SystemCallError> {
        retrying("mkdir", name) { mkdirat(dirfd, name, mode) }.map { _ in () }
    }

    /// mknodat(2): a FIFO, socket or device node (`mode` carries the type).
    static func makeNode(_ name: String, at dirfd: Int32, mode: mode_t, device: dev_t) -> Result<Void, SystemCallError> {
        retrying("mknod", name) { mknodat(dirfd, name, mode, device) }.map { _ in () }
    }

    /// unlinkat(2) of a file, or with `AT_REMOVEDIR` of an empty directory.
    static func unlink(_ name: String, at dirfd: Int32, directory: Bool = false, path: String? = nil) -> Result<Void, SystemCallError> {
        retrying(directory ? "rmdir" : "unlink", path ?? name) { unlinkat(dirfd, name, directory ? AT_REMOVEDIR : 0) }.map { _ in () }
    }

    /// symlinkat(2).
    static func makeSymlink(_ name: String, at dirfd: Int32, target: String) -> Result<Void, SystemCallError> {
        retrying("symlink", name) { symlinkat(target, dirfd, name) }.map { _ in () }
    }

    /// linkat(2) without following a symlink: `name` in `dirfd` becomes another name of `existing`.
    static func makeHardLink(_ name: String, at dirfd: Int32, to existing: String, at existingDirfd: Int32) -> Result<Void, SystemCallError> {
        retrying("link", name) { linkat(existingDirfd, existing, dirfd, name, 0) }.map { _ in () }
    }

    /// renameat2(2) with `RENAME_NOREPLACE`: fails with `EEXIST` rather than replace `to`.
    static func renameNoReplace(_ from: String, at fromDirfd: Int32, to: String, at toDirfd: Int32) -> Result<Void, SystemCallError> {
        retrying("rename", to) { crs_renameat2(fromDirfd, from, toDirfd, to, crs_rename_noreplace) }.map { _ in () }
    }

    /// fchown(2), or fchownat(2) on `name` without following a symlink when `name` is given.
    static func changeOwner(_ fd: Int32, _ name: String? = nil, uid: uid_t, gid: gid_t, path: String? = nil) -> Result<Void, SystemCallError> {
        retrying("chown", path ?? name) {
            if let name { return fchownat(fd, name, uid, gid, AT_SYMLINK_NOFOLLOW) }
            return fchown(fd, uid, gid)
        }.map { _ in () }
    }

    /// fchmod(2), or fchmodat(2) on `name` (which must not be a symlink) when `name` is given.
    static func changeMode(_ fd: Int32, _ name: String? = nil, mode: mode_t, path: String? = nil) -> Result<Void, SystemCallError> {
        retrying("chmod", path ?? name) {
            if let name { return fchmodat(fd, name, mode, 0) }
            return fchmod(fd, mode)
        }.map { _ in () }
    }

    /// futimens(2), or utimensat(2) on `name` without following a symlink when `name` is given:
    /// sets the access and modification times.
    static func setTimes(_ fd: Int32, _ name: String? = nil, access: timespec, modification: timespec, path: String? = nil) -> Result<Void, SystemCallError> {
        var times = [access, modification]
        return retrying("utimens", path ?? name) {
            if let name { return utimensat(fd, name, &times, AT_SYMLINK_NOFOLLOW) }
            return futimens(fd, &times)
        }.map { _ in () }
    }

    /// fsync(2).
    static func sync(_ fd: Int32, path: String? = nil) -> Result<Void, SystemCallError> {
        retrying("fsync", path) { fsync(fd) }.map { _ in () }
    }

    /// ftruncate(2).
    static func truncate(_ fd: Int32, size: off_t, path: String? = nil) -> Result<Void, SystemCallError> {
        retrying("truncate", path) { ftruncate(fd, size) }.map { _ in () }
    }

    /// Where lseek(2) looks: the next byte of data, or the next hole (the end of the file counts).
    enum SeekTarget { case data, hole }

    /// lseek(2) with `SEEK_DATA` or `SEEK_HOLE`; `ENXIO` means no data (or hole) at or after `offset`.
    static func seek(_ fd: Int32, to target: SeekTarget, from offset: off_t, path: String? = nil) -> Result<off_t, SystemCallError> {
        retrying("lseek", path) { lseek(fd, offset, target == .data ? crs_seek_data : crs_seek_hole) }
    }

    /// copy_file_range(2) of up to `count` bytes at explicit offsets (the file positions do not
    /// move). Returns the bytes copied; 0 at the end of the input.
    static func copyRange(from input: Int32, at inputOffset: off_t, to output: Int32, at outputOffset: off_t, count: Int, path: String? = nil) -> Result<Int, SystemCallError> {
        var from = inputOffset, to = outputOffset
        return retrying("copy_file_range", path) { crs_copy_file_range(input, &from, output, &to, count) }
    }

    /// pread(2) into `buffer`; returns the bytes read, 0 at the end.
    static func read(_ fd: Int32, at offset: off_t, into buffer: UnsafeMutableRawBufferPointer, path: String? = nil) -> Result<Int, SystemCallError> {
        retrying("read", path) { pread(fd, buffer.baseAddress, buffer.count, offset) }
    }

    /// pwrite(2) of all of `bytes`, in as many calls as it takes.
    static func write(_ fd: Int32, at offset: off_t, _ bytes: UnsafeRawBufferPointer, path: String? = nil) -> Result<Void, SystemCallError> {
        var done = 0
        while done < bytes.count {
            switch retrying("write", path, { pwrite(fd, bytes.baseAddress! + done, bytes.count - done, offset + off_t(done)) }) {
            case .success(let n): done += n
            case .failure(let error): return .failure(error)
            }
        }
        return .success(())
    }

    /// Whether the directory open at `fd` is a mount point: the root of a mount (statx, which
    /// also sees a bind mount of the same file system) or on another device than its parent.
    static func isMountPoint(_ fd: Int32, path: String? = nil) -> Result<Bool, SystemCallError> {
        switch retrying("statx", path, { crs_is_mount_root(fd) }) {
        case .success(let root) where root == 1: return .success(true)
        case .success: break
        case .failure(let error): return .failure(error)
        }
        var own = stat(), parent = stat()
        if case .failure(let error) = retrying("stat", path, { Glibc.fstat(fd, &own) }) { return .failure(error) }
        if case .failure(let error) = retrying("stat", path.map { $0 + "/.." }, { fstatat(fd, "..", &parent, AT_SYMLINK_NOFOLLOW) }) {
            return .failure(error)
        }
        return .success(own.st_dev != parent.st_dev)
    }

    /// What extended attribute calls act on: an open descriptor (the f* calls), or a path whose
    /// final symlink is not followed (the l* calls).
    enum AttributeTarget {
        case descriptor(Int32)
        case path(String)

        var display: String? {
            if case .path(let path) = self { return path }
            return nil
        }
    }

    /// listxattr(2): the names of the extended attributes, sorted. A file system without
    /// extended attributes has none.
    static func attributeNames(_ target: AttributeTarget, path: String? = nil) -> Result<[String], SystemCallError> {
        let shown = path ?? target.display
        while true {
            let size: Int
            switch retrying("listxattr", shown, { target.list(nil, 0) }) {
            case .success(let n): size = n
            case .failure(let error) where error.errno == ENOTSUP: return .success([])
            case .failure(let error): return .failure(error)
            }
            if size == 0 { return .success([]) }
            var buffer = [CChar](repeating: 0, count: size)
            switch retrying("listxattr", shown, { buffer.withUnsafeMutableBufferPointer { target.list($0.baseAddress, size) } }) {
            case .success(let n):
                let names = buffer[..<n].split(separator: 0).map { String(decoding: $0.map { UInt8(bitPattern: $0) }, as: UTF8.self) }
                return .success(names.sorted())
            case .failure(let error) where error.errno == ERANGE: continue  // grew in between: ask again
            case .failure(let error): return .failure(error)
            }
        }
    }

    /// getxattr(2): the value of `name`, or `nil` when the attribute is gone (`ENODATA`).
    static func attribute(_ name: String, of target: AttributeTarget, path: String? = nil) -> Result<[UInt8]?, SystemCallError> {
        let shown = path ?? target.display
        while true {
            let size: Int
            switch retrying("getxattr \(name)", shown, { target.get(name, nil, 0) }) {
            case .success(let n): size = n
            case .failure(let error) where error.errno == ENODATA: return .success(nil)
            case .failure(let error): return .failure(error)
            }
            var buffer = [UInt8](repeating: 0, count: size)
            switch retrying("getxattr \(name)", shown, { buffer.withUnsafeMutableBytes { target.get(name, $0.baseAddress, size) } }) {
            case .success(let n): return .success(Array(buffer[..<n]))
            case .failure(let error) where error.errno == ENODATA: return .success(nil)
            case .failure(let error) where error.errno == ERANGE: continue
            case .failure(let error): return .failure(error)
            }
        }
    }

    /// setxattr(2): creates or replaces `name`.
    static func setAttribute(_ name: String, _ value: [UInt8], of target: AttributeTarget, path: String? = nil) -> Result<Void, SystemCallError> {
        retrying("setxattr \(name)", path ?? target.display) {
            value.withUnsafeBytes { bytes in
                switch target {
                case .descriptor(let fd): crs_fsetxattr(fd, name, bytes.baseAddress, bytes.count)
                case .path(let path): crs_lsetxattr(path, name, bytes.baseAddress, bytes.count)
                }
            }
        }.map { _ in () }
    }

    /// removexattr(2); an attribute that is not there (or a file system without them) is not an error.
    static func removeAttribute(_ name: String, of target: AttributeTarget, path: String? = nil) -> Result<Void, SystemCallError> {
        let result = retrying("removexattr \(name)", path ?? target.display) {
            switch target {
            case .descriptor(let fd): crs_fremovexattr(fd, name)
            case .path(let path): crs_lremovexattr(path, name)
            }
        }
        if case .failure(let error) = result, error.errno != ENODATA && error.errno != ENOTSUP { return .failure(error) }
        return .success(())
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
        let name = device.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return .success((String(decoding: name, as: UTF8.self), fd))
    }
}

extension Syscall.AttributeTarget {
    fileprivate func list(_ buffer: UnsafeMutablePointer<CChar>?, _ size: Int) -> Int {
        switch self {
        case .descriptor(let fd): crs_flistxattr(fd, buffer, size)
        case .path(let path): crs_llistxattr(path, buffer, size)
        }
    }

    fileprivate func get(_ name: String, _ buffer: UnsafeMutableRawPointer?, _ size: Int) -> Int {
        switch self {
        case .descriptor(let fd): crs_fgetxattr(fd, name, buffer, size)
        case .path(let path): crs_lgetxattr(path, name, buffer, size)
        }
    }
}
