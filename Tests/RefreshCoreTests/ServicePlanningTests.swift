import Testing
@testable import RefreshCore
@testable import RefreshHost
import RefreshIO

/// Who runs what (DESIGN.md): services decided once, members by kill mode or by the rules that
/// name them, users and the engine never acted on.
@Suite struct ServicePlanningTests {
    static let unit = "snap.libvirt.libvirtd.service"
    static let cgroup = "0::/system.slice/snap.libvirt.libvirtd.service"

    /// libvirt 20 (current) and 21 (staged) on core22; libvirtd's snap.yaml fields are `daemon`,
    /// the app qemu's command is `usr/bin/qemu`. Processes are appended as given.
    static func host(libvirtd: String = "", processes: String) -> String {
        """
        version: 1
        now: 2026-11-27T12:00:00Z
        snaps:
          - {name: core22, type: base, current: 100, revisions: [100, 101]}
          - name: libvirt
            base: core22
            current: 20
            revisions: [19, 20, 21]
            apps:
              libvirtd: {command: usr/sbin/libvirtd, daemon: notify\(libvirtd)}
              qemu: {command: usr/bin/qemu}
              virsh: {command: usr/bin/virsh}
        processes:
        \(processes)
        refresh: [libvirt]
        """
    }

    static let daemon = "  - {pid: 6001, ppid: 1, start-time: 100, exe: /snap/libvirt/20/usr/sbin/libvirtd, cgroup: \"\(cgroup)\"}"
    static func guest(_ pid: Int, exe: String = "usr/bin/qemu-system-x86_64", parent: Int = 6001) -> String {
        "  - {pid: \(pid), ppid: \(parent), start-time: \(pid), exe: /snap/libvirt/20/\(exe), cgroup: \"\(cgroup)\"}"
    }

    static let headlinePolicy = """
        version: 1
        rules:
          - snap: libvirt
            exe: "usr/bin/qemu-system-*"
            on-refresh: leave-running
          - snap: libvirt
            app: libvirtd
            on-refresh: restart
        """

    static let restartOnly = "version: 1\nrules:\n  - snap: libvirt\n    app: libvirtd\n    on-refresh: restart\n"

    // MARK: The headline case

    @Test func theHeadlineCaseWithAnExeRule() throws {
        let plan = try plan(scenario: Self.host(processes: Self.daemon + "\n" + Self.guest(7001)), policy: Self.headlinePolicy)
        let libvirt = try #require(plan.snap("libvirt"))
        #expect(libvirt.outcome == .refresh)
        let service = try #require(libvirt.services.first)
        #expect(libvirt.services.count == 1)
        #expect(service.unit == Self.unit && service.action == .restart && service.main?.pid == 6001)
        #expect(service.reason == "policy.yaml:8: rule 2 (snap: libvirt, app: libvirtd)")
        #expect(service.killMode == .controlGroup && service.killModeSource == "built-in (no stop-mode)")
        #expect(service.stopped.map(\.pid) == [6001] && service.others.map(\.pid) == [7001])
        let main = try #require(libvirt.decision(for: 6001))
        #expect(main.role == .main && main.action == .restart && main.service == Self.unit)
        let guest = try #require(libvirt.decision(for: 7001))
        #expect(guest.role == .member && guest.parent == 6001 && guest.service == Self.unit)
        #expect(guest.action == .leaveRunning)
        #expect(guest.reason == "policy.yaml:5: rule 1 (snap: libvirt, exe: usr/bin/qemu-system-*); survives the restart of snap.libvirt.libvirtd.service: kept out of its stop, although no stop-mode (built-in) signals every process of the service")
        #expect(libvirt.keep.map { "\($0.revision): \($0.why)" } == ["21: current after the refresh", "20: retained (retain: 2); in use by 1 process"])
        #expect(libvirt.remove.map(\.description) == ["19"])
    }

    @Test func theHeadlineCaseWithStopModeSigtermAndNoExeRule() throws {
        let plan = try plan(scenario: Self.host(libvirtd: ", stop-mode: sigterm", processes: Self.daemon + "\n" + Self.guest(7001)), policy: Self.restartOnly)
        let libvirt = try #require(plan.snap("libvirt"))
        let service = try #require(libvirt.services.first)
        #expect(service.action == .restart && service.killMode == .process && service.killModeSource == "snap.yaml: stop-mode: sigterm")
        #expect(service.signal == .sigterm)
        #expect(service.stopped.map(\.pid) == [6001] && service.others.map(\.pid) == [7001])
        let guest = try #require(libvirt.decision(for: 7001))
        #expect(guest.action == .leaveRunning && guest.role == .member)
        #expect(guest.reason == "survives the restart of snap.libvirt.libvirtd.service: stop-mode: sigterm (snap.yaml) signals the main process only")
        #expect(libvirt.keep.map(\.revision.description) == ["21", "20"])
        #expect(libvirt.keep.last?.why.contains("in use by 1 process") == true)
    }

    /// Before services, both processes were planned `restart`: the guest must never be.
    @Test func withoutStopModeOrRuleTheGuestGoesWithItsService() throws {
        let plan = try plan(scenario: Self.host(processes: Self.daemon + "\n" + Self.guest(7001)), policy: Self.restartOnly)
        let libvirt = try #require(plan.snap("libvirt"))
        let service = try #require(libvirt.services.first)
        #expect(service.stopped.map(\.pid) == [6001, 7001] && service.others.isEmpty)
        let guest = try #require(libvirt.decision(for: 7001))
        #expect(guest.action == .restart && guest.signal == .sigterm)
        #expect(guest.reason == "goes with snap.libvirt.libvirtd.service: no stop-mode (built-in) signals every process of the service")
        // It goes: revision 20 is held by nothing that outlives the plan.
        #expect(libvirt.keep.map(\.revision.description) == ["21", "20"])
        #expect(libvirt.keep.last?.why == "retained (retain: 2)")
    }

    // MARK: Kill mode

    struct KillModeCase: Sendable, CustomTestStringConvertible {
        var name: String
        var snapYAML: String
        var rule: String
        var mode: KillMode
        var source: String
        var guest: Action
        var testDescription: String { name }
    }

    static let killModeCases: [KillModeCase] = [
        .init(name: "no stop-mode anywhere: control group", snapYAML: "", rule: "", mode: .controlGroup, source: "built-in (no stop-mode)", guest: .restart),
        .init(name: "snap.yaml sigterm: the main process", snapYAML: ", stop-mode: sigterm", rule: "", mode: .process, source: "snap.yaml: stop-mode: sigterm", guest: .leaveRunning),
        .init(name: "snap.yaml sighup-all: control group", snapYAML: ", stop-mode: sighup-all", rule: "", mode: .controlGroup, source: "snap.yaml: stop-mode: sighup-all", guest: .restart),
        .init(name: "the policy's sigterm overrides snap.yaml's sigterm-all", snapYAML: ", stop-mode: sigterm-all", rule: "    stop-mode: sigterm\n",
              mode: .process, source: "policy.yaml:6: rule 1 (snap: libvirt, app: libvirtd)", guest: .leaveRunning),
        .init(name: "the policy's sigint-all overrides snap.yaml's sigterm", snapYAML: ", stop-mode: sigterm", rule: "    stop-mode: sigint-all\n",
              mode: .controlGroup, source: "policy.yaml:6: rule 1 (snap: libvirt, app: libvirtd)", guest: .restart),
    ]

    @Test(arguments: killModeCases)
    func killModeComesFromStopMode(_ c: KillModeCase) throws {
        let policy = "version: 1\nrules:\n  - snap: libvirt\n    app: libvirtd\n    on-refresh: restart\n" + c.rule
        let plan = try plan(scenario: Self.host(libvirtd: c.snapYAML, processes: Self.daemon + "\n" + Self.guest(7001)), policy: policy)
        let libvirt = try #require(plan.snap("libvirt"))
        let service = try #require(libvirt.services.first)
        #expect(service.killMode == c.mode)
        #expect(service.killModeSource == c.source)
        #expect(libvirt.decision(for: 7001)?.action == c.guest)
        #expect((c.mode == .process) == (service.others.map(\.pid) == [7001]))
    }

    @Test func theStopSignalFollowsThePolicysStopModeButNotOverASnapStopCommand() throws {
        let withMode = try plan(scenario: Self.host(processes: Self.daemon), policy: Self.restartOnly + "    stop-mode: sighup\n")
        #expect(withMode.snap("libvirt")?.services.first?.signal == .sighup)
        // snap.yaml's stop-command still stops it; the policy's stop-mode sets the kill mode only.
        let withCommand = try plan(scenario: Self.host(libvirtd: ", stop-command: bin/stop", processes: Self.daemon), policy: Self.restartOnly + "    stop-mode: sighup\n")
        let service = try #require(withCommand.snap("libvirt")?.services.first)
        #expect(service.stopCommand == ["/snap/libvirt/20/bin/stop"] && service.signal == nil)
        #expect(service.killMode == .process)
    }

    @Test func defaultsStopModeAppliesWhenNeitherRuleNorSnapSayOne() throws {
        let policy = "version: 1\ndefaults:\n  stop-mode: sigusr1\nrules:\n  - snap: libvirt\n    app: libvirtd\n    on-refresh: restart\n"
        let plan1 = try plan(scenario: Self.host(processes: Self.daemon + "\n" + Self.guest(7001)), policy: policy)
        let service = try #require(plan1.snap("libvirt")?.services.first)
        #expect(service.killMode == .process && service.killModeSource == "policy.yaml:3: defaults" && service.signal == .sigusr1)
        // snap.yaml's stop-mode comes before defaults.
        let plan2 = try plan(scenario: Self.host(libvirtd: ", stop-mode: sigterm-all", processes: Self.daemon + "\n" + Self.guest(7001)), policy: policy)
        #expect(plan2.snap("libvirt")?.services.first?.killMode == .controlGroup)
    }

    // MARK: Members a rule names

    @Test func anExeRuleNamesAMemberThatIsKilledOnItsOwn() throws {
        let policy = """
            version: 1
            rules:
              - snap: libvirt
                exe: "usr/bin/qemu-system-*"
                on-refresh: kill
              - snap: libvirt
                app: libvirtd
                on-refresh: leave-running
            """
        let plan = try plan(scenario: Self.host(processes: Self.daemon + "\n" + Self.guest(7001) + "\n" + Self.guest(7002, exe: "usr/libexec/helper")), policy: policy)
        let libvirt = try #require(plan.snap("libvirt"))
        let service = try #require(libvirt.services.first)
        #expect(service.action == .leaveRunning)
        #expect(service.others.map(\.pid) == [7001])
        #expect(service.stopped.map(\.pid) == [6001, 7002])
        let guest = try #require(libvirt.decision(for: 7001))
        #expect(guest.action == .kill)
        #expect(guest.reason == "policy.yaml:5: rule 1 (snap: libvirt, exe: usr/bin/qemu-system-*); signalled on its own, apart from snap.libvirt.libvirtd.service")
        #expect(libvirt.decision(for: 7002)?.action == .leaveRunning)
        #expect(libvirt.decision(for: 7002)?.reason == "goes with snap.libvirt.libvirtd.service, which is left running")
    }

    /// A member running the command of another app of the snap is that app's process: the
    /// rule for that app names it; a snap-wide rule does not.
    @Test func aMemberRunningAnotherAppsCommandIsThatApp() throws {
        let processes = Self.daemon + "\n" + Self.guest(7001, exe: "usr/bin/qemu")
        let state = try Scenario(parsing: Self.host(processes: processes), file: "s.yaml").state
        let guest = try #require(state.processes.first { $0.pid == 7001 }?.binding)
        #expect(guest.app == AppName("qemu") && guest.role == .member && guest.service == Self.unit)
        #expect(guest.executable == "usr/bin/qemu")

        let named = try plan(scenario: Self.host(processes: processes), policy: Self.restartOnly + "  - snap: libvirt\n    app: qemu\n    on-refresh: leave-running\n")
        let libvirt = try #require(named.snap("libvirt"))
        #expect(libvirt.decision(for: 7001)?.action == .leaveRunning)
        #expect(libvirt.decision(for: 7001)?.reason.hasPrefix("policy.yaml:8: rule 2 (snap: libvirt, app: qemu); survives the restart") == true)
        #expect(libvirt.services.first?.others.map(\.pid) == [7001])

        let snapWide = try plan(scenario: Self.host(processes: processes), policy: "version: 1\nrules:\n  - snap: libvirt\n    on-refresh: restart\n")
        let wide = try #require(snapWide.snap("libvirt"))
        #expect(wide.decision(for: 7001)?.action == .restart)
        #expect(wide.services.first?.stopped.map(\.pid) == [6001, 7001])
    }

    /// A rule for the service's own app does not name its members: they go with it.
    @Test func theServicesOwnAppRuleDoesNotNameItsMembers() throws {
        let policy = "version: 1\nrules:\n  - snap: libvirt\n    app: libvirtd\n    on-refresh: kill\n"
        let plan = try plan(scenario: Self.host(libvirtd: ", stop-mode: sigterm", processes: Self.daemon + "\n" + Self.guest(7001)), policy: policy)
        let libvirt = try #require(plan.snap("libvirt"))
        #expect(libvirt.decision(for: 6001)?.action == .kill)
        #expect(libvirt.decision(for: 7001)?.action == .leaveRunning)
        #expect(libvirt.decision(for: 7001)?.reason == "survives the kill of snap.libvirt.libvirtd.service: stop-mode: sigterm (snap.yaml) signals the main process only")
    }

    @Test func restartingAMemberAloneIsAShutdownWithAWarning() throws {
        let policy = "version: 1\nrules:\n  - snap: libvirt\n    exe: \"usr/bin/*\"\n    on-refresh: restart\n" + "  - snap: libvirt\n    on-refresh: leave-running\n"
        let plan = try plan(scenario: Self.host(processes: Self.daemon + "\n" + Self.guest(7001)), policy: policy)
        let libvirt = try #require(plan.snap("libvirt"))
        let guest = try #require(libvirt.decision(for: 7001))
        #expect(guest.action == .shutdown && guest.signal == .sigterm)
        #expect(guest.reason.hasPrefix("policy.yaml:5: rule 1 (snap: libvirt, exe: usr/bin/*); restart of a process that is not its service's main process is a shutdown"))
        #expect(plan.warnings.contains("libvirt: a process of libvirt.libvirtd running usr/bin/qemu-system-x86_64 in snap.libvirt.libvirtd.service is not the service's main process, so 'restart' (policy.yaml:5: rule 1 (snap: libvirt, exe: usr/bin/*)) is planned as its shutdown alone"))
        // The main process (usr/sbin/libvirtd) is not matched by `usr/bin/*`: the service is left running.
        #expect(libvirt.services.first?.action == .leaveRunning)
    }

    /// The service is decided by its main process's rule, executable included.
    @Test func anExeRuleForTheMainProcessDecidesTheService() throws {
        let policy = "version: 1\nrules:\n  - snap: libvirt\n    exe: usr/sbin/libvirtd\n    on-refresh: shutdown\n    timeout: 5s\n"
        let plan = try plan(scenario: Self.host(processes: Self.daemon + "\n" + Self.guest(7001)), policy: policy)
        let service = try #require(plan.snap("libvirt")?.services.first)
        #expect(service.action == .shutdown && service.timeout == .seconds(5))
        #expect(service.reason == "policy.yaml:5: rule 1 (snap: libvirt, exe: usr/sbin/libvirtd)")
    }

    // MARK: One stop per service

    @Test func aThreeProcessDaemonIsOneServicePlanWithOneStopCommand() throws {
        let processes = Self.daemon + "\n" + Self.guest(6002, exe: "usr/sbin/libvirtd") + "\n" + Self.guest(6003, exe: "usr/sbin/libvirtd")
        let plan = try plan(scenario: Self.host(libvirtd: ", stop-command: bin/ctl stop", processes: processes), policy: Self.restartOnly)
        let libvirt = try #require(plan.snap("libvirt"))
        #expect(libvirt.services.count == 1)
        let service = try #require(libvirt.services.first)
        #expect(service.stopCommand == ["/snap/libvirt/20/bin/ctl", "stop"])
        #expect(service.stopped.map(\.pid) == [6001, 6002, 6003])
        #expect(libvirt.processes.map(\.role) == [.main, .member, .member])
        // No service manager: one error for the service, not one per process.
        let refused = plan.requiringRestartCommands()
        #expect(refused.snaps[0].error == "cannot restart snap.libvirt.libvirtd.service (main pid 6001): systemd is not PID 1 here and the policy gives no restart-command for it; add restart-command to its rule or choose another action")
        let withCommand = try RefreshCoreTests.plan(scenario: Self.host(processes: processes), policy: Self.restartOnly + "    restart-command: [\"/usr/local/bin/start\"]\n")
        #expect(withCommand.requiringRestartCommands().snaps[0].outcome == .refresh)
        #expect(withCommand.snaps[0].services.first?.restartCommand == ["/usr/local/bin/start"])
    }

    /// A member survivor without a restart-command does not need one: only the service restarts.
    @Test func requiringRestartCommandsIgnoresMembersThatSurvive() throws {
        let plan = try plan(scenario: Self.host(processes: Self.daemon + "\n" + Self.guest(7001)), policy: Self.headlinePolicy + "\n    restart-command: [\"/usr/local/bin/start\"]\n")
        #expect(plan.requiringRestartCommands().snaps[0].outcome == .refresh)
    }

    @Test func aServiceWithoutARunningMainIsDecidedByItsAppRule() throws {
        // systemd's MainPID names a process that is gone: no member is the main process.
        var state = try Scenario(parsing: Self.host(processes: Self.daemon + "\n" + Self.guest(7001)), file: "s.yaml").state
        let inference = BindingInference(snaps: state.snaps)
        inference.resolveServices(&state.processes, mainPIDs: [Self.unit: 4242])
        #expect(state.processes.allSatisfy { $0.binding?.role == .member })
        let policy = try Policy(parsing: Self.headlinePolicy, file: "policy.yaml")
        let plan = Planner.plan(state: state, request: RefreshRequest([.init(snap: SnapName("libvirt")!)]), policy: policy, now: Timestamp(rfc3339: "2026-11-27T12:00:00Z")!)
        let service = try #require(plan.snaps[0].services.first)
        #expect(service.main == nil && service.action == .restart)
        #expect(service.reason == "policy.yaml:8: rule 2 (snap: libvirt, app: libvirtd)")
        #expect(plan.snaps[0].decision(for: 6001)?.action == .restart)
        #expect(plan.snaps[0].decision(for: 7001)?.action == .leaveRunning)
        #expect(plan.requiringRestartCommands().snaps[0].error?.hasPrefix("cannot restart snap.libvirt.libvirtd.service (no main process running)") == true)
    }

    // MARK: Users

    struct UserCase: Sendable, CustomTestStringConvertible {
        var name: String
        var evidence: String
        var uses: [RevisionUse]
        var testDescription: String { name }
    }

    static let userCases: [UserCase] = [
        .init(name: "a shell in the revision", evidence: "exe: /usr/bin/bash, cwd: /snap/libvirt/20/usr/share", uses: [.workingDirectory]),
        .init(name: "chrooted into the revision", evidence: "exe: /usr/bin/bash, root: /snap/libvirt/20", uses: [.root]),
        .init(name: "maps a library of the revision", evidence: "exe: /usr/bin/python3, maps: [/snap/libvirt/20/usr/lib/libvirt.so.0]", uses: [.mappedFile]),
        .init(name: "holds a file open", evidence: "exe: /usr/bin/less, files: [/snap/libvirt/20/usr/share/doc/README]", uses: [.openFile]),
        .init(name: "all of them", evidence: "exe: /usr/bin/x, cwd: /snap/libvirt/20, root: /snap/libvirt/20, maps: [/snap/libvirt/20/a.so], files: [/snap/libvirt/20/b]",
              uses: [.workingDirectory, .root, .mappedFile, .openFile]),
    ]

    /// Whatever the policy says, a user is left running, never postpones, keeps its revision.
    @Test(arguments: userCases)
    func usersAreNeverActedOn(_ c: UserCase) throws {
        let scenario = Self.host(processes: "  - {pid: 9001, ppid: 800, \(c.evidence)}")
        for action in ["kill", "postpone", "shutdown"] {
            let plan = try plan(scenario: scenario, policy: "version: 1\nrules:\n  - snap: \"*\"\n    on-refresh: \(action)\n")
            let libvirt = try #require(plan.snap("libvirt"))
            #expect(libvirt.outcome == .refresh)
            let user = try #require(libvirt.decision(for: 9001))
            #expect(user.role == .user && user.action == .leaveRunning && user.app == nil)
            #expect(user.reason == "uses libvirt revision 20 through its \(c.uses.map(\.description).joined(separator: ", ")) but runs no app of a snap: a user is never signalled and never postpones a refresh; the revision stays while it runs")
            #expect(libvirt.keep.first { $0.revision == Revision("20") }?.why.contains("in use by 1 process") == true)
            #expect(plan.warnings.isEmpty)  // a user is not warned about as using the data
        }
    }

    @Test func aUserOfAnOldRevisionKeepsItBeyondRetain() throws {
        let plan = try plan(scenario: Self.host(processes: "  - {pid: 9001, exe: /usr/bin/bash, cwd: /snap/libvirt/19}"), policy: "version: 1\ndefaults:\n  on-refresh: kill\n")
        let libvirt = try #require(plan.snap("libvirt"))
        #expect(libvirt.keep.map { "\($0.revision): \($0.why)" } == ["21: current after the refresh", "20: retained (retain: 2)", "19: in use by 1 process"])
        #expect(libvirt.remove.isEmpty)
    }

    @Test func aUserInABindingScenarioIsAUserToo() throws {
        let plan = try plan(scenario: Self.host(processes: "  - {pid: 9001, snap: libvirt, revision: 20, role: user}"), policy: "version: 1\ndefaults:\n  on-refresh: postpone\n")
        let user = try #require(plan.snap("libvirt")?.decision(for: 9001))
        #expect(user.role == .user && user.action == .leaveRunning)
        #expect(user.reason.hasPrefix("uses libvirt revision 20 but runs no app of a snap"))
        #expect(plan.snaps[0].outcome == .refresh)
    }

    // MARK: Postponement

    @Test func postponementCountsAppsAndServicesButNotUsers() throws {
        let policy = "version: 1\ndefaults:\n  on-refresh: postpone\n"
        let onlyUsers = try plan(scenario: Self.host(processes: "  - {pid: 9001, exe: /bin/sh, cwd: /snap/libvirt/20}\n  - {pid: 9002, exe: /bin/cat, files: [/snap/libvirt/20/x]}"), policy: policy)
        #expect(onlyUsers.snaps[0].outcome == .refresh)

        let app = try plan(scenario: Self.host(processes: "  - {pid: 5001, exe: /snap/libvirt/20/usr/bin/virsh}"), policy: policy)
        #expect(app.snaps[0].outcome == .postponed)

        // A service whose main process's rule postpones postpones the snap; its members go with it.
        let service = try plan(scenario: Self.host(processes: Self.daemon + "\n" + Self.guest(7001)), policy: policy)
        #expect(service.snaps[0].outcome == .postponed)
        #expect(service.snaps[0].services.first?.action == .postpone)
        #expect(service.snaps[0].services.first?.deadline == Timestamp(rfc3339: "2026-12-11T12:00:00Z"))
        #expect(service.snaps[0].decision(for: 7001)?.action == .postpone)

        // A member alone, named by a rule that postpones, postpones the snap too.
        let member = try plan(scenario: Self.host(processes: Self.daemon + "\n" + Self.guest(7001)),
                              policy: "version: 1\nrules:\n  - snap: libvirt\n    exe: \"usr/bin/*\"\n    on-refresh: postpone\n  - snap: libvirt\n    on-refresh: restart\n")
        #expect(member.snaps[0].outcome == .postponed)
        #expect(member.snaps[0].decision(for: 6001)?.action == .restart)
    }

    // MARK: The engine

    @Test func theEngineAndItsAncestorsAreNeverActedOn() throws {
        let scenario = try Scenario(parsing: Self.host(processes: Self.daemon + "\n" + Self.guest(7001) + "\n  - {pid: 5001, ppid: 4000, exe: /snap/libvirt/20/usr/bin/virsh}"), file: "s.yaml")
        var state = scenario.state
        state.engineProcesses = [5001, 4000, 1]
        let kill = try Policy(parsing: "version: 1\ndefaults:\n  on-refresh: kill\n", file: "policy.yaml")
        let request = RefreshRequest([.init(snap: SnapName("libvirt")!)])
        let plan = Planner.plan(state: state, request: request, policy: kill, now: scenario.now!)
        let virsh = try #require(plan.snaps[0].decision(for: 5001))
        #expect(virsh.action == .leaveRunning)
        #expect(virsh.reason == "refreshctl itself or one of its ancestors (such as the shell that ran it): never acted on")
        #expect(plan.snaps[0].decision(for: 6001)?.action == .kill)  // not an ancestor

        // It never postpones.
        let postpone = try Policy(parsing: "version: 1\ndefaults:\n  on-refresh: postpone\n", file: "policy.yaml")
        state.processes.removeAll { $0.pid != 5001 }
        #expect(Planner.plan(state: state, request: request, policy: postpone, now: scenario.now!).snaps[0].outcome == .refresh)
    }

    @Test func aServiceWhoseMainIsTheEnginesAncestorIsLeftRunning() throws {
        let scenario = try Scenario(parsing: Self.host(processes: Self.daemon + "\n" + Self.guest(7001, exe: "usr/sbin/helper")), file: "s.yaml")
        var state = scenario.state
        state.engineProcesses = [6001]
        let policy = try Policy(parsing: Self.restartOnly, file: "policy.yaml")
        let plan = Planner.plan(state: state, request: RefreshRequest([.init(snap: SnapName("libvirt")!)]), policy: policy, now: scenario.now!)
        let service = try #require(plan.snaps[0].services.first)
        #expect(service.action == .leaveRunning)
        #expect(service.reason == "its main process 6001 is refreshctl itself or one of its ancestors (such as the shell that ran it): never acted on")
        #expect(plan.snaps[0].decision(for: 7001)?.action == .leaveRunning)
    }

    @Test func anEngineMemberIsKeptOutOfItsServicesStop() throws {
        let scenario = try Scenario(parsing: Self.host(processes: Self.daemon + "\n" + Self.guest(7001, exe: "usr/sbin/helper")), file: "s.yaml")
        var state = scenario.state
        state.engineProcesses = [7001]
        let policy = try Policy(parsing: Self.restartOnly, file: "policy.yaml")
        let plan = Planner.plan(state: state, request: RefreshRequest([.init(snap: SnapName("libvirt")!)]), policy: policy, now: scenario.now!)
        let service = try #require(plan.snaps[0].services.first)
        #expect(service.action == .restart && service.others.map(\.pid) == [7001] && service.stopped.map(\.pid) == [6001])
        #expect(plan.snaps[0].decision(for: 7001)?.reason == Planner.engineReason)
    }

    // MARK: Bases: one fate per service

    static let vlcDaemonHost = """
        version: 1
        now: 2026-11-27T12:00:00Z
        snaps:
          - {name: core22, type: base, current: 100, revisions: [100, 101]}
          - {name: vlc, base: core22, current: 10, revisions: [10, 12], apps: {vlcd: {command: bin/vlcd, daemon: simple}}}
        processes:
          - {pid: 4000, ppid: 1, exe: /snap/vlc/10/bin/vlcd, maps: [/snap/core22/100/lib/libc.so.6], cgroup: "0::/system.slice/snap.vlc.vlcd.service"}
          - {pid: 4001, ppid: 4000, exe: /snap/vlc/10/bin/static-helper, cgroup: "0::/system.slice/snap.vlc.vlcd.service"}
        refresh: [core22]
        """

    /// A daemon of vlc pinning the refreshed core22 appears in core22's section with its
    /// service, and so does the member that does not pin core22: the service stops as a whole.
    @Test func aServicePinningARefreshedBaseIsPlannedInTheBasesSection() throws {
        let plan = try plan(scenario: Self.vlcDaemonHost, policy: "version: 1\ndefaults:\n  restart-command: [\"/bin/true\"]\n")
        let core = try #require(plan.snap("core22"))
        #expect(core.services.map(\.unit) == ["snap.vlc.vlcd.service"])
        #expect(core.services.first?.action == .restart)
        #expect(core.processes.map(\.identity.pid) == [4000, 4001])
        #expect(core.decision(for: 4000)?.pins == Revision("100"))
        #expect(core.decision(for: 4001)?.pins == nil)
        #expect(core.decision(for: 4001)?.action == .restart)
        #expect(core.keep.map { "\($0.revision): \($0.why)" } == ["101: current after the refresh", "100: retained (retain: 2)"])

        let both = try RefreshCoreTests.plan(scenario: Self.vlcDaemonHost.replacingOccurrences(of: "refresh: [core22]", with: "refresh: [core22, vlc]"),
                            policy: "version: 1\nrules:\n  - snap: vlc\n    on-refresh: kill\n")
        #expect(both.snaps.map { $0.services.first?.action } == [.kill, .kill])
        #expect(both.snaps[0].services == both.snaps[1].services)
    }

    @Test func aPostponedServicePostponesItsBaseOnTheBasesClock() throws {
        let text = Self.vlcDaemonHost.replacingOccurrences(of: "{name: core22, type: base, current: 100, revisions: [100, 101]}",
                                                          with: "{name: core22, type: base, current: 100, revisions: [100, 101], postponed-since: 2026-11-20T12:00:00Z}")
        let plan = try plan(scenario: text, policy: "version: 1\nrules:\n  - snap: vlc\n    on-refresh: postpone\n")
        let core = try #require(plan.snap("core22"))
        #expect(core.outcome == .postponed)
        #expect(core.postponement?.deadline == Timestamp(rfc3339: "2026-12-04T12:00:00Z"))
    }

    @Test func processesOfAServiceAlreadyOnTheTarget() throws {
        let processes = """
              - {pid: 6001, ppid: 1, exe: /snap/libvirt/21/usr/sbin/libvirtd, cgroup: "\(Self.cgroup)"}
              - {pid: 7001, ppid: 6001, exe: /snap/libvirt/20/usr/bin/qemu-system-x86_64, cgroup: "\(Self.cgroup)"}
            """
        let plan = try plan(scenario: Self.host(processes: processes), policy: Self.headlinePolicy)
        let libvirt = try #require(plan.snap("libvirt"))
        #expect(libvirt.services.first?.action == .leaveRunning)
        #expect(libvirt.decision(for: 6001)?.reason == "already runs from revision 21, the refresh target")
        #expect(libvirt.decision(for: 7001)?.action == .leaveRunning)
        #expect(libvirt.keep.map(\.revision.description) == ["21", "20"])
    }
}
