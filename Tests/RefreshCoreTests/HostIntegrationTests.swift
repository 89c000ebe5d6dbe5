import Foundation
import Testing
@testable import RefreshCore
@testable import RefreshHost
import RefreshIO

#if canImport(Glibc)
import Glibc
#endif

/// The host adapters against the real kernel: squashfs revisions loop-mounted under a
/// temporary root, real processes started from them, read back through /proc.
@Suite(.serialized, .enabled(if: ToyHost.available, ToyHost.reason), .timeLimit(.minutes(5)))
struct HostIntegrationTests {
    /// toyapp: 1 (old, still used), 2 (current), 3 (staged, not mounted); toybase: 1 (current), 2 (staged).
    func makeHost() throws -> ToyHost {
        let host = try ToyHost()
        try host.install()
        try FileManager.default.removeItem(atPath: host.path("snap/toyapp/current"))
        try FileManager.default.createSymbolicLink(atPath: host.path("snap/toyapp/current"), withDestinationPath: "2")
        return host
    }

    struct Pids {
        var sleeper: Int32, pinned: Int32, daemon: Int32, cwdOnly: Int32
    }

    /// Four processes: the sleeper app of revision 1 from its own file; the same started through
    /// toybase 1's loader and libc (so it pins the base for real); the daemon of revision 2; and
    /// a host /bin/sleep that only sits in revision 1's directory.
    func startProcesses(_ host: ToyHost) throws -> Pids {
        let sleeper = try host.start(host.path("snap/toyapp/1/bin/sleep"))
        let pinned = try host.startOnBase("toybase", "1", program: host.path("snap/toyapp/1/bin/sleep"))
        let daemon = try host.start(host.path("snap/toyapp/2/bin/sleepd"), execs: "sleepd")
        let cwdOnly = try host.start("/bin/sleep", cwd: host.path("snap/toyapp/1"))
        return Pids(sleeper: sleeper, pinned: pinned, daemon: daemon, cwdOnly: cwdOnly)
    }

    @Test func theStoreSeesRevisionsMountsAndMetadata() throws {
        let host = try makeHost()
        defer { host.tearDown() }
        let listing = host.store.list()
        let app = try #require(listing.snaps.first { $0.name == ToyHost.app })
        #expect(app.current == Revision("2"))
        #expect(app.revisions.map(\.revision.description) == ["1", "2", "3"])
        #expect(app.info(for: Revision("2"))?.apps[AppName("sleepd")!]?.daemon == .simple)
        #expect(app.info(for: Revision("2"))?.apps[AppName("sleepd")!]?.stopTimeout == .seconds(5))
        #expect(app.info(for: Revision("2"))?.base == ToyHost.base)
        let base = try #require(listing.snaps.first { $0.name == ToyHost.base })
        #expect(base.info()?.type == .base)
        #expect(listing.mounted == Set([SnapRevision(ToyHost.app, Revision("1")!), SnapRevision(ToyHost.app, Revision("2")!),
                                        SnapRevision(ToyHost.base, Revision("1")!), SnapRevision(ToyHost.base, Revision("2")!)]))
        #expect(listing.dataDirectories == Set([SnapRevision(ToyHost.app, Revision("1")!)]))
        // The staged revision's image is there but not mounted: reported, not skipped.
        #expect(listing.problems == ["\(host.root)/snap/toyapp/3 is not mounted (its image \(host.root)/var/lib/snapd/snaps/toyapp_3.snap is there); its apps are unknown until it is mounted"])

        try host.mount(ToyHost.app, Revision("3")!)
        let after = host.store.list()
        #expect(after.problems.isEmpty)
        #expect(after.mounted.contains(SnapRevision(ToyHost.app, Revision("3")!)))
        #expect(after.snaps.first { $0.name == ToyHost.app }?.info(for: Revision("3"))?.version == "3.0")
    }

    @Test func processesBindToRevisionsAppsAndBasePins() throws {
        let host = try makeHost()
        defer { host.tearDown() }
        let pids = try startProcesses(host)
        let read = HostReader(root: host.root).read()
        let bound = Dictionary(uniqueKeysWithValues: read.state.processes.map { ($0.pid, $0.binding!) })
        #expect(Set(bound.keys) == Set([pids.sleeper, pids.pinned, pids.daemon, pids.cwdOnly]))

        let sleeper = try #require(bound[pids.sleeper])
        #expect(sleeper.snap == ToyHost.app && sleeper.revision == Revision("1") && sleeper.app == AppName("sleeper"))
        #expect(sleeper.pins.isEmpty)  // it runs on the host's libc

        let pinned = try #require(bound[pids.pinned])
        #expect(pinned.snap == ToyHost.app && pinned.revision == Revision("1") && pinned.app == AppName("sleeper"))
        #expect(pinned.pins == [SnapRevision(ToyHost.base, Revision("1")!)])
        #expect(pinned.evidence.first == "exe \(host.root)/snap/toybase/1/lib64/ld-linux-x86-64.so.2")

        let daemon = try #require(bound[pids.daemon])
        #expect(daemon.revision == Revision("2") && daemon.app == AppName("sleepd"))

        let cwdOnly = try #require(bound[pids.cwdOnly])
        #expect(cwdOnly.revision == Revision("1") && cwdOnly.app == nil)
        #expect(cwdOnly.evidence == ["cwd \(host.root)/snap/toyapp/1"])

        // Identity: the start time is the one /proc/PID/stat has.
        let process = try #require(read.state.processes.first { $0.pid == pids.daemon })
        let stat = try String(contentsOfFile: "/proc/\(pids.daemon)/stat", encoding: .utf8)
        let fields = stat[stat.range(of: ")", options: .backwards)!.upperBound...].split(separator: " ")
        #expect(process.identity.startTime == UInt64(fields[19]))
    }

    @Test func psStatusAndPlanReportTheHost() throws {
        let host = try makeHost()
        defer { host.tearDown() }
        let pids = try startProcesses(host)

        let ps = try ToyHost.refreshctl(["ps", "--root", host.root, "--format", "json"])
        #expect(ps.code == 0)
        let rows = try #require((try JSONSerialization.jsonObject(with: Data(ps.out.utf8)) as? [String: Any])?["processes"] as? [[String: Any]])
        let summary = rows.map { "\($0["pid"]!) \($0["snap"]!) \($0["app"] as? String ?? "-") \($0["revision"]!) \($0["current"] as! Bool) \(($0["pins"] as! [String]).joined(separator: ","))" }
        let expected = [
            "\(pids.sleeper) toyapp sleeper 1 false ",
            "\(pids.pinned) toyapp sleeper 1 false toybase=1",
            "\(pids.daemon) toyapp sleepd 2 true ",
            "\(pids.cwdOnly) toyapp - 1 false ",
        ].sorted { Int32($0.split(separator: " ")[0])! < Int32($1.split(separator: " ")[0])! }
        #expect(summary == expected)

        let status = try ToyHost.refreshctl(["status", "--root", host.root])
        #expect(status.code == 0)
        let users = [pids.sleeper, pids.pinned, pids.cwdOnly].count
        #expect(status.out == """
            toyapp
              3       staged, not mounted
              2       current, in use by 1 process (sleepd), mounted
              1       in use by \(users) processes (sleeper), retained (retain: 2), mounted

            toybase (base)
              2       staged, mounted
              1       current, pinned as a base by 1 process, mounted

            """)

        // No systemd here: the daemon's restart needs a restart-command to be plannable.
        try "version: 1\ndefaults:\n  restart-command: [\"/bin/true\"]\n".write(toFile: host.path("policy.yaml"), atomically: true, encoding: .utf8)
        let plan = try ToyHost.refreshctl(["plan", "--root", host.root, "--policy", host.path("policy.yaml"), "--now", "2026-11-27T12:00:00Z", "--format", "json", "toyapp=3", "toybase"])
        #expect(plan.code == 0)
        let snaps = try #require((try JSONSerialization.jsonObject(with: Data(plan.out.utf8)) as? [String: Any])?["snaps"] as? [[String: Any]])
        let toyapp = try #require(snaps.first { $0["name"] as? String == "toyapp" })
        let decisions = (toyapp["processes"] as! [[String: Any]]).map { "\($0["pid"]!):\($0["action"]!)" }
        #expect(Set(decisions) == Set(["\(pids.sleeper):leave-running", "\(pids.pinned):leave-running", "\(pids.daemon):restart", "\(pids.cwdOnly):leave-running"]))
        #expect((toyapp["keep"] as! [[String: String]]).map { $0["revision"]! + ": " + $0["why"]! } == [
            "3: current after the refresh", "2: retained (retain: 2)", "1: in use by 3 processes"])
        let toybase = try #require(snaps.first { $0["name"] as? String == "toybase" })
        #expect((toybase["processes"] as! [[String: Any]]).map { $0["pid"] as! Int } == [Int(pids.pinned)])
        #expect((toybase["keep"] as! [[String: String]]).map { $0["revision"]! + ": " + $0["why"]! } == [
            "2: current after the refresh", "1: retained (retain: 2); in use by 1 process"])
    }

    /// `plan --root` and `plan --scenario <(snapshot)` give the same plan.
    @Test func snapshotRoundTrips() throws {
        let host = try makeHost()
        defer { host.tearDown() }
        _ = try startProcesses(host)
        // A service with a member, and a user holding a file open, where cgroups can be made.
        let withService = ToyHost.canWrite(ToyHost.unified)
        if withService { _ = try startService(host) }
        _ = try host.start("/bin/sh", ["-c", "exec 3< \(host.path("snap/toyapp/1/meta/snap.yaml")); exec /bin/sleep 300"])
        let snapshot = try ToyHost.refreshctl(["snapshot", "--root", host.root, "--now", "2026-11-27T12:00:00Z"])
        #expect(snapshot.code == 0)
        let file = host.path("snapshot.yaml")
        try snapshot.out.write(toFile: file, atomically: true, encoding: .utf8)
        #expect(!snapshot.out.contains(host.root))  // paths are relative to the root
        try "version: 1\ndefaults:\n  restart-command: [\"/bin/true\"]\n".write(toFile: host.path("policy.yaml"), atomically: true, encoding: .utf8)
        for format in ["text", "json"] {
            let live = try ToyHost.refreshctl(["plan", "--root", host.root, "--policy", host.path("policy.yaml"), "--now", "2026-11-27T12:00:00Z", "--format", format, "toyapp=3", "toybase"])
            let paper = try ToyHost.refreshctl(["plan", "--scenario", file, "--policy", host.path("policy.yaml"), "--format", format, "toyapp=3", "toybase"])
            #expect(live.code == 0 && paper.code == 0)
            // The live plan also says which service manager it assumed (none: systemd is not
            // PID 1 here); a plan on paper assumes none and says nothing. The rest is the same.
            let assumed = format == "json" ? ",\"service-manager\":\"none\"}\n" : "\nservice manager: none (the engine signals daemons itself and starts them again with their restart-command)\n"
            #expect(live.out.hasSuffix(assumed))
            #expect(String(live.out.dropLast(assumed.count)) + (format == "json" ? "}\n" : "") == paper.out)
        }
        #expect(snapshot.out.contains("    ppid: "))
        #expect(snapshot.out.contains("    files:\n      - \"/snap/toyapp/1/meta/snap.yaml\"\n"))
        // And the scenario parses with the library, binding the same processes, roles included.
        let scenario = try Scenario(contentsOf: file)
        let live = HostReader(root: host.root).read().state
        #expect(scenario.state.processes.count == (withService ? 7 : 5))
        #expect(scenario.state.processes.map { $0.binding!.role } == live.processes.map { $0.binding!.role })
        #expect(scenario.state.processes.map { $0.binding!.service } == live.processes.map { $0.binding!.service })
        if withService { #expect(scenario.state.processes.contains { $0.binding?.role == .member }) }
    }

    /// A service on the real kernel: the daemon of revision 2 in `snap.toyapp.sleepd.service`
    /// (v2, and systemd's v1 hierarchy where there is one) with a child it started in its
    /// cgroup; users of revision 1 through their working directory, an open file and a mapped
    /// file. Returns the daemon's and the child's PIDs.
    func startService(_ host: ToyHost) throws -> (daemon: Int32, child: Int32) {
        let revision = host.path("snap/toyapp/2")
        // sh forks the child, then becomes the daemon: the child's parent is the daemon.
        let daemon = try host.start("/bin/sh", ["-c", "\(revision)/bin/sleep 300 & exec \(revision)/bin/sleepd 300"], execs: "sleepd")
        var child: Int32 = 0
        for _ in 0..<500 {
            let children = (try? String(contentsOfFile: "/proc/\(daemon)/task/\(daemon)/children", encoding: .utf8)) ?? ""
            if let found = children.split(separator: " ").first.flatMap({ Int32($0) }),
                (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(found)/exe")) == "\(revision)/bin/sleep" {
                child = found
                break
            }
            usleep(10_000)
        }
        try #require(child > 0, "the daemon's child did not start")
        host.track(child)
        // The unit's group inside a group of this test's own, so that no other run of these
        // tests (nor a real snap.toyapp.sleepd.service) shares it: the engine reads the unit
        // from the path's last snap.*.service component, wherever it is.
        let own = ToyHost.uniqueSnapName("refreshcore-test")
        for hierarchy in [ToyHost.unified] + (ToyHost.canWrite(ToyHost.systemdV1) ? [ToyHost.systemdV1] : []) {
            try #require(host.makeCgroup(named: own, in: hierarchy) != nil)
            for pid in [daemon, child] {
                try #require(host.moveToCgroup(pid, named: "\(own)/\(ServiceIntegration.unit)", in: hierarchy))
            }
        }
        return (daemon, child)
    }

    enum ServiceIntegration {
        static let unit = "snap.toyapp.sleepd.service"
    }

    @Test(.enabled(if: ToyHost.canWrite(ToyHost.unified), "needs a writable cgroup v2 hierarchy"))
    func servicesAndUsersOnTheRealKernel() throws {
        let host = try makeHost()
        defer { host.tearDown() }
        let (daemon, child) = try startService(host)
        let old = host.path("snap/toyapp/1")
        let shell = try host.start("/bin/sleep", cwd: old)
        let reader = try host.start("/bin/sh", ["-c", "exec 3< \(old)/meta/snap.yaml; exec /bin/sleep 300"])
        let mapper = try host.start("/lib64/ld-linux-x86-64.so.2", ["\(old)/bin/sleep", "300"], execs: "ld-linux-x86-64.so.2")

        let read = HostReader(root: host.root).read()
        let byPid = Dictionary(uniqueKeysWithValues: read.state.processes.map { ($0.pid, $0) })
        let main = try #require(byPid[daemon]?.binding)
        #expect(main.role == .main && main.service == ServiceIntegration.unit && main.app == AppName("sleepd") && main.executable == "bin/sleepd")
        #expect(main.revision == Revision("2"))
        let member = try #require(byPid[child]?.binding)
        #expect(member.role == .member && member.service == ServiceIntegration.unit && byPid[child]?.parent == daemon)
        #expect(member.app == AppName("sleeper") && member.executable == "bin/sleep")  // sleeper's command
        for (pid, use) in [(shell, RevisionUse.workingDirectory), (reader, .openFile), (mapper, .mappedFile)] {
            let user = try #require(byPid[pid]?.binding, "pid \(pid) is not bound")
            #expect(user.role == .user && user.revision == Revision("1") && user.uses.contains(use), "\(user)")
        }
        #expect(byPid[reader]?.evidence.files == ["\(old)/meta/snap.yaml"])
        // The test process is the engine here: it and its ancestors.
        #expect(read.state.engineProcesses.contains(getpid()) && read.state.engineProcesses.contains(getppid()))

        // A kill policy: the service is killed as a whole, the users are never signalled.
        try "version: 1\ndefaults:\n  on-refresh: kill\n".write(toFile: host.path("kill.yaml"), atomically: true, encoding: .utf8)
        let plan = try ToyHost.refreshctl(["plan", "--root", host.root, "--policy", host.path("kill.yaml"), "--now", "2026-11-27T12:00:00Z", "--format", "json", "toyapp=3"])
        #expect(plan.code == 0, "\(plan.err)")
        let toyapp = try #require(((try JSONSerialization.jsonObject(with: Data(plan.out.utf8)) as? [String: Any])?["snaps"] as? [[String: Any]])?.first)
        let decisions = Dictionary(uniqueKeysWithValues: (toyapp["processes"] as! [[String: Any]]).map { ($0["pid"] as! Int, "\($0["role"]!) \($0["action"]!)") })
        #expect(decisions[Int(daemon)] == "main kill" && decisions[Int(child)] == "member kill")
        for pid in [shell, reader, mapper] { #expect(decisions[Int(pid)] == "user leave-running") }
        let services = toyapp["services"] as! [[String: Any]]
        #expect(services.count == 1)
        #expect(services.first?["unit"] as? String == ServiceIntegration.unit && services.first?["main"] as? Int == Int(daemon))
        #expect(services.first?["action"] as? String == "kill" && services.first?["kill-mode"] as? String == "control-group")
        #expect(services.first?["stopped"] as? [Int] == [daemon, child].sorted().map(Int.init) && services.first?["others"] as? [Int] == [])
        #expect((toyapp["keep"] as! [[String: String]]).map { $0["revision"]! + ": " + $0["why"]! } == [
            "3: current after the refresh", "2: retained (retain: 2)", "1: in use by 3 processes"])

        // ps shows the roles.
        let ps = try ToyHost.refreshctl(["ps", "--root", host.root, "--format", "json"])
        let rows = try #require((try JSONSerialization.jsonObject(with: Data(ps.out.utf8)) as? [String: Any])?["processes"] as? [[String: Any]])
        let roles = Dictionary(uniqueKeysWithValues: rows.map { ($0["pid"] as! Int, "\($0["role"]!) \($0["service"] as? String ?? "-") \($0["ppid"]!)") })
        #expect(roles[Int(child)] == "member \(ServiceIntegration.unit) \(daemon)")
        #expect(roles[Int(shell)] == "user - \(getpid())")
    }

    /// refreshctl run from a shell of the snap itself: that shell is never acted on.
    @Test func theShellThatRunsRefreshctlIsNeverActedOn() throws {
        let host = try makeHost()
        defer { host.tearDown() }
        try "version: 1\ndefaults:\n  on-refresh: kill\n".write(toFile: host.path("kill.yaml"), atomically: true, encoding: .utf8)
        let refreshctl = try productURL("refreshctl").path
        let script = "echo $$ > \(host.path("shell.pid")); \(refreshctl) plan --root \(host.root) --policy \(host.path("kill.yaml")) --now 2026-11-27T12:00:00Z --format json toyapp=3 > \(host.path("plan.json")); true"
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: host.path("snap/toyapp/1/bin/sh"))
        shell.arguments = ["-c", script]
        try shell.run()
        shell.waitUntilExit()
        let pid = try #require(Int(try String(contentsOfFile: host.path("shell.pid"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        let plan = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: host.path("plan.json")))) as? [String: Any])
        let toyapp = try #require((plan["snaps"] as? [[String: Any]])?.first)
        let decision = try #require((toyapp["processes"] as! [[String: Any]]).first { $0["pid"] as? Int == pid })
        #expect(decision["role"] as? String == "app")
        #expect(decision["action"] as? String == "leave-running")
        #expect(decision["reason"] as? String == "refreshctl itself or one of its ancestors (such as the shell that ran it): never acted on")
    }

    @Test func unmountingARevisionInUseIsRefusedAndReported() throws {
        let host = try makeHost()
        defer { host.tearDown() }
        let pid = try host.start(host.path("snap/toyapp/1/bin/sleep"))
        let revision = Revision("1")!
        #expect {
            try host.store.unmount(ToyHost.app, revision)
        } throws: { error in
            (error as? RefreshCoreError)?.code == .inUse
                && (error as? RefreshCoreError)?.message == "toyapp revision 1 is still in use: \(host.root)/snap/toyapp/1 is busy, so it stays mounted"
        }
        #expect(host.store.list().mounted.contains(SnapRevision(ToyHost.app, revision)))
        #expect(access(host.path("snap/toyapp/1/bin/sleep"), X_OK) == 0)
        host.stop(pid)
        try host.store.unmount(ToyHost.app, revision)
        #expect(!host.store.list().mounted.contains(SnapRevision(ToyHost.app, revision)))
        #expect(access(host.path("snap/toyapp/1/bin/sleep"), F_OK) != 0)
    }

    @Test func aProcessThatExitsIsGoneFromTheNextScan() throws {
        let host = try makeHost()
        defer { host.tearDown() }
        let pid = try host.start(host.path("snap/toyapp/1/bin/sleep"))
        #expect(HostReader(root: host.root).read().state.processes.map(\.pid) == [pid])
        host.stop(pid)
        #expect(HostReader(root: host.root).read().state.processes.isEmpty)
    }

    /// A process in a snap cgroup and a mount namespace of its own whose `/` is the base image,
    /// as snap-confine makes them: the app comes from the cgroup, the base pin from mountinfo.
    @Test(.enabled(if: access("/sys/fs/cgroup/unified", W_OK) == 0 || access("/sys/fs/cgroup/cgroup.procs", W_OK) == 0,
                   "needs a writable cgroup v2 hierarchy"))
    func confinedProcessPinsItsBaseThroughItsRootMount() throws {
        let host = try makeHost()
        defer { host.tearDown() }
        let pid = try host.start("/usr/bin/unshare", ["--mount", "--root=\(host.path("snap/toybase/1"))", "/bin/sleep", "300"])
        let scope = "snap.toyapp.sleeper-0b3c9f4e-5d2a-4c1b-9e8f-7a6b5c4d3e2f.scope"
        try #require(host.moveToCgroup(pid, named: scope))
        let read = HostReader(root: host.root).read()
        let process = try #require(read.state.processes.first { $0.pid == pid })
        #expect(process.evidence.rootImage == host.path("var/lib/snapd/snaps/toybase_1.snap"))
        let binding = try #require(process.binding)
        #expect(binding.snap == ToyHost.app && binding.app == AppName("sleeper"))
        #expect(binding.revision == Revision("2"))  // no path of its own: the current revision is assumed
        #expect(binding.pins == [SnapRevision(ToyHost.base, Revision("1")!)])
        #expect(binding.evidence.first == "cgroup \(scope)")

        // The root image alone pins the base, even with no path under snap/ in sight.
        let alone = BindingInference(snaps: Dictionary(uniqueKeysWithValues: read.state.snaps.map { ($0.key, $0.value) }), root: host.root)
            .infer(ProcessEvidence(exe: "/bin/sleep", cgroups: ["0::/\(scope)"], rootImage: process.evidence.rootImage))
        #expect(alone?.pins == [SnapRevision(ToyHost.base, Revision("1")!)])
        #expect(alone?.evidence.contains("root image \(host.root)/var/lib/snapd/snaps/toybase_1.snap") == true)
    }
}
