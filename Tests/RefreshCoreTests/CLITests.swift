import Foundation
import Testing
@testable import RefreshCore
@testable import RefreshHost
import RefreshIO

/// What one run of `refreshctl` printed and how it ended.
private struct CLIRun: Sendable {
    var status: Int32
    var stdout: Data
    var stderr: Data
    var out: String { String(decoding: stdout, as: UTF8.self) }
    var err: String { String(decoding: stderr, as: UTF8.self) }
    var errLines: [String] { err.split(separator: "\n").map(String.init) }
}

/// The package root, from this file's path (Tests/RefreshCoreTests/CLITests.swift).
private let cliPackageRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// Runs `refreshctl arguments` in `directory` (default: the package root).
private func refreshctl(_ arguments: [String], in directory: URL = cliPackageRoot) throws -> CLIRun {
    let run = try runProduct("refreshctl", arguments, in: directory)
    #expect(run.exited, "refreshctl \(arguments) was killed by a signal")
    return CLIRun(status: run.code, stdout: run.stdout, stderr: run.stderr)
}

/// A temporary directory with the given files, removed after `body`.
private func withFiles<T>(_ files: [String: String], _ body: (URL) throws -> T) throws -> T {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("refreshctl-cli-files-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    for (name, text) in files {
        try Data(text.utf8).write(to: directory.appendingPathComponent(name))
    }
    return try body(directory)
}

private let examplePolicy = "Examples/policies/workstation.yaml"
private let exampleScenario = "Examples/scenarios/workstation.yaml"

/// A one-snap host where firefox runs; the policy decides what a refresh does to it.
private let firefoxScenario = """
    version: 1
    now: 2026-11-27T12:00:00Z
    snaps:
      - name: firefox
        current: 4100
        revisions: [4100, 4200]
        apps:
          firefox: {command: firefox.launcher}
    processes:
      - {pid: 7001, snap: firefox, revision: 4100, app: firefox}
    refresh: [firefox]
    """

private func json(_ run: CLIRun, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> [String: Any] {
    let object = try JSONSerialization.jsonObject(with: run.stdout)
    return try #require(object as? [String: Any], "the plan JSON is not an object", sourceLocation: sourceLocation)
}

private func snaps(_ plan: [String: Any]) -> [[String: Any]] {
    plan["snaps"] as? [[String: Any]] ?? []
}

@Suite("refreshctl", .serialized)
struct CLITests {
    // MARK: - Usage

    @Test("--version prints the version and exits 0")
    func version() throws {
        let run = try refreshctl(["--version"])
        #expect(run.status == 0)
        #expect(run.out == RefreshCoreVersion.current + "\n")
        #expect(run.err.isEmpty)
    }

    @Test("--help lists the commands and exits 0")
    func help() throws {
        let run = try refreshctl(["--help"])
        #expect(run.status == 0)
        #expect(run.out.contains("USAGE: refreshctl"))
        #expect(run.out.contains("plan"))
        #expect(run.out.contains("check"))
        #expect(run.out.contains("3 postponed"))
    }

    @Test("no command is bad usage: the help goes to stderr, exit 2")
    func noCommand() throws {
        let run = try refreshctl([])
        #expect(run.status == 2)
        #expect(run.out.isEmpty)
        #expect(run.err.contains("USAGE: refreshctl"))
        #expect(run.errLines.last == "error: no command given; run 'refreshctl COMMAND', such as 'refreshctl plan --help'")
    }

    @Test("errors without a file position start with 'error: ', once")
    func errorPrefix() throws {
        let badName = try refreshctl(["plan", "--scenario", exampleScenario, "Vlc"])
        #expect(badName.status == 2)
        #expect(badName.errLines == ["error: invalid snap name 'Vlc' in 'Vlc': may only contain lowercase letters a-z, digits and hyphens; write NAME or NAME=REVISION, such as vlc=12"])
        let usage = try refreshctl(["--bogus"])
        #expect(usage.errLines.first == "error: Unknown option '--bogus'")
        let both = try refreshctl(["plan", "--scenario", exampleScenario, "--root", "/"])
        #expect(both.errLines.first == "error: give either --scenario FILE or --root DIR, not both")
        // A diagnostic keeps its own position and severity, without a second prefix.
        try withFiles(["p.yaml": "version: 2\n"]) { directory in
            let run = try refreshctl(["check", "p.yaml"], in: directory)
            #expect(run.errLines == ["p.yaml:1:10: error: unsupported policy version 2; this refreshctl reads 'version: 1'"])
        }
    }

    @Test("an unknown option is a usage error: exit 2, not 64")
    func unknownOption() throws {
        let run = try refreshctl(["--bogus"])
        #expect(run.status == 2)
        #expect(run.out.isEmpty)
        #expect(run.err.contains("Unknown option '--bogus'"))
        let inPlan = try refreshctl(["plan", "--scenario", exampleScenario, "--colour"])
        #expect(inPlan.status == 2)
        #expect(inPlan.out.isEmpty)
    }

    @Test("a bad --format value is a usage error")
    func badFormat() throws {
        let run = try refreshctl(["plan", "--scenario", exampleScenario, "--format", "xml"])
        #expect(run.status == 2)
        #expect(run.out.isEmpty)
        #expect(run.err.contains("'xml'"))
    }

    @Test("plan with neither --scenario nor names is a usage error")
    func planWithoutScenarioOrNames() throws {
        let run = try refreshctl(["plan"])
        #expect(run.status == 2)
        #expect(run.out.isEmpty)
        #expect(run.err.contains("nothing to refresh"))
    }

    @Test("plan with both --scenario and --root is a usage error")
    func planScenarioAndRoot() throws {
        let run = try refreshctl(["plan", "--scenario", exampleScenario, "--root", "/", "vlc"])
        #expect(run.status == 2)
        #expect(run.out.isEmpty)
        #expect(run.err.contains("--scenario"))
    }

    // MARK: - check

    @Test("check of the example policy: OK with the rule count")
    func checkExample() throws {
        let run = try refreshctl(["check", examplePolicy])
        #expect(run.status == 0)
        #expect(run.out == "\(examplePolicy): OK, 5 rules\n")
        #expect(run.err.isEmpty)
    }

    @Test("check of a policy with several errors: each on stderr as file:line:column, nothing on stdout")
    func checkSeveralErrors() throws {
        let fixture = "Tests/RefreshCoreTests/Fixtures/cli/several-errors.yaml"
        let run = try refreshctl(["check", fixture])
        #expect(run.status == 2)
        #expect(run.out.isEmpty)
        let expected = [
            "\(fixture):3:9: error: retain must be from 2 to 20, is 50",
            "\(fixture):5:11: error: pattern 'Vlc' holds 'V'",
            "\(fixture):6:17: error: unknown action 'leave_running'",
            "\(fixture):8:14: error: timeout: unknown unit 'x'",
            "\(fixture):10:5: error: rule 3 has no 'snap'",
            "\(fixture):11:1: error: unknown key 'colour'",
        ]
        #expect(run.errLines.count == expected.count, "\(run.err)")
        for (line, start) in zip(run.errLines, expected) {
            #expect(line.hasPrefix(start), "\(line)")
        }
    }

    @Test("check names the file as given, even with a directory")
    func checkNamesFileAsGiven() throws {
        try withFiles(["p.yaml": "version: 1\nretain: 1\n"]) { directory in
            let path = directory.appendingPathComponent("p.yaml").path
            let run = try refreshctl(["check", path])
            #expect(run.status == 2)
            #expect(run.errLines == ["\(path):2:9: error: retain must be from 2 to 20, is 1"])
        }
    }

    @Test("check warns about a shadowed rule on stderr and still passes")
    func checkWarnings() throws {
        let policy = """
            version: 1
            rules:
              - snap: "*"
                on-refresh: leave-running
              - snap: vlc
                on-refresh: kill
            """
        try withFiles(["shadow.yaml": policy]) { directory in
            let run = try refreshctl(["check", "shadow.yaml"], in: directory)
            #expect(run.status == 0)
            #expect(run.out == "shadow.yaml: OK, 2 rules, 1 warning\n")
            #expect(run.errLines.count == 1)
            #expect(run.errLines.first?.hasPrefix("shadow.yaml:5:5: warning: rule 2 (snap: vlc) never applies") == true)
        }
    }

    @Test("check of a file that is not UTF-8 or is over 1 MiB exits 2 with an error at 1:1")
    func checkUnreadableContent() throws {
        let big = "version: 1\n# " + String(repeating: "x", count: 1 << 20) + "\n"
        try withFiles(["latin1.yaml": "", "big.yaml": big]) { directory in
            try Data([0x76, 0x65, 0x72, 0x73, 0x69, 0x6F, 0x6E, 0x3A, 0x20, 0xE9, 0x0A]).write(to: directory.appendingPathComponent("latin1.yaml"))
            let latin1 = try refreshctl(["check", "latin1.yaml"], in: directory)
            #expect(latin1.status == 2)
            #expect(latin1.out.isEmpty)
            #expect(latin1.errLines == ["latin1.yaml:1:1: error: file is not UTF-8 text"])
            let tooBig = try refreshctl(["check", "big.yaml"], in: directory)
            #expect(tooBig.status == 2)
            #expect(tooBig.out.isEmpty)
            #expect(tooBig.errLines.count == 1)
            #expect(tooBig.errLines.first?.hasPrefix("big.yaml:1:1: error: file is larger than the 1 MiB") == true)
        }
    }

    @Test("check of a missing file exits 2")
    func checkMissingFile() throws {
        let run = try refreshctl(["check", "no-such-policy.yaml"])
        #expect(run.status == 2)
        #expect(run.out.isEmpty)
        #expect(run.err.contains("no-such-policy.yaml"))
        #expect(run.err.contains("no such file"))
    }

    @Test("check of a directory exits 2")
    func checkDirectory() throws {
        let run = try refreshctl(["check", "Examples"])
        #expect(run.status == 2)
        #expect(run.out.isEmpty)
        #expect(run.err.contains("is a directory"))
    }

    @Test("check without a file is a usage error")
    func checkWithoutFile() throws {
        let run = try refreshctl(["check"])
        #expect(run.status == 2)
        #expect(run.out.isEmpty)
    }

    // MARK: - plan

    @Test("plan of the example, as text")
    func planExampleText() throws {
        let run = try refreshctl(["plan", "--scenario", exampleScenario, "--policy", examplePolicy])
        #expect(run.status == 0)
        #expect(run.err.isEmpty)
        let lines = run.out.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.contains("vlc: refresh 10 -> 12"))
        #expect(lines.contains("core22: refresh 100 -> 101"))
        // One line per process: PID, app, revision, role, action, the rule as file:line, and
        // the refreshed base it pins.
        #expect(lines.contains("    4242  vlc.vlc           10    app   leave-running  workstation.yaml:19  core22 100"))
        #expect(lines.contains("  remove revision 8"))
        // Provenance only with --explain.
        #expect(!run.out.contains("why: "))
        // Snaps in name order.
        let heads = lines.filter { !$0.hasPrefix(" ") && $0.contains(": refresh ") }.map { String($0.prefix { $0 != ":" }) }
        #expect(heads == ["core22", "firefox", "libvirt", "my-db", "qemu-virt", "vlc"])
        // Every process once: the 8 that pin core22 are listed under their own snaps, and
        // core22's section names them.
        let rows = lines.filter { $0.hasPrefix("    ") && $0.dropFirst(4).first?.isNumber == true }
        #expect(rows.map { $0.split(separator: " ")[0] }.sorted() == ["4242", "5001", "5151", "5160", "6001", "6050", "7001", "8001"])
        #expect(lines.contains("  pinned by 8 processes, listed under their own snaps: firefox 7001; libvirt 6001, 6050; my-db 8001;"))
        #expect(run.out.hasSuffix("\n"))
    }

    @Test("every line of the shipped examples' plans fits 100 columns", arguments: ["kiosk", "libvirt", "server", "workstation"])
    func planExamplesFit100Columns(_ example: String) throws {
        let run = try refreshctl(["plan", "--scenario", "Examples/scenarios/\(example).yaml", "--policy", "Examples/policies/\(example).yaml"])
        #expect(run.status == 0)
        let lines = run.out.split(separator: "\n").map(String.init)
        #expect(lines.count > 5)
        for line in lines {
            #expect(line.count <= 100, "\(line.count) columns: \(line)")
        }
    }

    @Test("the README's sample plan is what the shipped workstation example prints")
    func readmeSamplePlanIsTrue() throws {
        let readme = try String(contentsOf: cliPackageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let marker = "For the shipped workstation\n  example:\n\n  ```\n"
        let start = try #require(readme.range(of: marker), "the README's plan sample is gone")
        let end = try #require(readme.range(of: "\n  ```\n", range: start.upperBound..<readme.endIndex))
        let sample = readme[start.upperBound..<end.lowerBound].split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasPrefix("  ") ? String($0.dropFirst(2)) : String($0) }.joined(separator: "\n")
        #expect(sample.split(separator: "\n").count >= 5)
        let run = try refreshctl(["plan", "--scenario", exampleScenario, "--policy", examplePolicy])
        #expect(run.status == 0)
        #expect(run.out.contains(sample + "\n"), "README sample:\n\(sample)\nactual plan:\n\(run.out)")
    }

    @Test("plan --explain adds why, how and each setting's source under every decision")
    func planExplain() throws {
        let plain = try refreshctl(["plan", "--scenario", exampleScenario, "--policy", examplePolicy, "vlc", "libvirt"])
        let run = try refreshctl(["plan", "--scenario", exampleScenario, "--policy", examplePolicy, "--explain", "vlc", "libvirt"])
        #expect(run.status == 0)
        #expect(run.err.isEmpty)
        #expect(run.out == """
            libvirt: refresh 20 -> 21
                PID   APP               REV  ROLE  ACTION         RULE
              service snap.libvirt.libvirtd.service (kill mode control-group): restart
                    why: \(examplePolicy):23: rule 3 (snap: libvirt, app: libvirtd)
                    kill mode: no stop-mode (built-in)
                    how: send SIGTERM, wait 30s, then kill; start again through the service manager
                    signal: \(examplePolicy):9: defaults
                    timeout: \(examplePolicy):10: defaults
                    then: \(examplePolicy):11: defaults
                6001  libvirt.libvirtd  20   main  restart        workstation.yaml:23
              in no service:
                6050  libvirt.virsh     20   app   shutdown       workstation.yaml:8
                    why: \(examplePolicy):8: defaults
                    how: send SIGTERM, wait 30s, then kill
                    signal: \(examplePolicy):9: defaults
                    timeout: \(examplePolicy):10: defaults
                    then: \(examplePolicy):11: defaults
              keep revision 21: current after the refresh
              keep revision 20: retained (retain: 2)
              remove revision 19

            vlc: refresh 10 -> 12
                PID   APP               REV  ROLE  ACTION         RULE
                4242  vlc.vlc           10   app   leave-running  workstation.yaml:19
                    why: \(examplePolicy):19: rule 2 (snap: vlc)
              keep revision 12: current after the refresh
              keep revision 10: retained (retain: 2); in use by 1 process
              remove revision 8

            warnings:
              - vlc: 1 process left running on revision 10 (pid 4242) keeps using the data in /var/snap/vlc/10
                while revision 12 starts from a copy of it; what is written there after the refresh is not
                carried over

            """)
        // The same plan without the detail lines.
        let detail = run.out.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("        ") }
        #expect(detail.joined(separator: "\n") == plain.out)
    }

    @Test("plan of the example, as JSON with DESIGN.md's fields")
    func planExampleJSON() throws {
        let run = try refreshctl(["plan", "--scenario", exampleScenario, "--policy", examplePolicy, "--format", "json"])
        #expect(run.status == 0)
        #expect(run.err.isEmpty)
        let plan = try json(run)
        #expect(plan["version"] as? Int == 1)
        #expect(plan["warnings"] is [String])
        let all = snaps(plan)
        #expect(all.compactMap { $0["name"] as? String } == ["core22", "firefox", "libvirt", "my-db", "qemu-virt", "vlc"])
        let actions = Set(Action.allCases.map(\.rawValue))
        for snap in all {
            for key in ["name", "from", "to", "outcome"] {
                #expect(snap[key] is String, "\(key) of \(snap["name"] ?? "?")")
            }
            let processes = try #require(snap["processes"] as? [[String: Any]])
            for process in processes {
                #expect(process["pid"] is Int)
                #expect(process["app"] is String)
                #expect(process["revision"] is String)
                #expect((process["action"] as? String).map { actions.contains($0) } == true)
                #expect((process["reason"] as? String)?.isEmpty == false)
            }
            let keep = try #require(snap["keep"] as? [[String: Any]])
            #expect(keep.allSatisfy { $0["revision"] is String && $0["why"] is String })
            let remove = try #require(snap["remove"] as? [[String: Any]])
            #expect(remove.allSatisfy { $0["revision"] is String })
        }

        let vlc = try #require(all.first { $0["name"] as? String == "vlc" })
        #expect(vlc["from"] as? String == "10")
        #expect(vlc["to"] as? String == "12")
        #expect(vlc["outcome"] as? String == "refresh")
        let vlcProcesses = try #require(vlc["processes"] as? [[String: Any]])
        #expect(vlcProcesses.count == 1)
        #expect(vlcProcesses.first?["pid"] as? Int == 4242)
        #expect(vlcProcesses.first?["app"] as? String == "vlc")
        #expect(vlcProcesses.first?["revision"] as? String == "10")
        #expect(vlcProcesses.first?["action"] as? String == "leave-running")
        #expect(vlcProcesses.first?["reason"] as? String == "\(examplePolicy):19: rule 2 (snap: vlc)")
        let vlcKeep = try #require(vlc["keep"] as? [[String: Any]])
        #expect(vlcKeep.compactMap { $0["revision"] as? String } == ["12", "10"])
        #expect((vlcKeep.last?["why"] as? String)?.contains("in use by 1 process") == true)
        #expect((vlc["remove"] as? [[String: Any]])?.compactMap { $0["revision"] as? String } == ["8"])

        let core22 = try #require(all.first { $0["name"] as? String == "core22" })
        let pids = (core22["processes"] as? [[String: Any]] ?? []).compactMap { $0["pid"] as? Int }
        #expect(pids == [4242, 5001, 5151, 5160, 6001, 6050, 7001, 8001])

        let myDB = try #require(all.first { $0["name"] as? String == "my-db" })
        let db = try #require((myDB["processes"] as? [[String: Any]])?.first)
        #expect(db["action"] as? String == "shutdown")
        #expect(db["stop-command"] as? [String] == ["/snap/my-db/30/bin/db-ctl", "shutdown"])
        #expect(db["timeout"] as? String == "2m")
        #expect(db["then"] as? String == "kill")
    }

    @Test("plan output is byte-identical from run to run", arguments: [["--format", "text"], ["--format", "json"], ["--explain"]])
    func determinism(_ format: [String]) throws {
        let arguments = ["plan", "--scenario", exampleScenario, "--policy", examplePolicy] + format
        let first = try refreshctl(arguments)
        let second = try refreshctl(arguments)
        #expect(first.status == 0)
        #expect(!first.stdout.isEmpty)
        #expect(first.stdout == second.stdout)
        #expect(first.stderr == second.stderr)
    }

    @Test("plan without a policy uses the built-in defaults")
    func planBuiltIn() throws {
        let run = try refreshctl(["plan", "--scenario", exampleScenario, "--format", "json", "vlc"])
        #expect(run.status == 0)
        let vlc = try #require(snaps(try json(run)).first)
        let process = try #require((vlc["processes"] as? [[String: Any]])?.first)
        #expect(process["action"] as? String == "leave-running")
        #expect((process["reason"] as? String)?.hasPrefix("built-in") == true)
    }

    @Test("names on the command line replace the scenario's refresh")
    func planNamedSnaps() throws {
        let run = try refreshctl(["plan", "--scenario", exampleScenario, "--policy", examplePolicy, "--format", "json", "vlc=10", "libvirt"])
        #expect(run.status == 0)
        let all = snaps(try json(run))
        #expect(all.compactMap { $0["name"] as? String } == ["libvirt", "vlc"])
        #expect(all.last?["outcome"] as? String == "up-to-date")
    }

    @Test("plan with a bad scenario exits 2, errors on stderr, nothing on stdout")
    func planBadScenario() throws {
        let scenario = """
            version: 1
            snaps:
              - name: vlc
                current: 11
                revisions: [10, 12]
            refresh: [vlc]
            """
        try withFiles(["scenario.yaml": scenario]) { directory in
            let run = try refreshctl(["plan", "--scenario", "scenario.yaml"], in: directory)
            #expect(run.status == 2)
            #expect(run.out.isEmpty)
            #expect(run.errLines == ["scenario.yaml:4:14: error: current revision 11 of snap 'vlc' is not among its revisions (10, 12); add it to 'revisions'"])
        }
    }

    @Test("plan with a missing scenario exits 2")
    func planMissingScenario() throws {
        let run = try refreshctl(["plan", "--scenario", "no-such-scenario.yaml"])
        #expect(run.status == 2)
        #expect(run.out.isEmpty)
        #expect(run.err.contains("no-such-scenario.yaml"))
    }

    @Test("plan with a bad policy exits 2 and prints no plan")
    func planBadPolicy() throws {
        try withFiles(["policy.yaml": "version: 1\nrules:\n  - snap: firefox\n    on-refresh: postpone\n    then: abort\n"]) { directory in
            let scenario = cliPackageRoot.appendingPathComponent(exampleScenario).path
            let run = try refreshctl(["plan", "--scenario", scenario, "--policy", "policy.yaml"], in: directory)
            #expect(run.status == 2)
            #expect(run.out.isEmpty)
            #expect(run.errLines.count == 1)
            #expect(run.errLines.first?.hasPrefix("policy.yaml:5:11: error: 'then: abort' cannot follow 'postpone'") == true)
        }
    }

    @Test("a requested revision that is not installed: exit 1, outcome error")
    func planRevisionNotInstalled() throws {
        let base = ["plan", "--scenario", exampleScenario, "--policy", examplePolicy]
        let run = try refreshctl(base + ["--format", "json", "vlc=99"])
        #expect(run.status == 1)
        let plan = try json(run)
        #expect(plan["version"] as? Int == 1)
        let vlc = try #require(snaps(plan).first)
        #expect(snaps(plan).count == 1)
        #expect(vlc["name"] as? String == "vlc")
        #expect(vlc["outcome"] as? String == "error")
        #expect(vlc["to"] as? String == "99")
        #expect((vlc["error"] as? String)?.contains("revision 99") == true)

        let text = try refreshctl(base + ["vlc=99"])
        #expect(text.status == 1)
        #expect(text.out.hasPrefix("vlc: error: revision 99 of 'vlc' is not installed"))
    }

    @Test("a bad NAME argument is bad input: exit 2, no plan", arguments: ["Vlc", "vlc=0", "vlc=", "=12"])
    func planBadName(_ name: String) throws {
        let run = try refreshctl(["plan", "--scenario", exampleScenario, "--policy", examplePolicy, name])
        #expect(run.status == 2)
        #expect(run.out.isEmpty)
        #expect(run.err.contains("'\(name)'"))
    }

    @Test("a snap named twice on the command line is bad input")
    func planNameTwice() throws {
        let run = try refreshctl(["plan", "--scenario", exampleScenario, "vlc", "vlc=12"])
        #expect(run.status == 2)
        #expect(run.out.isEmpty)
        #expect(run.err.contains("named twice"))
    }

    @Test("a scenario without refresh: and no names is bad usage")
    func planNothingToRefresh() throws {
        let scenario = firefoxScenario.replacingOccurrences(of: "refresh: [firefox]", with: "")
        try withFiles(["scenario.yaml": scenario]) { directory in
            let run = try refreshctl(["plan", "--scenario", "scenario.yaml"], in: directory)
            #expect(run.status == 2)
            #expect(run.out.isEmpty)
            #expect(run.err.contains("nothing to refresh"))
        }
    }

    @Test("a postponed refresh exits 3")
    func planPostponed() throws {
        let policy = "version: 1\nrules:\n  - snap: firefox\n    on-refresh: postpone\n"
        try withFiles(["scenario.yaml": firefoxScenario, "policy.yaml": policy]) { directory in
            let text = try refreshctl(["plan", "--scenario", "scenario.yaml", "--policy", "policy.yaml"], in: directory)
            #expect(text.status == 3)
            #expect(text.out.hasPrefix("firefox: postponed (4100 -> 4200)\n"))
            #expect(text.err.isEmpty)

            let jsonRun = try refreshctl(["plan", "--scenario", "scenario.yaml", "--policy", "policy.yaml", "--format", "json"], in: directory)
            #expect(jsonRun.status == 3)
            let firefox = try #require(snaps(try json(jsonRun)).first)
            #expect(firefox["outcome"] as? String == "postponed")
            let process = try #require((firefox["processes"] as? [[String: Any]])?.first)
            #expect(process["action"] as? String == "postpone")
        }
    }

    @Test("the same host without postponement plans a refresh: exit 0")
    func planNotPostponed() throws {
        let policy = "version: 1\nrules:\n  - snap: firefox\n    on-refresh: kill\n"
        try withFiles(["scenario.yaml": firefoxScenario, "policy.yaml": policy]) { directory in
            let run = try refreshctl(["plan", "--scenario", "scenario.yaml", "--policy", "policy.yaml"], in: directory)
            #expect(run.status == 0)
            #expect(run.out.hasPrefix("firefox: refresh 4100 -> 4200\n    PID   APP              REV   ROLE  ACTION  RULE\n    7001  firefox.firefox  4100  app   kill    policy.yaml:4\n"))
        }
    }

    @Test("a daemon whose snap.yaml stop-command is blank does not crash the planner")
    func planBlankStopCommand() throws {
        let scenario = """
            version: 1
            now: 2026-11-27T12:00:00Z
            snaps:
              - name: svc
                current: 1
                revisions: [1, 2]
                apps:
                  d: {daemon: simple, stop-command: "   "}
            processes:
              - {pid: 100, snap: svc, revision: 1, app: d}
            refresh: [svc]
            """
        try withFiles(["scenario.yaml": scenario]) { directory in
            let run = try refreshctl(["plan", "--scenario", "scenario.yaml"], in: directory)
            #expect(run.status == 2)
            #expect(run.out.isEmpty)
            #expect(run.err.hasPrefix("scenario.yaml:8:41: error: stop-command is empty"), "\(run.err.prefix(200))")
        }
    }

    @Test("scenario warnings go to stderr, the plan to stdout")
    func planScenarioWarnings() throws {
        let scenario = firefoxScenario.replacingOccurrences(
            of: "refresh: [firefox]", with: "  - {pid: 14, exe: /usr/bin/bash}\nrefresh: [firefox]")
        try withFiles(["scenario.yaml": scenario]) { directory in
            let run = try refreshctl(["plan", "--scenario", "scenario.yaml"], in: directory)
            #expect(run.status == 0)
            #expect(run.out.hasPrefix("firefox: refresh 4100 -> 4200\n"))
            #expect(run.errLines == ["scenario.yaml:11:5: warning: process 14 runs from no snap revision this scenario knows; it is ignored"])
        }
    }
}
