import RefreshCore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// What an apply (or revert) has set out to do and how far it got: written before every step
/// so `refreshctl recover` can undo or finish it after a crash.
public struct LegacyJournalRecord: Codable, Sendable, Hashable {
    /// The step about to be carried out (written before it starts).
    public enum Phase: String, Codable, Sendable, Hashable, CaseIterable {
        case planned, staging, switching, acting, collecting, done
    }

    public struct SnapEntry: Codable, Sendable, Hashable {
        public var name: String
        public var from: String
        public var to: String
        public var state: RefreshTransaction.State
        /// Whether the target revision was mounted before this refresh staged it.
        public var targetWasMounted: Bool
        /// Whether `var/snap/NAME/TO` existed before this refresh (then it is never removed).
        public var dataExisted: Bool
        /// Revisions the plan removes once the processes are handled.
        public var remove: [String]
    }

    public var version = 1
    public var operation: String
    public var phase: Phase
    /// The policy file the plan was made with, so recovery plans the same way.
    public var policy: String?
    public var snaps: [SnapEntry]
}

/// The journal file, `ROOT/var/lib/refreshctl/journal.json`: replaced atomically (a temporary
/// file, fsync, rename, fsync of the directory) so a crash leaves the old or the new record.
public struct LegacyJournal: Sendable {
    public let layout: HostLayout
    public var path: String { layout.stateDirectory + "/journal.json" }

    public init(layout: HostLayout) { self.layout = layout }

    public func write(_ record: LegacyJournalRecord) throws(RefreshCoreError) {
        try HostLock.makeStateDirectory(layout)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        let data: Data
        do { data = try encoder.encode(record) } catch {
            throw RefreshCoreError(.io, "cannot encode the journal: \(error)")
        }
        let temporary = path + ".new"
        let fd: Int32
        switch Syscall.open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, mode: 0o600) {
        case .success(let opened): fd = opened
        case .failure(let error): throw RefreshCoreError(.io, "cannot write the journal: \(error)", underlying: error)
        }
        let written = data.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd)
        Syscall.close(fd)
        guard written == data.count, synced == 0 else {
            throw RefreshCoreError(.io, "cannot write the journal \(temporary): \(SystemCallError("write", errno: errno))")
        }
        guard rename(temporary, path) == 0 else {
            throw RefreshCoreError(.io, "cannot replace the journal \(path): \(SystemCallError("rename", errno: errno))")
        }
        LegacyJournal.syncDirectory(layout.stateDirectory)
    }

    /// The record, or `nil` when no refresh is under way.
    public func read() throws(RefreshCoreError) -> LegacyJournalRecord? {
        var buffer: [UInt8] = []
        switch Syscall.readFile(path, flags: O_NOFOLLOW, into: &buffer) {
        case .failure(let error) where error.errno == ENOENT: return nil
        case .failure(let error): throw RefreshCoreError(.io, "cannot read the journal: \(error)", underlying: error)
        case .success(let count):
            do {
                return try JSONDecoder().decode(LegacyJournalRecord.self, from: Data(buffer[..<count]))
            } catch {
                throw RefreshCoreError(.io, "the journal \(path) cannot be read (\(error)); inspect it and remove it by hand once the host is in order")
            }
        }
    }

    public func remove() {
        unlink(path)
        LegacyJournal.syncDirectory(layout.stateDirectory)
    }

    static func syncDirectory(_ path: String) {
        if case .success(let fd) = Syscall.open(path, O_RDONLY | O_DIRECTORY) {
            fsync(fd)
            Syscall.close(fd)
        }
    }
}
