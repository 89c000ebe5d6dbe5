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
        try writeRecord(path, in: "postponed", "\(since)\n", what: "the postponement")
    }

    public func recordLeaving(_ snap: SnapName, _ revision: Revision, at time: Timestamp) throws(RefreshCoreError) {
        try writeRecord(layout.leftRecord(snap, revision), in: "left", "\(time)\n", what: "when \(snap) revision \(revision) stopped being current")
    }

    public func leftAt(_ snap: SnapName, _ revision: Revision) -> Timestamp? {
        var buffer: [UInt8] = []
        guard case .success(let count) = Syscall.readFile(layout.leftRecord(snap, revision), flags: O_NOFOLLOW, into: &buffer), count < 100 else { return nil }
        let text = String(decoding: buffer[..<count], as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
        return Timestamp(rfc3339: text)
    }

    public func forgetLeaving(_ snap: SnapName, _ revision: Revision) {
        unlink(layout.leftRecord(snap, revision))
    }

    /// Writes `text` to `path` (in the state directory's `subdirectory`) atomically.
    private func writeRecord(_ path: String, in subdirectory: String, _ text: String, what: String) throws(RefreshCoreError) {
        try HostLock.makeStateDirectory(layout)
        _ = Syscall.makeDirectory(layout.stateDirectory + "/" + subdirectory)
        let fd: Int32
        switch Syscall.open(path + ".new", O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, mode: 0o644) {
        case .success(let opened): fd = opened
        case .failure(let error): throw RefreshCoreError(.io, "cannot record \(what) in \(path): \(error)", underlying: error)
        }
        let files = SystemJournalFiles()
        let written = files.write(fd, Array(text.utf8)).flatMap { files.fsync(fd) }
        Syscall.close(fd)
        if case .failure(let error) = written.flatMap({ files.rename(path + ".new", path) }) {
            throw RefreshCoreError(.io, "cannot record \(what) in \(path): \(error)", underlying: error)
        }
        _ = files.syncDirectory(layout.stateDirectory + "/" + subdirectory)
    }

    public func clearPostponement(_ snap: SnapName) {
        unlink(layout.postponementRecord(snap))
    }

    /// `ROOT/var/lib/refreshctl/reverted/NAME`: one revision per line.
    func revertRecord(_ snap: SnapName) -> String { layout.stateDirectory + "/reverted/\(snap)" }

    public func revertedFrom(_ snap: SnapName) -> [Revision] {
        var buffer: [UInt8] = []
        guard case .success(let count) = Syscall.readFile(revertRecord(snap), flags: O_NOFOLLOW, into: &buffer), count <= 65536 else { return [] }
        return String(decoding: buffer[..<count], as: UTF8.self).split(separator: "\n").compactMap { Revision(String($0)) }
    }

    public func recordRevert(_ snap: SnapName, from revision: Revision) throws(RefreshCoreError) {
        var revisions = revertedFrom(snap)
        if revisions.contains(revision) { return }
        revisions.append(revision)
        let path = revertRecord(snap)
        try HostLock.makeStateDirectory(layout)
        _ = Syscall.makeDirectory(layout.stateDirectory + "/reverted")
        let fd: Int32
        switch Syscall.open(path + ".new", O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, mode: 0o644) {
        case .success(let opened): fd = opened
        case .failure(let error): throw RefreshCoreError(.io, "cannot record the revert in \(path): \(error)", underlying: error)
        }
        let files = SystemJournalFiles()
        let text = revisions.map { "\($0)\n" }.joined()
        let written = files.write(fd, Array(text.utf8)).flatMap { files.fsync(fd) }
        Syscall.close(fd)
        if case .failure(let error) = written.flatMap({ files.rename(path + ".new", path) }) {
            throw RefreshCoreError(.io, "cannot record the revert in \(path): \(error)", underlying: error)
        }
        _ = files.syncDirectory(layout.stateDirectory + "/reverted")
    }

    public func clearReverts(_ snap: SnapName) {
        unlink(revertRecord(snap))
    }
}
