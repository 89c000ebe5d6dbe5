@testable import RefreshCore

/// Plans a scenario given as text under a policy given as text (or the built-in policy).
func plan(scenario: String, policy: String? = nil, refresh: [String]? = nil) throws -> RefreshPlan {
    let scenario = try Scenario(parsing: scenario, file: "scenario.yaml")
    let policy = try policy.map { try Policy(parsing: $0, file: "policy.yaml") } ?? .builtIn
    let request = try refresh.map { try RefreshRequest(parsing: $0) } ?? scenario.refresh!
    return Planner.plan(state: scenario.state, request: request, policy: policy, now: scenario.now!)
}

/// A one-snap host: `demo` at revision 1 with 2 staged, one app `app` with the given
/// metadata (flow-mapping body), and process 100 running it from revision 1.
func demoScenario(app: String, processes: String = "  - {pid: 100, snap: demo, revision: 1, app: app}") -> String {
    """
    version: 1
    now: 2026-11-27T12:00:00Z
    snaps:
      - name: demo
        current: 1
        revisions: [1, 2]
        apps:
          app: {\(app)}
    processes:
    \(processes)
    refresh: [demo]
    """
}

/// The path of a file in the package, from this file's location.
func packagePath(_ relative: String, file: String = #filePath) -> String {
    var parts = file.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)  // Tests/RefreshCoreTests/TestSupport.swift
    return parts.joined(separator: "/") + "/" + relative
}
