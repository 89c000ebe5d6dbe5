import FuzzSupport
@testable import RefreshCore

let policy = try! Policy(parsing: """
    version: 1
    defaults: {on-refresh: shutdown, timeout: 30s, then: kill}
    rules:
      - {snap: "qemu-*", on-refresh: leave-running}
      - {snap: vlc, on-refresh: leave-running}
      - {snap: "*", app: "*d", on-refresh: restart}
      - {snap: firefox, on-refresh: postpone, max-postpone: 14d, then: shutdown}
      - {snap: my-db, on-refresh: shutdown, stop-command: [/snap/my-db/current/bin/db-ctl, stop]}
    """, file: "policy.yaml")

/// A scenario file as anyone may write one: any bytes. An accepted scenario is planned under
/// the built-in policy and a small one, and written back as `refreshctl snapshot` writes a
/// host; what the writer writes must read back.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = FuzzCheck.text(data, size)
    let scenario: Scenario
    do {
        scenario = try Scenario(parsing: text, file: "scenario.yaml")
    } catch {
        FuzzCheck.refusal(error, files: ["scenario.yaml"])
        return 0
    }
    for warning in scenario.warnings { FuzzCheck.printable(warning.description) }
    let now = scenario.now ?? Timestamp(secondsSinceEpoch: 1_795_000_000)
    if let request = scenario.refresh {
        for policy in [Policy.builtIn, policy] {
            let plan = Planner.plan(state: scenario.state, request: request, policy: policy, now: now)
            _ = plan.text()
            _ = plan.text(explain: true)
            _ = plan.json()
        }
    }
    let written = ScenarioWriter.write(scenario.state, root: "/", now: now)
    do {
        _ = try Scenario(parsing: written, file: "snapshot.yaml")
    } catch {
        preconditionFailure("a written scenario does not read back: \(error)\n--- written:\n\(written)")
    }
    return 0
}
