import Foundation
import Testing
@testable import RefreshCore
@testable import RefreshHost

#if canImport(Glibc)
import Glibc
#endif

/// Users' per-revision data (`ROOT/home/USER/snap/NAME/REV`, `ROOT/root/snap/NAME/REV`) on a
/// real file system: copied and switched with the system data, undone, removed by `gc` with
/// what was written after the switch listed, kept by `keep-data`; and a hostile user's symlinks
/// never followed by root.
@Suite(.serialized, .enabled(if: geteuid() == 0, "needs root: sets owners and mounts"), .timeLimit(.minutes(2)))
struct UserDataTests {
    typealias T = DataCopyTests
    static let alice: (uid_t, gid_t) = (1000, 1000)

    /// DataCopyTests' demo host, plus alice (uid 1000) and root with data of revision 1, and bob
    /// with no data of demo.
    static func makeHost(_ root: String) throws -> FileSystemRevisionStore {
        let store = try T.makeHost(root)
        for (home, owner) in [("home/alice", alice), ("root", (uid_t(0), gid_t(0)))] {
            let data = "\(root)/\(home)/snap/demo"
            try FileManager.default.createDirectory(atPath: data + "/1/.config", withIntermediateDirectories: true)
            try Data("volume=7\n".utf8).write(to: URL(fileURLWithPath: data + "/1/.config/settings"))
            try T.check(symlink("1", data + "/current"), "symlink", data)
            for path in [home, home + "/snap", home + "/snap/demo", home + "/snap/demo/1", home + "/snap/demo/1/.config", home + "/snap/demo/1/.config/settings", home + "/snap/demo/current"] {
                try T.check(lchown(root + "/" + path, owner.0, owner.1), "lchown", path)
            }
        }
        try FileManager.default.createDirectory(atPath: root + "/home/bob", withIntermediateDirectories: true)
        return store
    }

    static func owner(_ path: String) -> String? {
        var info = stat()
        return lstat(path, &info) == 0 ? "\(info.st_uid):\(info.st_gid)" : nil
    }

    @Test func usersDataIsCopiedWithItsOwnersAndSwitchedWithTheSystemData() throws {
        let root = try T.temporaryDirectory("user-data")
        defer { T.removeTree(root) }
        let store = try Self.makeHost(root)
        #expect(store.userDataHomes(T.demo, T.one) == [root + "/home/alice", root + "/root"])
        #expect(store.userDataHomes(T.demo, T.two).isEmpty)
        let copy = try store.copyData(T.demo, from: T.one, to: T.two)
        #expect(copy == DataCopyOutcome(created: true))
        for home in ["home/alice", "root"] {
            let data = "\(root)/\(home)/snap/demo"
            #expect(try Walk(data + "/2").entries == Walk(data + "/1").entries, "\(home)")
        }
        #expect(Self.owner(root + "/home/alice/snap/demo/2") == "1000:1000")
        #expect(Self.owner(root + "/home/alice/snap/demo/2/.config/settings") == "1000:1000")
        // bob never ran demo: nothing is made for him.
        #expect(T.type(root + "/home/bob/snap") == nil)

        #expect(try store.switchCurrent(T.demo, to: T.two) == [])
        for link in ["snap/demo/current", "var/snap/demo/current", "home/alice/snap/demo/current", "root/snap/demo/current"] {
            #expect(T.readLink(root + "/" + link) == "2", "\(link)")
        }
        #expect(Self.owner(root + "/home/alice/snap/demo/current") == "1000:1000")
        // Back again (a revert, an abort): every link follows.
        try store.switchCurrent(T.demo, to: T.one)
        #expect(T.readLink(root + "/home/alice/snap/demo/current") == "1")
        #expect(T.readLink(root + "/root/snap/demo/current") == "1")
    }

    @Test func undoingACopyRemovesOnlyTheUsersDataItCreated() throws {
        let root = try T.temporaryDirectory("user-undo")
        defer { T.removeTree(root) }
        let store = try Self.makeHost(root)
        // root had revision 2's data before the refresh: it is theirs and stays.
        try FileManager.default.createDirectory(atPath: root + "/root/snap/demo/2", withIntermediateDirectories: true)
        try Data("mine\n".utf8).write(to: URL(fileURLWithPath: root + "/root/snap/demo/2/own"))
        let existed = store.userDataHomes(T.demo, T.two)
        #expect(existed == [root + "/root"])
        _ = try store.copyData(T.demo, from: T.one, to: T.two)
        #expect(T.type(root + "/home/alice/snap/demo/2") == S_IFDIR)
        try store.removeCreatedData(T.demo, T.two, system: true, userDataExisted: existed)
        #expect(T.type(root + "/home/alice/snap/demo/2") == nil)
        #expect(T.type(root + "/var/snap/demo/2") == nil)
        #expect(FileManager.default.fileExists(atPath: root + "/root/snap/demo/2/own"))
        #expect(T.type(root + "/home/alice/snap/demo/1/.config/settings") == S_IFREG)
    }

    /// eve makes her `~/snap/demo` a symlink to a directory she must not touch (it stands for
    /// /etc), or her `~/snap/demo/1` a symlink into another user's data: root follows neither,
    /// copies nothing there, switches no link there, removes nothing there; the refresh goes on.
    @Test(arguments: ["snap/demo", "snap/demo/1"])
    func aHostileUsersSymlinkIsNeverFollowed(linked: String) throws {
        let root = try T.temporaryDirectory("user-hostile")
        defer { T.removeTree(root) }
        let store = try Self.makeHost(root)
        let victim = root + "/etc"
        try FileManager.default.createDirectory(atPath: victim + "/1", withIntermediateDirectories: true)
        try Data("root:x:0:0\n".utf8).write(to: URL(fileURLWithPath: victim + "/1/passwd"))
        try T.check(symlink("1", victim + "/current"), "symlink", victim)
        let eve = root + "/home/eve"
        try FileManager.default.createDirectory(atPath: eve + "/snap/demo", withIntermediateDirectories: true)
        if linked == "snap/demo" {
            try T.check(rmdir(eve + "/snap/demo"), "rmdir", eve)
            try T.check(symlink(victim, eve + "/snap/demo"), "symlink", eve)
        } else {
            try T.check(symlink(victim + "/1", eve + "/snap/demo/1"), "symlink", eve)
        }
        try T.check(chown(eve, 1001, 1001), "chown", eve)
        let before = try Walk(victim)

        let copy = try store.copyData(T.demo, from: T.one, to: T.two)
        #expect(copy.created)
        let note = linked == "snap/demo"
            ? "\(eve)/snap/demo is a symlink (to \(victim)); refreshctl never follows a symlink to users' snap data, so nothing under it is copied, switched or removed: replace the link with the directory it points at"
            : "\(eve)/snap/demo/1 is a symlink (to \(victim)/1), not a directory; it is not copied to \(eve)/snap/demo/2, and that user's current link stays"
        #expect(copy.notes == [note])
        // The others' data is copied all the same.
        #expect(T.type(root + "/home/alice/snap/demo/2/.config/settings") == S_IFREG)
        #expect(try store.switchCurrent(T.demo, to: T.two) == [])
        #expect(T.readLink(root + "/home/alice/snap/demo/current") == "2")

        // Revision 1 collected: its data goes everywhere but through eve's link.
        let removal = store.removeData(T.demo, T.one, writtenSince: nil, dryRun: false)
        #expect(removal.directories == [root + "/var/snap/demo/1", root + "/home/alice/snap/demo/1", root + "/root/snap/demo/1"])
        #expect(removal.problems == (linked == "snap/demo" ? [] : ["\(eve)/snap/demo/1 is a symlink (to \(victim)/1); it is not followed nor removed"]))
        #expect(try Walk(victim).entries == before.entries)
        #expect(T.readLink(victim + "/current") == "1")
        #expect(T.type(victim + "/2") == nil)
    }

    /// A file system a user mounted in their data (a FUSE mount, say) is never read by root's
    /// copy, and a `current` that is not a link is left alone: both are notes, the rest goes on.
    @Test func aMountInAUsersDataOrACurrentThatIsNoLinkIsSkippedWithANote() throws {
        let root = try T.temporaryDirectory("user-mount")
        defer { T.removeTree(root) }
        let store = try Self.makeHost(root)
        let mountPoint = root + "/home/alice/snap/demo/1/mnt"
        try T.check(mkdir(mountPoint, 0o755), "mkdir", mountPoint)
        try T.check(mount("tmpfs", mountPoint, "tmpfs", 0, "size=1m"), "mount", mountPoint)
        defer { umount2(mountPoint, Int32(MNT_DETACH)) }
        try T.check(unlink(root + "/root/snap/demo/current"), "unlink", "current")
        try T.check(mkdir(root + "/root/snap/demo/current", 0o755), "mkdir", "current")
        let copy = try store.copyData(T.demo, from: T.one, to: T.two)
        #expect(copy.notes == ["\(mountPoint) is a mount point in a user's snap data; a copy never reads another file system there, so \(root)/home/alice/snap/demo/1 is not copied, and that user's current link stays"])
        #expect(T.type(root + "/home/alice/snap/demo/2") == nil)
        #expect(T.type(root + "/root/snap/demo/2/.config/settings") == S_IFREG)
        let notes = try store.switchCurrent(T.demo, to: T.two)
        #expect(notes == ["\(root)/root/snap/demo/current is a directory; it must be a link to a revision, so it is left as it is and does not name revision 2: move it away"])
        #expect(T.readLink(root + "/home/alice/snap/demo/current") == "1")
        #expect(T.type(root + "/root/snap/demo/current") == S_IFDIR)
        #expect(T.readLink(root + "/var/snap/demo/current") == "2")
    }

    /// Data of revisions no longer installed goes; data of a revision that is there in any
    /// form (a symlinked revision directory, an image not yet mounted) stays.
    @Test func dataLeftBehindByRevisionsNoLongerInstalledGoes() throws {
        let root = try T.temporaryDirectory("user-orphans")
        defer { T.removeTree(root) }
        let store = try Self.makeHost(root)
        for path in ["var/snap/demo/7", "home/alice/snap/demo/7/x", "root/snap/demo/8", "var/snap/demo/9", "var/snap/demo/10"] {
            try FileManager.default.createDirectory(atPath: root + "/" + path, withIntermediateDirectories: true)
        }
        try T.check(symlink(root + "/elsewhere", root + "/snap/demo/9"), "symlink", "snap/demo/9")
        try FileManager.default.createDirectory(atPath: root + "/var/lib/snapd/snaps", withIntermediateDirectories: true)
        try Data().write(to: URL(fileURLWithPath: root + "/var/lib/snapd/snaps/demo_10.snap"))
        #expect(store.dataLeftBehind(T.demo) == [Revision("7")!, Revision("8")!])
        let engine = RefreshEngine(adapters: .linux(root: root, serviceManager: .none))
        let report = try engine.collectGarbage(retain: 2, dryRun: false, wait: false)
        #expect(report.entries.map { "\($0.revision) \($0.result.rawValue)" } == ["7 not installed: removed its data", "8 not installed: removed its data"])
        for path in ["var/snap/demo/7", "home/alice/snap/demo/7", "root/snap/demo/8"] { #expect(T.type(root + "/" + path) == nil, "\(path)") }
        for path in ["var/snap/demo/9", "var/snap/demo/10", "var/snap/demo/1", "home/alice/snap/demo/1"] { #expect(T.type(root + "/" + path) == S_IFDIR, "\(path)") }
    }

    /// A user's copy that fails (their file system is full) undoes the whole refresh, as a
    /// failed system copy does: nothing half-copied stays, every link is as it was.
    @Test func aUsersCopyThatFailsUndoesTheRefresh() async throws {
        let root = try T.temporaryDirectory("user-full")
        defer { T.removeTree(root) }
        _ = try Self.makeHost(root)
        // alice's snap data lives on a small file system with room for one copy of it.
        let data = root + "/home/alice/snap/demo"
        try T.check(rename(data, root + "/alice-data"), "rename", data)
        try T.check(mkdir(data, 0o755), "mkdir", data)
        try T.check(mount("tmpfs", data, "tmpfs", 0, "size=256k"), "mount", data)
        defer { umount2(data, Int32(MNT_DETACH)) }
        try T.run("/bin/cp", ["-a", root + "/alice-data/1", root + "/alice-data/current", data + "/"])
        try Data(repeating: 7, count: 160 * 1024).write(to: URL(fileURLWithPath: data + "/1/big"))
        let engine = RefreshEngine(adapters: .linux(root: root, serviceManager: .none))
        let report = try await engine.apply(try RefreshRequest(parsing: ["demo=2"]), policy: .builtIn, wait: false)
        let demo = try #require(report.snaps.first)
        #expect(demo.outcome == .rolledBack)
        #expect(demo.message?.contains("cannot copy \(data)/1 to \(data)/2") == true, "\(report.text())")
        #expect(report.exitCode == 1)
        for link in ["snap/demo/current", "var/snap/demo/current", "home/alice/snap/demo/current", "root/snap/demo/current"] {
            #expect(T.readLink(root + "/" + link) == "1", "\(link)")
        }
        for path in ["var/snap/demo/2", "root/snap/demo/2", "home/alice/snap/demo/2", "home/alice/snap/demo/2.refreshctl-partial"] {
            #expect(T.type(root + "/" + path) == nil, "\(path)")
        }
        #expect(T.type(data + "/1/big") == S_IFREG)
        #expect(!FileManager.default.fileExists(atPath: root + "/var/lib/refreshctl/journal.json"))
    }

    @Test func removalListsWhatWasWrittenAfterTheSwitchAndNeverCrossesAMount() throws {
        let root = try T.temporaryDirectory("user-gc")
        defer { T.removeTree(root) }
        let store = try Self.makeHost(root)
        let now = Int64(time(nil))
        let left = Timestamp(secondsSinceEpoch: now - 100)
        // Written before the switch (an hour ago), then after it (now).
        let old = timespec(tv_sec: Int(now - 3600), tv_nsec: 0)
        for path in ["var/snap/demo/1/sub/state", "home/alice/snap/demo/1/.config/settings", "root/snap/demo/1/.config/settings"] {
            var times = [old, old]
            try T.check(utimensat(AT_FDCWD, root + "/" + path, &times, AT_SYMLINK_NOFOLLOW), "utimensat", path)
        }
        try Data("late\n".utf8).write(to: URL(fileURLWithPath: root + "/home/alice/snap/demo/1/.config/late.log"))
        try Data("late\n".utf8).write(to: URL(fileURLWithPath: root + "/var/snap/demo/1/sub/journal"))
        // A file system mounted in root's data: that directory stays, whole.
        let mountPoint = root + "/root/snap/demo/1/mnt"
        try T.check(mkdir(mountPoint, 0o755), "mkdir", mountPoint)
        try T.check(mount("tmpfs", mountPoint, "tmpfs", 0, "size=1m"), "mount", mountPoint)
        defer { umount2(mountPoint, Int32(MNT_DETACH)) }
        try Data("other fs\n".utf8).write(to: URL(fileURLWithPath: mountPoint + "/file"))

        let dry = store.removeData(T.demo, T.one, writtenSince: left, dryRun: true)
        #expect(dry.lateWrites == [root + "/home/alice/snap/demo/1/.config/late.log", root + "/var/snap/demo/1/sub/journal"])
        #expect(T.type(root + "/var/snap/demo/1/sub/journal") == S_IFREG)

        let removal = store.removeData(T.demo, T.one, writtenSince: left, dryRun: false)
        #expect(removal == DataRemoval(
            directories: [root + "/var/snap/demo/1", root + "/home/alice/snap/demo/1"],
            lateWrites: [root + "/home/alice/snap/demo/1/.config/late.log", root + "/var/snap/demo/1/sub/journal"], lateWriteCount: 2,
            problems: ["\(root)/root/snap/demo/1 stays: \(mountPoint) is a mount point in it, and removal never crosses into another file system; unmount it, then run gc again"]))
        #expect(T.type(root + "/var/snap/demo/1") == nil)
        #expect(T.type(root + "/home/alice/snap/demo/1") == nil)
        #expect(FileManager.default.fileExists(atPath: mountPoint + "/file"))
        #expect(FileManager.default.fileExists(atPath: root + "/root/snap/demo/1/.config/settings"))
        // The other revisions and the shared data are untouched.
        #expect(T.type(root + "/var/snap/demo/common") == S_IFDIR)
    }

    /// The whole story through the engine on a real tree: apply copies and switches every
    /// user's data, revert switches it back, a second apply switches again without copying over
    /// anything, and gc removes the old revision's data with it, listing what was written there
    /// after the switch; with keep-data the data stays.
    /// `status` says which homes hold users' data of each revision (what `gc` would remove with
    /// it), in text and JSON.
    @Test func statusShowsTheUsersDataOfEachRevision() throws {
        let root = try T.temporaryDirectory("user-status")
        defer { T.removeTree(root) }
        _ = try Self.makeHost(root)
        let text = try runProduct("refreshctl", ["status", "--root", root])
        #expect(text.code == 0, "\(text.err)")
        let lines = text.out.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("  1 ") && $0.hasSuffix(", data of 2 users (\(root)/home/alice, \(root)/root)") }, "\(text.out)")
        #expect(lines.contains { $0.hasPrefix("  2 ") && !$0.contains("data of") }, "\(text.out)")
        let json = try runProduct("refreshctl", ["status", "--root", root, "--format", "json"])
        #expect(json.code == 0, "\(json.err)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as? [String: Any])
        let revisions = try #require(((object["snaps"] as? [[String: Any]])?.first { $0["name"] as? String == "demo" })?["revisions"] as? [[String: Any]])
        #expect(revisions.map { $0["revision"] as? String } == ["2", "1"])
        #expect(revisions.map { $0["user-data"] as? [String] } == [[], [root + "/home/alice", root + "/root"]])
        try SchemaTests.expectValid(json.out, against: "status.schema.json")
    }

    /// A home's name is shown with its control characters escaped, never sent to the terminal.
    @Test func aHomeNameWithAControlCharacterIsShownEscaped() throws {
        let scenario = try Scenario(parsing: "version: 1\nsnaps:\n  - {name: demo, current: 1, revisions: [1]}\n", file: "s.yaml")
        let status = HostStatus(state: scenario.state, listing: StoreListing(snaps: Array(scenario.state.snaps.values)), retain: 2, names: [])
            .withUserData { _, _ in ["/home/ev\u{1B}[2Jil"] }
        #expect(status.text().contains("data of 1 user (/home/ev\\u{1B}[2Jil)"), "\(status.text())")
        #expect(!status.text().contains("\u{1B}"))
    }

    /// A crash between the system `current` switch and the users' leaves the journal in its
    /// switching phase: `recover` switches again, and every user's link follows (the system's
    /// switch is idempotent). Simulated: a crash right after the journal says "switching", then
    /// the system links switched by hand, as a crash in the middle would leave them.
    @Test(arguments: [false, true])
    func recoverSwitchesTheUsersLinksAfterACrashBetweenTheSwitches(systemSwitched: Bool) async throws {
        let root = try T.temporaryDirectory("user-crash")
        defer { T.removeTree(root) }
        _ = try Self.makeHost(root)
        var crashing = RefreshEngine(adapters: .linux(root: root, serviceManager: .none))
        crashing.crashHook = { name throws(RefreshCoreError) in
            if name == "journal:switching" { throw RefreshCoreError(.simulatedCrash, "crashed at \(name)") }
        }
        let policy = LoadedPolicy(policy: try Policy(parsing: "version: 1\n", file: "policy.yaml"), source: nil)
        await #expect(throws: RefreshCoreError.self) {
            try await crashing.apply(try RefreshRequest(parsing: ["demo=2"]), policy: policy, wait: false)
        }
        #expect(FileManager.default.fileExists(atPath: root + "/var/lib/refreshctl/journal.json"))
        let users = ["home/alice/snap/demo/current", "root/snap/demo/current"]
        for link in users { #expect(T.readLink(root + "/" + link) == "1", "\(link)") }
        if systemSwitched {
            // What the store's system switch does, without the users' part that follows it.
            for directory in ["snap/demo", "var/snap/demo"] {
                try T.check(symlink("2", root + "/" + directory + "/.current.crash"), "symlink", directory)
                try T.check(rename(root + "/" + directory + "/.current.crash", root + "/" + directory + "/current"), "rename", directory)
            }
        }
        let report = try #require(try await RefreshEngine(adapters: .linux(root: root, serviceManager: .none)).recover(policy: policy, wait: false))
        #expect(report.snaps.map(\.outcome) == [.refreshed], "\(report.text())")
        for link in ["snap/demo/current", "var/snap/demo/current"] + users {
            #expect(T.readLink(root + "/" + link) == "2", "\(link)")
        }
        #expect(Self.owner(root + "/home/alice/snap/demo/current") == "1000:1000")
        #expect(T.type(root + "/home/alice/snap/demo/2/.config/settings") == S_IFREG)
        #expect(!FileManager.default.fileExists(atPath: root + "/var/lib/refreshctl/journal.json"))
    }

    @Test(arguments: [false, true])
    func applyRevertAndGcCarryUsersDataAlong(keepData: Bool) async throws {
        let root = try T.temporaryDirectory("user-story")
        defer { T.removeTree(root) }
        _ = try Self.makeHost(root)
        let engine = RefreshEngine(adapters: .linux(root: root, serviceManager: .none))
        let policy = LoadedPolicy(policy: try Policy(parsing: "version: 1\ndefaults:\n  keep-data: \(keepData)\n", file: "policy.yaml"), source: nil)
        let links = ["snap/demo/current", "var/snap/demo/current", "home/alice/snap/demo/current", "root/snap/demo/current"]
        let applied = try await engine.apply(try RefreshRequest(parsing: ["demo=2"]), policy: policy, wait: false)
        #expect(applied.snaps.first?.outcome == .refreshed, "\(applied.text())")
        #expect(applied.warnings == [])
        for link in links { #expect(T.readLink(root + "/" + link) == "2", "\(link)") }
        #expect(T.type(root + "/home/alice/snap/demo/2/.config/settings") == S_IFREG)
        #expect(FileManager.default.fileExists(atPath: root + "/var/lib/refreshctl/left/demo_1"))
        // The new revision writes its own data.
        try Data("new\n".utf8).write(to: URL(fileURLWithPath: root + "/home/alice/snap/demo/2/.config/from-2"))

        let reverted = try await engine.revert(T.demo, to: nil, policy: policy, wait: false)
        #expect(reverted.snaps.first?.outcome == .refreshed, "\(reverted.text())")
        for link in links { #expect(T.readLink(root + "/" + link) == "1", "\(link)") }

        let again = try await engine.apply(try RefreshRequest(parsing: ["demo=2"]), policy: policy, wait: false)
        #expect(again.snaps.first?.outcome == .refreshed, "\(again.text())")
        for link in links { #expect(T.readLink(root + "/" + link) == "2", "\(link)") }
        // Never copied over: what revision 2 wrote is still there.
        #expect(T.type(root + "/home/alice/snap/demo/2/.config/from-2") == S_IFREG)
        // A process of revision 1 writes on after the switch.
        try Data("late\n".utf8).write(to: URL(fileURLWithPath: root + "/home/alice/snap/demo/1/.config/after-switch"))

        let records = StateRecords(layout: HostLayout(root: root))
        let left = try #require(records.leftAt(T.demo, T.one))
        let report = try engine.collectGarbage(retain: 1, dryRun: false, wait: false, policy: policy.policy)
        let directories = "\(root)/var/snap/demo/1, \(root)/home/alice/snap/demo/1, \(root)/root/snap/demo/1"
        // The recorded time goes with the data, and stays with kept data.
        #expect((records.leftAt(T.demo, T.one) != nil) == keepData)
        if keepData {
            #expect(report.text() == "demo revision 1: removed\n  data kept (policy.yaml:3: defaults keep-data: true): \(directories)\n")
            #expect(T.type(root + "/home/alice/snap/demo/1/.config/after-switch") == S_IFREG)
        } else {
            #expect(report.text().hasPrefix("demo revision 1: removed\n  data removed: \(directories)\n  written after revision 1 stopped being current (\(left)), "))
            #expect(report.text().contains("\n    \(root)/home/alice/snap/demo/1/.config/after-switch\n"))
            for path in ["home/alice/snap/demo/1", "root/snap/demo/1", "var/snap/demo/1"] {
                #expect(T.type(root + "/" + path) == nil, "\(path)")
            }
        }
        #expect(T.type(root + "/snap/demo/1") == nil)
        #expect(T.type(root + "/home/alice/snap/demo/2/.config/settings") == S_IFREG)
    }
}
