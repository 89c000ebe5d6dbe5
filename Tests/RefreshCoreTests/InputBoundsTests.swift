import Foundation
import Testing
@testable import RefreshCore
import RefreshIO

/// Inputs that are long or hold control characters: refused where they are written, and never
/// echoed raw to a terminal.
@Suite struct InputBoundsTests {
    /// Exactly one error, at `line:column`, whose message starts with `message`.
    func expectOneError(_ diagnostics: [Diagnostic], _ file: String, _ line: Int, _ column: Int, _ message: String,
                        sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        let errors = diagnostics.filter { $0.severity == .error }
        #expect(errors.count == 1, "expected exactly one error, got: \(diagnostics.map(\.description))", sourceLocation: sourceLocation)
        guard let error = errors.first else { return }
        #expect(error.severity == .error, sourceLocation: sourceLocation)
        #expect("\(error.location)" == "\(file):\(line):\(column)", "\(error)", sourceLocation: sourceLocation)
        #expect(error.message.hasPrefix(message), "\(error)", sourceLocation: sourceLocation)
    }

    // MARK: - Policy

    static func rule(_ lines: String) -> String {
        "version: 1\nrules:\n  - snap: vlc\n    on-refresh: shutdown\n" + lines
    }

    static let policyCases: [InputErrorCase] = [
        .init("a 900,000-character snap pattern", "version: 1\nrules:\n  - snap: \(String(repeating: "a", count: 900_000))\n", 3, 11,
              "snap pattern is 900000 bytes long, more than the 256 allowed; snap names have at most 40 characters"),
        .init("an app pattern of 257 bytes", "version: 1\nrules:\n  - snap: vlc\n    app: \"\(String(repeating: "a*", count: 128))b\"\n", 4, 10,
              "app pattern is 257 bytes long, more than the 256 allowed; app names are far shorter"),
        .init("a control character in a snap pattern", "version: 1\nrules:\n  - snap: \"vl\\ec\"\n", 3, 11,
              "pattern 'vl\\u{1B}c' holds the control character U+001B, which no snap name has"),
        .init("a NUL in a stop-command", rule("    stop-command: [\"/bin/stop\\0\", \"now\"]\n"), 5, 20,
              "stop-command word holds a control character (U+0000) at character 10; remove it"),
        .init("a newline in a stop-command argument", rule("    stop-command: [/bin/stop, \"now\\nrm -rf /\"]\n"), 5, 31,
              "stop-command word holds a control character (U+000A) at character 4; remove it"),
        .init("an escape in a restart-command", "version: 1\nrules:\n  - snap: vlc\n    on-refresh: restart\n    restart-command: [\"/bin/start\\e[2J\"]\n", 5, 23,
              "restart-command word holds a control character (U+001B) at character 11; remove it"),
        .init("a C1 control in a stop-command", rule("    stop-command: [\"/bin/stop\\x85\"]\n"), 5, 20,
              "stop-command word holds a control character (U+0085) at character 10; remove it"),
        .init("a stop-command word over 4096 bytes", rule("    stop-command: [/bin/stop, \(String(repeating: "x", count: 4097))]\n"), 5, 31,
              "stop-command word is 4097 bytes long, more than the 4096 allowed"),
        .init("a stop-command program over 4096 bytes", rule("    stop-command: [/\(String(repeating: "x", count: 5000))]\n"), 5, 20,
              "stop-command word is 5001 bytes long, more than the 4096 allowed"),
    ]

    @Test("policy: long patterns and command words, and control characters, are refused where written", arguments: policyCases)
    func policy(_ c: InputErrorCase) {
        expectOneError(refusal { _ = try Policy(parsing: c.yaml, file: "policy.yaml") }, "policy.yaml", c.line, c.column, c.message)
    }

    @Test("policy: the bounds themselves are accepted")
    func policyAtTheBounds() throws {
        let pattern = String(repeating: "a*", count: 128)  // 256 bytes
        let word = "/" + String(repeating: "x", count: 4095)  // 4096 bytes
        let policy = try Policy(parsing: "version: 1\nrules:\n  - snap: \"\(pattern)\"\n    app: \"\(pattern)\"\n    on-refresh: shutdown\n    stop-command: [\(word), \(word.dropFirst())]\n", file: "policy.yaml")
        #expect(policy.rules.first?.snap.pattern.utf8.count == 256)
        #expect(policy.rules.first?.settings.stopCommand?.value.map(\.utf8.count) == [4096, 4095])
    }

    // MARK: - Scenario

    static let host = "version: 1\nsnaps:\n  - {name: vlc, current: 10, apps: {vlc: {}}}\nprocesses:\n"

    static let scenarioCases: [InputErrorCase] = [
        .init("a NUL in exe", host + "  - {pid: 1, exe: \"/snap/vlc/10/bin/vlc\\0\"}\n", 5, 19,
              "exe holds a control character (U+0000) at character 21; remove it"),
        .init("a newline in cwd", host + "  - {pid: 1, cwd: \"/snap/vlc/10\\n/x\"}\n", 5, 19,
              "cwd holds a control character (U+000A) at character 13; remove it"),
        .init("an escape in a mapped path", host + "  - {pid: 1, maps: [\"/snap/vlc/10/lib\\e[2J\"]}\n", 5, 21,
              "mapped path holds a control character (U+001B) at character 17; remove it"),
        .init("a control character in a cgroup line", host + "  - {pid: 1, cgroup: \"0::/snap.vlc.vlc.service\\r\"}\n", 5, 22,
              "cgroup holds a control character (U+000D) at character 25; remove it"),
        .init("a control character in root-image", host + "  - {pid: 1, root-image: \"/var/lib/snapd/snaps/vlc_10.snap\\x9b\"}\n", 5, 26,
              "root-image holds a control character (U+009B) at character 33; remove it"),
        .init("an exe over 4096 bytes", host + "  - {pid: 1, exe: /snap/vlc/10/\(String(repeating: "x", count: 4096))}\n", 5, 19,
              "exe is 4109 bytes long, more than the 4096 allowed"),
        .init("a control character in the policy path", "version: 1\nsnaps: []\npolicy: \"p\\0.yaml\"\n", 3, 9,
              "policy path holds a control character (U+0000) at character 2; remove it"),
    ]

    @Test("scenario: long paths and control characters are refused where written", arguments: scenarioCases)
    func scenario(_ c: InputErrorCase) {
        expectOneError(refusal { _ = try Scenario(parsing: c.yaml, file: "scenario.yaml") }, "scenario.yaml", c.line, c.column, c.message)
    }

    @Test("scenario: an exe of 4096 bytes is accepted")
    func scenarioAtTheBound() throws {
        let exe = "/snap/vlc/10/" + String(repeating: "x", count: 4096 - 13)
        let scenario = try Scenario(parsing: Self.host + "  - {pid: 1, exe: \(exe)}\n", file: "scenario.yaml")
        #expect(scenario.state.processes.first?.evidence.exe?.utf8.count == 4096)
        #expect(scenario.state.processes.first?.binding?.snap == SnapName("vlc"))
    }

    /// `refreshctl snapshot` may meet a path with a control character on a live host (anyone
    /// can name a file so): what it writes must read back.
    @Test("snapshot: evidence paths with control characters are left out, so the scenario reads back")
    func writerLeavesOutWhatTheReaderRefuses() throws {
        let info = SnapInfo(name: SnapName("vlc")!, apps: [AppName("vlc")!: App(name: AppName("vlc")!, command: "bin/vlc")])
        let snap = Snap(name: SnapName("vlc")!, current: Revision("10"), revisions: [InstalledRevision(revision: Revision("10")!, info: info)])
        let evidence = ProcessEvidence(exe: "/snap/vlc/10/bin/vlc\n- pid: 1", maps: ["/snap/vlc/10/lib/a\u{1B}.so", "/snap/vlc/10/lib/b.so"],
                                       cwd: "/snap/vlc/10/\u{7F}", cgroups: ["0::/user.slice/snap.vlc.vlc-\u{0}.scope"])
        let binding = Binding(snap: SnapName("vlc")!, revision: Revision("10")!, app: AppName("vlc"), evidence: ["test"])
        let state = SystemState(snaps: [snap], processes: [RunningProcess(identity: ProcessIdentity(pid: 7), evidence: evidence, binding: binding)])
        let text = ScenarioWriter.write(state, root: "/", now: Timestamp(secondsSinceEpoch: 0))
        let scenario = try Scenario(parsing: text, file: "snapshot.yaml")
        #expect(scenario.state.processes.first?.evidence.maps == ["/snap/vlc/10/lib/b.so"])
        #expect(scenario.state.processes.first?.evidence.exe == nil)
        #expect(scenario.state.processes.first?.binding?.revision == Revision("10"))
    }

    // MARK: - Test files

    @Test("test file: control characters and long paths in policy: and scenario: are refused where written", arguments: [
        ("version: 1\nscenario: \"host\\n.yaml\"\nexpect: {vlc: {outcome: refresh}}\n", 2, 11,
         "scenario path holds a control character (U+000A) at character 5; remove it"),
        ("version: 1\nscenario: host.yaml\npolicy: \"p\\e.yaml\"\nexpect: {vlc: {outcome: refresh}}\n", 3, 9,
         "policy path holds a control character (U+001B) at character 2; remove it"),
        ("version: 1\nscenario: \(String(repeating: "d/", count: 2100))h.yaml\nexpect: {vlc: {outcome: refresh}}\n", 2, 11,
         "scenario path is 4206 bytes long, more than the 4096 allowed"),
    ] as [(String, Int, Int, String)])
    func testFile(text: String, line: Int, column: Int, message: String) {
        let host = "version: 1\nnow: 2026-11-27T12:00:00Z\nsnaps:\n  - {name: vlc, current: 10, revisions: [10, 12]}\nrefresh: [vlc]\n"
        let diagnostics = refusal { _ = try PolicyTestFile(parsing: text, file: "t.test.yaml", read: inMemory(["host.yaml": host])) }
        expectOneError(diagnostics, "t.test.yaml", line, column, message)
    }

    /// An unknown PID is reported once per expectation; the known PIDs it lists are capped, so
    /// the output does not grow as (expectations × processes).
    @Test("test file: an unknown pid lists at most 10 known ones")
    func unknownPidListIsCapped() {
        let processes = (1...12).map { "  - {pid: \($0), snap: vlc, revision: 10}\n" }.joined()
        let host = "version: 1\nnow: 2026-11-27T12:00:00Z\nsnaps:\n  - {name: vlc, current: 10, revisions: [10, 12]}\nprocesses:\n" + processes + "refresh: [vlc]\n"
        let text = "version: 1\nscenario: host.yaml\nexpect:\n  vlc: {processes: {99: kill}}\n"
        let diagnostics = refusal { _ = try PolicyTestFile(parsing: text, file: "t.test.yaml", read: inMemory(["host.yaml": host])) }
        #expect(diagnostics.map(\.description) == [
            "t.test.yaml:4:21: error: pid 99 is not among this scenario's processes (pids: 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 and 2 more)",
        ])
    }

    // MARK: - What reaches the terminal

    /// Messages quote what the file says; a control character in it is shown escaped, so a
    /// file cannot forge output lines or drive the terminal.
    @Test("a diagnostic shows control characters escaped")
    func diagnosticsAreEscaped() {
        let diagnostics = refusal { _ = try Policy(parsing: "version: 1\ndefaults:\n  on-refresh: \"\\e[2J\\nkill\"\n", file: "policy.yaml") }
        #expect(diagnostics.map(\.description) == [
            "policy.yaml:3:15: error: unknown action '\\u{1B}[2J\\u{0A}kill'; expected one of: leave-running, shutdown, kill, restart, postpone",
        ])
    }

    // MARK: - Glob matching stays linear

    /// A pattern with many stars against a long name that almost matches: a backtracking
    /// matcher that retries every star is exponential here; this one restarts only from the
    /// last star, so its work is at most (pattern + 1) × (name + 1) steps.
    @Test("glob matching takes at most (pattern + 1) × (name + 1) steps", arguments: [
        ("*a*a*a*a*b", String(repeating: "a", count: 10_000)),
        (String(repeating: "*a", count: 127) + "b", String(repeating: "a", count: 5_000)),
        ("*[a-z]*?*[!b]*a-*-b", String(repeating: "a-", count: 3_000)),
        (String(repeating: "?", count: 200) + "*x", String(repeating: "y", count: 4_000)),
    ])
    func globIsLinearInEach(pattern: String, name: String) throws {
        let glob = try Glob.compile(pattern, for: .app).get()
        var steps = 0
        let matched = glob.matches(name, steps: &steps)
        #expect(!matched)
        #expect(steps <= (pattern.utf8.count + 1) * (name.utf8.count + 1), "\(steps) steps")
    }
}
