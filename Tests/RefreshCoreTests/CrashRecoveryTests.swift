import Foundation
import Testing
@testable import RefreshCore
@testable import RefreshHost
import RefreshIO

#if canImport(Glibc)
import Glibc
#endif

/// `apply` killed with SIGKILL at every journal step, then `recover`: DESIGN.md's invariants
/// hold on a real root with squashfs revisions and live processes.
@Suite(.serialized, .enabled(if: ToyHost.available, ToyHost.reason), .timeLimit(.minutes(10)))
struct CrashRecoveryTests {
    static func policy(_ host: ToyHost) -> String {
        """
        version: 1
        rules:
          - snap: rec-toy
            on-refresh: leave-running
          - snap: kill-toy
            on-refresh: kill
          - snap: svc-toy
            on-refresh: restart
            restart-command: ["\(host.path("start-svc"))"]

        """
    }

    /// rec-toy and kill-toy at revision 2 (current), 3 staged and not mounted; a signal-recording
    /// process left running on rec-toy 2, a victim on kill-toy 2; rec-toy 2 has data.
    func makeHost() throws -> (ToyHost, recorder: Int32, victim: Int32) {
        let host = try ToyHost()
        try host.addSnap("rec-toy", revisions: ["1", "2", "3"], mounted: ["1", "2"], current: "2",
                         snapYAML: { "name: rec-toy\nversion: '\($0)'\napps:\n  rec:\n    command: bin/sh\n" },
                         files: ["bin/sh": .copy("/bin/sh"), "bin/rec": .text(RefreshStoryTests.recorder(), mode: 0o755)])
        try host.addSnap("kill-toy", revisions: ["1", "2", "3"], mounted: ["1", "2"], current: "2",
                         snapYAML: { "name: kill-toy\nversion: '\($0)'\napps:\n  k:\n    command: bin/k\n" },
                         files: ["bin/k": .copy("/bin/sleep")])
        let fm = FileManager.default
        try fm.createDirectory(atPath: host.path("var/snap/rec-toy/2/sub"), withIntermediateDirectories: true)
        try fm.createDirectory(atPath: host.path("var/snap/rec-toy/common"), withIntermediateDirectories: true)
        try "precious\n".write(toFile: host.path("var/snap/rec-toy/2/state"), atomically: true, encoding: .utf8)
        chmod(host.path("var/snap/rec-toy/2/state"), 0o600)
        try "nested\n".write(toFile: host.path("var/snap/rec-toy/2/sub/file"), atomically: true, encoding: .utf8)
        try fm.createSymbolicLink(atPath: host.path("var/snap/rec-toy/2/link"), withDestinationPath: "sub/file")
        try fm.createSymbolicLink(atPath: host.path("var/snap/rec-toy/current"), withDestinationPath: "2")
        // A user's data of rec-toy 2, alice's (uid 1000).
        try fm.createDirectory(atPath: host.path("home/alice/snap/rec-toy/2"), withIntermediateDirectories: true)
        try "mine\n".write(toFile: host.path("home/alice/snap/rec-toy/2/notes"), atomically: true, encoding: .utf8)
        try fm.createSymbolicLink(atPath: host.path("home/alice/snap/rec-toy/current"), withDestinationPath: "2")
        for path in ["home/alice", "home/alice/snap", "home/alice/snap/rec-toy", "home/alice/snap/rec-toy/2", "home/alice/snap/rec-toy/2/notes", "home/alice/snap/rec-toy/current"] {
            lchown(host.path(path), 1000, 1000)
        }
        try fm.createDirectory(atPath: host.path("logs"), withIntermediateDirectories: true)
        // A daemon restarted with a restart-command that counts its runs.
        try host.addSnap("svc-toy", revisions: ["1", "2", "3"], mounted: ["1", "2"], current: "2",
                         snapYAML: { "name: svc-toy\nversion: '\($0)'\napps:\n  svc:\n    command: bin/sh\n    daemon: simple\n" },
                         files: ["bin/sh": .copy("/bin/sh"), "bin/rec": .text(RefreshStoryTests.recorder(), mode: 0o755)])
        try "#!/bin/sh\necho started >> \(host.path("logs/starts"))\n".write(toFile: host.path("start-svc"), atomically: true, encoding: .utf8)
        chmod(host.path("start-svc"), 0o755)
        try Self.policy(host).write(toFile: host.path("policy.yaml"), atomically: true, encoding: .utf8)
        _ = try host.start(host.path("snap/svc-toy/2/bin/sh"), [host.path("snap/svc-toy/2/bin/rec"), host.path("logs/svc")], execs: "sh")
        let recorder = try host.start(host.path("snap/rec-toy/2/bin/sh"), [host.path("snap/rec-toy/2/bin/rec"), host.path("logs/rec")], execs: "sh")
        let victim = try host.start(host.path("snap/kill-toy/2/bin/k"), execs: "k")
        usleep(200_000)
        return (host, recorder, victim)
    }

    func runApply(_ host: ToyHost, crashAt point: String) throws -> ProductRun {
        var environment = ProcessInfo.processInfo.environment
        environment["REFRESHCTL_TESTING_CRASH_AT"] = point
        return try runProduct(
            "refreshctl", ["apply", "--quiet", "--root", host.root, "--policy", host.path("policy.yaml"), "rec-toy", "kill-toy", "svc-toy"],
            environment: environment)
    }

    func alive(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
        return !stat[stat.range(of: ")", options: .backwards)!.upperBound...].hasPrefix(" Z")
    }

    @Test(arguments: RefreshEngine.crashPoints)
    func recoverAfterACrashAt(point: String) throws {
        let (host, recorder, victim) = try makeHost()
        defer { host.tearDown() }
        let fm = FileManager.default
        let crashed = try runApply(host, crashAt: point)
        #expect(!crashed.exited && crashed.code == SIGKILL, "\(crashed.out)\(crashed.err)")
        #expect(fm.fileExists(atPath: host.path("var/lib/refreshctl/journal.json")))
        // A new apply refuses to run over an interrupted one.
        let blocked = try ToyHost.refreshctl(["apply", "--root", host.root, "rec-toy"])
        #expect(blocked.code == 1 && blocked.err.contains("run 'refreshctl recover' first"))

        let recovered = try ToyHost.refreshctl(["recover", "--root", host.root, "--policy", host.path("policy.yaml")])
        #expect(recovered.code == 0, "\(recovered.out)\(recovered.err)")
        let again = try ToyHost.refreshctl(["recover", "--root", host.root])
        #expect(again.code == 0 && again.out == "nothing to recover\n")
        #expect(!fm.fileExists(atPath: host.path("var/lib/refreshctl/journal.json")))

        let switched = !["journal:staging", "done:staging"].contains(point)
        for snap in ["rec-toy", "kill-toy"] {
            // current names an installed revision: the old one if the crash came before the switch.
            let current = try fm.destinationOfSymbolicLink(atPath: host.path("snap/\(snap)/current"))
            #expect(current == (switched ? "3" : "2"))
            #expect(fm.fileExists(atPath: host.path("snap/\(snap)/\(current)/meta/snap.yaml")))
        }
        // The leave-running process was never signalled and still runs from revision 2, mounted.
        #expect(alive(recorder))
        #expect(try String(contentsOfFile: host.path("logs/rec"), encoding: .utf8) == "started\n")
        #expect(host.store.isMounted(SnapName("rec-toy")!, Revision("2")!))
        // The kill victim is dead once the refresh was finished, alive when it was rolled back.
        #expect(alive(victim) == !switched)
        // The daemon was started again exactly once when the refresh was finished, however far
        // the interrupted apply had got; never when it was rolled back.
        let starts = (try? String(contentsOfFile: host.path("logs/starts"), encoding: .utf8)) ?? ""
        #expect(starts == (switched ? "started\n" : ""))
        // The old revision's data is intact; the new one is a full copy, or gone with the rollback.
        for dir in switched ? ["2", "3"] : ["2"] {
            #expect(try String(contentsOfFile: host.path("var/snap/rec-toy/\(dir)/state"), encoding: .utf8) == "precious\n")
            #expect(try String(contentsOfFile: host.path("var/snap/rec-toy/\(dir)/sub/file"), encoding: .utf8) == "nested\n")
            #expect(try fm.destinationOfSymbolicLink(atPath: host.path("var/snap/rec-toy/\(dir)/link")) == "sub/file")
            #expect((try fm.attributesOfItem(atPath: host.path("var/snap/rec-toy/\(dir)/state"))[.posixPermissions] as? Int) == 0o600)
        }
        if !switched {
            #expect(!fm.fileExists(atPath: host.path("var/snap/rec-toy/3")))
            #expect(!host.store.isMounted(SnapName("rec-toy")!, Revision("3")!))
        }
        #expect(!fm.fileExists(atPath: host.path("var/snap/rec-toy/3.refreshctl-partial")))
        #expect(fm.fileExists(atPath: host.path("var/snap/rec-toy/common")))
        #expect(try fm.destinationOfSymbolicLink(atPath: host.path("var/snap/rec-toy/current")) == (switched ? "3" : "2"))
        // The user's data follows the system's: copied and switched, or its copy gone with the rollback.
        #expect(try fm.destinationOfSymbolicLink(atPath: host.path("home/alice/snap/rec-toy/current")) == (switched ? "3" : "2"))
        #expect(fm.fileExists(atPath: host.path("home/alice/snap/rec-toy/3/notes")) == switched)
        #expect(try String(contentsOfFile: host.path("home/alice/snap/rec-toy/2/notes"), encoding: .utf8) == "mine\n")
        #expect(!fm.fileExists(atPath: host.path("home/alice/snap/rec-toy/3.refreshctl-partial")))
    }
}
