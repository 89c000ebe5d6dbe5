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

extension StateRecords {
    public func recordHistory(_ entry: RefreshHistory.Entry) throws(RefreshCoreError) {
        let history = try readHistory(entry.snap) ?? RefreshHistory(entries: [])
        try writeAtomically(history.appending(entry).encoded(), to: layout.historyFile(entry.snap), in: "history", what: "the history of \(entry.snap)")
    }

    /// A snap's history, oldest first; `nil` when none is recorded.
    /// - Throws: ``RefreshCoreError`` when the file cannot be read or is not a history.
    public func readHistory(_ snap: SnapName) throws(RefreshCoreError) -> RefreshHistory? {
        guard let text = try readRecord(layout.historyFile(snap)) else { return nil }
        return try RefreshHistory(decoding: text, file: layout.historyFile(snap))
    }

    /// The snaps with a recorded history, in name order.
    public func snapsWithHistory() -> [SnapName] {
        let directory = layout.stateDirectory + "/history"
        guard let dir = opendir(directory) else { return [] }
        defer { closedir(dir) }
        var names: [SnapName] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard name.hasSuffix(".json"), let snap = SnapName(String(name.dropLast(5))) else { continue }
            names.append(snap)
        }
        return names.sorted()
    }

    /// Records `hold`, replacing any hold on its snap.
    public func writeHold(_ hold: SnapHold) throws(RefreshCoreError) {
        try writeAtomically(hold.encoded(), to: layout.holdRecord(hold.snap), in: "held", what: "the hold of \(hold.snap)")
    }

    /// Removes the hold on `snap`; `false` when there was none.
    public func removeHold(_ snap: SnapName) throws(RefreshCoreError) -> Bool {
        let path = layout.holdRecord(snap)
        if unlink(path) != 0 {
            if errno == ENOENT { return false }
            let error = SystemCallError("unlink", path: path, errno: errno)
            throw RefreshCoreError(.io, "cannot remove the hold of \(snap) (\(path)): \(error)", underlying: error)
        }
        _ = SystemJournalFiles().syncDirectory(layout.stateDirectory + "/held")
        return true
    }

    /// The hold on `snap`, expired or not; `nil` when there is none.
    /// - Throws: ``RefreshCoreError`` when the record cannot be read or is not a hold of `snap`.
    public func readHold(_ snap: SnapName) throws(RefreshCoreError) -> SnapHold? {
        let path = layout.holdRecord(snap)
        guard let text = try readRecord(path) else { return nil }
        let hold = try SnapHold(decoding: text, file: path)
        guard hold.snap == snap else {
            throw RefreshCoreError(.invalidInput, "\(path) holds '\(hold.snap)', not '\(snap)'; remove it with 'refreshctl unhold \(snap)'")
        }
        return hold
    }

    /// A record's text, without following a symlink; `nil` when it does not exist.
    private func readRecord(_ path: String) throws(RefreshCoreError) -> String? {
        var buffer: [UInt8] = []
        switch Syscall.readFile(path, flags: O_NOFOLLOW, into: &buffer) {
        case .success(let count):
            guard count <= YAMLDocument.maximumSize else {
                throw RefreshCoreError(.invalidInput, "\(path) is larger than 1 MiB; not read")
            }
            return String(decoding: buffer[..<count], as: UTF8.self)
        case .failure(let error):
            if error.errno == ENOENT { return nil }
            throw RefreshCoreError(.io, "cannot read \(path): \(error)", underlying: error)
        }
    }

    /// Writes `text` to `path` as the journal is written: a temporary file beside it, fsynced,
    /// renamed over it, the directory fsynced. A crash leaves the old record or the new one.
    private func writeAtomically(_ text: String, to path: String, in subdirectory: String, what: String) throws(RefreshCoreError) {
        try HostLock.makeStateDirectory(layout)
        let directory = layout.stateDirectory + "/" + subdirectory
        if case .failure(let error) = Syscall.makeDirectory(directory) {
            throw RefreshCoreError(.io, "cannot record \(what): \(error)", underlying: error)
        }
        let temporary = "\(path).tmp.\(getpid())"
        let fd: Int32
        switch Syscall.open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, mode: 0o644) {
        case .success(let opened): fd = opened
        case .failure(let error): throw RefreshCoreError(.io, "cannot record \(what) in \(path): \(error)", underlying: error)
        }
        let files = SystemJournalFiles()
        let written = files.write(fd, Array(text.utf8)).flatMap { files.fsync(fd) }
        Syscall.close(fd)
        if case .failure(let error) = written.flatMap({ files.rename(temporary, path) }) {
            unlink(temporary)
            throw RefreshCoreError(.io, "cannot record \(what) in \(path): \(error)", underlying: error)
        }
        _ = files.syncDirectory(directory)
    }
}
