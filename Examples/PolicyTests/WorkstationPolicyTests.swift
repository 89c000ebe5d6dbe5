// Policy tests in Swift: the workstation policy asserted with Swift Testing, through the
// public API of RefreshCore and RefreshIO alone (no @testable). Copy this file into your own test target.
import RefreshCore
import RefreshIO
import Testing

/// A file of the Examples folder, found from this source file.
func example(_ relative: String, file: String = #filePath) -> String {
    var parts = file.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(2)  // PolicyTests/WorkstationPolicyTests.swift
    return parts.joined(separator: "/") + "/" + relative
}

@Suite struct WorkstationPolicyTests {
    let policy: Policy
    let scenario: Scenario

    init() throws {
        policy = try Policy(contentsOf: example("policies/workstation.yaml"))
        scenario = try Scenario(contentsOf: example("scenarios/workstation.yaml"))
    }

    @Test func theMovieKeepsPlayingOnItsOldRevision() throws {
        let plan = try scenario.plan(policy: policy)
        let vlc = try #require(plan.snap("vlc"))
        #expect(vlc.outcome == .refresh)
        #expect(vlc.decision(for: 4242)?.action == .leaveRunning)
        #expect(vlc.keep.map(\.revision) == [Revision("12")!, Revision("10")!])
        #expect(vlc.remove == [Revision("8")!])
    }

    @Test func everyVirtualMachineKeepsRunning() throws {
        let plan = try scenario.plan(policy: policy)
        let guests = try #require(plan.snap("qemu-virt")).decisions(forApp: "qemu")
        #expect(guests.map(\.identity.pid) == [5001, 5151])
        #expect(guests.allSatisfy { $0.action == .leaveRunning })
    }

    @Test func theLibvirtDaemonIsRestartedGracefully() throws {
        let plan = try scenario.plan(policy: policy, refresh: try RefreshRequest(parsing: ["libvirt"]))
        let daemon = try #require(plan.snap("libvirt")?.decisions(forApp: "libvirt.libvirtd").first)
        #expect(daemon.action == .restart)
        #expect(daemon.signal == .sigterm)
        #expect(daemon.timeout == .seconds(30))
        #expect(daemon.then == .kill)
    }

    /// Firefox waits for the user until its 14 days are over, then it is shut down.
    @Test(arguments: [
        ("2026-11-20T12:00:00Z", Action.postpone),
        ("2026-11-24T07:59:59Z", Action.postpone),
        ("2026-11-24T08:00:00Z", Action.shutdown),
    ])
    func firefoxIsPostponedUntilItsDeadline(now: String, action: Action) throws {
        let plan = try scenario.plan(
            policy: policy, refresh: try RefreshRequest(parsing: ["firefox"]), now: Timestamp(rfc3339: now))
        let firefox = try #require(plan.snap("firefox"))
        #expect(firefox.decision(for: 7001)?.action == action)
        #expect(firefox.outcome == (action == .postpone ? .postponed : .refresh))
        if action == .postpone {
            #expect(firefox.postponement?.deadline == Timestamp(rfc3339: "2026-11-24T08:00:00Z"))
        }
    }

    /// A policy and a host can be written inline too, for a test about one rule.
    @Test func aPolicyFromAString() throws {
        let policy = try Policy(parsing: """
            version: 1
            rules:
              - snap: vlc
                on-refresh: kill
            """, file: "inline-policy.yaml")
        let plan = try scenario.plan(policy: policy, refresh: try RefreshRequest(parsing: ["vlc"]))
        let decision = try #require(plan.snap("vlc")?.decision(for: 4242))
        #expect(decision.action == .kill)
        #expect(decision.reason == "inline-policy.yaml:4: rule 1 (snap: vlc)")
        // Nothing runs from revision 10 any more: it stays only because `retain: 2` keeps it.
        #expect(plan.snap("vlc")?.keep.map { "\($0.revision): \($0.why)" } == ["12: current after the refresh", "10: retained (retain: 2)"])
    }

    /// The YAML policy tests of this folder run from Swift as well as from `refreshctl test`.
    @Test func theYAMLPolicyTestsPass() throws {
        let report = PolicyTestSuite(loading: try TestFileFinder.sources([example("")])).run()
        #expect(report.diagnostics.filter { $0.severity == .error } == [])
        #expect(report.results.count >= 3)
        #expect(report.failed == 0, "\(report.text())")
        #expect(report.exitCode == 0)
    }
}
