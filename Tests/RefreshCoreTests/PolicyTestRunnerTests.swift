import Foundation
import Testing
@testable import RefreshCore
@testable import RefreshHost
import RefreshIO

/// The runner's own fixtures, relative to the package root (as `refreshctl test` is run there).
/// A hidden folder: `refreshctl test` at the repository root skips it, so the deliberately
/// failing and malformed files here are read only by the tests that name this folder.
let policyTestFixtures = "Tests/RefreshCoreTests/Fixtures/.policy-tests"

/// Reads a file named relative to the package root, so that reports name the relative path.
func readFromPackage(_ path: String) throws(RefreshCoreError) -> String {
    try TextFile.read(path.hasPrefix("/") ? path : packagePath(path))
}

/// A reader of files held in memory; any other path is missing, as ``TextFile`` says it.
func inMemory(_ files: [String: String]) -> (String) throws(RefreshCoreError) -> String {
    { (path: String) throws(RefreshCoreError) -> String in
        guard let text = files[path] else { throw RefreshCoreError(.io, "\(path): error: no such file; check the path") }
        return text
    }
}

func lines(_ text: String) -> [String] {
    text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
}

/// Planning each case and comparing: the exact lines a user reads, and the exit codes.
@Suite struct PolicyTestRunnerTests {
    let f = policyTestFixtures

    /// Runs the fixtures as `refreshctl test` on their folder does: that folder is their tree.
    func report(_ files: [String], policy: Policy? = nil, filter: PolicyTestFilter? = nil) -> PolicyTestReport {
        PolicyTestSuite(loading: files.map { PolicyTestSource(path: "\(f)/\($0)", tree: f) }, policy: policy) { (path: String, _: String) throws(RefreshCoreError) -> String in
            try readFromPackage(path)
        }.run(filter: filter)
    }

    @Test func aPassingFilePrintsOnePassLinePerCaseWithItsLine() {
        let report = report(["passing.test.yaml"])
        #expect(lines(report.text()) == [
            "PASS \(f)/passing.test.yaml:21: vlc keeps playing",
            "PASS \(f)/passing.test.yaml:28: the database server is shut down gently",
            "PASS \(f)/passing.test.yaml:35: a base refresh keeps what runs on it",
            "3 passed, 0 failed",
            "",
        ])
        #expect(report.exitCode == 0)
        #expect(report.diagnostics.isEmpty)
    }

    /// Each broken expectation: its own line, expected vs actual, and the decision's reason.
    @Test func aFailingFilePointsAtEachBrokenExpectation() {
        let report = report(["failing.test.yaml"])
        #expect(lines(report.text()) == [
            "FAIL \(f)/failing.test.yaml:5: failing",
            "  \(f)/failing.test.yaml:8: vlc: pid 4242: action: expected kill, actual leave-running",
            "    why: \(f)/policy.yaml:7: rule 1 (snap: vlc)",
            "  \(f)/failing.test.yaml:9: vlc: revision 10: expected removed, actual kept (retained (retain: 2); in use by 1 process)",
            "  \(f)/failing.test.yaml:12: demo-db: pid 700: timeout: expected 30s, actual 2m",
            "    why: \(f)/policy.yaml:10: rule 2 (snap: demo-db, app: server)",
            "  \(f)/failing.test.yaml:14: demo-db: warnings: expected a warning containing 'not a daemon', actual no warning about demo-db",
            "0 passed, 1 failed",
            "",
        ])
        #expect(report.exitCode == 1)
    }

    @Test func filesRunInTheOrderGivenAndTheSummaryCountsCases() {
        let report = report(["failing.test.yaml", "passing.test.yaml"])
        let text = lines(report.text())
        #expect(text.filter { $0.hasPrefix("PASS ") || $0.hasPrefix("FAIL ") }.map { String($0.prefix(4)) } == ["FAIL", "PASS", "PASS", "PASS"])
        #expect(text.suffix(2) == ["3 passed, 1 failed", ""])
        #expect(report.exitCode == 1)
    }

    @Test func verboseShowsWhatEachPassedExpectationSaw() {
        let text = lines(report(["passing.test.yaml"]).text(verbose: true))
        #expect(text == [
            "PASS \(f)/passing.test.yaml:21: vlc keeps playing",
            "  \(f)/passing.test.yaml:24: vlc: outcome: refresh, as expected",
            "  \(f)/passing.test.yaml:25: vlc: pid 4242: action: leave-running, as expected",
            "    why: \(f)/policy.yaml:7: rule 1 (snap: vlc)",
            "  \(f)/passing.test.yaml:26: vlc: revision 10: kept (retained (retain: 2); in use by 1 process), as expected",
            "  \(f)/passing.test.yaml:27: vlc: revision 8: removed, as expected",
            "PASS \(f)/passing.test.yaml:28: the database server is shut down gently",
            "  \(f)/passing.test.yaml:33: demo-db: pid 700: action: shutdown, as expected",
            "    why: \(f)/policy.yaml:10: rule 2 (snap: demo-db, app: server)",
            "  \(f)/passing.test.yaml:33: demo-db: pid 700: signal: SIGINT, as expected",
            "  \(f)/passing.test.yaml:33: demo-db: pid 700: timeout: 2m, as expected",
            "  \(f)/passing.test.yaml:33: demo-db: pid 700: then: abort, as expected",
            "  \(f)/passing.test.yaml:34: demo-db: app cli (pid 701): action: kill, as expected",
            "    why: \(f)/policy.yaml:4: defaults",
            "PASS \(f)/passing.test.yaml:35: a base refresh keeps what runs on it",
            "  \(f)/passing.test.yaml:39: core22: app vlc.vlc (pid 4242): action: leave-running, as expected",
            "    why: \(f)/policy.yaml:7: rule 1 (snap: vlc)",
            "  \(f)/passing.test.yaml:39: core22: app server (pid 700): action: shutdown, as expected",
            "    why: \(f)/policy.yaml:10: rule 2 (snap: demo-db, app: server)",
            "  \(f)/passing.test.yaml:40: core22: revision 100: kept (retained (retain: 2); in use by 1 process), as expected",
            "3 passed, 0 failed",
            "",
        ])
    }

    /// JSON and text carry the same facts: every failed check of the text is a failed check
    /// of the JSON, with its position, expected, actual and reason.
    @Test func jsonCarriesTheFactsOfTheText() throws {
        let report = report(["failing.test.yaml", "passing.test.yaml"])
        let json = report.json()
        #expect(json.hasSuffix("}\n") && !json.dropLast().contains("\n"))
        let root = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(root["version"] as? Int == 1)
        #expect(root["passed"] as? Int == 3 && root["failed"] as? Int == 1 && root["exit-code"] as? Int == 1)
        let cases = try #require(root["cases"] as? [[String: Any]])
        #expect(cases.map { $0["name"] as? String } == ["failing", "vlc keeps playing", "the database server is shut down gently", "a base refresh keeps what runs on it"])
        #expect(cases.map { $0["line"] as? Int } == [5, 21, 28, 35])
        #expect(cases.map { $0["result"] as? String } == ["fail", "pass", "pass", "pass"])
        let checks = try #require(cases[0]["checks"] as? [[String: Any]])
        #expect(checks.count == 6)  // passed checks are in the JSON too
        let failed = checks.filter { $0["result"] as? String == "fail" }
        #expect(failed.map { "\($0["line"] as! Int):\($0["column"] as! Int) \($0["snap"] as! String): \($0["subject"] as! String): expected \($0["expected"] as! String), actual \($0["actual"] as! String)" } == [
            "8:23 vlc: pid 4242: action: expected kill, actual leave-running",
            "9:14 vlc: revision 10: expected removed, actual kept (retained (retain: 2); in use by 1 process)",
            "12:40 demo-db: pid 700: timeout: expected 30s, actual 2m",
            "14:18 demo-db: warnings: expected a warning containing 'not a daemon', actual no warning about demo-db",
        ])
        #expect(failed[0]["reason"] as? String == "\(f)/policy.yaml:7: rule 1 (snap: vlc)")
        #expect(failed[1]["reason"] == nil)
    }

    @Test func sameInputSameBytes() {
        let first = report(["failing.test.yaml", "passing.test.yaml"])
        let second = report(["failing.test.yaml", "passing.test.yaml"])
        #expect(first.text(verbose: true) == second.text(verbose: true))
        #expect(first.json() == second.json())
    }

    @Test func runSelectsCasesByARegularExpressionOnTheirName() throws {
        let report = report(["failing.test.yaml", "passing.test.yaml"], filter: try PolicyTestFilter(pattern: "gently|base refresh"))
        #expect(lines(report.text()) == [
            "PASS \(f)/passing.test.yaml:28: the database server is shut down gently",
            "PASS \(f)/passing.test.yaml:35: a base refresh keeps what runs on it",
            "2 passed, 0 failed",
            "",
        ])
        #expect(report.exitCode == 0)
    }

    @Test func aPatternThatSelectsNothingIsExitCode2() throws {
        let report = report(["passing.test.yaml"], filter: try PolicyTestFilter(pattern: "^no such case$"))
        #expect(report.results.isEmpty)
        #expect(report.exitCode == 2)
    }

    @Test func anInvalidPatternIsRejected() {
        #expect(throws: RefreshCoreError.self) { try PolicyTestFilter(pattern: "(") }
        do {
            _ = try PolicyTestFilter(pattern: "(")
        } catch {
            #expect(error.code == .invalidArgument)
            #expect(error.message == "invalid --run pattern '(': expected ')'; give a regular expression such as 'firefox|vlc'")
        }
    }

    /// `--policy` replaces every file's `policy:`; reasons then name the override.
    @Test func aPolicyOverrideReplacesTheFilesPolicy() throws {
        let override = try Policy(parsing: "version: 1\ndefaults:\n  on-refresh: kill\n", file: "override.yaml")
        let report = report(["passing.test.yaml"], policy: override)
        #expect(lines(report.text()) == [
            "FAIL \(f)/passing.test.yaml:21: vlc keeps playing",
            "  \(f)/passing.test.yaml:25: vlc: pid 4242: action: expected leave-running, actual kill",
            "    why: override.yaml:3: defaults",
            "FAIL \(f)/passing.test.yaml:28: the database server is shut down gently",
            "  \(f)/passing.test.yaml:33: demo-db: pid 700: action: expected shutdown, actual kill",
            "    why: override.yaml:3: defaults",
            "  \(f)/passing.test.yaml:33: demo-db: pid 700: signal: expected SIGINT, actual none",
            "  \(f)/passing.test.yaml:33: demo-db: pid 700: timeout: expected 2m, actual none",
            "  \(f)/passing.test.yaml:33: demo-db: pid 700: then: expected abort, actual none",
            "FAIL \(f)/passing.test.yaml:35: a base refresh keeps what runs on it",
            "  \(f)/passing.test.yaml:39: core22: app vlc.vlc (pid 4242): action: expected leave-running, actual kill",
            "    why: override.yaml:3: defaults",
            "  \(f)/passing.test.yaml:39: core22: app server (pid 700): action: expected shutdown, actual kill",
            "0 passed, 3 failed",
            "",
        ])
    }

    /// A test file without `policy:` is planned under the built-in defaults.
    @Test func withoutAPolicyTheBuiltInDefaultsDecide() {
        let file = """
            version: 1
            now: 2026-11-27T12:00:00Z
            snaps:
              - {name: demo, current: 1, revisions: [1, 2], apps: {svc: {daemon: simple}, cli: {}}}
            processes:
              - {pid: 100, snap: demo, revision: 1, app: svc}
              - {pid: 101, snap: demo, revision: 1, app: cli}
            refresh: [demo]
            expect:
              demo:
                processes:
                  100: {action: restart, reason-contains: "built-in"}
                  101: {action: leave-running, reason-contains: "built-in"}
            """
        let report = PolicyTestSuite(loading: ["t.test.yaml"], read: inMemory(["t.test.yaml": file])).run()
        #expect(lines(report.text()) == ["PASS t.test.yaml:9: t", "1 passed, 0 failed", ""])
    }

    /// A malformed file stops the run before anything is planned, even the good files.
    @Test func aMalformedFileRunsNothing() {
        let report = report(["passing.test.yaml", "malformed/malformed.test.yaml"])
        #expect(report.diagnostics.map(\.description) == [
            "\(f)/malformed/malformed.test.yaml:9:27: error: unknown action 'leave_running'; expected one of: leave-running, shutdown, kill, restart, postpone (did you mean 'leave-running'?)",
            "\(f)/malformed/malformed.test.yaml:13:9: error: unknown key 'keeps' in the expectations of snap 'vlc'; expected one of: outcome, to, deadline, processes, apps, keep, remove, warnings (did you mean 'keep'?)",
        ])
        #expect(report.results.isEmpty)
        #expect(report.text() == "")
        #expect(report.exitCode == 2)
        #expect(report.json().contains("\"cases\":[],\"diagnostics\":[{\"severity\":\"error\",\"file\":\"\(f)/malformed/malformed.test.yaml\",\"line\":9,\"column\":27,"))
    }

    static let host = """
        version: 1
        now: 2026-11-27T12:00:00Z
        snaps:
          - {name: vlc, current: 10, revisions: [8, 10, 12], apps: {vlc: {}}}
        processes:
          - {pid: 4242, snap: vlc, revision: 10, app: vlc}
        refresh: [vlc]
        """

    /// A policy that cannot be read is reported at the `policy:` line that names it.
    @Test func aMissingPolicyIsReportedAtItsPolicyLine() {
        let file = "version: 1\nscenario: ../hosts/host.yaml\npolicy: ../policies/nope.yaml\nexpect:\n  vlc: {outcome: refresh}\n"
        let read = inMemory(["tests/t.test.yaml": file, "hosts/host.yaml": Self.host])
        let report = PolicyTestSuite(loading: [PolicyTestSource(path: "tests/t.test.yaml", tree: ".")]) { (path: String, _: String) throws(RefreshCoreError) -> String in
            try read(path)
        }.run()
        #expect(report.diagnostics.map(\.description) == [
            "tests/t.test.yaml:3:9: error: cannot read the policy file policies/nope.yaml: no such file; check the path",
        ])
        #expect(report.exitCode == 2)
    }

    /// A test file that cannot be read is an error at its first line; the others still load.
    @Test func anUnreadableTestFileIsReported() {
        let test = "version: 1\nscenario: host.yaml\nexpect:\n  vlc: {outcome: refresh}\n"
        let suite = PolicyTestSuite(loading: ["gone.test.yaml", "a.test.yaml"], read: inMemory(["a.test.yaml": test, "host.yaml": Self.host]))
        #expect(suite.diagnostics.map(\.description) == ["gone.test.yaml:1:1: error: cannot read the test file gone.test.yaml: no such file; check the path"])
        #expect(suite.entries.map(\.test.file) == ["a.test.yaml"])
        #expect(suite.run().exitCode == 2)
    }

    /// A broken policy that two test files share is reported once, at its own positions.
    @Test func aBrokenSharedPolicyIsReportedOnce() {
        let test = "version: 1\nscenario: host.yaml\npolicy: policy.yaml\nexpect:\n  vlc: {outcome: refresh}\n"
        let files = ["a.test.yaml": test, "b.test.yaml": test, "host.yaml": Self.host, "policy.yaml": "version: 1\nrules:\n  - snap: vlc\n    on-refresh: leave_running\n"]
        let report = PolicyTestSuite(loading: ["a.test.yaml", "b.test.yaml"], read: inMemory(files)).run()
        #expect(report.diagnostics.map(\.description) == [
            "policy.yaml:4:17: error: unknown action 'leave_running'; expected one of: leave-running, shutdown, kill, restart, postpone (did you mean 'leave-running'?)",
        ])
        #expect(report.exitCode == 2)
    }

    /// Warnings of the policy (a shadowed rule) and of the host reach the report, once each.
    @Test func warningsOfPolicyAndHostAreReportedOnce() {
        let host = Self.host.replacingOccurrences(of: "refresh: [vlc]", with: "  - {pid: 9, exe: /usr/bin/bash}\nrefresh: [vlc]")
        let test = "version: 1\nscenario: host.yaml\npolicy: policy.yaml\nexpect:\n  vlc: {outcome: refresh}\n"
        let policy = "version: 1\nrules:\n  - snap: \"*\"\n    on-refresh: kill\n  - snap: vlc\n    on-refresh: leave-running\n"
        let files = ["a.test.yaml": test, "b.test.yaml": test, "host.yaml": host, "policy.yaml": policy]
        let report = PolicyTestSuite(loading: ["a.test.yaml", "b.test.yaml"], read: inMemory(files)).run()
        #expect(report.diagnostics.map(\.description) == [
            "host.yaml:7:5: warning: process 9 runs from no snap revision this scenario knows; it is ignored",
            "policy.yaml:5:5: warning: rule 2 (snap: vlc) never applies: rule 1 (snap: *) at line 3 matches everything it matches and comes first; move it above that rule or remove it",
        ])
        #expect(report.exitCode == 0)
        #expect(report.passed == 2)
    }
}
