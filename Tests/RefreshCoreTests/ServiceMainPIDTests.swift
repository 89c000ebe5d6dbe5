import Testing
@testable import RefreshCore

/// A scenario's `services:` records the main process a service manager names (systemd's
/// MainPID), as `refreshctl snapshot` writes it, so that a scenario makes the same process main
/// as the live host; without it the main process is inferred from the parents.
@Suite struct ServiceMainPIDTests {
    /// db's daemon runs as 20 with a worker 21 (its child): inferred, 20 is main.
    static func scenario(_ services: String) -> String {
        """
        version: 1
        snaps:
          - name: db
            current: 1
            revisions: [1, 2]
            apps:
              db: {daemon: simple}
        \(services)processes:
          - {pid: 20, ppid: 1, snap: db, revision: 1, app: db}
          - {pid: 21, ppid: 20, snap: db, revision: 1, app: db}

        """
    }

    static func roles(_ scenario: Scenario) -> [String] {
        scenario.state.processes.map { "\($0.pid) \($0.binding?.role.rawValue ?? "-")" }
    }

    @Test("main-pid names the main process; null names none; without an entry it is inferred")
    func mainPID() throws {
        let inferred = try Scenario(parsing: Self.scenario(""), file: "s.yaml")
        #expect(Self.roles(inferred) == ["20 main", "21 member"])
        let named = try Scenario(parsing: Self.scenario("services:\n  snap.db.db.service: {main-pid: 21}\n"), file: "s.yaml")
        #expect(Self.roles(named) == ["20 member", "21 main"])
        let none = try Scenario(parsing: Self.scenario("services:\n  snap.db.db.service: {main-pid: null}\n"), file: "s.yaml")
        #expect(Self.roles(none) == ["20 member", "21 member"])
        // The plan follows: with kill mode process (a plain stop-mode) only the main process is
        // stopped with the service.
        let policy = try Policy(parsing: "version: 1\ndefaults:\n  on-refresh: restart\n  stop-mode: sigterm\n", file: "p.yaml")
        let plan = Planner.plan(state: named.state, request: try RefreshRequest(parsing: ["db"]), policy: policy, now: Timestamp(rfc3339: "2026-12-03T00:00:00Z")!)
        #expect(plan.snaps.first?.services.first?.main?.pid == 21)
    }

    @Test("snapshot's writer records each service's main process and the scenario reads it back")
    func roundTrip() throws {
        let named = try Scenario(parsing: Self.scenario("services:\n  snap.db.db.service: {main-pid: 21}\n"), file: "s.yaml")
        let now = Timestamp(rfc3339: "2026-12-03T00:00:00Z")!
        let status = ServiceStatus(unit: "snap.db.db.service", activeState: "active", mainPID: 21, killMode: "control-group")
        let written = ScenarioWriter.write(named.state, root: "/", now: now, services: ["snap.db.db.service": status])
        #expect(written.contains("\nservices:\n  snap.db.db.service: {main-pid: 21}\nprocesses:\n"), "\(written)")
        #expect(Self.roles(try Scenario(parsing: written, file: "w.yaml")) == ["20 member", "21 main"])
        // A main process the scenario does not list in that service is written as none.
        let gone = ServiceStatus(unit: "snap.db.db.service", activeState: "active", mainPID: 99, killMode: "control-group")
        let other = ScenarioWriter.write(named.state, root: "/", now: now, services: ["snap.db.db.service": gone])
        #expect(other.contains("  snap.db.db.service: {main-pid: null}\n"), "\(other)")
        #expect(Self.roles(try Scenario(parsing: other, file: "w.yaml")) == ["20 member", "21 member"])
        // Without a service manager's word nothing is written, and the roles are inferred.
        let plain = ScenarioWriter.write(named.state, root: "/", now: now)
        #expect(!plain.contains("services:"))
    }

    @Test("a bad services entry is an error at its position", arguments: [
        ("services:\n  snap.db.db.scope: {main-pid: 20}\n", "9:3", "'snap.db.db.scope' is not a snap service unit; write it as snap.NAME.APP.service"),
        ("services:\n  db: {main-pid: 20}\n", "9:3", "'db' is not a snap service unit; write it as snap.NAME.APP.service"),
        ("services:\n  snap.db.db.service: {main-pid: 22}\n", "9:34", "main-pid 22 is not a process of snap.db.db.service in this scenario; list it under 'processes' in that service (its cgroup, or its daemon app), or write main-pid: null"),
        ("services:\n  snap.db.db.service: {}\n", "9:23", "service snap.db.db.service has no 'main-pid'; give the PID its service manager names (systemctl show -p MainPID snap.db.db.service), or null for none"),
        ("services:\n  snap.db.db.service: {main-pid: 20, kill-mode: process}\n", "9:38", "unknown key 'kill-mode' in a service; expected one of: main-pid"),
        ("services:\n  snap.db.db.service: {main-pid: -1}\n", "9:34", "main-pid must be from 1 to 4194304, is -1"),
        ("services: [snap.db.db.service]\n", "8:11", "expected services as a mapping, found a list"),
    ])
    func errors(services: String, position: String, message: String) throws {
        do {
            _ = try Scenario(parsing: Self.scenario(services), file: "s.yaml")
            Issue.record("accepted: \(services)")
        } catch {
            let diagnostic = try #require(error.diagnostics.first)
            #expect("\(diagnostic.location.line):\(diagnostic.location.column)" == position, "\(diagnostic)")
            #expect(diagnostic.message.hasPrefix(message), "\(diagnostic.message)")
        }
    }
}
