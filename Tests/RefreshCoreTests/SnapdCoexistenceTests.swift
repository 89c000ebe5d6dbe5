import Foundation
import Testing
@testable import RefreshCore
@testable import RefreshHost

#if canImport(Glibc)
import Glibc
#endif

/// DESIGN.md, "Coexisting with snapd": on a root whose snaps snapd manages (its state file is
/// there and snapd runs for it), the commands that change the host refuse with exit 2 and say
/// why, changing nothing; the read-only ones work; a tree snapd does not manage is acted on.
@Suite(.serialized, .enabled(if: geteuid() == 0, "needs root: apply, revert, recover and gc refuse to run otherwise"), .timeLimit(.minutes(2)))
struct SnapdCoexistenceTests {
    typealias T = DataCopyTests

    /// The demo host, with snapd's state file and (when `running`) its API socket.
    static func makeHost(stateFile: Bool, running: Bool) throws -> String {
        let root = try T.temporaryDirectory("snapd")
        _ = try T.makeHost(root)
        if stateFile {
            try FileManager.default.createDirectory(atPath: root + "/var/lib/snapd", withIntermediateDirectories: true)
            try Data("{}\n".utf8).write(to: URL(fileURLWithPath: root + "/var/lib/snapd/state.json"))
        }
        if running {
            try FileManager.default.createDirectory(atPath: root + "/run", withIntermediateDirectories: true)
            try T.check(mknod(root + "/run/snapd.socket", S_IFSOCK | 0o666, 0), "mknod", "run/snapd.socket")
        }
        return root
    }

    @Test func theChangingCommandsRefuseOnASnapdManagedRootAndChangeNothing() throws {
        let root = try Self.makeHost(stateFile: true, running: true)
        defer { T.removeTree(root) }
        let presence = SnapdPresence.detect(root: root)
        #expect(presence == SnapdPresence(stateFile: root + "/var/lib/snapd/state.json", running: "its socket \(root)/run/snapd.socket is there"))
        #expect(presence.manages)
        let before = try Walk(root)
        for arguments in [["apply", "demo=2"], ["apply", "--all-staged"], ["revert", "demo"], ["recover"], ["gc"], ["gc", "--watch"], ["hold", "demo"], ["unhold", "demo"]] {
            let run = try runProduct("refreshctl", arguments + ["--root", root])
            let err = String(decoding: run.stderr, as: UTF8.self)
            #expect(run.code == 2, "\(arguments): \(err)")
            #expect(err.contains("refusing 'refreshctl \(arguments[0] == "gc" && arguments.count > 1 ? "gc --watch" : arguments[0])': snapd manages the snaps under \(root) (\(root)/var/lib/snapd/state.json exists and its socket \(root)/run/snapd.socket is there)"), "\(arguments): \(err)")
            #expect(err.contains("The read-only commands (plan, status, ps, history, snapshot, check, test) work on this host"))
            #expect(run.stdout.isEmpty)
        }
        #expect(try Walk(root).entries == before.entries)
        #expect(T.readLink(root + "/snap/demo/current") == "1")
        // The read-only commands work.
        for arguments in [["plan", "demo=2"], ["status"], ["ps"], ["history"], ["gc", "--dry-run"]] {
            let run = try runProduct("refreshctl", arguments + ["--root", root])
            #expect(run.code == 0, "\(arguments): \(String(decoding: run.stderr, as: UTF8.self))")
        }
    }

    @Test(arguments: [(true, false), (false, true)])
    func aTreeSnapdDoesNotManageIsActedOn(stateFile: Bool, running: Bool) throws {
        let root = try Self.makeHost(stateFile: stateFile, running: running)
        defer { T.removeTree(root) }
        #expect(!SnapdPresence.detect(root: root).manages)
        let run = try runProduct("refreshctl", ["apply", "demo=2", "--root", root, "--service-manager", "none"])
        #expect(run.code == 0, "\(String(decoding: run.stderr, as: UTF8.self))")
        #expect(T.readLink(root + "/snap/demo/current") == "2")
    }

    /// A process that runs snapd (an executable at .../snapd/snapd) with the tree as its root
    /// shows snapd runs for it; one whose root is another tree does not.
    @Test func aRunningSnapdProcessIsFoundByItsExecutableAndRoot() throws {
        let root = try T.temporaryDirectory("snapd-process")
        defer { T.removeTree(root) }
        let fake = root + "/usr/lib/snapd/snapd"
        try FileManager.default.createDirectory(atPath: root + "/usr/lib/snapd", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: "/bin/sleep", toPath: fake)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: fake)
        process.arguments = ["60"]
        try process.run()
        defer {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        let found = SnapdPresence.snapdProcess(root: "/", proc: "/proc")
        #expect(found != nil)
        if let found, found != process.processIdentifier {
            // Another snapd runs on this machine; it must be a real one.
            #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(found)/exe"))?.hasSuffix("/snapd/snapd") == true)
        }
        #expect(SnapdPresence.snapdProcess(root: root, proc: "/proc") == nil)
    }
}
