/// A parsed policy unit test file (`*.test.yaml`): a host, the policy to test, and cases.
///
/// The host is either written in the file itself (a scenario file plus `expect:` or `cases:`,
/// as DESIGN.md describes) or named with `scenario: PATH`. `policy:` and `scenario:` paths are
/// relative to the test file. See ``init(parsing:file:tree:read:)`` for the format.
public struct PolicyTestFile: Sendable {
    /// The test file's path, as given.
    public var file: String
    /// The host the cases refresh.
    public var scenario: Scenario
    /// `policy:`, resolved against the test file's folder, and where it was written; `nil`
    /// when the file names no policy.
    public var policyPath: Located<String>?
    /// The cases, in file order.
    public var cases: [PolicyTestCase]
    /// Findings that do not stop the tests from running (from the scenario).
    public var warnings: [Diagnostic]

    /// A test file with the given parts.
    public init(file: String, scenario: Scenario, policyPath: Located<String>? = nil, cases: [PolicyTestCase], warnings: [Diagnostic] = []) {
        self.file = file
        self.scenario = scenario
        self.policyPath = policyPath
        self.cases = cases
        self.warnings = warnings
    }
}

