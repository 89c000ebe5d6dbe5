import RefreshCore
#if canImport(Glibc)
import Glibc
#endif

/// One refresh at a time: an exclusive `flock` on `ROOT/var/lib/refreshctl/lock`, whose
/// content names the holder so a second caller can say who it is.
public final class HostLock: LockHold, @unchecked Sendable {
    private var fd: Int32
    public let path: String

    /// Takes the lock.
    /// - Parameters:
    ///   - wait: block until the holder lets go, instead of failing at once.
    /// - Throws: ``RefreshCoreError`` with code ``RefreshCoreError/Code/locked`` (exit code 4)
    ///   naming the holder, or `io` when the lock file cannot be made.
    public init(layout: HostLayout, wait: Bool) throws(RefreshCoreError) {
        path = layout.stateDirectory + "/lock"
        try HostLock.makeStateDirectory(layout)
        switch Syscall.open(path, O_RDWR | O_CREAT | O_NOFOLLOW, mode: 0o600) {
        case .success(let opened): fd = opened
        case .failure(let error): throw RefreshCoreError(.io, "cannot open the lock \(path): \(error)", underlying: error)
        }
        while flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) != 0 {
            if errno == EINTR { continue }
            let error = errno
            var buffer: [UInt8] = []
            let holder = (try? Syscall.readFile(path, into: &buffer).get()).map { String(decoding: buffer[..<$0], as: UTF8.self) }?
                .split(separator: "\n").first.map(String.init) ?? "another process"
            Syscall.close(fd)
            if error == EWOULDBLOCK {
                throw RefreshCoreError(.locked, "another refresh holds the lock \(path): \(holder); wait for it or run again with --wait")
            }
            throw RefreshCoreError(.io, "cannot lock \(path): \(SystemCallError("flock", errno: error))")
        }
        let me = "refreshctl pid \(getpid())\n"
        _ = ftruncate(fd, 0)
        _ = me.withCString { pwrite(fd, $0, strlen($0), 0) }
    }

    deinit { release() }

    /// Lets go of the lock (once; later calls do nothing).
    public func release() {
        guard fd >= 0 else { return }
        _ = ftruncate(fd, 0)
        _ = flock(fd, LOCK_UN)
        Syscall.close(fd)
        fd = -1
    }

    static func makeStateDirectory(_ layout: HostLayout) throws(RefreshCoreError) {
        var path = layout.root
        for component in ["var", "lib", "refreshctl"] {
            path += "/" + component
            if case .failure(let error) = Syscall.makeDirectory(path) {
                throw RefreshCoreError(.io, "cannot create \(path): \(error)", underlying: error)
            }
        }
    }
}

/// The real ``RefreshLock``: ``HostLock`` on `ROOT/var/lib/refreshctl/lock`.
public struct FileLock: RefreshLock {
    public let layout: HostLayout

    public init(layout: HostLayout) { self.layout = layout }

    public func acquire(wait: Bool) throws(RefreshCoreError) -> any LockHold {
        try HostLock(layout: layout, wait: wait)
    }
}
