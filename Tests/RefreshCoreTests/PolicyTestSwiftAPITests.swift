import Testing
@testable import RefreshCore
@testable import RefreshHost
import RefreshIO

/// The Swift API for policy tests: load, plan, and look decisions up by snap, PID and app.
@Suite struct PolicyTestSwiftAPITests {
    func workstation() throws -> (Scenario, Policy) {
        (try Scenario(contentsOf: packagePath("Examples/scenarios/workstation.yaml")),
         try Policy(contentsOf: packagePath("Examples/policies/workstation.yaml")))
    }

    @Test func aScenarioPlansItsOwnRefreshAtItsOwnTime() throws {
        let (scenario, policy) = try workstation()
        let plan = try scenario.plan(policy: policy)
        #expect(plan == Planner.plan(state: scenario.state, request: scenario.refresh!, policy: policy, now: scenario.now!))
        #expect(plan.now.description == "2026-11-27T12:00:00Z")
    }

    @Test func refreshAndTimeCanBeGiven() throws {
        let (scenario, policy) = try workstation()
        let plan = try scenario.plan(policy: policy, refresh: try RefreshRequest(parsing: ["firefox"]), now: Timestamp(rfc3339: "2026-11-20T00:00:00Z"))
        #expect(plan.snaps.map(\.name.rawValue) == ["firefox"])
        #expect(plan.snap("firefox")?.outcome == .postponed)
    }

    @Test func withoutRefreshOrTimeThePlanIsRefused() throws {
        let bare = try Scenario(parsing: "version: 1\nsnaps:\n  - {name: vlc, current: 1, revisions: [1, 2]}\n", file: "bare.yaml")
        #expect(throws: RefreshCoreError.self) { try bare.plan() }
        do {
            _ = try bare.plan(now: Timestamp(secondsSinceEpoch: 0))
        } catch {
            #expect(error.code == .invalidArgument)
            #expect(error.message == "nothing to refresh: bare.yaml has no 'refresh:'; pass refresh: RefreshRequest(parsing: [\"NAME\"]) or add 'refresh:' to the scenario")
        }
        do {
            _ = try bare.plan(refresh: try RefreshRequest(parsing: ["vlc"]))
        } catch {
            #expect(error.message == "no time to plan at: bare.yaml has no 'now:'; pass now: (SystemClock.now() for the wall clock) or add 'now:' to the scenario")
        }
        // With both given, the built-in policy plans it: nothing runs, so nothing is decided.
        let plan = try bare.plan(refresh: try RefreshRequest(parsing: ["vlc"]), now: Timestamp(secondsSinceEpoch: 0))
        #expect(plan.snap("vlc")?.outcome == .refresh && plan.snap("vlc")?.processes.isEmpty == true)
    }

    @Test func snapsAreFoundByNameOrSnapName() throws {
        let (scenario, policy) = try workstation()
        let plan = try scenario.plan(policy: policy)
        #expect(plan.snap("vlc")?.decision(for: 4242)?.action == .leaveRunning)
        #expect(plan.snap(SnapName("my-db")!)?.decision(for: 8001)?.timeout == .minutes(2))
        #expect(plan.snap("nosuch") == nil)
        #expect(plan.snap("vlc")?.decision(for: 1) == nil)
    }

    @Test func decisionsByAppNameOrSnapDotApp() throws {
        let (scenario, policy) = try workstation()
        let plan = try scenario.plan(policy: policy)
        let qemu = try #require(plan.snap("qemu-virt"))
        #expect(qemu.decisions(forApp: "qemu").map(\.identity.pid) == [5001, 5151])
        #expect(qemu.decisions(forApp: "qemu-virt.qemud").map(\.identity.pid) == [5160])
        #expect(qemu.decisions(forApp: "vlc").isEmpty)
        // In a base snap's plan, the apps that run on it.
        let core = try #require(plan.snap("core22"))
        #expect(core.decisions(forApp: "vlc").map(\.identity.pid) == [4242])
        #expect(core.decisions(forApp: "libvirt.libvirtd").map(\.action) == [.restart])
        #expect(core.decisions(forApp: "firefox.vlc").isEmpty)
    }

    @Test func warningsAreFoundBySnap() throws {
        let (scenario, policy) = try workstation()
        let plan = try scenario.plan(policy: policy)
        #expect(plan.warnings(about: SnapName("qemu-virt")!).count == 2)
        #expect(plan.warnings(about: SnapName("vlc")!) == [plan.warnings[2]])
        #expect(plan.warnings(about: SnapName("firefox")!).isEmpty)
    }

    /// A test file read from Swift: its cases run through the same runner as `refreshctl test`.
    @Test func aTestFileRunsFromSwift() throws {
        let file = try PolicyTestFile(contentsOf: packagePath("Examples/kiosk.test.yaml"))
        #expect(file.cases.map(\.name) == ["kiosk"])
        #expect(file.cases[0].location.line == 6)
        #expect(file.policyPath?.value.hasSuffix("Examples/policies/kiosk.yaml") == true)
        let policy = try Policy(contentsOf: file.policyPath!.value)
        let result = file.cases[0].run(on: file.scenario, policy: policy, file: file.file)
        #expect(result.passed)
        #expect(result.checks.count == 17)
        // The same case under the built-in policy: the browser would be left running.
        let builtIn = file.cases[0].run(on: file.scenario, policy: .builtIn, file: file.file)
        #expect(builtIn.failures.map { "\($0.location.line) \($0.snap): \($0.subject): \($0.actual)" }.first == "15 web-kiosk: app browser (pid 2201): action: leave-running")
    }
}
