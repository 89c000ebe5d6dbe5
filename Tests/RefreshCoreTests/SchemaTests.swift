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
        #expect(schemas.count == 6)
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
        let file = try Self.temporaryJSON(run.out, name: "status")
        defer { unlink(file) }
        let result = try Self.validate("status.schema.json", [file])
        #expect(result.ok, "\(result.report)")
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
