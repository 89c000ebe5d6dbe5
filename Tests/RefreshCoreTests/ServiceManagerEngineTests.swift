import Synchronization
import Testing
@testable import RefreshCore
import RefreshFakes

/// A service manager over a ``FakeHost``, standing in for systemd: it knows some units (their
/// `MainPID` and `KillMode`), stops a unit by making its processes exit (the main one only with
/// `KillMode=process`), moves processes into a scope by changing their cgroup, and starts a
/// unit by starting a process from the snap's current revision. It records every request.
final class FakeServiceManager: ServiceManager {
    struct Unit: Sendable {
        var mainPID: Int32?
        var killMode: String
        var active = true
        /// The executable a start runs, under the current revision (`usr/sbin/libvirtd`).
        var executable: String
        /// Ignores a stop: its processes stay (a unit that hangs in its stop).
        var hangs = false
    }

    let host: FakeHost
    private let state: Mutex<(units: [String: Unit], calls: [String], nextPID: Int32)>

    init(host: FakeHost, units: [String: Unit]) {
        self.host = host
        state = Mutex((units, [], 9000))
    }

    var name: String { "systemd" }
    var calls: [String] { state.withLock { $0.calls } }

    func status(_ unit: String) async -> ServiceStatus? {
        state.withLock { state in
            state.calls.append("status \(unit)")
            return state.units[unit].map { ServiceStatus(unit: unit, activeState: $0.active ? "active" : "inactive", mainPID: $0.mainPID, killMode: $0.killMode) }
        }
    }

    /// The running processes whose cgroup is `unit`'s.
    private func members(_ unit: String, _ world: FakeHost.World) -> [Int32] {
        world.processes.values.filter { world.isRunning($0.identity.pid) && $0.evidence.cgroups.contains { $0.hasSuffix("/" + unit) } }
            .map(\.identity.pid).sorted()
    }

    func stop(_ unit: String, timeout: TimeSpan) -> any ServiceJob {
        let known = state.withLock { state in
            state.calls.append("stop \(unit)")
            return state.units[unit]
        }
        guard let known else { return Job(result: .failed("Unit \(unit) not loaded.")) }
        if known.hangs { return Job(result: .timedOut) }
        host.with { world in
            for pid in members(unit, world) where known.killMode != "process" || pid == known.mainPID { world.exit(pid) }
        }
        state.withLock { $0.units[unit]?.active = false; $0.units[unit]?.mainPID = nil }
        return Job(result: .done("systemd reports \(unit) inactive"))
    }

    func start(_ unit: String, timeout: TimeSpan) -> any ServiceJob {
        let (known, pid) = state.withLock { state in
            state.calls.append("start \(unit)")
            state.nextPID += 1
            return (state.units[unit], state.nextPID)
        }
        guard let known else { return Job(result: .failed("Unit \(unit) not loaded.")) }
        let parts = unit.split(separator: ".")
        host.with { world in
            let snap = SnapName(String(parts[1]))!
            let current = world.snaps[snap]!.current!
            world.start(pid: pid, exe: "/snap/\(snap)/\(current)/\(known.executable)", cgroup: "0::/system.slice/\(unit)")
        }
        state.withLock { $0.units[unit]?.active = true; $0.units[unit]?.mainPID = pid }
        return Job(result: .done("systemd reports \(unit) active"))
    }

    func kill(_ unit: String, signal: Signal, mainOnly: Bool) -> any ServiceJob {
        let known = state.withLock { state in
            state.calls.append("kill \(signal) \(mainOnly ? "main" : "all") \(unit)")
            return state.units[unit]
        }
        host.with { world in
            for pid in members(unit, world) where !mainOnly || pid == known?.mainPID { world.exit(pid) }
        }
        return Job(result: .done("killed"))
    }

    func moveOut(_ processes: [ProcessIdentity], of unit: String, into scope: String) -> any ServiceJob {
        state.withLock { $0.calls.append("move-out \(processes.map { String($0.pid) }.joined(separator: ",")) of \(unit) into \(scope)") }
        host.with { world in
            for identity in processes { world.processes[identity.pid]?.evidence.cgroups = ["0::/system.slice/\(scope)"] }
        }
        return Job(result: .done("moved"))
    }

    struct Job: ServiceJob {
        let result: ServiceJobResult?
    }
}

/// The engine through a service manager (fakes): the main process is the manager's `MainPID`,
/// plans and reports say which manager they assumed, survivors are moved out before the stop.
@Suite struct ServiceManagerEngineTests {
    static let unit = "snap.libvirt.libvirtd.service"
    static let cgroup = "0::/system.slice/\(unit)"

    /// libvirtd (6001) with a helper it double-forked (6002, parent 1, started first) and a qemu
    /// guest (7001), all in libvirtd's cgroup.
    static let scenario = """
        version: 1
        now: 2026-11-27T12:00:00Z
        snaps:
          - name: libvirt
            current: 20
            revisions: [20, 21]
            apps:
              libvirtd: {command: usr/sbin/libvirtd, daemon: notify}
              qemu: {command: usr/bin/qemu}
        processes:
          - {pid: 6002, ppid: 1, start-time: 50, exe: /snap/libvirt/20/usr/sbin/helper, cgroup: "\(cgroup)"}
          - {pid: 6001, ppid: 1, start-time: 100, exe: /snap/libvirt/20/usr/sbin/libvirtd, cgroup: "\(cgroup)"}
          - {pid: 7001, ppid: 6001, start-time: 200, exe: /snap/libvirt/20/usr/bin/qemu-system-x86_64, cgroup: "\(cgroup)"}
        refresh: [libvirt]
        """

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

    static func policy(_ text: String = headlinePolicy) throws -> LoadedPolicy {
        LoadedPolicy(policy: try Policy(parsing: text, file: "/etc/refreshctl/policy.yaml"),
                     source: PolicySource(path: "/etc/refreshctl/policy.yaml", digest: "sha256:00"))
    }

    func host() throws -> FakeHost { FakeHost(scenario: try Scenario(parsing: Self.scenario, file: "host.yaml")) }

    func systemd(_ host: FakeHost, mainPID: Int32? = 6001, killMode: String = "control-group", hangs: Bool = false) -> FakeServiceManager {
        FakeServiceManager(host: host, units: [Self.unit: .init(mainPID: mainPID, killMode: killMode, executable: "usr/sbin/libvirtd", hangs: hangs)])
    }

    // MARK: MainPID

    @Test func theMainProcessIsTheServiceManagersMainPID() async throws {
        let host = try host()
        let request = try RefreshRequest(parsing: ["libvirt"])
        // Without a service manager, the oldest member whose parent is not a member is main: the helper.
        let inferred = await RefreshEngine(adapters: host.adapters()).plan(request, policy: try Self.policy().policy).plan
        #expect(inferred.snap("libvirt")?.services.first?.main?.pid == 6002)
        // systemd says libvirtd is; the helper is a member.
        let manager = systemd(host)
        let told = await RefreshEngine(adapters: host.adapters(serviceManager: manager)).plan(request, policy: try Self.policy().policy).plan
        let service = try #require(told.snap("libvirt")?.services.first)
        #expect(service.main?.pid == 6001)
        #expect(told.snap("libvirt")?.decision(for: 6001)?.role == .main)
        #expect(told.snap("libvirt")?.decision(for: 6002)?.role == .member)
        #expect(manager.calls == ["status \(Self.unit)"], "each unit is asked once")
    }

    @Test func aUnitTheManagerKnowsWithoutAMainProcessHasNone() async throws {
        let host = try host()
        let read = await HostReader(store: host.adapters().store, inspector: host.adapters().inspector)
            .read(serviceManager: systemd(host, mainPID: nil))
        let roles = read.state.processes.map { $0.binding?.role }
        #expect(roles == [.member, .member, .member], "no main process")
    }

    @Test func aUnitTheManagerDoesNotKnowIsLeftToInference() async throws {
        let host = try host()
        let manager = FakeServiceManager(host: host, units: [:])
        let read = await HostReader(store: host.adapters().store, inspector: host.adapters().inspector).read(serviceManager: manager)
        #expect(read.state.processes.first(where: { $0.binding?.role == .main })?.pid == 6002)
    }

    // MARK: Which manager the plan assumed

    @Test func thePlanSaysWhichServiceManagerItAssumed() async throws {
        let host = try host()
        let request = try RefreshRequest(parsing: ["libvirt"])
        let withSystemd = await RefreshEngine(adapters: host.adapters(serviceManager: systemd(host))).plan(request, policy: try Self.policy().policy).plan
        #expect(withSystemd.serviceManager == "systemd")
        #expect(withSystemd.text().hasSuffix("\nservice manager: systemd (services are stopped, killed and started through it; survivors are moved out of their unit first)\n"))
        #expect(withSystemd.json().hasSuffix(",\"exit-code\":0,\"service-manager\":\"systemd\"}\n"))
        #expect(!withSystemd.warnings.contains { $0.contains("cannot be moved out") })

        let without = await RefreshEngine(adapters: host.adapters()).plan(request, policy: try Self.policy().policy).plan
        #expect(without.serviceManager == "none")
        #expect(without.text().contains("\nservice manager: none (the engine signals daemons itself and starts them again with their restart-command)\n"))
        #expect(without.json().contains("\"service-manager\":\"none\""))
        // Without a manager, the restart has no restart-command: an error, as before.
        #expect(without.snap("libvirt")?.outcome == .error)

        // A plan on paper assumes nothing and says nothing: its output is as it was.
        let paper = try plan(scenario: Self.scenario, policy: Self.headlinePolicy)
        #expect(paper.serviceManager == nil)
        #expect(!paper.json().contains("service-manager") && !paper.text().contains("\nservice manager:"))
    }

    @Test func withoutAServiceManagerThePlanSaysUpFrontThatSurvivorsCannotBeMovedOut() async throws {
        let host = try host()
        let request = try RefreshRequest(parsing: ["libvirt"])
        let policy = try Self.policy(Self.headlinePolicy + "    restart-command: [/snap/libvirt/current/usr/sbin/libvirtd]\n").policy
        let without = await RefreshEngine(adapters: host.adapters()).plan(request, policy: policy).plan
        #expect(without.snap("libvirt")?.outcome == .refresh)
        #expect(without.warnings.filter { $0.contains("moved out") } == [
            "libvirt: snap.libvirt.libvirtd.service: the processes the policy keeps (pid 7001) cannot be moved out of the unit: no service manager here can do it (--service-manager none); the engine signals only the ones it stops, but a service manager running the unit with KillMode=control-group would take them along",
        ])
        // Text wraps warnings at 100 columns: the whole warning, unwrapped, is there.
        #expect(without.text().replacingOccurrences(of: "\n    ", with: " ").contains("  - " + without.warnings.first { $0.contains("moved out") }!))
        // With systemd, they are moved out at apply time: no warning.
        let with = await RefreshEngine(adapters: host.adapters(serviceManager: systemd(host))).plan(request, policy: policy).plan
        #expect(!with.warnings.contains { $0.contains("moved out") })
        // With stop-mode sigterm (KillMode=process) nothing would take them: no warning either.
        let sigterm = await RefreshEngine(adapters: host.adapters()).plan(request, policy: try Self.policy(Self.headlinePolicy + "    stop-mode: sigterm\n    restart-command: [/bin/true]\n").policy).plan
        #expect(!sigterm.warnings.contains { $0.contains("moved out") })
    }

    // MARK: Acting through the manager

    @Test func theHeadlineCaseMovesTheGuestOutThenStopsAndStartsTheUnit() async throws {
        let host = try host()
        let manager = systemd(host)
        let report = try await RefreshEngine(adapters: host.adapters(serviceManager: manager))
            .apply(try RefreshRequest(parsing: ["libvirt"]), policy: try Self.policy(), wait: false)
        #expect(report.exitCode == 0, "\(report.text())")
        #expect(report.serviceManager == "systemd")
        #expect(report.text().hasSuffix("service manager: systemd (services are stopped, killed and started through it; survivors are moved out of their unit first)\n"))
        #expect(report.json().contains("\"service-manager\":\"systemd\""))
        #expect(manager.calls.filter { !$0.hasPrefix("status") } == [
            "move-out 7001 of snap.libvirt.libvirtd.service into refreshctl-survivors-snap-libvirt-libvirtd-service-7001.scope",
            "stop snap.libvirt.libvirtd.service",
            "start snap.libvirt.libvirtd.service",
        ])
        let world = host.world
        #expect(world.isRunning(7001), "the guest survives")
        #expect(!world.isRunning(6001) && !world.isRunning(6002))
        #expect(world.processes[6001]?.signals == [], "nothing is signalled behind the manager's back")
        #expect(world.processes[9001]?.evidence.exe == "/snap/libvirt/21/usr/sbin/libvirtd", "started again from the new revision")
        #expect(report.services.map(\.outcome) == [.restarted])
        #expect(report.services.first?.detail.contains("stopped through systemd") == true)
        #expect(report.snaps.first?.kept.contains { $0.revision == Revision("20")! } == true, "the guest keeps revision 20")
    }

    @Test func withKillModeProcessNothingIsMovedOut() async throws {
        let host = try host()
        let manager = systemd(host, killMode: "process")
        let report = try await RefreshEngine(adapters: host.adapters(serviceManager: manager))
            .apply(try RefreshRequest(parsing: ["libvirt"]), policy: try Self.policy(Self.headlinePolicy + "    stop-mode: sigterm\n"), wait: false)
        #expect(report.exitCode == 0, "\(report.text())")
        #expect(manager.calls.filter { !$0.hasPrefix("status") } == ["stop snap.libvirt.libvirtd.service", "start snap.libvirt.libvirtd.service"])
        #expect(host.world.isRunning(7001))
    }

    @Test func aUnitThatDoesNotStopInTimeIsKilledThroughTheManager() async throws {
        let host = try host()
        let manager = systemd(host, hangs: true)
        let policy = try Self.policy(Self.headlinePolicy + "    timeout: 3s\n    then: kill\n")
        let report = try await RefreshEngine(adapters: host.adapters(serviceManager: manager))
            .apply(try RefreshRequest(parsing: ["libvirt"]), policy: policy, wait: false)
        #expect(manager.calls.filter { !$0.hasPrefix("status") } == [
            "move-out 7001 of snap.libvirt.libvirtd.service into refreshctl-survivors-snap-libvirt-libvirtd-service-7001.scope",
            "stop snap.libvirt.libvirtd.service",
            "kill SIGKILL all snap.libvirt.libvirtd.service",
            "start snap.libvirt.libvirtd.service",
        ])
        #expect(report.services.first?.detail.contains("still running after 3s, killed") == true, "\(report.text())")
        #expect(host.world.isRunning(7001), "the guest was moved out before the kill")
    }

    @Test func membersTheUnitsKillModeSparesGetThePolicysSignalOnceTheUnitStopped() async throws {
        // The unit has KillMode=process (snapd wrote it for stop-mode: sigterm); the policy says
        // sigint-all: the helper and the guest go with the service, by SIGINT, not by SIGKILL.
        let host = try host()
        let manager = systemd(host, killMode: "process")
        let policy = try Self.policy("version: 1\nrules:\n  - snap: libvirt\n    on-refresh: restart\n    stop-mode: sigint-all\n")
        let report = try await RefreshEngine(adapters: host.adapters(serviceManager: manager))
            .apply(try RefreshRequest(parsing: ["libvirt"]), policy: policy, wait: false)
        #expect(report.exitCode == 0, "\(report.text())")
        #expect(manager.calls.filter { !$0.hasPrefix("status") } == ["stop snap.libvirt.libvirtd.service", "start snap.libvirt.libvirtd.service"])
        let world = host.world
        #expect(world.processes[6001]?.signals == [], "the main process is the unit's to stop")
        #expect(world.processes[6002]?.signals == [.sigint] && world.processes[7001]?.signals == [.sigint])
        #expect(!world.isRunning(6002) && !world.isRunning(7001))
        #expect(report.services.first?.outcome == .restarted)
        #expect(report.services.first?.detail.contains("the unit's stop left pid 6002, 7001; sent SIGINT") == true, "\(report.text())")
    }

    @Test func aRestartOfAUnitTheManagerDoesNotKnowIsRefusedUpFront() async throws {
        // Processes in snap.libvirt.libvirtd.service, but systemd has no such unit loaded: the
        // engine would stop them itself and could not start the service again.
        let host = try host()
        let manager = FakeServiceManager(host: host, units: [:])
        let engine = RefreshEngine(adapters: host.adapters(serviceManager: manager))
        let request = try RefreshRequest(parsing: ["libvirt"])
        let planned = await engine.plan(request, policy: try Self.policy().policy).plan
        #expect(planned.snap("libvirt")?.outcome == .error)
        #expect(planned.snap("libvirt")?.error == "cannot restart snap.libvirt.libvirtd.service: systemd does not know the unit (it is not loaded), so nothing can start it again, and the policy gives no restart-command for it; add restart-command to its rule or choose another action")
        let report = try await engine.apply(request, policy: try Self.policy(), wait: false)
        #expect(report.exitCode == 1 && report.snaps.first?.outcome == .error)
        #expect(manager.calls.allSatisfy { $0.hasPrefix("status") }, "nothing was stopped")
        #expect(host.world.processes.values.allSatisfy { $0.signals.isEmpty } && host.world.snaps[SnapName("libvirt")!]?.current == Revision("20"))
        // With a restart-command it goes ahead: the engine stops it itself and runs the command.
        let withCommand = await engine.plan(request, policy: try Self.policy(Self.headlinePolicy + "    restart-command: [/bin/true]\n").policy).plan
        #expect(withCommand.snap("libvirt")?.outcome == .refresh)
    }
}
