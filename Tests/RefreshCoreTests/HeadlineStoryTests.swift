import Foundation
import Testing
@testable import RefreshCore
@testable import RefreshHost
import RefreshIO

#if canImport(Glibc)
import Glibc
#endif

/// The headline case on the real kernel, without a service manager: libvirt and qemu in one
/// snap, libvirtd a service whose qemu guests run in its own cgroup; `refreshctl apply` restarts
/// libvirtd from the new revision and leaves the guests running on the old one, which stays
/// mounted until `gc --watch` collects it as the last guest exits. And who else is never acted
/// on: users of a revision, and the shell that runs refreshctl.
///
/// Every snap gets a name of its own (``ToyHost/uniqueSnapName(_:)``), so its service's cgroup
/// `snap.NAME.APP.service` holds this test's processes only, whatever else runs on the machine.
@Suite(.serialized, .enabled(if: ToyHost.available, ToyHost.reason), .timeLimit(.minutes(5)))
struct HeadlineStoryTests {
    static let canMakeCgroups = ToyHost.canWrite(ToyHost.unified)

    // MARK: The host

    /// A libvirt snap: revisions 1 (current), 2 (installed, as after a revert) and 3 (staged).
    /// A refresh from 1 to 3 retains 2 (retain: 2), so 1 stays only while something uses it.
    struct Libvirt {
        let name: String
        /// `snap.NAME.libvirtd.service` and its cgroup v2 directory.
        let unit: String
        let cgroup: String
        /// The log directory: `guests` and `daemons` (PIDs, one a line), `stops`, `restarts`.
        let logs: String
        /// Restarts the daemon through `current`, as a service manager would, with the number
        /// of guests its first argument says.
        let restartCommand: String
        /// Logs that it ran and sends SIGTERM to every process started so far.
        let stopCommand: String
    }

    /// The daemon: a script that joins its service's cgroup (as systemd would put it there),
    /// starts `$3` guests in it (copies of `sleep` installed as `usr/bin/qemu-system-x86_64`), and
    /// then becomes `usr/sbin/libvirtd` (another copy of `sleep`, which SIGTERM ends), so the
    /// guests are its children. Where it runs from follows from `$0`: through `current` after a
    /// restart.
    static let daemonScript = """
        #!/bin/sh
        # $1: the service's cgroup directory; $2: the log directory; $3: how many guests to start.
        here="${0%/bin/libvirtd}"
        echo $$ > "$1/cgroup.procs"
        i=0
        while [ "$i" -lt "$3" ]; do
          "$here/usr/bin/qemu-system-x86_64" 300 &
          echo $! >> "$2/guests"
          i=$((i + 1))
        done
        echo $$ >> "$2/daemons"
        exec "$here/usr/sbin/libvirtd" 300

        """

    func makeLibvirt(_ host: ToyHost) throws -> Libvirt {
        let name = ToyHost.uniqueSnapName("libvirt")
        let unit = "snap.\(name).libvirtd.service"
        let cgroup = try #require(host.makeCgroup(named: unit))
        try host.addSnap(name, revisions: ["1", "2", "3"], current: "1", snapYAML: { revision in
            "name: \(name)\nversion: '\(revision)'\napps:\n  libvirtd:\n    command: bin/libvirtd\n    daemon: simple\n  virsh:\n    command: usr/bin/virsh\n"
        }, files: [
            "bin/libvirtd": .text(Self.daemonScript, mode: 0o755),
            "usr/sbin/libvirtd": .copy("/bin/sleep"),
            "usr/bin/qemu-system-x86_64": .copy("/bin/sleep"),
            "usr/bin/virsh": .copy("/bin/sleep"),
        ])
        let logs = host.path("logs")
        try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
        let restart = host.path("restart-libvirtd")
        try """
            #!/bin/sh
            echo "restart $SNAP_NAME $SNAP_REVISION" >> \(logs)/restarts
            /bin/sh \(host.path("snap/\(name)/current/bin/libvirtd")) \(cgroup) \(logs) "$1" &

            """.write(toFile: restart, atomically: true, encoding: .utf8)
        chmod(restart, 0o755)
        let stopCommand = host.path("stop-libvirtd")
        try """
            #!/bin/sh
            echo "stop $SNAP_NAME $SNAP_REVISION" >> \(logs)/stops
            kill -TERM $(cat \(logs)/daemons \(logs)/guests)

            """.write(toFile: stopCommand, atomically: true, encoding: .utf8)
        chmod(stopCommand, 0o755)
        return Libvirt(name: name, unit: unit, cgroup: cgroup, logs: logs, restartCommand: restart, stopCommand: stopCommand)
    }

    /// Starts revision 1's libvirtd with `guests` guests; returns the daemon's and the guests'
    /// PIDs once every one of them runs its executable from revision 1.
    func startLibvirtd(_ host: ToyHost, _ libvirt: Libvirt, guests: Int) throws -> (daemon: Int32, guests: [Int32]) {
        let revision = host.path("snap/\(libvirt.name)/1")
        let daemon = try host.start("/bin/sh", ["\(revision)/bin/libvirtd", libvirt.cgroup, libvirt.logs, "\(guests)"], execs: "libvirtd")
        let started = try waitForPids(in: "\(libvirt.logs)/guests", count: guests, track: host)
        for guest in started {
            try #require(waitUntil { exe(guest) == "\(revision)/usr/bin/qemu-system-x86_64" }, "guest \(guest) did not start")
        }
        #expect(pids(in: "\(libvirt.logs)/daemons") == [daemon])
        return (daemon, started)
    }

    // MARK: Looking at processes

    /// Whether `pid` runs (a zombie does not).
    func alive(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
        return !stat[stat.range(of: ")", options: .backwards)!.upperBound...].hasPrefix(" Z")
    }

    /// The start time in /proc/PID/stat (field 22): with the PID, who the process is.
    func startTime(_ pid: Int32) -> UInt64? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return nil }
        let fields = stat[stat.range(of: ")", options: .backwards)!.upperBound...].split(separator: " ")
        return fields.count > 19 ? UInt64(fields[19]) : nil
    }

    func exe(_ pid: Int32) -> String? { try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe") }

    func inCgroup(_ pid: Int32, _ unit: String) -> Bool {
        ((try? String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8)) ?? "").contains("0::/\(unit)\n")
    }

    func lines(_ file: String) -> [String] {
        ((try? String(contentsOfFile: file, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    func pids(in file: String) -> [Int32] { lines(file).compactMap { Int32($0) } }

    /// Polls `condition` every 10 ms for at most `seconds`.
    func waitUntil(seconds: Double = 10, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            usleep(10_000)
        }
        return condition()
    }

    /// Waits until `file` lists `count` PIDs; ToyHost's teardown kills each of them.
    func waitForPids(in file: String, count: Int, track host: ToyHost) throws -> [Int32] {
        _ = waitUntil { pids(in: file).count >= count }
        let found = pids(in: file)
        for pid in found { host.track(pid) }
        try #require(found.count == count, "\(file) lists \(found), not \(count) PIDs")
        return found
    }

    func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    func outcomes(_ report: [String: Any]) -> [Int: String] {
        Dictionary(uniqueKeysWithValues: ((report["processes"] as? [[String: Any]]) ?? []).map { ($0["pid"] as! Int, $0["outcome"] as! String) })
    }

    func kept(_ report: [String: Any], _ snap: String) -> [String] {
        let plan = ((report["snaps"] as? [[String: Any]]) ?? []).first { $0["name"] as? String == snap }
        return ((plan?["kept"] as? [[String: String]]) ?? []).map { "\($0["revision"]!): \($0["why"]!)" }
    }

    func removed(_ report: [String: Any], _ snap: String) -> [String] {
        let plan = ((report["snaps"] as? [[String: Any]]) ?? []).first { $0["name"] as? String == snap }
        return (plan?["removed"] as? [String]) ?? []
    }

    // MARK: The headline case

    /// The headline policy, with a restart-command as no service manager runs here; with
    /// `stopMode` the policy sets the kill mode as Examples/policies/libvirt.yaml does, without it
    /// the kill mode is the whole control group and the engine must signal around the guests.
    func headlinePolicy(_ host: ToyHost, _ libvirt: Libvirt, stopMode: String?) throws -> String {
        let policy = """
            version: 1
            defaults:
              on-refresh: shutdown
              timeout: 30s
              then: kill
            rules:
              - snap: \(libvirt.name)
                exe: "usr/bin/qemu-system-*"
                on-refresh: leave-running
              - snap: \(libvirt.name)
                app: libvirtd
                on-refresh: restart
            \(stopMode.map { "    stop-mode: \($0)\n" } ?? "")    timeout: 10s
                restart-command: ["\(libvirt.restartCommand)", "1"]

            """
        let file = host.path("libvirt.yaml")
        try policy.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    @Test(.enabled(if: canMakeCgroups, "needs a writable cgroup v2 hierarchy"), arguments: [nil, "sigterm"] as [String?])
    func libvirtdRestartsFromTheNewRevisionWhileItsGuestsKeepTheOld(stopMode: String?) throws {
        let host = try ToyHost()
        defer { host.tearDown() }
        let libvirt = try makeLibvirt(host)
        let (daemon, guests) = try startLibvirtd(host, libvirt, guests: 2)
        let born = guests.map(startTime)
        for pid in [daemon] + guests { #expect(inCgroup(pid, libvirt.unit)) }
        let policy = try headlinePolicy(host, libvirt, stopMode: stopMode)

        // The plan: the service restarts once; the guests are members a rule leaves running.
        let planned = try ToyHost.refreshctl(["plan", "--root", host.root, "--policy", policy, "--service-manager", "none", "--format", "json", libvirt.name])
        #expect(planned.code == 0, "\(planned.err)")
        let plan = try #require((try json(planned.out)["snaps"] as? [[String: Any]])?.first)
        let roles = Dictionary(uniqueKeysWithValues: (plan["processes"] as! [[String: Any]]).map { ($0["pid"] as! Int, "\($0["role"]!) \($0["action"]!)") })
        #expect(roles == [Int(daemon): "main restart", Int(guests[0]): "member leave-running", Int(guests[1]): "member leave-running"])
        let service = try #require((plan["services"] as? [[String: Any]])?.first)
        #expect(service["unit"] as? String == libvirt.unit && service["action"] as? String == "restart")
        #expect(service["kill-mode"] as? String == (stopMode == nil ? "control-group" : "process"))
        #expect(service["stopped"] as? [Int] == [Int(daemon)] && service["others"] as? [Int] == guests.sorted().map(Int.init))

        let applied = try ToyHost.refreshctl(["apply", "--root", host.root, "--policy", policy, "--service-manager", "none", "--format", "json", libvirt.name])
        #expect(applied.code == 0, "\(applied.err)")
        let report = try json(applied.out)
        #expect(outcomes(report) == [Int(daemon): "restarted", Int(guests[0]): "left-running", Int(guests[1]): "left-running"])
        // libvirtd exited on the SIGTERM sent to it, and was started again by the command.
        let serviceDetail = try #require((report["services"] as? [[String: Any]])?.first?["detail"] as? String)
        #expect(serviceDetail.hasPrefix("sent SIGTERM, exited after "), "\(serviceDetail)")
        #expect(serviceDetail.hasSuffix("; started again with \(libvirt.restartCommand) 1"), "\(serviceDetail)")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: host.path("snap/\(libvirt.name)/current")) == "3")

        // The restart-command ran once, with the new revision's environment; the old daemon is
        // gone and the new one runs from revision 3, in the service's cgroup, with a new guest.
        #expect(lines("\(libvirt.logs)/restarts") == ["restart \(libvirt.name) 3"])
        #expect(!alive(daemon))
        let daemons = try waitForPids(in: "\(libvirt.logs)/daemons", count: 2, track: host)
        let restarted = daemons[1]
        let all = try waitForPids(in: "\(libvirt.logs)/guests", count: 3, track: host)
        let newGuest = all[2]
        #expect(waitUntil { exe(restarted) == host.path("snap/\(libvirt.name)/3/usr/sbin/libvirtd") })
        #expect(waitUntil { exe(newGuest) == host.path("snap/\(libvirt.name)/3/usr/bin/qemu-system-x86_64") })
        #expect(inCgroup(restarted, libvirt.unit) && inCgroup(newGuest, libvirt.unit))

        // The guests were never signalled: the same processes (PID and start time), alive, still
        // running revision 1's qemu, in the service's cgroup; revision 1 stays mounted for them.
        for (guest, time) in zip(guests, born) {
            #expect(alive(guest) && startTime(guest) == time)
            #expect(exe(guest) == host.path("snap/\(libvirt.name)/1/usr/bin/qemu-system-x86_64"))
            #expect(inCgroup(guest, libvirt.unit))
        }
        #expect(host.store.isMounted(SnapName(libvirt.name)!, Revision("1")!))
        #expect(kept(report, libvirt.name) == ["3: current after the refresh", "2: retained (retain: 2)", "1: in use by 2 processes"])
        #expect(removed(report, libvirt.name).isEmpty)

        // gc --watch collects revision 1 when the last old guest exits, not before.
        let watcher = Process()
        watcher.executableURL = try productURL("refreshctl")
        watcher.arguments = ["gc", "--root", host.root, "--watch", libvirt.name]
        let out = Pipe()
        watcher.standardOutput = out
        try ToyHost.runUnblocked(watcher)
        defer { if watcher.isRunning { kill(watcher.processIdentifier, SIGKILL); watcher.waitUntilExit() } }
        kill(guests[0], SIGKILL)
        #expect(waitUntil { !alive(guests[0]) })
        // Its exit wakes the watcher, which looks again and finds the other guest: give it time
        // to (wrongly) collect, then check it did not.
        #expect(!waitUntil(seconds: 1) { !watcher.isRunning })
        #expect(host.store.isMounted(SnapName(libvirt.name)!, Revision("1")!))
        #expect(alive(guests[1]))
        kill(guests[1], SIGKILL)
        #expect(waitUntil(seconds: 30) { !watcher.isRunning })
        #expect(!watcher.isRunning)
        guard !watcher.isRunning else { return }
        #expect(watcher.terminationStatus == 0)
        #expect(String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) == "\(libvirt.name) revision 1: removed\n")
        #expect(!host.store.isMounted(SnapName(libvirt.name)!, Revision("1")!))
        #expect(!FileManager.default.fileExists(atPath: host.path("snap/\(libvirt.name)/1")))
        #expect(!FileManager.default.fileExists(atPath: host.path("var/lib/snapd/snaps/\(libvirt.name)_1.snap")))
        // The new daemon and its guest were left alone.
        #expect(alive(restarted) && alive(newGuest))
        #expect(FileManager.default.fileExists(atPath: host.path("snap/\(libvirt.name)/2/usr/sbin/libvirtd")))
    }

    /// A service of three processes (libvirtd and two guests, no rule for them: they go with it)
    /// is stopped by one run of its stop-command and started by one run of its restart-command.
    @Test(.enabled(if: canMakeCgroups, "needs a writable cgroup v2 hierarchy"))
    func aThreeProcessServiceIsStoppedOnceAndRestartedOnce() throws {
        let host = try ToyHost()
        defer { host.tearDown() }
        let libvirt = try makeLibvirt(host)
        let (daemon, guests) = try startLibvirtd(host, libvirt, guests: 2)
        let policy = host.path("once.yaml")
        try """
            version: 1
            rules:
              - snap: \(libvirt.name)
                app: libvirtd
                on-refresh: restart
                stop-command: ["\(libvirt.stopCommand)"]
                timeout: 10s
                restart-command: ["\(libvirt.restartCommand)", "2"]

            """.write(toFile: policy, atomically: true, encoding: .utf8)
        let applied = try ToyHost.refreshctl(["apply", "--root", host.root, "--policy", policy, "--service-manager", "none", "--format", "json", libvirt.name])
        #expect(applied.code == 0, "\(applied.err)")
        let report = try json(applied.out)
        #expect(outcomes(report) == [Int(daemon): "restarted", Int(guests[0]): "restarted", Int(guests[1]): "restarted"])
        let services = try #require(report["services"] as? [[String: Any]])
        #expect(services.map { "\($0["unit"]!) \($0["outcome"]!)" } == ["\(libvirt.unit) restarted"])
        // The three exited on what the stop-command sent them, before the timeout.
        let serviceDetail = try #require(services.first?["detail"] as? String)
        #expect(serviceDetail.hasPrefix("ran \(libvirt.stopCommand), exited after "), "\(serviceDetail)")

        // Once each, with the stopped revision's and the started revision's environment.
        #expect(lines("\(libvirt.logs)/stops") == ["stop \(libvirt.name) 1"])
        #expect(lines("\(libvirt.logs)/restarts") == ["restart \(libvirt.name) 3"])
        for pid in [daemon] + guests { #expect(!alive(pid)) }
        // The service runs again, once: one new daemon, with its two guests, from revision 3.
        let daemons = try waitForPids(in: "\(libvirt.logs)/daemons", count: 2, track: host)
        let all = try waitForPids(in: "\(libvirt.logs)/guests", count: 4, track: host)
        #expect(waitUntil { exe(daemons[1]) == host.path("snap/\(libvirt.name)/3/usr/sbin/libvirtd") })
        for guest in all[2...] {
            #expect(waitUntil { exe(guest) == host.path("snap/\(libvirt.name)/3/usr/bin/qemu-system-x86_64") })
        }
        // Nothing holds revision 1 any more: the refresh removed it.
        #expect(removed(report, libvirt.name) == ["1"])
        #expect(!host.store.isMounted(SnapName(libvirt.name)!, Revision("1")!))
    }

    // MARK: Users and the shell that runs refreshctl

    /// A snap of two apps, revisions 1 (current), 2 and 3 (staged), and a kill policy.
    func makeToolSnap(_ host: ToyHost, prefix: String) throws -> (name: String, policy: String) {
        let name = ToyHost.uniqueSnapName(prefix)
        try host.addSnap(name, revisions: ["1", "2", "3"], current: "1", snapYAML: { revision in
            "name: \(name)\nversion: '\(revision)'\napps:\n  tool:\n    command: bin/tool\n  sh:\n    command: bin/sh\n"
        }, files: ["bin/tool": .copy("/bin/sleep"), "bin/sh": .copy("/bin/sh"), "share/doc/README": .text("a tool\n")])
        let policy = host.path("kill.yaml")
        try "version: 1\ndefaults:\n  on-refresh: kill\n".write(toFile: policy, atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: host.path("logs"), withIntermediateDirectories: true)
        // For shells that wait for a line nobody writes (they run no program of their own).
        try #require(mkfifo(host.path("logs/fifo"), 0o600) == 0)
        return (name, policy)
    }

    /// A shell whose working directory is in revision 1 and a host program that maps one of its
    /// files run no app of the snap: under a kill policy they are never signalled, and revision
    /// 1 stays (mounted) until they exit; the app of revision 1 is killed.
    @Test func usersAreNeverSignalledAndKeepTheirRevisionThroughApply() throws {
        let host = try ToyHost()
        defer { host.tearDown() }
        let (name, policy) = try makeToolSnap(host, prefix: "users")
        let old = host.path("snap/\(name)/1")
        let app = try host.start("\(old)/bin/tool", execs: "tool")
        // A shell that waits for a line on a FIFO nobody writes: it runs no program of the snap.
        let fifo = host.path("logs/fifo")
        let sh = URL(fileURLWithPath: "/bin/sh").resolvingSymlinksInPath().lastPathComponent
        let shell = try host.start("/bin/sh", ["-c", "exec 3<> \"$1\"; read line <&3", "sh", fifo], cwd: "\(old)/share/doc", execs: sh)
        // The host's loader running the revision's program: the snap's file is only mapped.
        let mapper = try host.start("/lib64/ld-linux-x86-64.so.2", ["\(old)/bin/tool", "300"], execs: "ld-linux-x86-64.so.2")
        let born = [shell, mapper].map(startTime)

        let applied = try ToyHost.refreshctl(["apply", "--root", host.root, "--policy", policy, "--service-manager", "none", "--format", "json", name])
        #expect(applied.code == 0, "\(applied.err)")
        let report = try json(applied.out)
        #expect(outcomes(report) == [Int(app): "killed", Int(shell): "left-running", Int(mapper): "left-running"])
        #expect(waitUntil { !alive(app) })
        for (pid, time) in zip([shell, mapper], born) { #expect(alive(pid) && startTime(pid) == time) }
        #expect(kept(report, name) == ["3: current after the refresh", "2: retained (retain: 2)", "1: in use by 2 processes"])
        #expect(host.store.isMounted(SnapName(name)!, Revision("1")!))
        #expect(FileManager.default.fileExists(atPath: "\(old)/share/doc/README"))

        // Once the last of them exits, gc collects revision 1.
        host.stop(shell)
        let early = try ToyHost.refreshctl(["gc", "--root", host.root, name])
        #expect(early.code == 0 && early.out == "nothing to collect\n")
        host.stop(mapper)
        let collected = try ToyHost.refreshctl(["gc", "--root", host.root, name])
        #expect(collected.out == "\(name) revision 1: removed\n")
        #expect(!host.store.isMounted(SnapName(name)!, Revision("1")!))
    }

    /// `apply` run from a shell of the snap itself (its own `sh`, working directory in the snap)
    /// under a kill policy: the shell is never signalled and goes on after refreshctl exits;
    /// another process of the same app and revision is killed.
    @Test func applyNeverSignalsTheShellThatRunsIt() throws {
        let host = try ToyHost()
        defer { host.tearDown() }
        let (name, policy) = try makeToolSnap(host, prefix: "shell")
        let old = host.path("snap/\(name)/1")
        let other = try host.start("\(old)/bin/sh", ["-c", "exec 3<> \"$1\"; read line <&3", "sh", host.path("logs/fifo")], execs: "sh")
        let tool = try host.start("\(old)/bin/tool", execs: "tool")
        let log = host.path("logs/shell")
        let refreshctl = try productURL("refreshctl").path
        let script = """
            for signal in TERM INT HUP USR1 USR2 QUIT; do trap "echo $signal >> \(log)" $signal; done
            echo $$ > \(log).pid
            \(refreshctl) apply --root \(host.root) --policy \(policy) --service-manager none --format json \(name) > \(host.path("logs/apply.json")) 2> \(host.path("logs/apply.err")) &
            echo $! > \(log).refreshctl
            wait $!
            echo "apply exited $?" >> \(log)
            """
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "\(old)/bin/sh")
        shell.arguments = ["-c", script]
        shell.currentDirectoryURL = URL(fileURLWithPath: "\(old)/share")
        shell.standardInput = FileHandle.nullDevice
        try ToyHost.runUnblocked(shell)
        shell.waitUntilExit()
        #expect(shell.terminationReason == .exit && shell.terminationStatus == 0)
        #expect(lines(log) == ["apply exited 0"], "\(lines(host.path("logs/apply.err")))")
        let pid = try #require(pids(in: "\(log).pid").first)
        let report = try json(try String(contentsOfFile: host.path("logs/apply.json"), encoding: .utf8))
        // refreshctl itself is there too: its working directory is the shell's, in the snap.
        let refreshctlPid = try #require(pids(in: "\(log).refreshctl").first)
        #expect(outcomes(report) == [Int(pid): "left-running", Int(refreshctlPid): "left-running", Int(other): "killed", Int(tool): "killed"])
        let detail = ((report["processes"] as? [[String: Any]]) ?? []).first { $0["pid"] as? Int == Int(pid) }?["detail"] as? String
        #expect(detail == "left running on revision 1")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: host.path("snap/\(name)/current")) == "3")
    }
}

