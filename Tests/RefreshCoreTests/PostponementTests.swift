import Testing
@testable import RefreshCore
@testable import RefreshHost
import RefreshIO

/// `postpone` with `max-postpone` measured from the snap's `postponed-since`, then `then`.
@Suite struct PostponementTests {
    static let policy = """
        version: 1
        rules:
          - snap: demo
            on-refresh: postpone
            max-postpone: 14d
            then: kill
        """

    func scenario(now: String, since: String?) -> String {
        """
        version: 1
        now: \(now)
        snaps:
          - name: demo
            current: 1
            revisions: [1, 2]
        \(since.map { "    postponed-since: \($0)" } ?? "")
            apps:
              app: {}
        processes:
          - {pid: 100, snap: demo, revision: 1, app: app}
        refresh: [demo]
        """
    }

    @Test func withoutARecordThePostponementStartsNow() throws {
        let plan = try plan(scenario: scenario(now: "2026-11-27T12:00:00Z", since: nil), policy: Self.policy)
        let s = plan.snaps[0]
        #expect(s.outcome == .postponed)
        #expect(plan.exitCode == 3)
        #expect(s.postponement == Postponement(since: Timestamp(rfc3339: "2026-11-27T12:00:00Z")!, deadline: Timestamp(rfc3339: "2026-12-11T12:00:00Z")!))
        #expect(s.decision(for: 100)?.action == .postpone)
        #expect(s.decision(for: 100)?.deadline == Timestamp(rfc3339: "2026-12-11T12:00:00Z"))
        #expect(s.remove.isEmpty)
        #expect(s.keep.map(\.revision.description) == ["2", "1"])
    }

    @Test func oneSecondBeforeTheDeadlineItIsStillPostponed() throws {
        let plan = try plan(scenario: scenario(now: "2026-11-24T07:59:59Z", since: "2026-11-10T08:00:00Z"), policy: Self.policy)
        #expect(plan.snaps[0].outcome == .postponed)
        #expect(plan.snaps[0].postponement?.deadline == Timestamp(rfc3339: "2026-11-24T08:00:00Z"))
        #expect(plan.exitCode == 3)
    }

    @Test func atTheDeadlineThenApplies() throws {
        let plan = try plan(scenario: scenario(now: "2026-11-24T08:00:00Z", since: "2026-11-10T08:00:00Z"), policy: Self.policy)
        let s = plan.snaps[0]
        #expect(s.outcome == .refresh)
        #expect(plan.exitCode == 0)
        let decision = try #require(s.decision(for: 100))
        #expect(decision.action == .kill)
        #expect(decision.reason == "policy.yaml:4: rule 1 (snap: demo); postponed since 2026-11-10T08:00:00Z, max-postpone 14d ran out at 2026-11-24T08:00:00Z, so then: kill (policy.yaml:6: rule 1 (snap: demo))")
        #expect(s.keep.map { "\($0.revision): \($0.why)" } == ["2: current after the refresh", "1: retained (retain: 2)"])
        #expect(s.remove.isEmpty)
    }

    @Test func thenShutdownEscalatesByTheShutdownSettings() throws {
        let policy = """
            version: 1
            defaults:
              timeout: 45s
              then: abort
            rules:
              - snap: demo
                on-refresh: postpone
                max-postpone: 1d
                then: shutdown
            """
        let plan = try plan(scenario: scenario(now: "2026-11-27T12:00:00Z", since: "2026-11-20T00:00:00Z"), policy: policy)
        let decision = try #require(plan.snaps[0].decision(for: 100))
        #expect(decision.action == .shutdown)
        #expect(decision.signal == .sigterm)
        #expect(decision.timeout == .seconds(45))
        #expect(decision.then == .abort)
    }

    @Test func builtInThenAfterPostponementIsShutdown() throws {
        let policy = "version: 1\nrules:\n  - snap: demo\n    on-refresh: postpone\n    max-postpone: 1h\n"
        let running = try plan(scenario: scenario(now: "2026-11-27T12:00:00Z", since: nil), policy: policy)
        #expect(running.snaps[0].decision(for: 100)?.then == .shutdown)
        #expect(running.snaps[0].postponement?.deadline == Timestamp(rfc3339: "2026-11-27T13:00:00Z"))
        let expired = try plan(scenario: scenario(now: "2026-11-27T12:00:00Z", since: "2026-11-27T11:00:00Z"), policy: policy)
        #expect(expired.snaps[0].decision(for: 100)?.action == .shutdown)
    }

    /// A running app whose rule postpones holds back a refresh of its base, on the base's clock.
    @Test func anAppPostponesItsBase() throws {
        let text = """
            version: 1
            now: 2026-11-27T12:00:00Z
            snaps:
              - {name: core22, type: base, current: 100, revisions: [100, 101], postponed-since: 2026-11-26T12:00:00Z}
              - {name: demo, base: core22, current: 1, revisions: [1], apps: {app: {}}}
            processes:
              - {pid: 100, snap: demo, revision: 1, app: app, pins: {core22: 100}}
            refresh: [core22]
            """
        let plan = try plan(scenario: text, policy: Self.policy)
        let core = plan.snaps[0]
        #expect(core.outcome == .postponed)
        #expect(core.postponement?.deadline == Timestamp(rfc3339: "2026-12-10T12:00:00Z"))
        #expect(core.decision(for: 100)?.pins == Revision("100"))
    }

    /// When the app's own snap is refreshed in the same plan and its postponement ran out, it is
    /// shut down there, so it holds nothing back in its base's section either: one fate.
    @Test func oneProcessOneFateAcrossSections() throws {
        let text = """
            version: 1
            now: 2026-11-27T12:00:00Z
            snaps:
              - {name: core22, type: base, current: 100, revisions: [100, 101]}
              - {name: demo, base: core22, current: 1, revisions: [1, 2], postponed-since: 2026-11-01T00:00:00Z, apps: {app: {}}}
            processes:
              - {pid: 100, snap: demo, revision: 1, app: app, pins: {core22: 100}}
            refresh: [core22, demo]
            """
        let plan = try plan(scenario: text, policy: Self.policy)
        #expect(plan.snaps.map(\.outcome) == [.refresh, .refresh])
        #expect(plan.snaps.map { $0.decision(for: 100)?.action } == [.kill, .kill])
        #expect(plan.exitCode == 0)
    }
}
