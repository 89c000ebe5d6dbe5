import Foundation
import Testing
@testable import RefreshCore
import RefreshIO

#if canImport(Glibc)
import Glibc
#endif

/// The JSON Schemas in `Schemas/` (draft 2020-12): every shipped example and real command
/// output validates against them, and what refreshctl refuses they refuse too. The validator
/// is `check-jsonschema` from PyPI (`pip install check-jsonschema`); `.ci/run` installs it
/// and sets `REFRESHCORE_CI=1`, under which its absence is a failure, not a skip.
@Suite(.timeLimit(.minutes(5))) struct SchemaTests {
    /// `check-jsonschema` on the PATH, or nil.
    static let validator: String? = {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let path = "\(directory)/check-jsonschema"
            if access(path, X_OK) == 0 { return path }
        }
        return nil
    }()

    static let reason: Comment = "needs check-jsonschema (pip install check-jsonschema)"

    /// Validates `files` against `Schemas/SCHEMA`; the validator's report when they fail.
    static func validate(_ schema: String, _ files: [String]) throws -> (ok: Bool, report: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(validator))
        process.arguments = ["--schemafile", packagePath("Schemas/\(schema)")] + files
        process.currentDirectoryURL = URL(fileURLWithPath: packagePath(""))
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus == 0, String(decoding: output, as: UTF8.self))
    }

    /// Records an issue unless `json` (a command's output) validates against `Schemas/SCHEMA`;
    /// does nothing without the validator (CI has it: ``validatorPresentInCI()``).
    static func expectValid(_ json: String, against schema: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
        guard validator != nil else { return }
        let file = try temporaryJSON(json, name: schema.replacingOccurrences(of: ".schema.json", with: ""))
        defer { unlink(file) }
        let result = try validate(schema, [file])
        #expect(result.ok, "\(result.report)", sourceLocation: sourceLocation)
    }

    /// The files in a folder of the package whose names end with `suffix`, sorted.
    static func files(in folder: String, endingWith suffix: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: packagePath(folder))
            .filter { $0.hasSuffix(suffix) }.sorted().map { "\(folder)/\($0)" }
    }

    /// Writes `text` to a temporary `.json` file for the validator; removed by the caller.
    static func temporaryJSON(_ text: String, name: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("refreshcore-schema-\(UUID().uuidString)-\(name).json").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("CI has the schema validator, so the schema tests run there")
    func validatorPresentInCI() {
        if ProcessInfo.processInfo.environment["REFRESHCORE_CI"] != nil {
            #expect(Self.validator != nil, "REFRESHCORE_CI is set but check-jsonschema is not on the PATH; .ci/run installs it")
        }
    }

    @Test("every schema is a valid draft 2020-12 schema", .enabled(if: validator != nil, reason))
    func schemasAreValid() throws {
        let schemas = try Self.files(in: "Schemas", endingWith: ".schema.json")
        #expect(schemas.count == 8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(Self.validator))
        process.arguments = ["--check-metaschema"] + schemas.map { packagePath($0) }
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }

    @Test("every shipped policy, scenario and test file validates", .enabled(if: validator != nil, reason))
    func shippedExamples() throws {
        let groups = [
            ("policy.schema.json", try Self.files(in: "Examples/policies", endingWith: ".yaml")),
            ("scenario.schema.json", try Self.files(in: "Examples/scenarios", endingWith: ".yaml")),
            ("test.schema.json", try Self.files(in: "Examples", endingWith: ".test.yaml")
                + Self.files(in: policyTestFixtures, endingWith: ".test.yaml")),
        ]
        for (schema, files) in groups {
            #expect(files.count >= 2, "no files for \(schema)")
            let result = try Self.validate(schema, files)
            #expect(result.ok, "\(schema): \(result.report)")
        }
    }

    @Test("refreshctl plan --format json of every shipped example validates", .enabled(if: validator != nil, reason))
    func planOutput() throws {
        for name in ["workstation", "server", "kiosk", "libvirt"] {
            let run = try runProduct("refreshctl", ["plan", "--format", "json", "--scenario", "Examples/scenarios/\(name).yaml", "--policy", "Examples/policies/\(name).yaml"])
            #expect(run.out.hasPrefix("{\"version\":1,"), "\(name): \(run.err)")
            let file = try Self.temporaryJSON(run.out, name: "plan-\(name)")
            defer { unlink(file) }
            let result = try Self.validate("plan.schema.json", [file])
            #expect(result.ok, "\(name): \(result.report)")
        }
    }

    /// A root with two revisions of a snap as plain directories, one staged: `status` reads it.
    @Test("refreshctl status --format json of a host root validates", .enabled(if: validator != nil, reason))
    func statusOutput() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("refreshcore-schema-root-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        for revision in ["1", "2"] {
            try FileManager.default.createDirectory(atPath: "\(root)/snap/demo-app/\(revision)/meta", withIntermediateDirectories: true)
            try "name: demo-app\nversion: '\(revision)'\napps:\n  demo: {command: bin/demo}\n  demod: {command: bin/demod, daemon: simple}\n"
                .write(toFile: "\(root)/snap/demo-app/\(revision)/meta/snap.yaml", atomically: true, encoding: .utf8)
        }
        try FileManager.default.createSymbolicLink(atPath: "\(root)/snap/demo-app/current", withDestinationPath: "1")
        try FileManager.default.createDirectory(atPath: "\(root)/var/snap/demo-app/1", withIntermediateDirectories: true)
        let run = try runProduct("refreshctl", ["status", "--format", "json", "--root", root])
        #expect(run.code == 0, "\(run.err)")
        #expect(run.out.contains("\"name\":\"demo-app\""))
        try Self.expectValid(run.out, against: "status.schema.json")
    }

    /// The enumerations the schemas spell out are exactly the engine's: a value added to the
    /// engine and not to the schema would make valid output fail validation.
    @Test("the schemas' enumerations are the engine's")
    func enumerations() throws {
        func schema(_ name: String) throws -> [String: Any] {
            let data = try Data(contentsOf: URL(fileURLWithPath: "Schemas/\(name)"))
            return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        }
        func strings(_ object: Any?, _ path: String...) -> [String]? {
            var node = object
            for key in path { node = (node as? [String: Any])?[key] }
            return node as? [String]
        }
        let plan = try schema("plan.schema.json"), apply = try schema("apply.schema.json"), policy = try schema("policy.schema.json")
        let actions = Action.allCases.map(\.rawValue)
        #expect(strings(plan, "$defs", "action", "enum") == actions)
        #expect(strings(policy, "$defs", "action", "enum") == actions)
        #expect(strings(plan, "$defs", "process", "properties", "role", "enum") == ProcessRole.allCases.map(\.rawValue))
        #expect(strings(plan, "$defs", "service", "properties", "kill-mode", "enum") == KillMode.allCases.map(\.rawValue))
        let processes = (apply["properties"] as? [String: Any])?["processes"] as? [String: Any]
        #expect(strings(processes, "items", "properties", "outcome", "enum") == ProcessResult.Outcome.allCases.map(\.rawValue))
        #expect(strings(processes, "items", "properties", "action", "enum") == actions)
        let gc = try schema("gc.schema.json"), history = try schema("history.schema.json")
        let gcRevision = (gc["properties"] as? [String: Any])?["revisions"] as? [String: Any]
        #expect(strings(gcRevision, "items", "properties", "result", "enum") == GarbageReport.Entry.Result.allCases.map(\.rawValue))
        let result = (((history["$defs"] as? [String: Any])?["entry"] as? [String: Any])?["properties"] as? [String: Any])?["results"]
        #expect(strings(result, "items", "properties", "outcome", "enum") == ProcessResult.Outcome.allCases.map(\.rawValue))
        #expect(strings(result, "items", "properties", "action", "enum") == actions)
        // Outcomes are open strings ("later versions may add outcomes"); their descriptions name them all.
        let planOutcome = (((plan["$defs"] as? [String: Any])?["snap"] as? [String: Any])?["properties"] as? [String: Any])?["outcome"] as? [String: Any]
        for outcome in SnapPlan.Outcome.allCases {
            #expect((planOutcome?["description"] as? String)?.contains(outcome.rawValue) == true, "plan outcome \(outcome.rawValue)")
        }
        let snaps = (apply["properties"] as? [String: Any])?["snaps"] as? [String: Any]
        let applyOutcome = ((snaps?["items"] as? [String: Any])?["properties"] as? [String: Any])?["outcome"] as? [String: Any]
        for outcome in ApplyReport.SnapOutcome.allCases {
            #expect((applyOutcome?["description"] as? String)?.contains(outcome.rawValue) == true, "apply outcome \(outcome.rawValue)")
        }
    }

    /// keep-data (defaults, a snap-only rule) and a scenario's hold are accepted, as refreshctl
    /// accepts them; the plan of a held snap (outcome held, its hold) validates.
    @Test("keep-data, a hold and a held plan validate", .enabled(if: validator != nil, reason))
    func keepDataAndHold() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("refreshcore-schema-hold-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let policy = folder + "/policy.yaml", scenario = folder + "/host.yaml"
        try "version: 1\ndefaults:\n  keep-data: false\nrules:\n  - snap: vlc\n    keep-data: true\n".write(toFile: policy, atomically: true, encoding: .utf8)
        try """
            version: 1
            now: 2026-12-02T12:00:00Z
            snaps:
              - name: vlc
                current: 1
                revisions: [1, 2]
                apps: {vlc: {}}
                hold: {since: 2026-12-01T00:00:00Z, until: 2026-12-24T00:00:00Z, by: root, command: refreshctl hold --until 2026-12-24T00:00:00Z vlc}
            processes:
              - {pid: 10, snap: vlc, revision: 1, app: vlc}

            """.write(toFile: scenario, atomically: true, encoding: .utf8)
        let check = try runProduct("refreshctl", ["check", policy])
        #expect(check.code == 0, "\(check.err)")
        let inputs = [try Self.validate("policy.schema.json", [policy]), try Self.validate("scenario.schema.json", [scenario])]
        for result in inputs { #expect(result.ok, "\(result.report)") }
        let plan = try runProduct("refreshctl", ["plan", "--format", "json", "--scenario", scenario, "--policy", policy, "vlc=2"])
        #expect(plan.code == 3, "\(plan.err)")
        #expect(plan.out.contains(#""outcome":"held""#), "\(plan.out)")
        try Self.expectValid(plan.out, against: "plan.schema.json")
    }

    /// What refreshctl refuses, the schemas refuse: a schema that took anything would pass
    /// every test above.
    @Test("the schemas refuse what refreshctl refuses", .enabled(if: validator != nil, reason), arguments: [
        ("policy.schema.json", "version: 1\nrules:\n  - snap: vlc\n    on-refresh: leave_running\n", "an unknown action"),
        ("policy.schema.json", "version: 1\nrules:\n  - app: vlc\n    on-refresh: kill\n", "a rule without snap"),
        ("policy.schema.json", "version: 1\nrules:\n  - snap: vlc\n    on-refresh: kill\n    timeout: 30s\n", "timeout with kill"),
        ("policy.schema.json", "version: 1\ndefaults:\n  stop-command: [bin/stop]\n", "a relative stop-command"),
        ("policy.schema.json", "version: 2\n", "another version"),
        ("policy.schema.json", "version: 1\nretain: 1\n", "retain below 2"),
        ("scenario.schema.json", "version: 1\nsnaps:\n  - {name: vlc, current: 0}\n", "revision 0"),
        ("scenario.schema.json", "version: 1\nsnaps:\n  - {name: Vlc, current: 1}\n", "an upper-case snap name"),
        ("scenario.schema.json", "version: 1\nsnaps:\n  - {name: vlc, current: 1, apps: {vlc: {stop-command: /usr/bin/touch}}}\n", "an absolute snap.yaml stop-command"),
        ("scenario.schema.json", "version: 1\nsnaps:\n  - {name: vlc, current: 1}\nprocesses:\n  - {pid: 5, snap: vlc, revision: 1, exe: /snap/vlc/1/vlc}\n", "both binding and evidence"),
        ("test.schema.json", "version: 1\nscenario: host.yaml\nexpect:\n  vlc: {keeps: [10]}\n", "an unknown expectation key"),
        ("test.schema.json", "version: 1\nscenario: host.yaml\n", "no expect and no cases"),
        ("policy.schema.json", "version: 1\nrules:\n  - snap: vlc\n    app: vlc\n    keep-data: true\n", "keep-data in a rule with app"),
        ("policy.schema.json", "version: 1\ndefaults:\n  keep-data: yes please\n", "a keep-data that is no boolean"),
        ("scenario.schema.json", "version: 1\nsnaps:\n  - {name: vlc, current: 1, hold: {until: 2026-12-24T00:00:00Z}}\n", "a hold without since"),
        ("scenario.schema.json", "version: 1\nsnaps:\n  - {name: vlc, current: 1, hold: {since: 2026-12-01T00:00:00Z, for: 2d}}\n", "an unknown hold key"),
    ])
    func refusals(schema: String, yaml: String, what: String) throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("refreshcore-schema-\(UUID().uuidString).yaml").path
        try yaml.write(toFile: file, atomically: true, encoding: .utf8)
        defer { unlink(file) }
        let result = try Self.validate(schema, [file])
        #expect(!result.ok, "\(what) passed \(schema)")
        #expect(result.report.contains("Schema validation errors"), "\(what): \(result.report)")
    }
}
