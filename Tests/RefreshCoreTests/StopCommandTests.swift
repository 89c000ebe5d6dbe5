import Foundation
import Testing
@testable import RefreshCore
@testable import RefreshHost
import RefreshIO

/// A snap.yaml `stop-command` is run as root by `apply`: it must name a program inside the
/// revision it came from (DESIGN.md, "Trust"), and be plain text.
@Suite struct StopCommandTests {
    /// snap.yaml with one daemon whose `stop-command` (line 5, value at column 19) is `value`.
    static func daemon(stopCommand value: String) -> String {
        "name: demo\napps:\n  d:\n    daemon: simple\n    stop-command: \(value)\n"
    }

    static let refused: [InputErrorCase] = [
        .init("an absolute program", daemon(stopCommand: "/usr/bin/touch X"), 5, 19,
              "stop-command runs '/usr/bin/touch', an absolute path; a snap's stop-command names a program inside its own revision, relative to it, such as bin/stop or $SNAP/bin/stop"),
        .init("a program that climbs out with ..", daemon(stopCommand: "../../../usr/bin/X"), 5, 19,
              "stop-command runs '../../../usr/bin/X', which leaves the snap's revision through '..'; a snap's stop-command names a program inside its own revision: remove the '..' steps"),
        .init("a .. in the middle", daemon(stopCommand: "bin/../../../usr/bin/X --now"), 5, 19,
              "stop-command runs 'bin/../../../usr/bin/X', which leaves the snap's revision through '..'"),
        .init("a .. after $SNAP/", daemon(stopCommand: "$SNAP/../../usr/bin/X"), 5, 19,
              "stop-command runs '../../usr/bin/X', which leaves the snap's revision through '..'"),
        .init("a .. after ${SNAP}/", daemon(stopCommand: "\"${SNAP}/bin/..\""), 5, 19,
              "stop-command runs 'bin/..', which leaves the snap's revision through '..'"),
        .init("an absolute path after $SNAP/", daemon(stopCommand: "$SNAP//usr/bin/X"), 5, 19,
              "stop-command runs '/usr/bin/X', an absolute path"),
        .init("an absolute path after ./", daemon(stopCommand: ".//usr/bin/X"), 5, 19,
              "stop-command runs '/usr/bin/X', an absolute path"),
        .init("nothing after $SNAP/", daemon(stopCommand: "$SNAP/ stop"), 5, 19,
              "stop-command names no program after '$SNAP/'; give the program inside the snap, such as $SNAP/bin/stop"),
        .init("a NUL", daemon(stopCommand: "\"bin/stop\\0\""), 5, 19,
              "stop-command holds a control character (U+0000) at character 9; snap.yaml commands are plain text: remove it"),
        .init("a newline", daemon(stopCommand: "\"bin/stop\\nrm -rf /\""), 5, 19,
              "stop-command holds a control character (U+000A) at character 9"),
        .init("an escape sequence", daemon(stopCommand: "\"\\e[2Jbin/stop\""), 5, 19,
              "stop-command holds a control character (U+001B) at character 1"),
        .init("a tab", daemon(stopCommand: "\"bin/stop\\tnow\""), 5, 19,
              "stop-command holds a control character (U+0009) at character 9"),
        .init("a C1 control", daemon(stopCommand: "\"bin/stop\\x9b\""), 5, 19,
              "stop-command holds a control character (U+009B) at character 9"),
        .init("DEL", daemon(stopCommand: "\"bin/stop\\x7f\""), 5, 19,
              "stop-command holds a control character (U+007F) at character 9"),
        .init("a control character in command", "name: demo\napps:\n  vlc:\n    command: \"bin/vlc\\e]0;pwned\\a\"\n", 4, 14,
              "command holds a control character (U+001B) at character 8; snap.yaml commands are plain text: remove it"),
    ]

    @Test("snap.yaml: a stop-command outside its revision, or with control characters, is refused where it is written", arguments: refused)
    func refusedAtReadTime(_ c: InputErrorCase) {
        let diagnostics = refusal { _ = try SnapYAML.parse(c.yaml, file: "snap.yaml") }
        #expect(diagnostics.count == 1, "expected exactly one error, got: \(diagnostics.map(\.description))")
        guard let error = diagnostics.first else { return }
        #expect(error.severity == .error)
        #expect("\(error.location)" == "snap.yaml:\(c.line):\(c.column)", "\(error)")
        #expect(error.message.hasPrefix(c.message), "\(error)")
    }

    @Test("snap.yaml: programs inside the revision are accepted", arguments: [
        ("bin/stop", ["/snap/demo/1/bin/stop"]),
        ("$SNAP/bin/stop --now", ["/snap/demo/1/bin/stop", "--now"]),
        ("\"${SNAP}/bin/stop\"", ["/snap/demo/1/bin/stop"]),
        ("./bin/stop", ["/snap/demo/1/bin/stop"]),
        ("bin/..stop", ["/snap/demo/1/bin/..stop"]),
        ("bin/stop ../arguments/are/the/program's/business", ["/snap/demo/1/bin/stop", "../arguments/are/the/program's/business"]),
    ])
    func acceptedInsideTheRevision(value: String, words: [String]) throws {
        let info = try SnapYAML.parse(Self.daemon(stopCommand: value), file: "snap.yaml")
        let app = try #require(info.apps[AppName("d")!])
        let command = try #require(app.stopCommand)
        #expect(Policy.stopCommandWords(command, snapRoot: "/snap/demo/1") == words)
    }

    @Test("a scenario's app metadata is checked the same way, at its position")
    func scenarioApps() {
        let diagnostics = refusal {
            _ = try Scenario(parsing: demoScenario(app: "daemon: simple, stop-command: /usr/bin/touch X"), file: "scenario.yaml")
        }
        #expect(diagnostics.map(\.description) == [
            "scenario.yaml:8:43: error: stop-command runs '/usr/bin/touch', an absolute path; a snap's stop-command names a program inside its own revision, relative to it, such as bin/stop or $SNAP/bin/stop",
        ])
    }

    /// The planner does not trust that validation ran: an `App` built in code with a program
    /// outside its revision gets a signal, never that program.
    @Test("the planner never runs a snap's stop-command outside its revision", arguments: ["/usr/bin/touch X", "../../../usr/bin/X", "bin/../../../../usr/bin/X", "$SNAP/"])
    func plannerRefusesToo(command: String) throws {
        let app = App(name: AppName("d")!, daemon: .simple, stopCommand: command)
        let info = SnapInfo(name: SnapName("demo")!, apps: [app.name: app])
        let snap = Snap(name: SnapName("demo")!, current: Revision("1"),
                        revisions: [InstalledRevision(revision: Revision("1")!, info: info), InstalledRevision(revision: Revision("2")!, info: info)])
        let process = RunningProcess(identity: ProcessIdentity(pid: 100),
                                     binding: Binding(snap: SnapName("demo")!, revision: Revision("1")!, app: app.name, evidence: ["test"]))
        let policy = try Policy(parsing: "version: 1\ndefaults:\n  on-refresh: shutdown\n", file: "policy.yaml")
        let plan = Planner.plan(state: SystemState(snaps: [snap], processes: [process]), request: try RefreshRequest(parsing: ["demo"]),
                                policy: policy, now: Timestamp(secondsSinceEpoch: 0))
        let decision = try #require(plan.snaps.first?.decision(for: 100))
        #expect(decision.action == .shutdown)
        #expect(decision.stopCommand == nil)
        #expect(decision.signal == .sigterm)
    }

    /// On a host: the revision whose snap.yaml names a host program is reported with the
    /// position, and its apps (so its stop-command) are unknown.
    @Test("a host revision whose stop-command names a host program is reported and not used")
    func onAHost() throws {
        let tree = RevisionStoreTests.Tree()
        try tree.write("snap/demo/1/meta/snap.yaml", Self.daemon(stopCommand: "/usr/bin/touch /tmp/pwned"))
        try tree.link("snap/demo/current", to: "1")
        let listing = FileSystemRevisionStore(root: tree.root).list()
        #expect(listing.problems == ["\(tree.root)/snap/demo/1/meta/snap.yaml:5:19: error: stop-command runs '/usr/bin/touch', an absolute path; a snap's stop-command names a program inside its own revision, relative to it, such as bin/stop or $SNAP/bin/stop"])
        #expect(listing.snaps.first?.info()?.apps.isEmpty == true)
    }
}
