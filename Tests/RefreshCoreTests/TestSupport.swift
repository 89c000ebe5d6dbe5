import Foundation
@testable import RefreshCore
@testable import RefreshHost
import RefreshIO
import Testing

/// Plans a scenario given as text under a policy given as text (or the built-in policy).
func plan(scenario: String, policy: String? = nil, refresh: [String]? = nil) throws -> RefreshPlan {
    let scenario = try Scenario(parsing: scenario, file: "scenario.yaml")
    let policy = try policy.map { try Policy(parsing: $0, file: "policy.yaml") } ?? .builtIn
    let request = try refresh.map { try RefreshRequest(parsing: $0) } ?? scenario.refresh!
    return Planner.plan(state: scenario.state, request: request, policy: policy, now: scenario.now!)
}

/// A one-snap host: `demo` at revision 1 with 2 staged, one app `app` with the given
/// metadata (flow-mapping body), and process 100 running it from revision 1.
func demoScenario(app: String, processes: String = "  - {pid: 100, snap: demo, revision: 1, app: app}") -> String {
    """
    version: 1
    now: 2026-11-27T12:00:00Z
    snaps:
      - name: demo
        current: 1
        revisions: [1, 2]
        apps:
          app: {\(app)}
    processes:
    \(processes)
    refresh: [demo]
    """
}

/// The path of a file in the package, from this file's location.
func packagePath(_ relative: String, file: String = #filePath) -> String {
    var parts = file.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)  // Tests/RefreshCoreTests/TestSupport.swift
    return parts.joined(separator: "/") + "/" + relative
}

/// What one run of a built product printed and how it ended.
struct ProductRun: Sendable {
    var code: Int32
    var stdout: Data
    var stderr: Data
    /// Whether it ended by exit (not by a signal).
    var exited: Bool
    var out: String { String(decoding: stdout, as: UTF8.self) }
    var err: String { String(decoding: stderr, as: UTF8.self) }
}

/// A product built next to the test binary (`swift test` builds every target): the test
/// executable's directory on Linux, found through /proc/self/exe.
func productURL(_ name: String) throws -> URL {
    let directory = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
    let url = directory.appendingPathComponent(name)
    guard FileManager.default.isExecutableFile(atPath: url.path) else {
        throw RefreshCoreError(.io, "\(url.path): error: \(name) is not built next to the tests; run 'swift build' first")
    }
    return url
}

/// Runs a built product with `arguments` in `directory` (default: the package root). Output
/// goes to files, so neither stream can fill a pipe while the other is read.
func runProduct(_ name: String, _ arguments: [String], in directory: URL? = nil, environment: [String: String]? = nil) throws -> ProductRun {
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("refreshcore-run-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: scratch) }
    let outURL = scratch.appendingPathComponent("stdout"), errURL = scratch.appendingPathComponent("stderr")
    try Data().write(to: outURL)
    try Data().write(to: errURL)
    let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
    let process = Process()
    process.executableURL = try productURL(name)
    process.arguments = arguments
    process.currentDirectoryURL = directory ?? URL(fileURLWithPath: packagePath(""))
    if let environment { process.environment = environment }
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = out
    process.standardError = err
    try process.run()
    process.waitUntilExit()
    try out.close()
    try err.close()
    return ProductRun(code: process.terminationStatus, stdout: try Data(contentsOf: outURL), stderr: try Data(contentsOf: errURL),
                      exited: process.terminationReason == .exit)
}

/// One input file that must be refused with exactly one error, at `line`:`column`, whose
/// message contains `message` (parts separated by " … ", as lists of keys may grow).
struct InputErrorCase: Sendable, CustomTestStringConvertible {
    let name: String
    let yaml: String
    let line: Int
    let column: Int
    let message: String

    init(_ name: String, _ yaml: String, _ line: Int, _ column: Int, _ message: String) {
        self.name = name
        self.yaml = yaml
        self.line = line
        self.column = column
        self.message = message
    }

    var testDescription: String { name }
}

/// The diagnostics of the invalid-input error `parse` throws; records an issue (and returns
/// `[]`) when it does not throw, or throws something else.
func refusal(sourceLocation: Testing.SourceLocation = #_sourceLocation, _ parse: () throws -> Void) -> [Diagnostic] {
    let error = #expect(throws: RefreshCoreError.self, sourceLocation: sourceLocation) { try parse() }
    guard let error else { return [] }
    #expect(error.code == .invalidInput, sourceLocation: sourceLocation)
    return error.diagnostics
}
