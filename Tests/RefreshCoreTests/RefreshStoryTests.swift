import Foundation
import Testing
@testable import RefreshCore
@testable import RefreshHost
import RefreshIO

#if canImport(Glibc)
import Glibc
#endif

/// The seed's story on a real root: squashfs revisions, real processes, `refreshctl apply`,
/// then `gc` once the survivors exit.
@Suite(.serialized, .enabled(if: ToyHost.available, ToyHost.reason), .timeLimit(.minutes(5)))
struct RefreshStoryTests {
    /// A shell script run by the snap's own copy of `sh`, so /proc shows it running from the
    /// revision: it logs every signal it gets to `$1`, and exits on those it does not ignore.
    static func recorder(ignoring: [String] = [], exitOn: [String] = ["INT", "TERM", "HUP", "USR1", "USR2"]) -> String {
        var lines = ["#!/bin/sh", "log=\"$1\""]
        for signal in ignoring { lines.append("trap 'echo \(signal) >> \"$log\"' \(signal)") }
        for signal in exitOn where !ignoring.contains(signal) { lines.append("trap 'echo \(signal) >> \"$log\"; exit 0' \(signal)") }
        lines.append("echo $$ > \"$log.pid\"")
        lines.append("echo started >> \"$log\"")
        lines.append("while :; do sleep 0.05; done")
        return lines.joined(separator: "\n") + "\n"
    }

    static let policy = """
        version: 1
        defaults:
          on-refresh: shutdown
          timeout: 5s
          then: kill
        rules:
          - snap: "qemu-*"
            on-refresh: leave-running
          - snap: vlc-toy
            on-refresh: leave-running
          - snap: svc-toy
            on-refresh: shutdown
            signal: SIGINT
            timeout: 10s
          - snap: stubborn-toy
            on-refresh: shutdown
            signal: SIGTERM
            timeout: 1s
            then: kill
          - snap: kill-toy
            on-refresh: kill

        """

    /// toybase 1, 2 (current), 3 (staged); five app snaps with 1, 2 (current), 3 (staged).
    func makeHost() throws -> ToyHost {
        let host = try ToyHost()
        try host.addSnap("toybase", revisions: ["1", "2", "3"], current: "2",
                         snapYAML: { "name: toybase\nversion: '\($0)'\ntype: base\n" }, files: ToyHost.baseFiles)
        func app(_ name: String, _ apps: String, _ files: [String: ToyHost.Content]) throws {
            try host.addSnap(name, revisions: ["1", "2", "3"], current: "2", snapYAML: { "name: \(name)\nversion: '\($0)'\nbase: toybase\napps:\n\(apps)" }, files: files)
            try FileManager.default.createDirectory(atPath: host.path("var/snap/\(name)/2"), withIntermediateDirectories: true)
            try "state of \(name)\n".write(toFile: host.path("var/snap/\(name)/2/state"), atomically: true, encoding: .utf8)
        }
        try app("qemu-toy", "  qemu:\n    command: bin/qemu\n", ["bin/qemu": .copy("/bin/sleep")])
        try app("vlc-toy", "  vlc:\n    command: bin/vlc\n", ["bin/vlc": .copy("/bin/sleep")])
        let sh: ToyHost.Content = .copy("/bin/sh")
        try app("svc-toy", "  svc:\n    command: bin/sh\n    daemon: simple\n", [
            "bin/sh": sh, "bin/svc": .text(Self.recorder(), mode: 0o755),
            // A stop tool that says which revision it came from and asks the daemon to stop.
            "bin/stop": .text("#!/bin/sh\necho \"stop tool $0\" >> \"$1\"\nkill -INT $(cat \"$1.pid\")\n", mode: 0o755),
        ])
        try app("stubborn-toy", "  stubborn:\n    command: bin/sh\n    daemon: simple\n", ["bin/sh": sh, "bin/svc": .text(Self.recorder(ignoring: ["TERM"]), mode: 0o755)])
        try app("kill-toy", "  k:\n    command: bin/k\n", ["bin/k": .copy("/bin/sleep")])
        try Self.policy.write(toFile: host.path("policy.yaml"), atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: host.path("logs"), withIntermediateDirectories: true)
        return host
    }

    func alive(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
        return !stat[stat.range(of: ")", options: .backwards)!.upperBound...].hasPrefix(" Z")
    }

    func exe(_ pid: Int32) -> String? { try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe") }

    func log(_ host: ToyHost, _ name: String) -> [String] {
        ((try? String(contentsOfFile: host.path("logs/\(name)"), encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    func current(_ host: ToyHost, _ snap: String) -> String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: host.path("snap/\(snap)/current"))
    }

    @Test func leaveRunningShutdownKillAndCollection() throws {
        let host = try makeHost()
        defer { host.tearDown() }
        // The guest runs on the current revision and the base's previous one (started before the
        // base was last refreshed); the player runs on the current revision and an older one.
        let guest = try host.startOnBase("toybase", "1", program: host.path("snap/qemu-toy/2/bin/qemu"))
        let movie = try host.start(host.path("snap/vlc-toy/2/bin/vlc"), execs: "vlc")
        let oldMovie = try host.start(host.path("snap/vlc-toy/1/bin/vlc"), execs: "vlc")
        let service = try host.start(host.path("snap/svc-toy/2/bin/sh"), [host.path("snap/svc-toy/2/bin/svc"), host.path("logs/svc")], execs: "sh")
        let stubborn = try host.start(host.path("snap/stubborn-toy/2/bin/sh"), [host.path("snap/stubborn-toy/2/bin/svc"), host.path("logs/stubborn")], execs: "sh")
        let victim = try host.start(host.path("snap/kill-toy/2/bin/k"), execs: "k")
        usleep(200_000)  // let the scripts install their traps

        let planned = try ToyHost.refreshctl(["plan", "--root", host.root, "--policy", host.path("policy.yaml"), "--format", "json",
                                              "qemu-toy", "vlc-toy", "svc-toy", "stubborn-toy", "kill-toy", "toybase"])
        #expect(planned.code == 0)
        let started = Date()
        let applied = try ToyHost.refreshctl(["apply", "--root", host.root, "--policy", host.path("policy.yaml"), "--format", "json",
                                              "qemu-toy", "vlc-toy", "svc-toy", "stubborn-toy", "kill-toy", "toybase"])
        let elapsed = Date().timeIntervalSince(started)
        #expect(applied.code == 0, "\(applied.err)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(applied.out.utf8)) as? [String: Any])
        let outcomes = Dictionary(uniqueKeysWithValues: (report["processes"] as! [[String: Any]]).map { ($0["pid"] as! Int, $0["outcome"] as! String) })
        #expect(outcomes == [Int(guest): "left-running", Int(movie): "left-running", Int(oldMovie): "left-running",
                             Int(service): "exited", Int(stubborn): "killed", Int(victim): "killed"])
        // Apply did what plan said, process by process.
        let plannedActions = Set(((try JSONSerialization.jsonObject(with: Data(planned.out.utf8)) as! [String: Any])["snaps"] as! [[String: Any]])
            .flatMap { ($0["processes"] as! [[String: Any]]).map { "\($0["pid"]!):\($0["action"]!)" } })
        let appliedActions = Set((report["processes"] as! [[String: Any]]).map { "\($0["pid"]!):\($0["action"]!)" })
        #expect(plannedActions == appliedActions)
        // All at once: the 1s timeout did not wait behind anything else.
        #expect(elapsed < 8)

        // The guest and the movies keep running, from their old revisions, which stay mounted.
        for pid in [guest, movie, oldMovie] { #expect(alive(pid)) }
        #expect(exe(movie) == host.path("snap/vlc-toy/2/bin/vlc"))
        #expect(exe(oldMovie) == host.path("snap/vlc-toy/1/bin/vlc"))
        #expect(host.store.isMounted(SnapName("vlc-toy")!, Revision("1")!))
        #expect(FileManager.default.fileExists(atPath: host.path("snap/qemu-toy/2/bin/qemu")))
        // The daemon got the configured signal and exited; the stubborn one ignored SIGTERM and was killed; the victim died.
        #expect(log(host, "svc") == ["started", "INT"])
        #expect(log(host, "stubborn") == ["started", "TERM"])
        for pid in [service, stubborn, victim] { #expect(!alive(pid)) }
        // current moved; the new revisions got a copy of the data, the old data is untouched.
        for snap in ["qemu-toy", "vlc-toy", "svc-toy", "stubborn-toy", "kill-toy", "toybase"] { #expect(current(host, snap) == "3") }
        #expect(try String(contentsOfFile: host.path("var/snap/vlc-toy/3/state"), encoding: .utf8) == "state of vlc-toy\n")
        #expect(try String(contentsOfFile: host.path("var/snap/vlc-toy/2/state"), encoding: .utf8) == "state of vlc-toy\n")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: host.path("var/snap/vlc-toy/current")) == "3")

        // Revision 1 goes wherever nothing holds it; vlc-toy 1 and toybase 1 stay while used.
        let snaps = report["snaps"] as! [[String: Any]]
        func removed(_ name: String) -> [String] { snaps.first { $0["name"] as? String == name }!["removed"] as! [String] }
        func kept(_ name: String) -> [String] { (snaps.first { $0["name"] as? String == name }!["kept"] as! [[String: String]]).map { "\($0["revision"]!): \($0["why"]!)" } }
        #expect(kept("vlc-toy") == ["3: current after the refresh", "2: retained (retain: 2); in use by 1 process", "1: in use by 1 process"])
        #expect(kept("toybase") == ["3: current after the refresh", "2: retained (retain: 2)", "1: in use by 1 process"])
        #expect(removed("kill-toy") == ["1"] && removed("svc-toy") == ["1"] && removed("qemu-toy") == ["1"])
        #expect(removed("vlc-toy").isEmpty && removed("toybase").isEmpty)
        #expect(!FileManager.default.fileExists(atPath: host.path("snap/kill-toy/1")))
        #expect(!FileManager.default.fileExists(atPath: host.path("var/lib/snapd/snaps/kill-toy_1.snap")))
        #expect(FileManager.default.fileExists(atPath: host.path("snap/vlc-toy/1/bin/vlc")))
        #expect(FileManager.default.fileExists(atPath: host.path("snap/toybase/1/lib64/ld-linux-x86-64.so.2")))

        // gc keeps what is still used ...
        let early = try ToyHost.refreshctl(["gc", "--root", host.root, "--dry-run"])
        #expect(early.code == 0 && early.out == "nothing to collect\n")
        // ... and collects each old revision once its last user is gone; data stays.
        host.stop(oldMovie)
        let afterMovie = try ToyHost.refreshctl(["gc", "--root", host.root])
        #expect(afterMovie.out == "vlc-toy revision 1: removed\n")
        #expect(!host.store.isMounted(SnapName("vlc-toy")!, Revision("1")!))
        #expect(!FileManager.default.fileExists(atPath: host.path("snap/vlc-toy/1")))
        #expect(!FileManager.default.fileExists(atPath: host.path("var/lib/snapd/snaps/vlc-toy_1.snap")))
        #expect(alive(movie) && alive(guest))
        host.stop(guest)
        let afterGuest = try ToyHost.refreshctl(["gc", "--root", host.root])
        #expect(afterGuest.out == "toybase revision 1: removed\n")
        #expect(FileManager.default.fileExists(atPath: host.path("snap/toybase/2/lib64/ld-linux-x86-64.so.2")))
    }

    @Test func gcWatchCollectsAsTheLastUserExits() throws {
        let host = try makeHost()
        defer { host.tearDown() }
        let old = try host.start(host.path("snap/vlc-toy/1/bin/vlc"), execs: "vlc")
        // After the refresh, retain 2 keeps 3 (current) and 2: only 1 can go, once `old` exits.
        let applied = try ToyHost.refreshctl(["apply", "--root", host.root, "--policy", host.path("policy.yaml"), "vlc-toy"])
        #expect(applied.code == 0)
        #expect(applied.out.contains("kept revision 1: in use by 1 process"))
        let watcher = Process()
        watcher.executableURL = try productURL("refreshctl")
        watcher.arguments = ["gc", "--root", host.root, "--watch", "vlc-toy"]
        let out = Pipe()
        watcher.standardOutput = out
        try watcher.run()
        usleep(500_000)
        #expect(watcher.isRunning)
        #expect(host.store.isMounted(SnapName("vlc-toy")!, Revision("1")!))
        host.stop(old)
        watcher.waitUntilExit()
        #expect(watcher.terminationStatus == 0)
        #expect(String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) == "vlc-toy revision 1: removed\n")
        #expect(!FileManager.default.fileExists(atPath: host.path("snap/vlc-toy/1")))
    }

    @Test func aSecondApplyExits4WhileTheLockIsHeld() throws {
        let host = try makeHost()
        defer { host.tearDown() }
        let lock = try HostLock(layout: HostLayout(root: host.root), wait: false)
        let second = try ToyHost.refreshctl(["apply", "--root", host.root, "vlc-toy"])
        #expect(second.code == 4)
        #expect(second.err.contains("another refresh holds the lock \(host.root)/var/lib/refreshctl/lock: refreshctl pid \(getpid())"))
        #expect(current(host, "vlc-toy") == "2")
        withExtendedLifetime(lock) {}
    }

    @Test func abortSwitchesBackAndExits1() throws {
        let host = try makeHost()
        defer { host.tearDown() }
        let stubborn = try host.start(host.path("snap/stubborn-toy/2/bin/sh"), [host.path("snap/stubborn-toy/2/bin/svc"), host.path("logs/stubborn")], execs: "sh")
        usleep(200_000)
        let policy = "version: 1\nrules:\n  - snap: stubborn-toy\n    on-refresh: shutdown\n    timeout: 1s\n    then: abort\n"
        try policy.write(toFile: host.path("abort.yaml"), atomically: true, encoding: .utf8)
        let applied = try ToyHost.refreshctl(["apply", "--root", host.root, "--policy", host.path("abort.yaml"), "stubborn-toy"])
        #expect(applied.code == 1)
        #expect(applied.out.contains("stubborn-toy: rolled back (2 -> 3): stubborn-toy.stubborn (pid \(stubborn)) did not exit within 1s and its policy says then: abort; current is back at 2"))
        #expect(current(host, "stubborn-toy") == "2")
        #expect(alive(stubborn))
        #expect(log(host, "stubborn") == ["started", "TERM"])
    }

    @Test func revertGoesBackToThePreviousRevisionWithItsOwnData() throws {
        let host = try makeHost()
        defer { host.tearDown() }
        try FileManager.default.createDirectory(atPath: host.path("var/snap/vlc-toy/1"), withIntermediateDirectories: true)
        try "old state\n".write(toFile: host.path("var/snap/vlc-toy/1/state"), atomically: true, encoding: .utf8)
        let player = try host.start(host.path("snap/vlc-toy/2/bin/vlc"), execs: "vlc")
        let reverted = try ToyHost.refreshctl(["revert", "--root", host.root, "--policy", host.path("policy.yaml"), "vlc-toy"])
        #expect(reverted.code == 0, "\(reverted.err)")
        #expect(reverted.out.hasPrefix("vlc-toy: refreshed 2 -> 1\n"))
        #expect(current(host, "vlc-toy") == "1")
        #expect(try String(contentsOfFile: host.path("var/snap/vlc-toy/1/state"), encoding: .utf8) == "old state\n")
        #expect(alive(player))  // left running by policy, on revision 2, which stays
        #expect(FileManager.default.fileExists(atPath: host.path("snap/vlc-toy/2/bin/vlc")))
        let bad = try ToyHost.refreshctl(["revert", "--root", host.root, "--to", "9", "vlc-toy"])
        #expect(bad.code == 2)
        #expect(bad.err.contains("cannot revert vlc-toy to revision 9"))
    }

    @Test func restartStopsTheDaemonAndStartsItAgainWithTheRestartCommand() throws {
        let host = try makeHost()
        defer { host.tearDown() }
        let service = try host.start(host.path("snap/svc-toy/2/bin/sh"), [host.path("snap/svc-toy/2/bin/svc"), host.path("logs/svc")], execs: "sh")
        usleep(200_000)
        // The restart command records that it ran and which revision `current` then names.
        let starter = host.path("start-svc")
        try "#!/bin/sh\nreadlink \(host.path("snap/svc-toy/current")) > \(host.path("logs/restarted"))\n".write(toFile: starter, atomically: true, encoding: .utf8)
        chmod(starter, 0o755)
        let policy = "version: 1\nrules:\n  - snap: svc-toy\n    on-refresh: restart\n    signal: SIGINT\n    restart-command: [\"\(starter)\"]\n"
        try policy.write(toFile: host.path("restart.yaml"), atomically: true, encoding: .utf8)
        let applied = try ToyHost.refreshctl(["apply", "--root", host.root, "--policy", host.path("restart.yaml"), "svc-toy"])
        #expect(applied.code == 0, "\(applied.err)")
        #expect(applied.out.contains("pid \(service) svc-toy.svc: restart: sent SIGINT, exited after"))
        #expect(applied.out.contains("started again with \(starter)"))
        #expect(log(host, "svc") == ["started", "INT"])
        #expect(try String(contentsOfFile: host.path("logs/restarted"), encoding: .utf8) == "3\n")
        #expect(!alive(service))
    }

    @Test(.enabled(if: (try? String(contentsOfFile: "/proc/1/comm", encoding: .utf8))?.hasPrefix("systemd") != true,
                   "with systemd as PID 1, restart goes through systemctl"))
    func aRestartNobodyCanCarryOutIsRefusedUpFront() throws {
        let host = try makeHost()
        defer { host.tearDown() }
        let service = try host.start(host.path("snap/svc-toy/2/bin/sh"), [host.path("snap/svc-toy/2/bin/svc"), host.path("logs/svc")], execs: "sh")
        usleep(200_000)
        let policy = "version: 1\nrules:\n  - snap: svc-toy\n    on-refresh: restart\n"
        try policy.write(toFile: host.path("restart.yaml"), atomically: true, encoding: .utf8)
        let planned = try ToyHost.refreshctl(["plan", "--root", host.root, "--policy", host.path("restart.yaml"), "svc-toy"])
        #expect(planned.code == 1)
        #expect(planned.out.hasPrefix("svc-toy: error: cannot restart svc-toy.svc (pid \(service)): systemd is not PID 1 here"))
        let applied = try ToyHost.refreshctl(["apply", "--root", host.root, "--policy", host.path("restart.yaml"), "svc-toy"])
        #expect(applied.code == 1)
        #expect(applied.out.contains("svc-toy: error: cannot restart svc-toy.svc (pid \(service)): systemd is not PID 1 here and the policy gives no restart-command for it"))
        #expect(current(host, "svc-toy") == "2")
        #expect(alive(service))
        #expect(log(host, "svc") == ["started"])
    }

    @Test func postponeRecordsWhenItStartedAndExits3() throws {
        let host = try makeHost()
        defer { host.tearDown() }
        let player = try host.start(host.path("snap/vlc-toy/2/bin/vlc"), execs: "vlc")
        let policy = "version: 1\nrules:\n  - snap: vlc-toy\n    on-refresh: postpone\n    max-postpone: 2d\n"
        try policy.write(toFile: host.path("postpone.yaml"), atomically: true, encoding: .utf8)
        let first = try ToyHost.refreshctl(["apply", "--root", host.root, "--policy", host.path("postpone.yaml"), "vlc-toy"])
        #expect(first.code == 3)
        let record = try String(contentsOfFile: host.path("var/lib/refreshctl/postponed/vlc-toy"), encoding: .utf8)
        let since = try #require(Timestamp(rfc3339: String(record.dropLast())))
        #expect(first.out == "vlc-toy: postponed (2 -> 3): until \(since + .days(2)) at the latest\n")
        #expect(current(host, "vlc-toy") == "2" && alive(player))
        // Asked again, the same window: the record is not moved.
        let second = try ToyHost.refreshctl(["apply", "--root", host.root, "--policy", host.path("postpone.yaml"), "vlc-toy"])
        #expect(second.code == 3 && second.out == first.out)
        // Once the app has exited, the refresh goes ahead and the record is gone.
        host.stop(player)
        let third = try ToyHost.refreshctl(["apply", "--root", host.root, "--policy", host.path("postpone.yaml"), "vlc-toy"])
        #expect(third.code == 0)
        #expect(current(host, "vlc-toy") == "3")
        #expect(!FileManager.default.fileExists(atPath: host.path("var/lib/refreshctl/postponed/vlc-toy")))
    }

    /// A hold keeps a snap where it is through apply (exit 3, nothing touched, nothing in its
    /// history); once lifted, the refresh goes ahead and `history` says what happened.
    @Test func aHeldSnapIsNotRefreshedAndTheRefreshAfterItIsInTheHistory() throws {
        let host = try makeHost()
        defer { host.tearDown() }
        let victim = try host.start(host.path("snap/kill-toy/2/bin/k"), execs: "k")
        let held = try ToyHost.refreshctl(["hold", "--root", host.root, "--for", "1h", "kill-toy"])
        #expect(held.code == 0, "\(held.err)")
        let blocked = try ToyHost.refreshctl(["apply", "--root", host.root, "--policy", host.path("policy.yaml"), "kill-toy"])
        #expect(blocked.code == 3)
        #expect(blocked.out.hasPrefix("kill-toy: held (2 -> 3): held until "))
        #expect(current(host, "kill-toy") == "2" && alive(victim))
        #expect(try ToyHost.refreshctl(["history", "--root", host.root]).out == "no refreshes recorded\n")

        #expect(try ToyHost.refreshctl(["unhold", "--root", host.root, "kill-toy"]).code == 0)
        let applied = try ToyHost.refreshctl(["apply", "--root", host.root, "--policy", host.path("policy.yaml"), "kill-toy"])
        #expect(applied.code == 0, "\(applied.err)")
        #expect(current(host, "kill-toy") == "3" && !alive(victim))
        let history = try ToyHost.refreshctl(["history", "--root", host.root, "--format", "json", "kill-toy"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(history.out.utf8)) as? [String: Any])
        let entry = try #require((object["entries"] as? [[String: Any]])?.first)
        #expect(entry["operation"] as? String == "apply" && entry["from"] as? String == "2" && entry["to"] as? String == "3")
        #expect(entry["outcome"] as? String == "refreshed")
        let results = try #require(entry["results"] as? [[String: Any]])
        #expect(results.map { "\($0["pid"]!) \($0["action"]!) \($0["outcome"]!)" } == ["\(victim) kill killed"])
        let text = try ToyHost.refreshctl(["history", "--root", host.root, "kill-toy"])
        #expect(text.out.contains(" kill-toy apply 2 -> 3: refreshed\n  pid \(victim) kill-toy.k: kill: killed: "))
    }

    /// A policy stop-command under `/snap/NAME/current/` runs the tool of the revision the
    /// process runs from, although `current` has moved on by then.
    @Test func aStopCommandRunsTheOldRevisionsTool() throws {
        let host = try makeHost()
        defer { host.tearDown() }
        let service = try host.start(host.path("snap/svc-toy/2/bin/sh"), [host.path("snap/svc-toy/2/bin/svc"), host.path("logs/svc")], execs: "sh")
        usleep(200_000)
        let policy = """
            version: 1
            rules:
              - snap: svc-toy
                on-refresh: shutdown
                stop-command: ["/snap/svc-toy/current/bin/stop", "\(host.path("logs/svc"))"]
                timeout: 10s

            """
        try policy.write(toFile: host.path("stop.yaml"), atomically: true, encoding: .utf8)
        let planned = try ToyHost.refreshctl(["plan", "--root", host.root, "--policy", host.path("stop.yaml"), "--explain", "svc-toy"])
        #expect(planned.out.contains("\n        how: run /snap/svc-toy/2/bin/stop \(host.path("logs/svc")), wait 10s, then kill\n"))
        let applied = try ToyHost.refreshctl(["apply", "--root", host.root, "--policy", host.path("stop.yaml"), "svc-toy"])
        #expect(applied.code == 0, "\(applied.err)")
        #expect(applied.out.contains("pid \(service) svc-toy.svc: shutdown: ran /snap/svc-toy/2/bin/stop \(host.path("logs/svc")), exited after"))
        #expect(log(host, "svc") == ["started", "stop tool \(host.path("snap/svc-toy/2/bin/stop"))", "INT"])
        #expect(!alive(service))
        #expect(current(host, "svc-toy") == "3")
    }

    /// Progress on stderr while waiting, silent with --quiet; --wait waits for the lock.
    @Test func progressWhileWaitingAndWaitingForTheLock() throws {
        let host = try makeHost()
        defer { host.tearDown() }
        let policy = "version: 1\nrules:\n  - snap: stubborn-toy\n    on-refresh: shutdown\n    timeout: 3s\n    then: kill\n"
        try policy.write(toFile: host.path("slow.yaml"), atomically: true, encoding: .utf8)
        let first = try host.start(host.path("snap/stubborn-toy/2/bin/sh"), [host.path("snap/stubborn-toy/2/bin/svc"), host.path("logs/a")], execs: "sh")
        usleep(200_000)
        let loud = try ToyHost.refreshctl(["apply", "--root", host.root, "--policy", host.path("slow.yaml"), "stubborn-toy=3"])
        #expect(loud.code == 0)
        #expect(loud.err.contains("waiting for stubborn-toy.stubborn (pid \(first)) to exit, "))
        #expect(loud.out.contains("pid \(first) stubborn-toy.stubborn: shutdown: sent SIGTERM, still running after 3s, killed"))

        // Back to 2 with a second stubborn process, quietly, while another holder has the lock.
        let second = try host.start(host.path("snap/stubborn-toy/3/bin/sh"), [host.path("snap/stubborn-toy/3/bin/svc"), host.path("logs/b")], execs: "sh")
        usleep(200_000)
        var lock: HostLock? = try HostLock(layout: HostLayout(root: host.root), wait: false)
        let waiter = Process()
        waiter.executableURL = try productURL("refreshctl")
        waiter.arguments = ["apply", "--quiet", "--wait", "--root", host.root, "--policy", host.path("slow.yaml"), "stubborn-toy=2"]
        let err = Pipe()
        waiter.standardError = err
        waiter.standardOutput = FileHandle.nullDevice
        try waiter.run()
        usleep(700_000)
        #expect(waiter.isRunning)  // waiting for the lock, not exiting 4
        #expect(current(host, "stubborn-toy") == "3")
        lock = nil
        _ = lock
        waiter.waitUntilExit()
        #expect(waiter.terminationStatus == 0)
        #expect(!String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).contains("waiting for"))
        #expect(current(host, "stubborn-toy") == "2")
        #expect(!alive(second))
    }
}
