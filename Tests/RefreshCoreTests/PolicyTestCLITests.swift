import Foundation
import Testing
@testable import RefreshCore
@testable import RefreshHost
import RefreshIO

/// `refreshctl test` as a user runs it: the built binary, its exact output and exit codes.
@Suite(.timeLimit(.minutes(2))) struct PolicyTestCLITests {
    let f = policyTestFixtures

    struct Run {
        var code: Int32
        var out: [String]
        var err: [String]
    }

    /// Runs `refreshctl ARGS` in `directory` (relative to the package root).
    func refreshctl(_ arguments: [String], in directory: String = "") throws -> Run {
        let run = try runProduct("refreshctl", arguments, in: URL(fileURLWithPath: packagePath(directory)))
        return Run(code: run.code, out: lines(run.out), err: lines(run.err))
    }

    @Test func allPassingIsExitCode0() throws {
        let run = try refreshctl(["test", "\(f)/passing.test.yaml"])
        #expect(run.code == 0)
        #expect(run.out == [
            "PASS \(f)/passing.test.yaml:21: vlc keeps playing",
            "PASS \(f)/passing.test.yaml:28: the database server is shut down gently",
            "PASS \(f)/passing.test.yaml:35: a base refresh keeps what runs on it",
            "3 passed, 0 failed",
            "",
        ])
        #expect(run.err == [""])
    }

    /// A deliberately broken expectation: its line, expected vs actual, and why; exit code 1.
    @Test func aFailureIsExitCode1AndPointsAtTheExpectation() throws {
        let run = try refreshctl(["test", "\(f)/failing.test.yaml", "\(f)/passing.test.yaml"])
        #expect(run.code == 1)
        #expect(run.out == [
            "FAIL \(f)/failing.test.yaml:5: failing",
            "  \(f)/failing.test.yaml:8: vlc: pid 4242: action: expected kill, actual leave-running",
            "    why: \(f)/policy.yaml:7: rule 1 (snap: vlc)",
            "  \(f)/failing.test.yaml:9: vlc: revision 10: expected removed, actual kept (retained (retain: 2); in use by 1 process)",
            "  \(f)/failing.test.yaml:12: demo-db: pid 700: timeout: expected 30s, actual 2m",
            "    why: \(f)/policy.yaml:10: rule 2 (snap: demo-db, app: server)",
            "  \(f)/failing.test.yaml:14: demo-db: warnings: expected a warning containing 'not a daemon', actual no warning about demo-db",
            "PASS \(f)/passing.test.yaml:21: vlc keeps playing",
            "PASS \(f)/passing.test.yaml:28: the database server is shut down gently",
            "PASS \(f)/passing.test.yaml:35: a base refresh keeps what runs on it",
            "3 passed, 1 failed",
            "",
        ])
    }

    /// A folder is searched recursively; the malformed file in it stops the run: exit code 2,
    /// each error at its file:line:column on stderr, nothing on stdout.
    @Test func aMalformedFileIsExitCode2() throws {
        let run = try refreshctl(["test", f])
        #expect(run.code == 2)
        #expect(run.out == [""])
        #expect(run.err == [
            "\(f)/malformed/malformed.test.yaml:9:27: error: unknown action 'leave_running'; expected one of: leave-running, shutdown, kill, restart, postpone (did you mean 'leave-running'?)",
            "\(f)/malformed/malformed.test.yaml:13:9: error: unknown key 'keeps' in the expectations of snap 'vlc'; expected one of: outcome, to, deadline, processes, apps, keep, remove, warnings (did you mean 'keep'?)",
            "",
        ])
    }

    /// Without a path, `.` is searched, and paths are printed without `./`.
    @Test func theDefaultPathIsTheCurrentFolder() throws {
        let run = try refreshctl(["test"], in: f)
        #expect(run.code == 2)
        #expect(run.err.first?.hasPrefix("malformed/malformed.test.yaml:9:27: error: unknown action 'leave_running'") == true)
    }

    @Test func verboseAndRunSelectOneCaseWithItsDetails() throws {
        let run = try refreshctl(["test", "-v", "--run", "gently", "\(f)/passing.test.yaml"])
        #expect(run.code == 0)
        #expect(run.out == [
            "PASS \(f)/passing.test.yaml:28: the database server is shut down gently",
            "  \(f)/passing.test.yaml:33: demo-db: pid 700: action: shutdown, as expected",
            "    why: \(f)/policy.yaml:10: rule 2 (snap: demo-db, app: server)",
            "  \(f)/passing.test.yaml:33: demo-db: pid 700: signal: SIGINT, as expected",
            "  \(f)/passing.test.yaml:33: demo-db: pid 700: timeout: 2m, as expected",
            "  \(f)/passing.test.yaml:33: demo-db: pid 700: then: abort, as expected",
            "  \(f)/passing.test.yaml:34: demo-db: app cli (pid 701): action: kill, as expected",
            "    why: \(f)/policy.yaml:4: defaults",
            "1 passed, 0 failed",
            "",
        ])
    }

    @Test func jsonHasTheSameFactsAndExitCode() throws {
        let run = try refreshctl(["test", "--format", "json", "\(f)/failing.test.yaml"])
        #expect(run.code == 1)
        #expect(run.out.count == 2 && run.out[1] == "")
        let root = try #require(try JSONSerialization.jsonObject(with: Data(run.out[0].utf8)) as? [String: Any])
        #expect(root["passed"] as? Int == 0 && root["failed"] as? Int == 1 && root["exit-code"] as? Int == 1)
        let checks = try #require((root["cases"] as? [[String: Any]])?.first?["checks"] as? [[String: Any]])
        #expect(checks.filter { $0["result"] as? String == "fail" }.map { $0["line"] as? Int } == [8, 9, 12, 14])
    }

    /// `--policy` replaces the files' policies; a malformed one is exit code 2 before anything runs.
    @Test func aPolicyOverride() throws {
        let run = try refreshctl(["test", "--policy", "\(f)/policy.yaml", "\(f)/passing.test.yaml"])
        #expect(run.code == 0)
        let broken = try refreshctl(["test", "--policy", "\(f)/passing.test.yaml", "\(f)/passing.test.yaml"])
        #expect(broken.code == 2)
        #expect(broken.out == [""])
        #expect(broken.err.first?.hasPrefix("\(f)/passing.test.yaml:3:1: error: unknown key 'now' in the policy file; expected one of: version, retain, defaults, rules") == true)
    }

    @Test(arguments: [
        (["test", "no/such/folder"], "no/such/folder: error: no such file or folder; check the path"),
        (["test", "Sources"], "Sources: error: no *.test.yaml file in this folder or below it; name a test file or a folder that holds some"),
        (["test", "--run", "(", "Examples"], "error: invalid --run pattern '(': expected ')'; give a regular expression such as 'firefox|vlc'"),
        (["test", "--run", "^nothing$", "Examples"], "error: no test case matches --run '^nothing$'; check the pattern against the case names"),
    ])
    func badUsageIsExitCode2(arguments: [String], message: String) throws {
        let run = try refreshctl(arguments)
        #expect(run.code == 2)
        #expect(run.err.first == message)
    }

    /// What CI runs: every shipped example's expectations hold.
    @Test func theShippedExamplesPass() throws {
        let run = try refreshctl(["test", "Examples"])
        #expect(run.code == 0, "\(run.out.joined(separator: "\n"))")
        #expect(run.out.filter { $0.hasPrefix("PASS Examples/") }.count >= 10)
        #expect(run.out.contains { $0.hasPrefix("FAIL") } == false)
        let summary = try #require(run.out.dropLast().last)
        #expect(summary.hasSuffix(" passed, 0 failed"))
    }
}
