import RefreshCore
#if canImport(Glibc)
import Glibc
#endif

/// The file operations a journal write needs, so a test can stand in a file system that
/// loses what was not made durable when it "crashes". The real one is ``SystemJournalFiles``.
package protocol JournalFileSystem: Sendable {
    /// open(2) with O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC.
    func create(_ path: String) -> Result<Int32, SystemCallError>
    func write(_ fd: Int32, _ bytes: [UInt8]) -> Result<Void, SystemCallError>
    func fsync(_ fd: Int32) -> Result<Void, SystemCallError>
    func close(_ fd: Int32)
    func rename(_ from: String, _ to: String) -> Result<Void, SystemCallError>
    func unlink(_ path: String) -> Result<Void, SystemCallError>
    /// fsync(2) of a directory, which makes the names in it (a rename, an unlink) durable.
    func syncDirectory(_ path: String) -> Result<Void, SystemCallError>
    /// The whole file, or `nil` when it does not exist.
    func read(_ path: String) -> Result<[UInt8]?, SystemCallError>
}

/// The journal file, `ROOT/var/lib/refreshctl/journal.json`: replaced atomically and durably
/// — written to a temporary file, fsynced, renamed over the journal, and the directory fsynced
/// — so a crash at any point leaves the old record or the new one, whole, and a write that
/// returned survives a crash.
public struct FileJournal: JournalStore {
    let directory: String
    let files: any JournalFileSystem

    public init(layout: HostLayout) {
        self.init(directory: layout.stateDirectory, files: SystemJournalFiles())
    }

    package init(directory: String, files: any JournalFileSystem) {
        self.directory = directory
        self.files = files
    }

    public var location: String { directory + "/journal.json" }

    public func read() throws(RefreshCoreError) -> JournalRecord? {
        let bytes: [UInt8]
        switch files.read(location) {
        case .success(nil): return nil
        case .success(let found?): bytes = found
        case .failure(let error): throw RefreshCoreError(.io, "cannot read the journal: \(error)", underlying: error)
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw RefreshCoreError.invalidInput([.error(at: SourceLocation(file: location, line: 1, column: 1), "the journal is not UTF-8 text; inspect the host and remove \(location) by hand")])
        }
        return try JournalRecord(decoding: text, file: location)
    }

    public func write(_ record: JournalRecord) throws(RefreshCoreError) {
        let temporary = location + ".new"
        let fd: Int32
        switch files.create(temporary) {
        case .success(let opened): fd = opened
        case .failure(let error): throw RefreshCoreError(.io, "cannot write the journal: \(error)", underlying: error)
        }
        let written = files.write(fd, Array(record.encoded().utf8)).flatMap { files.fsync(fd) }
        files.close(fd)
        if case .failure(let error) = written {
            _ = files.unlink(temporary)
            throw RefreshCoreError(.io, "cannot write the journal \(temporary): \(error)", underlying: error)
        }
        if case .failure(let error) = files.rename(temporary, location) {
            throw RefreshCoreError(.io, "cannot replace the journal \(location): \(error)", underlying: error)
        }
        if case .failure(let error) = files.syncDirectory(directory) {
            throw RefreshCoreError(.io, "cannot make the journal \(location) durable: \(error)", underlying: error)
        }
    }

    public func remove() throws(RefreshCoreError) {
        switch files.unlink(location) {
        case .success: break
        case .failure(let error) where error.errno == ENOENT: break
        case .failure(let error): throw RefreshCoreError(.io, "cannot remove the journal \(location): \(error)", underlying: error)
        }
        if case .failure(let error) = files.syncDirectory(directory) {
            throw RefreshCoreError(.io, "cannot make the removal of \(location) durable: \(error)", underlying: error)
        }
    }
}

/// The real file operations, with system calls.
package struct SystemJournalFiles: JournalFileSystem {
    package init() {}

    package func create(_ path: String) -> Result<Int32, SystemCallError> {
        Syscall.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, mode: 0o600)
    }

    package func write(_ fd: Int32, _ bytes: [UInt8]) -> Result<Void, SystemCallError> {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                return .failure(SystemCallError("write", errno: errno))
            }
            offset += n
        }
        return .success(())
    }

    package func fsync(_ fd: Int32) -> Result<Void, SystemCallError> {
        Glibc.fsync(fd) == 0 ? .success(()) : .failure(SystemCallError("fsync", errno: errno))
    }

    package func close(_ fd: Int32) { Syscall.close(fd) }

    package func rename(_ from: String, _ to: String) -> Result<Void, SystemCallError> {
        Glibc.rename(from, to) == 0 ? .success(()) : .failure(SystemCallError("rename", path: to, errno: errno))
    }

    package func unlink(_ path: String) -> Result<Void, SystemCallError> {
        Glibc.unlink(path) == 0 ? .success(()) : .failure(SystemCallError("unlink", path: path, errno: errno))
    }

    package func syncDirectory(_ path: String) -> Result<Void, SystemCallError> {
        switch Syscall.open(path, O_RDONLY | O_DIRECTORY) {
        case .success(let fd):
            defer { Syscall.close(fd) }
            return Glibc.fsync(fd) == 0 ? .success(()) : .failure(SystemCallError("fsync", path: path, errno: errno))
        case .failure(let error):
            return .failure(error)
        }
    }

    package func read(_ path: String) -> Result<[UInt8]?, SystemCallError> {
        var buffer: [UInt8] = []
        switch Syscall.readFile(path, flags: O_NOFOLLOW, into: &buffer) {
        case .success(let count): return .success(Array(buffer[..<count]))
        case .failure(let error) where error.errno == ENOENT: return .success(nil)
        case .failure(let error): return .failure(error)
        }
    }
}
