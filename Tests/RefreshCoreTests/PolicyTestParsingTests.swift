import Testing
@testable import RefreshCore
@testable import RefreshHost
import RefreshIO

/// Every way a test file can be malformed is an error at its `file:line:column` that says what
/// is wrong (refreshctl test: exit code 2, nothing run).
@Suite struct PolicyTestParsingTests {
    /// Lines 1-10; a body appended starts at line 11.
    static let host = """
        version: 1
        now: 2026-11-27T12:00:00Z
        snaps:
          - {name: core22, type: base, current: 100, revisions: [100, 101]}
          - {name: vlc, base: core22, current: 10, revisions: [8, 10, 12], apps: {vlc: {}}}
          - {name: demo, current: 1, revisions: [1, 2], apps: {app: {daemon: simple}, cli: {}}}
        processes:
          - {pid: 4242, snap: vlc, revision: 10, app: vlc, pins: {core22: 100}}
          - {pid: 100, snap: demo, revision: 1, app: app}
        refresh: [vlc, demo]

        """
    /// The host without `now:` and `refresh:`: lines 1-8.
    static let bareHost = host.replacingOccurrences(of: "now: 2026-11-27T12:00:00Z\n", with: "")
        .replacingOccurrences(of: "refresh: [vlc, demo]\n", with: "")

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var text: String
        var errors: [String]
        var testDescription: String { name }

        init(_ name: String, _ text: String, _ errors: [String]) {
            self.name = name
            self.text = text
            self.errors = errors.map { "t.test.yaml:" + $0 }
        }

        /// A body after the host, such as `expect:` with something wrong in it.
        static func body(_ name: String, _ body: String, _ errors: [String]) -> Case {
            Case(name, host + body, errors)
        }

        /// An expectation of snap vlc, written in flow style on line 12.
        static func vlc(_ name: String, _ flow: String, _ errors: [String]) -> Case {
            Case(name, host + "expect:\n  vlc: \(flow)\n", errors)
        }
    }

    static let fileCases: [Case] = [
        Case("an empty file", "", ["1:1: error: test file is empty; it needs 'version: 1', a host ('snaps:' or 'scenario:') and 'expect:' or 'cases:'"]),
        Case("a scenario without expectations", host, ["1:1: error: the test file has no 'expect:' and no 'cases:'; add 'expect:' with what the plan must show, or 'cases:' with several named cases"]),
        .body("both expect and cases", "expect:\n  vlc: {outcome: refresh}\ncases: []\n",
              ["13:1: error: the test file has both 'expect:' and 'cases:'; move the expectations of 'expect:' into a case under 'cases:'"]),
        Case("one case without a fixed time", bareHost + "refresh: [vlc]\nexpect:\n  vlc: {outcome: refresh}\n",
             ["10:1: error: this test has no fixed time; add 'now:' (an RFC 3339 time such as 2026-11-27T12:00:00Z) to the test file, so its result does not depend on when it runs"]),
        Case("one case that refreshes nothing", bareHost + "now: 2026-11-27T12:00:00Z\nexpect:\n  vlc: {outcome: refresh}\n",
             ["10:1: error: this test refreshes nothing; add 'refresh:' (NAME or NAME=REV, as a list) to the test file"]),
        .body("a policy path that is not a string", "policy: [a.yaml]\nexpect:\n  vlc: {outcome: refresh}\n",
              ["11:9: error: expected policy path as a string, found a list"]),
        .body("a typo in a top-level key", "expct:\n  vlc: {outcome: refresh}\n",
              ["11:1: error: unknown key 'expct' in the scenario file; expected one of: version, now, snaps, services, processes, refresh, policy, expect, cases (did you mean 'expect'?)"]),
    ]

    static let caseCases: [Case] = [
        .body("cases that are not a list", "cases: {a: b}\n", ["11:8: error: expected cases as a list, found a mapping"]),
        .body("no cases", "cases: []\n", ["11:8: error: 'cases' is empty; add at least one case with 'name:' and 'expect:'"]),
        .body("a case that is not a mapping", "cases:\n  - just text\n",
              ["12:5: error: expected a test case as a mapping of keys to values, found the string 'just text'"]),
        .body("a typo in a case's key", "cases:\n  - {name: a, expect: {vlc: {outcome: refresh}}, refreh: [vlc]}\n",
              ["12:50: error: unknown key 'refreh' in a test case; expected one of: name, now, refresh, expect (did you mean 'refresh'?)"]),
        .body("a case without a name", "cases:\n  - expect: {vlc: {outcome: refresh}}\n",
              ["12:5: error: a test case has no 'name'; add name: followed by what the case shows"]),
        .body("two cases with one name", "cases:\n  - {name: a, expect: {vlc: {outcome: refresh}}}\n  - {name: a, expect: {vlc: {outcome: refresh}}}\n",
              ["13:12: error: case name 'a' is used twice (first at line 12); give each case its own name"]),
        Case("a case without a fixed time", bareHost + "refresh: [vlc]\ncases:\n  - {name: a, expect: {vlc: {outcome: refresh}}}\n",
             ["11:5: error: test case 'a' has no fixed time; add 'now:' (an RFC 3339 time such as 2026-11-27T12:00:00Z) to the case or to the test file"]),
        Case("a case that refreshes nothing", bareHost + "cases:\n  - {name: a, now: 2026-11-27T12:00:00Z, expect: {vlc: {outcome: refresh}}}\n",
             ["10:5: error: test case 'a' refreshes nothing; add 'refresh:' (NAME or NAME=REV, as a list) to the case or to the test file"]),
        .body("a case without expectations", "cases:\n  - name: a\n",
              ["12:5: error: test case 'a' has no 'expect'; add expect: with what the plan must show"]),
        .body("a case's bad refresh", "cases:\n  - name: a\n    refresh: [vlc, vlc, nosuch, Bad!, vlc=0]\n    expect: {vlc: {outcome: refresh}}\n",
              ["13:20: error: snap 'vlc' is named twice in 'refresh'; name each snap once",
               "13:25: error: snap 'nosuch' in 'refresh' is not in this scenario's 'snaps'",
               "13:33: error: invalid snap name 'Bad!' in 'Bad!': may only contain lowercase letters a-z, digits and hyphens; write NAME or NAME=REVISION, such as vlc=12",
               "13:39: error: invalid revision '0' in 'vlc=0': revision 0 does not exist; revisions start at 1"]),
        .body("a case name that is not a string", "cases:\n  - {name: [a], expect: {vlc: {outcome: refresh}}}\n",
              ["12:12: error: expected case name as a string, found a list"]),
        .body("a case's refresh that is not a list of names", "cases:\n  - {name: a, refresh: {vlc: 12}, expect: {vlc: {outcome: refresh}}}\n  - {name: b, refresh: [[vlc]], expect: {vlc: {outcome: refresh}}}\n",
              ["12:24: error: expected refresh (NAME or NAME=REV) as a list, found a mapping",
               "13:25: error: expected refresh entry as a string, found a list"]),
        .body("a case's bad time", "cases:\n  - {name: a, now: yesterday, expect: {vlc: {outcome: refresh}}}\n",
              ["12:20: error: invalid now 'yesterday'; expected an RFC 3339 time such as 2026-11-27T12:00:00Z"]),
    ]

    static let snapCases: [Case] = [
        .body("expect that is not a mapping", "expect: [vlc]\n",
              ["11:9: error: expected 'expect' (snap name: what its plan must show) as a mapping, found a list"]),
        .body("an empty expect", "expect: {}\n", ["11:9: error: 'expect' is empty; name at least one snap and what its plan must show"]),
        .body("an invalid snap name", "expect:\n  Vlc: {outcome: refresh}\n",
              ["12:3: error: invalid snap name 'Vlc': may only contain lowercase letters a-z, digits and hyphens"]),
        .body("a snap the host does not have", "expect:\n  nosuch: {outcome: refresh}\n",
              ["12:3: error: snap 'nosuch' is not in this scenario's 'snaps'; expect only what the host has"]),
        .body("a snap the case does not refresh", "expect:\n  core22: {outcome: refresh}\n",
              ["12:3: error: snap 'core22' is expected, but this test does not refresh it (refresh: vlc, demo); add it to 'refresh:' or remove its expectations"]),
        .body("a snap with nothing expected", "expect:\n  vlc:\n",
              ["12:7: error: expected the expectations of snap 'vlc' as a mapping of keys to values, found nothing (null)"]),
        .vlc("a snap with an empty mapping", "{}",
             ["12:8: error: the expectations of snap 'vlc' are empty; state at least one of: outcome, to, deadline, processes, apps, keep, remove, warnings"]),
        .vlc("a typo in a snap's key", "{outcom: refresh}",
             ["12:9: error: unknown key 'outcom' in the expectations of snap 'vlc'; expected one of: outcome, to, deadline, processes, apps, keep, remove, warnings (did you mean 'outcome'?)"]),
        .vlc("bad outcome, target and deadline", "{outcome: done, to: x, deadline: soon}",
             ["12:18: error: unknown outcome 'done'; expected one of: refresh, postponed, held, up-to-date, error",
              "12:28: error: invalid target revision ('to') 'x': expected a store revision (a number greater than 0) or a local revision (x1, x2, ...)",
              "12:41: error: invalid deadline 'soon'; expected an RFC 3339 time such as 2026-11-27T12:00:00Z"]),
    ]

    static let processCases: [Case] = [
        .vlc("processes that are not a mapping", "{processes: [4242]}",
             ["12:20: error: expected 'processes' (PID: expectation) as a mapping, found a list"]),
        .vlc("no processes", "{processes: {}}", ["12:20: error: 'processes' is empty; give PID: action pairs, such as 4242: leave-running"]),
        .vlc("a pid that is not a number", "{processes: {vlc: kill}}",
             ["12:21: error: expected pid as a whole number from 1 to 4194304, found the string 'vlc'"]),
        .vlc("a pid out of range", "{processes: {0: kill}}", ["12:21: error: pid must be from 1 to 4194304, is 0"]),
        .vlc("a pid the host does not have", "{processes: {999: kill}}",
             ["12:21: error: pid 999 is not among this scenario's processes (pids: 100, 4242)"]),
        .vlc("an unknown action", "{processes: {4242: leave_running}}",
             ["12:27: error: unknown action 'leave_running'; expected one of: leave-running, shutdown, kill, restart, postpone (did you mean 'leave-running'?)"]),
        .vlc("a list for a process", "{processes: {4242: [kill]}}",
             ["12:27: error: expected the expectation of pid 4242 as an action (leave-running, shutdown, kill, restart, postpone) or a mapping of action, signal, stop-command, timeout, then, deadline, reason-contains, role, service, found a list"]),
        .vlc("an empty expectation of a process", "{processes: {4242: {}}}",
             ["12:27: error: the expectation of pid 4242 is empty; give an action, or a mapping with any of: action, signal, stop-command, timeout, then, deadline, reason-contains, role, service"]),
        .vlc("a typo in a process's key", "{processes: {4242: {acton: kill}}}",
             ["12:28: error: unknown key 'acton' in the expectation of pid 4242; expected one of: action, signal, stop-command, timeout, then, deadline, reason-contains, role, service (did you mean 'action'?)"]),
        .vlc("bad values of a decision", "{processes: {4242: {signal: TERM, timeout: 5 min, then: later, deadline: soon, reason-contains: ''}}}",
             ["12:36: error: unknown signal 'TERM'; expected one of: SIGHUP, SIGINT, SIGQUIT, SIGABRT, SIGKILL, SIGUSR1, SIGUSR2, SIGALRM, SIGTERM",
              "12:51: error: timeout: unknown unit ' min' in duration '5 min'; expected a duration such as 30s, 2m, 1h or 14d (units: ms, s, m, h, d)",
              "12:64: error: unknown escalation ('then') 'later'; expected one of: kill, leave-running, abort, shutdown, restart",
              "12:81: error: invalid deadline 'soon'; expected an RFC 3339 time such as 2026-11-27T12:00:00Z",
              "12:104: error: reason-contains must not be empty"]),
        .vlc("an empty stop-command", "{processes: {4242: {stop-command: []}}}",
             ["12:42: error: stop-command is empty; give the command and its arguments as the plan shows them"]),
        .vlc("a stop-command that is not a list of words", "{processes: {4242: {stop-command: x}, 100: {stop-command: [/bin/stop, [a]]}}}",
             ["12:42: error: expected stop-command (a command and its arguments) as a list, found the string 'x'",
              "12:78: error: expected stop-command word as a string, found a list"]),
        .vlc("both signal and stop-command", "{processes: {4242: {signal: SIGTERM, stop-command: [/bin/stop]}}}",
             ["12:36: error: both 'signal' and 'stop-command' in the expectation of pid 4242; a shutdown uses one of them: remove one"]),
        .vlc("shutdown fields with kill", "{processes: {4242: {action: kill, signal: SIGTERM, timeout: 5s}}}",
             ["12:50: error: 'signal' cannot hold with 'action: kill'; only a shutdown or restart has one: remove it or expect 'action: shutdown'",
              "12:68: error: 'timeout' cannot hold with 'action: kill'; only a shutdown or restart has one: remove it or expect 'action: shutdown'"]),
        .vlc("a stop-command with postpone", "{processes: {4242: {action: postpone, stop-command: [/bin/stop]}}}",
             ["12:60: error: 'stop-command' cannot hold with 'action: postpone'; only a shutdown or restart has one: remove it or expect 'action: shutdown'"]),
        .vlc("then with leave-running", "{processes: {4242: {action: leave-running, then: kill}}}",
             ["12:57: error: 'then' cannot hold with 'action: leave-running', which never waits; remove it"]),
        .vlc("a then that cannot follow the action", "{processes: {4242: {action: shutdown, then: restart}}}",
             ["12:52: error: 'then: restart' cannot follow 'shutdown'; expected one of: kill, leave-running, abort"]),
        .vlc("a deadline without a postponement", "{processes: {4242: {action: shutdown, deadline: 2026-12-01T00:00:00Z}}}",
             ["12:56: error: 'deadline' cannot hold with 'action: shutdown'; only a postponement has one: remove it or expect 'action: postpone'"]),
    ]

    static let appCases: [Case] = [
        .vlc("apps that are not a mapping", "{apps: [vlc]}", ["12:15: error: expected 'apps' (APP or SNAP.APP: expectation) as a mapping, found a list"]),
        .vlc("no apps", "{apps: {}}", ["12:15: error: 'apps' is empty; give APP: action pairs, such as vlc: leave-running"]),
        .vlc("an app no snap has", "{apps: {nope: kill}}", ["12:16: error: no snap in this scenario has an app 'nope'; the apps of 'vlc' are: vlc"]),
        .vlc("an invalid app name", "{apps: {\"-x\": kill}}", ["12:16: error: invalid app name '-x': must not start or end with a hyphen"]),
        .vlc("bad SNAP.APP names", "{apps: {Vlc.vlc: kill, vlc.-x: kill, nosuch.app: kill, demo.vlc: kill, a.b.c: kill}}",
             ["12:16: error: invalid snap name 'Vlc' in 'Vlc.vlc': may only contain lowercase letters a-z, digits and hyphens; write APP or SNAP.APP",
              "12:31: error: invalid app name '-x' in 'vlc.-x': must not start or end with a hyphen; write APP or SNAP.APP",
              "12:45: error: snap 'nosuch' in 'nosuch.app' is not in this scenario's 'snaps'",
              "12:63: error: snap 'demo' has no app 'vlc'; its apps are: app, cli",
              "12:79: error: invalid app 'a.b.c'; write APP or SNAP.APP, such as vlc or vlc.vlc"]),
        .vlc("an unknown action of an app", "{apps: {vlc: stop}}",
             ["12:21: error: unknown action 'stop'; expected one of: leave-running, shutdown, kill, restart, postpone"]),
    ]

    static let revisionCases: [Case] = [
        .vlc("keep that is not a list", "{keep: 10}", ["12:15: error: expected 'keep' (a list of revisions) as a list, found the number 10"]),
        .vlc("invalid revisions", "{keep: [0, x1y]}",
             ["12:16: error: invalid revision '0': revision 0 does not exist; revisions start at 1",
              "12:19: error: invalid revision 'x1y': expected a store revision (a number greater than 0) or a local revision (x1, x2, ...)"]),
        .vlc("a revision the snap does not have", "{remove: [7]}", ["12:18: error: snap 'vlc' has no revision 7; its revisions are: 8, 10, 12"]),
        .vlc("a revision listed twice", "{keep: [10, 10]}", ["12:20: error: revision 10 is listed twice in 'keep' (first at line 12); list it once"]),
        .vlc("a revision both kept and removed", "{keep: [10], remove: [10]}",
             ["12:30: error: revision 10 is listed in both 'keep' (line 12) and 'remove'; a revision is either kept or removed"]),
    ]

    static let warningCases: [Case] = [
        .vlc("warnings that are not a mapping", "{warnings: [copy]}",
             ["12:19: error: expected 'warnings' of snap 'vlc' as a mapping of keys to values, found a list"]),
        .vlc("no warnings", "{warnings: {}}",
             ["12:19: error: 'warnings' is empty; give contains: [TEXT] (warnings that must appear) or absent: [TEXT] (that must not)"]),
        .vlc("a typo in warnings", "{warnings: {contain: [copy]}}",
             ["12:20: error: unknown key 'contain' in 'warnings' of snap 'vlc'; expected one of: contains, absent (did you mean 'contains'?)"]),
        .vlc("warning texts that are not a list", "{warnings: {contains: copy}}",
             ["12:30: error: expected warnings 'contains' (a list of texts) as a list, found the string 'copy'"]),
        .vlc("an empty list of warning texts", "{warnings: {absent: []}}",
             ["12:28: error: warnings 'absent' is empty; list the texts, or remove 'absent'"]),
        .vlc("an empty warning text", "{warnings: {contains: ['']}}", ["12:31: error: warning text must not be empty"]),
    ]

    @Test(arguments: fileCases + caseCases + snapCases)
    func fileCaseAndSnapErrors(_ c: Case) {
        #expect(errors(c.text) == c.errors)
    }

    @Test(arguments: processCases + appCases)
    func processAndAppErrors(_ c: Case) {
        #expect(errors(c.text) == c.errors)
    }

    @Test(arguments: revisionCases + warningCases)
    func revisionAndWarningErrors(_ c: Case) {
        #expect(errors(c.text) == c.errors)
    }

    func errors(_ text: String, files: [String: String] = [:]) -> [String] {
        do {
            _ = try PolicyTestFile(parsing: text, file: "t.test.yaml", read: inMemory(files))
            return []
        } catch {
            #expect(error.code == .invalidInput)
            return error.diagnostics.map(\.description)
        }
    }

    /// The same checks apply when the host comes from a scenario file.
    static let referenceHost = "version: 1\nnow: 2026-11-27T12:00:00Z\nsnaps:\n  - {name: vlc, current: 10, revisions: [8, 10, 12], apps: {vlc: {}}}\nrefresh: [vlc]\n"

    @Test(arguments: [
        ("both a scenario and snaps", "version: 1\nscenario: host.yaml\nsnaps: []\nexpect: {vlc: {outcome: refresh}}\n",
         ["t.test.yaml:3:1: error: 'snaps' and 'scenario' both describe the host; write the host here or name a scenario file, not both"]),
        ("a typo next to scenario", "version: 1\nscenario: host.yaml\npolcy: p.yaml\nexpect: {vlc: {outcome: refresh}}\n",
         ["t.test.yaml:3:1: error: unknown key 'polcy' in the test file; expected one of: version, scenario, now, refresh, policy, expect, cases (did you mean 'policy'?)"]),
        ("no version", "scenario: host.yaml\nexpect: {vlc: {outcome: refresh}}\n",
         ["t.test.yaml:1:1: error: the test file has no 'version'; add 'version: 1' at the top"]),
        ("another version", "version: 2\nscenario: host.yaml\nexpect: {vlc: {outcome: refresh}}\n",
         ["t.test.yaml:1:10: error: unsupported test version 2; this refreshctl reads 'version: 1'"]),
        ("a scenario path that is not a string", "version: 1\nscenario: [host.yaml]\nexpect: {vlc: {outcome: refresh}}\n",
         ["t.test.yaml:2:11: error: expected scenario path as a string, found a list"]),
        ("a scenario file that is missing", "version: 1\nscenario: hosts/nope.yaml\nexpect: {vlc: {outcome: refresh}}\n",
         ["t.test.yaml:2:11: error: cannot read the scenario file hosts/nope.yaml: no such file; check the path"]),
        ("a malformed scenario file", "version: 1\nscenario: bad-host.yaml\nexpect: {vlc: {outcome: refresh}}\n",
         ["bad-host.yaml:1:1: error: the scenario file has no 'snaps'; list the host's snaps under 'snaps:'"]),
        ("bad now and refresh next to scenario", "version: 1\nscenario: host.yaml\nnow: soon\nrefresh: [nosuch]\nexpect: {vlc: {outcome: refresh}}\n",
         ["t.test.yaml:3:6: error: invalid now 'soon'; expected an RFC 3339 time such as 2026-11-27T12:00:00Z",
          "t.test.yaml:4:11: error: snap 'nosuch' in 'refresh' is not in this scenario's 'snaps'"]),
        ("a policy path that is not a string next to scenario", "version: 1\nscenario: host.yaml\npolicy: {a: b}\nexpect: {vlc: {outcome: refresh}}\n",
         ["t.test.yaml:3:9: error: expected policy path as a string, found a mapping"]),
    ])
    func referenceErrors(name: String, text: String, expected: [String]) {
        #expect(errors(text, files: ["host.yaml": Self.referenceHost, "bad-host.yaml": "version: 1\n"]) == expected)
    }

    /// What a well-formed file turns into: cases, their time and refresh, typed expectations.
    @Test func aWellFormedFileGivesTypedCases() throws {
        let text = Self.host + """
            policy: ../policies/p.yaml
            cases:
              - name: first
                expect:
                  vlc:
                    processes:
                      4242: {action: shutdown, signal: SIGTERM, timeout: 1m30s, then: abort, reason-contains: rule}
                    apps: {vlc.vlc: kill}
                    keep: [10]
                    remove: []
              - name: second
                now: 2026-12-01T00:00:00Z
                refresh: [demo=2]
                expect:
                  demo: {outcome: refresh, to: 2, warnings: {contains: [a], absent: [b]}}
            """
        let file = try PolicyTestFile(parsing: text, file: "tests/t.test.yaml", tree: ".", read: TextFile.read)
        #expect(file.policyPath?.value == "policies/p.yaml")
        #expect(file.policyPath?.location == SourceLocation(file: "tests/t.test.yaml", line: 11, column: 9))
        #expect(file.cases.map(\.name) == ["first", "second"])
        #expect(file.cases.map(\.location.line) == [13, 21])
        #expect(file.cases.map(\.now.description) == ["2026-11-27T12:00:00Z", "2026-12-01T00:00:00Z"])
        #expect(file.cases.map { $0.request.items.map(\.description) } == [["vlc", "demo"], ["demo=2"]])
        let vlc = try #require(file.cases[0].expectations.first)
        #expect(vlc.snap.rawValue == "vlc")
        #expect(vlc.processes.map(\.selector.value) == [.pid(4242), .app(snap: SnapName("vlc"), app: AppName("vlc")!)])
        let pid = vlc.processes[0]
        #expect(pid.action?.value == .shutdown && pid.signal?.value == .sigterm && pid.then?.value == .abort)
        #expect(pid.timeout?.value == .seconds(90))
        #expect(pid.reasonContains?.value == "rule")
        #expect(vlc.keep?.revisions.map(\.value) == [Revision("10")!])
        #expect(vlc.remove?.revisions.isEmpty == true)
        let demo = try #require(file.cases[1].expectations.first)
        #expect(demo.outcome?.value == .refresh && demo.target?.value == Revision("2"))
        #expect(demo.warningsContaining.map(\.value) == ["a"] && demo.warningsAbsent.map(\.value) == ["b"])
    }

    @Test(arguments: [
        ("policies/p.yaml", "Examples/w.test.yaml", "Examples/policies/p.yaml"),
        ("../p.yaml", "a/b/t.test.yaml", "a/p.yaml"),
        ("../p.yaml", "t.test.yaml", "../p.yaml"),
        ("./x/./y.yaml", "t.test.yaml", "x/y.yaml"),
        ("/etc/p.yaml", "a/t.test.yaml", "/etc/p.yaml"),
        ("../../p.yaml", "/t.test.yaml", "/p.yaml"),
        ("p.yaml", "/srv/t.test.yaml", "/srv/p.yaml"),
    ])
    func pathsAreRelativeToTheTestFile(relative: String, file: String, resolved: String) {
        #expect(RelativePath.resolve(relative, from: file) == resolved)
    }
}
