import Testing
@testable import RefreshCore
@testable import RefreshHost
import RefreshIO

/// Which action applies, and why: each action × daemon or not × snap.yaml metadata × rule order.
@Suite struct DecisionTableTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var policy: String?
        var app: String
        var action: Action
        var reason: String
        var testDescription: String { name }
    }

    static let policyHeader = "version: 1\n"

    static let cases: [Case] = [
        Case(name: "built-in: a non-daemon is left running", policy: nil, app: "",
             action: .leaveRunning, reason: "built-in (apps that are not daemons are left running)"),
        Case(name: "built-in: a daemon is restarted", policy: nil, app: "daemon: simple",
             action: .restart, reason: "built-in (daemons are restarted)"),
        Case(name: "snap.yaml endure keeps a daemon running", policy: nil, app: "daemon: simple, refresh-mode: endure",
             action: .leaveRunning, reason: "snap.yaml: refresh-mode: endure"),
        Case(name: "snap.yaml restart restarts a daemon", policy: nil, app: "daemon: notify, refresh-mode: restart",
             action: .restart, reason: "snap.yaml: refresh-mode: restart"),
        Case(name: "snap.yaml ignore-running leaves an app running", policy: "version: 1\ndefaults:\n  on-refresh: postpone\n",
             app: "refresh-mode: ignore-running",
             action: .leaveRunning, reason: "snap.yaml: refresh-mode: ignore-running"),
        Case(name: "defaults apply when nothing else says", policy: "version: 1\ndefaults:\n  on-refresh: kill\n", app: "",
             action: .kill, reason: "policy.yaml:3: defaults"),
        Case(name: "snap.yaml beats defaults", policy: "version: 1\ndefaults:\n  on-refresh: kill\n",
             app: "daemon: simple, refresh-mode: endure",
             action: .leaveRunning, reason: "snap.yaml: refresh-mode: endure"),
        Case(name: "a rule beats snap.yaml", policy: "version: 1\nrules:\n  - snap: demo\n    on-refresh: kill\n",
             app: "daemon: simple, refresh-mode: endure", action: .kill, reason: "policy.yaml:4: rule 1 (snap: demo)"),
        Case(name: "restart of a non-daemon is a shutdown", policy: "version: 1\nrules:\n  - snap: demo\n    on-refresh: restart\n",
             app: "", action: .shutdown,
             reason: "policy.yaml:4: rule 1 (snap: demo); restart of an app that is not a daemon is a shutdown"),
        Case(name: "restart of a daemon", policy: "version: 1\nrules:\n  - snap: demo\n    on-refresh: restart\n",
             app: "daemon: forking", action: .restart, reason: "policy.yaml:4: rule 1 (snap: demo)"),
        Case(name: "postpone a non-daemon", policy: "version: 1\nrules:\n  - snap: demo\n    on-refresh: postpone\n",
             app: "", action: .postpone, reason: "policy.yaml:4: rule 1 (snap: demo)"),
        Case(name: "shutdown a daemon", policy: "version: 1\nrules:\n  - snap: \"d*\"\n    on-refresh: shutdown\n",
             app: "daemon: simple", action: .shutdown, reason: "policy.yaml:4: rule 1 (snap: d*)"),
        Case(name: "first matching rule wins: wide rule first",
             policy: "version: 1\nrules:\n  - snap: \"*\"\n    on-refresh: kill\n  - snap: demo\n    on-refresh: leave-running\n",
             app: "", action: .kill, reason: "policy.yaml:4: rule 1 (snap: *)"),
        Case(name: "first matching rule wins: narrow rule first",
             policy: "version: 1\nrules:\n  - snap: demo\n    on-refresh: leave-running\n  - snap: \"*\"\n    on-refresh: kill\n",
             app: "", action: .leaveRunning, reason: "policy.yaml:4: rule 1 (snap: demo)"),
        Case(name: "an app rule for another app does not match",
             policy: "version: 1\nrules:\n  - snap: demo\n    app: other\n    on-refresh: kill\n  - snap: demo\n    on-refresh: shutdown\n",
             app: "", action: .shutdown, reason: "policy.yaml:7: rule 2 (snap: demo)"),
        Case(name: "an app rule for this app matches",
             policy: "version: 1\nrules:\n  - snap: demo\n    app: \"a*\"\n    on-refresh: kill\n",
             app: "", action: .kill, reason: "policy.yaml:5: rule 1 (snap: demo, app: a*)"),
        Case(name: "a rule without on-refresh falls through to snap.yaml for the action",
             policy: "version: 1\ndefaults:\n  on-refresh: kill\nrules:\n  - snap: demo\n    timeout: 5s\n",
             app: "daemon: simple, refresh-mode: endure", action: .leaveRunning, reason: "snap.yaml: refresh-mode: endure"),
    ]

    @Test(arguments: cases)
    func decision(_ c: Case) throws {
        let plan = try plan(scenario: demoScenario(app: c.app), policy: c.policy)
        let decision = try #require(plan.snaps.first?.decision(for: 100))
        #expect(decision.action == c.action)
        #expect(decision.reason == c.reason)
    }

    @Test func restartOfNonDaemonWarns() throws {
        let plan = try plan(scenario: demoScenario(app: ""), policy: "version: 1\nrules:\n  - snap: demo\n    on-refresh: restart\n")
        #expect(plan.warnings == ["demo: app 'demo.app' is not a daemon, so 'restart' (policy.yaml:4: rule 1 (snap: demo)) is planned as a shutdown"])
    }

    @Test func appRuleNeverMatchesUnknownApp() throws {
        let scenario = demoScenario(app: "command: bin/app", processes: "  - {pid: 100, exe: /snap/demo/1/bin/other}")
        let plan = try plan(scenario: scenario, policy: "version: 1\nrules:\n  - snap: demo\n    app: \"*\"\n    on-refresh: kill\n")
        let decision = try #require(plan.snaps[0].decision(for: 100))
        #expect(decision.app == nil)
        #expect(decision.action == .leaveRunning)
        #expect(decision.reason == "built-in (apps that are not daemons are left running)")
    }

    /// Field by field: rule, then snap.yaml, then defaults, then built-in.
    @Test func shutdownFieldsFallBackFieldByField() throws {
        let policy = """
            version: 1
            defaults:
              signal: SIGUSR1
              timeout: 10s
              then: leave-running
            rules:
              - snap: demo
                on-refresh: shutdown
            """
        let plan1 = try plan(scenario: demoScenario(app: "daemon: simple, stop-mode: sighup, stop-timeout: 1m"), policy: policy)
        let d1 = try #require(plan1.snaps[0].decision(for: 100))
        #expect(d1.signal == .sighup)
        #expect(d1.timeout == .minutes(1))
        #expect(d1.then == .leaveRunning)
        #expect(d1.sources.map(\.source) == ["snap.yaml: stop-mode: sighup", "snap.yaml: stop-timeout: 1m", "policy.yaml:5: defaults"])

        // Without snap.yaml metadata, defaults apply.
        let plan2 = try plan(scenario: demoScenario(app: "daemon: simple"), policy: policy)
        let d2 = try #require(plan2.snaps[0].decision(for: 100))
        #expect(d2.signal == .sigusr1)
        #expect(d2.timeout == .seconds(10))
        #expect(d2.sources.map(\.field) == ["signal", "timeout", "then"])
        #expect(d2.sources.map(\.source) == ["policy.yaml:3: defaults", "policy.yaml:4: defaults", "policy.yaml:5: defaults"])

        // A rule's own settings beat snap.yaml.
        let ruled = policy + "\n    signal: SIGINT\n    timeout: 2m\n    then: abort\n"
        let plan3 = try plan(scenario: demoScenario(app: "daemon: simple, stop-mode: sighup, stop-timeout: 1m"), policy: ruled)
        let d3 = try #require(plan3.snaps[0].decision(for: 100))
        #expect(d3.signal == .sigint)
        #expect(d3.timeout == .minutes(2))
        #expect(d3.then == .abort)
        #expect(d3.sources.map(\.source) == ["policy.yaml:9: rule 1 (snap: demo)", "policy.yaml:10: rule 1 (snap: demo)", "policy.yaml:11: rule 1 (snap: demo)"])

        // Nothing anywhere: built-ins.
        let plan4 = try plan(scenario: demoScenario(app: ""), policy: "version: 1\nrules:\n  - snap: demo\n    on-refresh: shutdown\n")
        let d4 = try #require(plan4.snaps[0].decision(for: 100))
        #expect(d4.signal == .sigterm)
        #expect(d4.timeout == .seconds(30))
        #expect(d4.then == .kill)
        #expect(d4.sources.map(\.source) == ["built-in", "built-in", "built-in"])
    }

    @Test func snapYAMLStopCommandIsMadeAbsolute() throws {
        let plan = try plan(scenario: demoScenario(app: "daemon: simple, stop-command: \"bin/ctl stop --now\""),
                            policy: "version: 1\ndefaults:\n  on-refresh: shutdown\n")
        let decision = try #require(plan.snaps[0].decision(for: 100))
        #expect(decision.stopCommand == ["/snap/demo/1/bin/ctl", "stop", "--now"])
        #expect(decision.signal == nil)
        #expect(decision.sources.first?.source == "snap.yaml: stop-command: bin/ctl stop --now")
    }

    @Test func ruleSignalIsNotMixedWithSnapYAMLStopCommand() throws {
        let plan = try plan(scenario: demoScenario(app: "daemon: simple, stop-command: bin/ctl"),
                            policy: "version: 1\nrules:\n  - snap: demo\n    on-refresh: shutdown\n    signal: SIGINT\n")
        let decision = try #require(plan.snaps[0].decision(for: 100))
        #expect(decision.signal == .sigint)
        #expect(decision.stopCommand == nil)
    }

    @Test func killAndLeaveRunningCarryNoShutdownFields() throws {
        for action in ["kill", "leave-running"] {
            let plan = try plan(scenario: demoScenario(app: "daemon: simple"), policy: "version: 1\ndefaults:\n  on-refresh: \(action)\n")
            let decision = try #require(plan.snaps[0].decision(for: 100))
            #expect(decision.signal == nil && decision.timeout == nil && decision.then == nil && decision.sources.isEmpty)
        }
    }

    /// Where systemd does not run daemons, a restart needs the policy's restart-command.
    @Test func aRestartWithoutACommandIsAnErrorWithoutSystemd() throws {
        let daemon = demoScenario(app: "daemon: simple")
        let bare = try plan(scenario: daemon, policy: "version: 1\nrules:\n  - snap: demo\n    on-refresh: restart\n")
        let refused = bare.requiringRestartCommands()
        #expect(bare.snaps[0].outcome == .refresh)
        #expect(refused.snaps[0].outcome == .error)
        #expect(refused.snaps[0].error == "cannot restart snap.demo.app.service (main pid 100): systemd is not PID 1 here and the policy gives no restart-command for it; add restart-command to its rule or choose another action")
        #expect(refused.exitCode == 1)
        let withCommand = try plan(scenario: daemon, policy: "version: 1\nrules:\n  - snap: demo\n    on-refresh: restart\n    restart-command: [\"/usr/local/bin/start-demo\"]\n")
        #expect(withCommand.requiringRestartCommands().snaps[0].outcome == .refresh)
        #expect(withCommand.snaps[0].decision(for: 100)?.restartCommand == ["/usr/local/bin/start-demo"])
        #expect(withCommand.snaps[0].decision(for: 100)?.sources.last == .init(field: "restart-command", source: "policy.yaml:5: rule 1 (snap: demo)"))
    }
}
