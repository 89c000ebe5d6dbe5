import Testing
@testable import RefreshCore
@testable import RefreshHost
import RefreshIO

/// Which revisions a refresh keeps and removes: `retain`, staged revisions, and revisions still
/// in use after the plan's actions (the invariant: nothing a live process holds is removed).
@Suite struct RetainTests {
    func host(processes: String = "", base: String = "") -> String {
        """
        version: 1
        now: 2026-11-27T12:00:00Z
        snaps:
          - name: core22
            type: base
            current: 100
            revisions: [99, 100, 101]
          - name: demo
            base: core22
            current: 5
            revisions: [1, 2, 3, 4, 5, 6]
            apps:
              app: {}
              svc: {daemon: simple}
        processes:
        \(processes.isEmpty ? "  []" : processes)
        refresh: [demo]
        """.replacingOccurrences(of: "processes:\n  []", with: "processes: []")
    }

    func summary(_ plan: RefreshPlan, _ snap: String = "demo") -> (keep: [String], remove: [String]) {
        let s = plan.snaps.first { $0.name.rawValue == snap }!
        return (s.keep.map { "\($0.revision): \($0.why)" }, s.remove.map(\.description))
    }

    @Test(arguments: [(2, ["6", "5"]), (3, ["6", "5", "4"]), (20, ["6", "5", "4", "3", "2", "1"])])
    func retainCountsTheCurrentRevision(retain: Int, kept: [String]) throws {
        let plan = try plan(scenario: host(), policy: "version: 1\nretain: \(retain)\n")
        let s = plan.snaps[0]
        #expect(s.outcome == .refresh)
        #expect(s.from == Revision("5") && s.to == Revision("6"))
        #expect(s.keep.map(\.revision.description) == kept)
        #expect(s.remove.map(\.description) == ["6", "5", "4", "3", "2", "1"].filter { !kept.contains($0) })
    }

    @Test func builtInRetainIsTwo() throws {
        let (keep, remove) = summary(try plan(scenario: host()))
        #expect(keep == ["6: current after the refresh", "5: retained (retain: 2)"])
        #expect(remove == ["4", "3", "2", "1"])
    }

    @Test func aRevisionLeftRunningIsKeptBeyondRetain() throws {
        let (keep, remove) = summary(try plan(scenario: host(processes: "  - {pid: 10, snap: demo, revision: 2, app: app}")))
        #expect(keep == ["6: current after the refresh", "5: retained (retain: 2)", "2: in use by 1 process"])
        #expect(remove == ["4", "3", "1"])
    }

    @Test func aRevisionWhoseProcessesAreKilledIsRemoved() throws {
        let policy = "version: 1\nrules:\n  - snap: demo\n    on-refresh: kill\n"
        let (keep, remove) = summary(try plan(scenario: host(processes: "  - {pid: 10, snap: demo, revision: 2, app: app}"), policy: policy))
        #expect(keep == ["6: current after the refresh", "5: retained (retain: 2)"])
        #expect(remove == ["4", "3", "2", "1"])
    }

    @Test func aShutdownThatMayLeaveItRunningKeepsTheRevision() throws {
        let policy = "version: 1\nrules:\n  - snap: demo\n    on-refresh: shutdown\n    then: leave-running\n"
        let (keep, _) = summary(try plan(scenario: host(processes: "  - {pid: 10, snap: demo, revision: 3, app: app}"), policy: policy))
        #expect(keep.contains("3: in use by 1 process"))
        let killing = "version: 1\nrules:\n  - snap: demo\n    on-refresh: shutdown\n    then: kill\n"
        let (_, removed) = summary(try plan(scenario: host(processes: "  - {pid: 10, snap: demo, revision: 3, app: app}"), policy: killing))
        #expect(removed.contains("3"))
    }

    @Test func aRestartedDaemonNoLongerHoldsItsRevision() throws {
        let (keep, remove) = summary(try plan(scenario: host(processes: "  - {pid: 10, snap: demo, revision: 4, app: svc}")))
        #expect(keep == ["6: current after the refresh", "5: retained (retain: 2)"])
        #expect(remove == ["4", "3", "2", "1"])
    }

    @Test func inUseCountsEveryHolder() throws {
        let processes = """
              - {pid: 10, snap: demo, revision: 5, app: app}
              - {pid: 11, snap: demo, revision: 5, app: app}
            """
        let (keep, _) = summary(try plan(scenario: host(processes: processes)))
        #expect(keep[1] == "5: retained (retain: 2); in use by 2 processes")
    }

    @Test func stagedRevisionsNewerThanTheTargetStay() throws {
        let (keep, remove) = summary(try plan(scenario: host(), refresh: ["demo=5"]))
        #expect(keep.isEmpty && remove.isEmpty)  // up to date: nothing moves
        let older = try plan(scenario: host(), refresh: ["demo=3"])
        let s = older.snaps[0]
        #expect(s.outcome == .refresh && s.to == Revision("3"))
        #expect(s.keep.map { "\($0.revision): \($0.why)" } == ["6: staged", "5: retained (retain: 2)", "3: current after the refresh"])
        #expect(s.remove.map(\.description) == ["4", "2", "1"])
    }

    @Test func aBasePinnedByALiveAppIsKept() throws {
        let processes = "  - {pid: 10, snap: demo, revision: 5, app: app, pins: {core22: 99}}"
        let scenario = host(processes: processes)
        let plan = try plan(scenario: scenario, refresh: ["core22"])
        let core = plan.snaps[0]
        #expect(core.to == Revision("101"))
        #expect(core.keep.map { "\($0.revision): \($0.why)" } == ["101: current after the refresh", "100: retained (retain: 2)", "99: in use by 1 process"])
        #expect(core.remove.isEmpty)
        let decision = try #require(core.decision(for: 10))
        #expect(decision.snap == SnapName("demo") && decision.pins == Revision("99"))
        #expect(decision.action == .leaveRunning)

        let killed = try RefreshCoreTests.plan(scenario: scenario, policy: "version: 1\nrules:\n  - snap: demo\n    on-refresh: kill\n", refresh: ["core22"])
        #expect(killed.snaps[0].remove.map(\.description) == ["99"])
    }

    @Test func processesAlreadyOnTheTargetAreLeftAlone() throws {
        let plan = try plan(scenario: host(processes: "  - {pid: 10, snap: demo, revision: 6, app: svc}"))
        let decision = try #require(plan.snaps[0].decision(for: 10))
        #expect(decision.action == .leaveRunning)
        #expect(decision.reason == "already runs from revision 6, the refresh target")
    }
}
