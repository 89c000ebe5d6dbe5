import Testing
@testable import RefreshCore
@testable import RefreshHost

/// The journal: its format (round trip, versions, torn or edited files refused with a
/// position), and its writes on a file system that loses what was not made durable.
@Suite struct JournalTests {
    static let record = JournalRecord(
        operation: "apply", phase: .acting, policy: PolicySource(path: "/etc/refreshctl/policy.yaml", digest: "sha256:ab12"),
        started: Timestamp(rfc3339: "2026-11-27T12:00:00Z")!,
        snaps: [
            .init(name: SnapName("vlc")!, from: Revision("10")!, to: Revision("12")!, state: .acting, targetWasMounted: false,
                  dataExisted: false, remove: [Revision("8")!]),
            .init(name: SnapName("db")!, from: Revision("x1")!, to: Revision("x2")!, state: .rolledBack, targetWasMounted: true,
                  dataExisted: true, remove: [], reason: "a \"quoted\" reason\nover two lines"),
        ],
        work: [.init(key: "service snap.db.db.service", state: "restarting"), .init(key: "process 42@7", state: "done", outcome: "killed")])

    @Test func aRecordReadsBackAsWritten() throws {
        let text = JournalTests.record.encoded()
        #expect(try JournalRecord(decoding: text, file: "journal.json") == JournalTests.record)
        #expect(text.hasPrefix("{\"version\":2,\"operation\":\"apply\",\"phase\":\"acting\""))
    }

    /// A journal that must be refused: its text, the text at the error's position, and what
    /// the error must say.
    static let refusals: [(String, String, String, String)] = [
        ("another version", #"{"version":1,"operation":"apply","phase":"acting","started":"2026-11-27T12:00:00Z","snaps":[]}"#, "1,",
         "the journal has format version 1, this refreshctl reads version 2"),
        ("no version", #"{"operation":"apply"}"#, #"{"#, "the journal has no format version"),
        ("an unknown key", #"{"version":2,"operation":"apply","phase":"acting","started":"2026-11-27T12:00:00Z","snaps":[],"extra":1}"#, #""extra""#,
         "unknown key 'extra' in the journal"),
        ("a bad state", #"{"version":2,"operation":"apply","phase":"acting","started":"2026-11-27T12:00:00Z","snaps":[{"name":"vlc","from":"1","to":"2","state":"happy","target-was-mounted":false,"data-existed":false,"remove":[]}]}"#,
         #""happy""#, "unknown transaction state 'happy'"),
        ("a snap entry missing fields", #"{"version":2,"operation":"apply","phase":"acting","started":"2026-11-27T12:00:00Z","snaps":[{"name":"vlc"}]}"#,
         #"{"name""#, "a snap entry needs name, from, to, state, target-was-mounted and data-existed (it has no from, to, state"),
        ("a bad revision", #"{"version":2,"operation":"apply","phase":"acting","started":"2026-11-27T12:00:00Z","snaps":[{"name":"vlc","from":"0","to":"2","state":"acting","target-was-mounted":false,"data-existed":false,"remove":[]}]}"#,
         #""0""#, "invalid revision '0'"),
        ("empty", "", "", "the journal is empty"),
    ]

    @Test(arguments: 0..<refusals.count)
    func anUnreadableJournalIsRefusedWithWhereAndWhatToDo(_ index: Int) {
        let (_, text, at, message) = JournalTests.refusals[index]
        let diagnostics = refusal { _ = try JournalRecord(decoding: text, file: "/var/lib/refreshctl/journal.json") }
        let errors = diagnostics.filter { $0.severity == .error }
        #expect(errors.count == 1, "\(errors)")
        let column = at.isEmpty ? 1 : text.utf8.count - (text.range(of: at).map { text[$0.lowerBound...].utf8.count } ?? 0) + 1
        #expect(errors.first?.location == SourceLocation(file: "/var/lib/refreshctl/journal.json", line: 1, column: column))
        #expect(errors.first?.message.contains(message) == true, "\(errors.first?.message ?? "none")")
        #expect(errors.first?.message.hasSuffix("finish the refresh with the refreshctl that wrote it, or inspect the host and remove /var/lib/refreshctl/journal.json by hand") == true)
    }

    @Test func aTornJournalIsRefusedToo() {
        let diagnostics = refusal { _ = try JournalRecord(decoding: #"{"version":2,"operation":"apply","phase":"act"#, file: "j.json") }
        #expect(diagnostics.first?.message.hasPrefix("invalid YAML") == true)
    }

    // MARK: durability

    /// A file system that keeps what was made durable and loses the rest when it crashes:
    /// file contents are durable once fsynced; names (create, truncate, rename, unlink) once
    /// their directory is fsynced — or, pessimistically, whenever the file system pleases.
    final class CrashingFiles: JournalFileSystem, @unchecked Sendable {
        struct Disk: Equatable {
            var names: [String: Int] = [:]
            var contents: [Int: [UInt8]] = [:]
        }
        var volatile = Disk()
        var durable = Disk()
        var fds: [Int32: Int] = [:]
        var nextInode = 1
        var operations = 0
        /// Crash after this many operations: every later operation fails.
        var crashAfter = Int.max
        var crashed = false

        func step() -> Bool {
            if crashed { return false }
            operations += 1
            if operations > crashAfter { crashed = true; return false }
            return true
        }

        func failure() -> SystemCallError { SystemCallError("crash", errno: 5) }

        func create(_ path: String) -> Result<Int32, SystemCallError> {
            guard step() else { return .failure(failure()) }
            let inode = volatile.names[path] ?? { defer { nextInode += 1 }; return nextInode }()
            volatile.names[path] = inode
            volatile.contents[inode] = []
            let fd = Int32(100 + fds.count)
            fds[fd] = inode
            return .success(fd)
        }

        func write(_ fd: Int32, _ bytes: [UInt8]) -> Result<Void, SystemCallError> {
            guard step(), let inode = fds[fd] else { return .failure(failure()) }
            volatile.contents[inode, default: []] += bytes
            return .success(())
        }

        func fsync(_ fd: Int32) -> Result<Void, SystemCallError> {
            guard step(), let inode = fds[fd] else { return .failure(failure()) }
            durable.contents[inode] = volatile.contents[inode]
            return .success(())
        }

        func close(_ fd: Int32) { fds[fd] = nil }

        func rename(_ from: String, _ to: String) -> Result<Void, SystemCallError> {
            guard step(), let inode = volatile.names[from] else { return .failure(failure()) }
            volatile.names[to] = inode
            volatile.names[from] = nil
            return .success(())
        }

        func unlink(_ path: String) -> Result<Void, SystemCallError> {
            guard step() else { return .failure(failure()) }
            guard volatile.names.removeValue(forKey: path) != nil else { return .failure(SystemCallError("unlink", errno: 2)) }
            return .success(())
        }

        func syncDirectory(_ path: String) -> Result<Void, SystemCallError> {
            guard step() else { return .failure(failure()) }
            durable.names = volatile.names
            return .success(())
        }

        func read(_ path: String) -> Result<[UInt8]?, SystemCallError> {
            guard let inode = volatile.names[path] else { return .success(nil) }
            return .success(volatile.contents[inode] ?? [])
        }

        /// The disk after a crash: names as last made durable (or all of them, when the file
        /// system happened to write its metadata), each file's content as last fsynced.
        func afterCrash(namesKept: Bool) -> CrashingFiles {
            let disk = CrashingFiles()
            let names = namesKept ? volatile.names : durable.names
            disk.volatile = Disk(names: names, contents: durable.contents)
            disk.durable = disk.volatile
            disk.nextInode = nextInode
            return disk
        }
    }

    static func recordAt(_ phase: JournalRecord.Phase) -> JournalRecord {
        var record = JournalTests.record
        record.phase = phase
        return record
    }

    /// Writing record B over record A, crashing after every operation of B's write, in both
    /// worlds (names lost, names kept): the journal reads back as A or B, whole; and once the
    /// write returned, it reads back as B.
    @Test(arguments: [false, true])
    func aCrashAtAnyPointLeavesTheOldRecordOrTheNewOneWhole(namesKept: Bool) throws {
        let a = JournalTests.recordAt(.switching), b = JournalTests.recordAt(.acting)
        var operationsOfAWrite = 0
        do {
            let files = CrashingFiles()
            try FileJournal(directory: "/state", files: files).write(a)
            operationsOfAWrite = files.operations
        }
        #expect(operationsOfAWrite >= 5)  // create, write, fsync, rename, fsync of the directory
        for crashAfter in 0...operationsOfAWrite {
            let files = CrashingFiles()
            let journal = FileJournal(directory: "/state", files: files)
            try journal.write(a)
            files.operations = 0
            files.crashAfter = crashAfter
            let returned = (try? journal.write(b)) != nil
            let after = FileJournal(directory: "/state", files: files.afterCrash(namesKept: namesKept))
            let read = try after.read()
            #expect(read == a || read == b, "crash after \(crashAfter) operations: \(String(describing: read))")
            if returned { #expect(read == b, "the write returned, but after a crash the journal is \(String(describing: read?.phase))") }
        }
    }

    @Test func aRemovedJournalStaysRemovedAfterACrash() throws {
        let files = CrashingFiles()
        let journal = FileJournal(directory: "/state", files: files)
        try journal.write(JournalTests.record)
        try journal.remove()
        #expect(try FileJournal(directory: "/state", files: files.afterCrash(namesKept: false)).read() == nil)
    }
}
