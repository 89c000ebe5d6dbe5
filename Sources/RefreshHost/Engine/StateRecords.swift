import RefreshCore
#if canImport(Glibc)
import Glibc
#endif

/// The real ``RefreshRecords``: files under `ROOT/var/lib/refreshctl/`.
public struct StateRecords: RefreshRecords {
    public let layout: HostLayout

    public init(layout: HostLayout) { self.layout = layout }

    public func recordPostponement(_ snap: SnapName, since: Timestamp) throws(RefreshCoreError) {
        let path = layout.postponementRecord(snap)
        if case .success = Syscall.lstat(path) { return }
        try HostLock.makeStateDirectory(layout)
        _ = Syscall.makeDirectory(layout.stateDirectory + "/postponed")
        let fd: Int32
        switch Syscall.open(path + ".new", O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, mode: 0o644) {
        case .success(let opened): fd = opened
        case .failure(let error): throw RefreshCoreError(.io, "cannot record the postponement in \(path): \(error)", underlying: error)
        }
        let files = SystemJournalFiles()
        let written = files.write(fd, Array("\(since)\n".utf8)).flatMap { files.fsync(fd) }
        Syscall.close(fd)
        if case .failure(let error) = written.flatMap({ files.rename(path + ".new", path) }) {
            throw RefreshCoreError(.io, "cannot record the postponement in \(path): \(error)", underlying: error)
        }
        _ = files.syncDirectory(layout.stateDirectory + "/postponed")
    }

    public func clearPostponement(_ snap: SnapName) {
        unlink(layout.postponementRecord(snap))
    }
}
