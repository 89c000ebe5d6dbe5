import Testing
@testable import RefreshCore
@testable import RefreshHost
import RefreshIO

/// Scenario keys for roles (`ppid`, `role`, `root`, `files`), snapshots of them, and how plans
/// print services and roles.
@Suite struct RoleScenarioAndOutputTests {
    /// libvirt 20 (current), 21 (staged): libvirtd a daemon, virsh not; lines 1-8, processes from line 9.
    static let header = """
        version: 1
        now: 2026-11-27T12:00:00Z
        snaps:
          - {name: libvirt, current: 20, revisions: [20, 21], apps: {libvirtd: {command: usr/sbin/libvirtd, daemon: notify}, virsh: {}}}
        refresh: [libvirt]
        processes:

        """

    static let errorCases: [InputErrorCase] = [
        .init("ppid is its own pid", header + "  - {pid: 5, ppid: 5, snap: libvirt, revision: 20}\n", 7, 20,
              "process 5 names itself as its parent; ppid is the PID of the process that started it"),
        .init("ppid out of range", header + "  - {pid: 5, ppid: -1, snap: libvirt, revision: 20}\n", 7, 20, "ppid"),
        .init("role main is found, not given", header + "  - {pid: 5, snap: libvirt, revision: 20, app: libvirtd, role: main}\n", 7, 64,
              "role 'main' is found, not given: a process of a daemon app is in its service (snap.NAME.APP.service), and whether it is the main process follows from 'ppid'"),
        .init("a user with an app", header + "  - {pid: 5, snap: libvirt, revision: 20, role: user, app: virsh}\n", 7, 60,
              "process 5 is a user, which runs no app; remove 'app' or 'role: user'"),
        .init("an unknown role", header + "  - {pid: 5, snap: libvirt, revision: 20, role: guest}\n", 7, 49,
              "unknown role 'guest'; expected one of: app, main, member, user"),
        .init("role with evidence", header + "  - {pid: 5, role: user, cwd: /snap/libvirt/20}\n", 7, 31,
              "process 5 gives both a binding (role) and evidence (cwd); give one or the other"),
        .init("files not a list", header + "  - {pid: 5, exe: /bin/cat, files: /snap/libvirt/20/x}\n", 7, 36, "files (open files)"),
    ]

    @Test("each error has its exact position and message", arguments: errorCases)
    func singleError(_ c: InputErrorCase) {
        let diagnostics = refusal { _ = try Scenario(parsing: c.yaml, file: "scenario.yaml") }
        let errors = diagnostics.filter { $0.severity == .error }
        #expect(errors.count == 1, "expected exactly one error, got:\n\(diagnostics.map(\.description).joined(separator: "\n"))")
        guard let error = errors.first else { return }
        #expect("\(error.location.line):\(error.location.column)" == "\(c.line):\(c.column)", "\(error)")
        for part in c.message.components(separatedBy: " … ") {
            #expect(error.message.contains(part), "\(error)")
        }
    }

    @Test func bindingsAndEvidenceCarryRolesAndParents() throws {
        let scenario = try Scenario(parsing: Self.header + """
              - {pid: 6001, ppid: 1, snap: libvirt, revision: 20, app: libvirtd}
              - {pid: 6002, ppid: 6001, snap: libvirt, revision: 20, app: libvirtd}
              - {pid: 6100, snap: libvirt, revision: 20, app: libvirtd, role: app}
              - {pid: 6200, snap: libvirt, revision: 20, app: virsh}
              - {pid: 6300, snap: libvirt, revision: 20, role: user}
              - {pid: 6400, ppid: 6300, exe: /usr/bin/cat, root: /snap/libvirt/20, files: [/snap/libvirt/20/etc/x]}
            """, file: "scenario.yaml")
        #expect(scenario.warnings.isEmpty)
        let byPid = Dictionary(uniqueKeysWithValues: scenario.state.processes.map { ($0.pid, $0) })
        func role(_ pid: Int32) -> ProcessRole? { byPid[pid]?.binding?.role }
        #expect(role(6001) == .main && role(6002) == .member && role(6100) == .app && role(6200) == .app && role(6300) == .user && role(6400) == .user)
        #expect(byPid[6001]?.binding?.service == "snap.libvirt.libvirtd.service")
        #expect(byPid[6100]?.binding?.service == nil)
        #expect(byPid[6002]?.parent == 6001 && byPid[6100]?.parent == nil && byPid[6400]?.parent == 6300)
        #expect(byPid[6400]?.evidence.root == "/snap/libvirt/20" && byPid[6400]?.evidence.files == ["/snap/libvirt/20/etc/x"])
        #expect(byPid[6400]?.binding?.uses == [.root, .openFile])
    }

    @Test func unknownRevisionsInRootAndFilesAreFlagged() throws {
        let scenario = try Scenario(parsing: Self.header + "  - {pid: 5, exe: /bin/cat, root: /snap/libvirt/3, files: [/snap/other/1/x]}\n", file: "scenario.yaml")
        #expect(scenario.warnings.map(\.message) == [
            "process 5's root names libvirt revision 3, which this scenario does not list; add it to the snap's revisions or fix the path",
            "process 5's open file names snap 'other', which this scenario does not list; add it to 'snaps' or fix the path",
        ])
    }

    // MARK: Snapshots

    @Test func snapshotsWriteParentsRootsFilesAndRoles() throws {
        let scenario = try Scenario(parsing: Self.header + """
              - {pid: 6001, ppid: 1, exe: /host/snap/libvirt/20/usr/sbin/libvirtd, cgroup: "0::/system.slice/snap.libvirt.libvirtd.service"}
              - {pid: 6400, ppid: 6300, exe: /usr/bin/cat, root: /host/snap/libvirt/20, files: [/host/snap/libvirt/20/etc/x]}
            """, file: "scenario.yaml")
        // The same processes as a live host under /host shows them.
        let inference = BindingInference(snaps: scenario.state.snaps, root: "/host")
        var processes = scenario.state.processes.map { process in
            RunningProcess(identity: process.identity, parent: process.parent, evidence: process.evidence, binding: inference.infer(process.evidence))
        }
        inference.resolveServices(&processes)
        let state = SystemState(snaps: Array(scenario.state.snaps.values), processes: processes)
        let text = ScenarioWriter.write(state, root: "/host", now: scenario.now!)
        #expect(text.contains("  - pid: 6001\n    ppid: 1\n    exe: \"/snap/libvirt/20/usr/sbin/libvirtd\"\n"))
        #expect(text.contains("  - pid: 6400\n    ppid: 6300\n    exe: \"/usr/bin/cat\"\n    root: \"/snap/libvirt/20\"\n    files:\n      - \"/snap/libvirt/20/etc/x\"\n"))
        let back = try Scenario(parsing: text, file: "snapshot.yaml")
        #expect(back.state.processes.map { $0.binding?.role } == [.main, .user])
        #expect(back.state.processes.map(\.parent) == [1, 6300])
    }

    @Test func snapshotsOfBindingsKeepRolesAndServices() throws {
        let scenario = try Scenario(parsing: Self.header + """
              - {pid: 6001, ppid: 1, snap: libvirt, revision: 20, app: libvirtd}
              - {pid: 6100, snap: libvirt, revision: 20, app: libvirtd, role: app}
              - {pid: 6300, snap: libvirt, revision: 20, role: user}
            """, file: "scenario.yaml")
        var state = scenario.state
        for index in state.processes.indices { state.processes[index].evidence = ProcessEvidence() }
        let text = ScenarioWriter.write(state, root: "/", now: scenario.now!)
        #expect(text.contains("  - pid: 6100\n    snap: libvirt\n    revision: \"20\"\n    app: libvirtd\n    role: app\n"))
        #expect(text.contains("  - pid: 6300\n    snap: libvirt\n    revision: \"20\"\n    role: user\n"))
        let back = try Scenario(parsing: text, file: "snapshot.yaml")
        #expect(back.state.processes.map { $0.binding?.role } == [.main, .app, .user])
        #expect(back.state.processes.map { $0.binding?.service } == ["snap.libvirt.libvirtd.service", nil, nil])
    }

    // MARK: Output

    static let golden = """
        version: 1
        now: 2026-11-27T12:00:00Z
        snaps:
          - {name: libvirt, current: 20, revisions: [20, 21], apps: {libvirtd: {command: usr/sbin/libvirtd, daemon: notify, stop-mode: sigterm}}}
        processes:
          - {pid: 6001, ppid: 1, exe: /snap/libvirt/20/usr/sbin/libvirtd, cgroup: "0::/system.slice/snap.libvirt.libvirtd.service"}
          - {pid: 7001, ppid: 6001, exe: /snap/libvirt/20/usr/bin/qemu-system-x86_64, cgroup: "0::/system.slice/snap.libvirt.libvirtd.service"}
          - {pid: 9001, ppid: 800, exe: /usr/bin/bash, cwd: /snap/libvirt/20}
        refresh: [libvirt]
        """
    static let goldenPolicy = "version: 1\nrules:\n  - snap: libvirt\n    app: libvirtd\n    on-refresh: restart\n"

    @Test func textGroupsProcessesByService() throws {
        let plan = try plan(scenario: Self.golden, policy: Self.goldenPolicy)
        #expect(plan.text() == """
            libvirt: refresh 20 -> 21
                PID   APP               REV  ROLE    ACTION         RULE
              service snap.libvirt.libvirtd.service (kill mode process): restart
                6001  libvirt.libvirtd  20   main    restart        policy.yaml:5
                7001  libvirt.libvirtd  20   member  leave-running  spared by kill mode
              in no service:
                9001  libvirt           20   user    leave-running  user: never acted on
              keep revision 21: current after the refresh
              keep revision 20: retained (retain: 2); in use by 2 processes

            warnings:
              - libvirt: 1 process left running on revision 20 (pid 7001) keeps using the data in
                /var/snap/libvirt/20 while revision 21 starts from a copy of it; what is written there after the
                refresh is not carried over

            """)
    }

    @Test func explainedTextSaysWhyHowAndWhereFrom() throws {
        let plan = try plan(scenario: Self.golden, policy: Self.goldenPolicy)
        #expect(plan.text(explain: true) == """
            libvirt: refresh 20 -> 21
                PID   APP               REV  ROLE    ACTION         RULE
              service snap.libvirt.libvirtd.service (kill mode process): restart
                    why: policy.yaml:5: rule 1 (snap: libvirt, app: libvirtd)
                    kill mode: stop-mode: sigterm (snap.yaml)
                    how: send SIGTERM, wait 30s, then kill; start again through the service manager
                    signal: snap.yaml: stop-mode: sigterm
                    timeout: built-in
                    then: built-in
                6001  libvirt.libvirtd  20   main    restart        policy.yaml:5
                7001  libvirt.libvirtd  20   member  leave-running  spared by kill mode
                    why: survives the restart of snap.libvirt.libvirtd.service: stop-mode: sigterm (snap.yaml) signals the main process only
              in no service:
                9001  libvirt           20   user    leave-running  user: never acted on
                    why: uses libvirt revision 20 through its working directory but runs no app of a snap: a user is never signalled and never postpones a refresh; the revision stays while it runs
              keep revision 21: current after the refresh
              keep revision 20: retained (retain: 2); in use by 2 processes

            warnings:
              - libvirt: 1 process left running on revision 20 (pid 7001) keeps using the data in
                /var/snap/libvirt/20 while revision 21 starts from a copy of it; what is written there after the
                refresh is not carried over

            """)
    }

    /// A process that pins a refreshed base is listed once, under its own snap, when its fate is
    /// the same in both; where the base's refresh decides it differently (a postponement runs on
    /// the clock of the snap it holds back), it is listed in both, as the two fates differ.
    @Test func pinnedProcessesAreListedOnceUnderTheirOwnSnap() throws {
        let scenario = """
            version: 1
            now: 2026-11-27T12:00:00Z
            snaps:
              - {name: core22, type: base, current: 100, revisions: [100, 101]}
              - {name: vlc, base: core22, current: 10, revisions: [10, 12], apps: {vlc: {}}}
              - {name: firefox, base: core22, current: 4100, revisions: [4100, 4200], postponed-since: 2026-11-20T00:00:00Z, apps: {firefox: {}}}
            processes:
              - {pid: 4242, snap: vlc, revision: 10, app: vlc, pins: {core22: 100}}
              - {pid: 7001, snap: firefox, revision: 4100, app: firefox, pins: {core22: 100}}
            refresh: [vlc, core22, firefox]
            """
        let policy = "version: 1\nrules:\n  - snap: firefox\n    on-refresh: postpone\n    max-postpone: 10d\n"
        let plan = try plan(scenario: scenario, policy: policy)
        #expect(plan.text() == """
            core22: postponed (100 -> 101)
              postponed since 2026-11-27T12:00:00Z, until 2026-12-07T12:00:00Z at the latest
              pinned by 1 process, listed under their own snaps: vlc 4242
                PID   APP              REV   ROLE  ACTION         RULE           PINS
                7001  firefox.firefox  4100  app   postpone       policy.yaml:4  core22 100
              keep revision 101: refresh postponed
              keep revision 100: current; refresh postponed

            firefox: postponed (4100 -> 4200)
              postponed since 2026-11-20T00:00:00Z, until 2026-11-30T00:00:00Z at the latest
                PID   APP              REV   ROLE  ACTION         RULE           PINS
                7001  firefox.firefox  4100  app   postpone       policy.yaml:4  core22 100
              keep revision 4200: refresh postponed
              keep revision 4100: current; refresh postponed

            vlc: refresh 10 -> 12
                PID   APP              REV   ROLE  ACTION         RULE           PINS
                4242  vlc.vlc          10    app   leave-running  built-in       core22 100
              keep revision 12: current after the refresh
              keep revision 10: retained (retain: 2); in use by 1 process

            warnings:
              - vlc: 1 process left running on revision 10 (pid 4242) keeps using the data in /var/snap/vlc/10
                while revision 12 starts from a copy of it; what is written there after the refresh is not
                carried over

            """)
    }

    @Test(arguments: [
        ("/etc/refreshctl/policy.yaml:12: rule 2 (snap: vlc)", "policy.yaml:12"),
        ("policy.yaml:4: defaults", "policy.yaml:4"),
        ("p.yaml:3: rule 1 (snap: x); restart of an app that is not a daemon is a shutdown", "p.yaml:3"),
        ("snap.yaml: refresh-mode: endure", "snap.yaml refresh-mode"),
        ("built-in (daemons are restarted)", "built-in"),
        ("goes with snap.a.b.service: no stop-mode (built-in) signals every process of the service", "with its service"),
        ("survives the restart of snap.a.b.service: stop-mode: sigterm (snap.yaml) signals the main process only", "spared by kill mode"),
        ("already runs from revision 12, the refresh target", "already on target"),
        (Planner.engineReason, "refreshctl itself"),
        ("something new: 12", "see --explain"),
    ])
    func ruleColumnIsTheShortFormOfTheReason(reason: String, tag: String) {
        #expect(PlanTextLayout.ruleTag(reason) == tag)
    }

    @Test func jsonHasRolesParentsServices() throws {
        let plan = try plan(scenario: Self.golden, policy: Self.goldenPolicy)
        let json = plan.json()
        #expect(json.hasPrefix(#"{"version":1,"now":"2026-11-27T12:00:00Z","snaps":[{"name":"libvirt","from":"20","to":"21","outcome":"refresh","processes":[{"pid":6001,"ppid":1,"role":"main","snap":"libvirt","app":"libvirtd","service":"snap.libvirt.libvirtd.service","revision":"20","action":"restart","reason":"policy.yaml:5: rule 1 (snap: libvirt, app: libvirtd)","signal":"SIGTERM","timeout":"30s","then":"kill","sources":{"signal":"snap.yaml: stop-mode: sigterm","timeout":"built-in","then":"built-in"}},{"pid":7001,"ppid":6001,"role":"member","snap":"libvirt","app":"libvirtd","service":"snap.libvirt.libvirtd.service","revision":"20","action":"leave-running","reason":"survives the restart of snap.libvirt.libvirtd.service: stop-mode: sigterm (snap.yaml) signals the main process only"},{"pid":9001,"ppid":800,"role":"user","snap":"libvirt","app":null,"revision":"20","action":"leave-running","reason":"#))
        #expect(json.contains(#""services":[{"unit":"snap.libvirt.libvirtd.service","snap":"libvirt","app":"libvirtd","revision":"20","main":6001,"action":"restart","reason":"policy.yaml:5: rule 1 (snap: libvirt, app: libvirtd)","kill-mode":"process","kill-mode-source":"snap.yaml: stop-mode: sigterm","stop-mode":"sigterm","signal":"SIGTERM","timeout":"30s","then":"kill","sources":{"signal":"snap.yaml: stop-mode: sigterm","timeout":"built-in","then":"built-in"},"stopped":[6001],"others":[7001]}],"keep":"#))
        // A process whose parent is unknown has "ppid": null; one in no service has no "service".
        let bare = try RefreshCoreTests.plan(scenario: Self.header + "  - {pid: 5, snap: libvirt, revision: 20, app: virsh}\n")
        #expect(bare.json().contains(#"{"pid":5,"ppid":null,"role":"app","snap":"libvirt","app":"virsh","revision":"20","#))
        #expect(bare.json().contains(#""services":[]"#))
    }

    /// The same host listed in another order prints the same bytes.
    @Test func outputIsDeterministic() throws {
        let lines = Self.golden.split(separator: "\n", omittingEmptySubsequences: false)
        let processes = lines.filter { $0.hasPrefix("  - {pid") }
        var shuffled = lines.filter { !$0.hasPrefix("  - {pid") }
        let at = shuffled.firstIndex(of: "processes:")! + 1
        shuffled.insert(contentsOf: processes.reversed(), at: at)
        let a = try plan(scenario: Self.golden, policy: Self.goldenPolicy)
        let b = try plan(scenario: shuffled.joined(separator: "\n"), policy: Self.goldenPolicy)
        #expect(a.text() == b.text() && a.json() == b.json())
        #expect(a.text() == (try plan(scenario: Self.golden, policy: Self.goldenPolicy)).text())
    }

    @Test func psShowsRolesParentsAndServices() throws {
        let scenario = try Scenario(parsing: Self.golden, file: "s.yaml")
        let listing = ProcessListing(state: scenario.state)
        #expect(listing.text() == """
            PID   PPID  ROLE    SNAP     APP       SERVICE                        REV  CURRENT  PINS  EVIDENCE
            6001  1     main    libvirt  libvirtd  snap.libvirt.libvirtd.service  20   yes      -     cgroup snap.libvirt.libvirtd.service; exe /snap/libvirt/20/usr/sbin/libvirtd
            7001  6001  member  libvirt  libvirtd  snap.libvirt.libvirtd.service  20   yes      -     cgroup snap.libvirt.libvirtd.service; exe /snap/libvirt/20/usr/bin/qemu-system-x86_64
            9001  800   user    libvirt  -         -                              20   yes      -     cwd /snap/libvirt/20

            """)
        #expect(listing.json().contains(#"{"pid":7001,"ppid":6001,"role":"member","snap":"libvirt","app":"libvirtd","service":"snap.libvirt.libvirtd.service","revision":"20""#))
    }

    @Test func policyTestsExpectRolesAndServices() throws {
        let file = Self.golden + """

            policy: policy.yaml
            expect:
              libvirt:
                processes:
                  6001: {role: main, service: snap.libvirt.libvirtd.service}
                  7001: {role: member, action: leave-running}
                  9001: {role: app}
            """
        let report = PolicyTestSuite(loading: ["t.test.yaml"], read: inMemory(["t.test.yaml": file, "policy.yaml": Self.goldenPolicy])).run()
        #expect(report.diagnostics.isEmpty)
        let failed = report.results.flatMap(\.failures)
        #expect(failed.map { "\($0.subject): expected \($0.expected), actual \($0.actual)" } == ["pid 9001: role: expected app, actual user"])
        #expect(report.results.flatMap(\.checks).count == 5)
    }

    @Test func aServiceExpectationMustNameAServiceUnit() {
        let file = Self.golden + "\nexpect:\n  libvirt:\n    processes:\n      6001: {service: libvirtd}\n      9001: {role: user, service: snap.libvirt.libvirtd.service}\n"
        let report = PolicyTestSuite(loading: ["t.test.yaml"], read: inMemory(["t.test.yaml": file])).run()
        #expect(report.diagnostics.map(\.description) == [
            "t.test.yaml:13:23: error: service 'libvirtd' is not a snap service unit; write it as snap.NAME.APP.service, such as snap.libvirt.libvirtd.service",
            "t.test.yaml:14:35: error: 'service' cannot hold with 'role: user'; only a main or member process is in a service: remove one",
        ])
    }
}
