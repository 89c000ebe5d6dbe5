/// A host on paper: snaps, revisions, app metadata and running processes, with an optional
/// refresh request, clock, policy path and expectations (for policy unit tests).
public struct Scenario: Sendable {
    public var file: String
    public var state: SystemState
    /// `now:`; postponement arithmetic uses it.
    public var now: Timestamp?
    /// `refresh:`; `nil` when the file has none.
    public var refresh: RefreshRequest?
    /// `policy:`, a path relative to the scenario file (policy unit tests).
    public var policyPath: String?
    /// `expect:` and `cases:`, left for the test runner to read.
    public var expect: YAMLNode?
    public var cases: YAMLNode?
    /// Findings that do not stop the scenario from being planned.
    public var warnings: [Diagnostic]

    public init(
        file: String, state: SystemState, now: Timestamp? = nil, refresh: RefreshRequest? = nil,
        policyPath: String? = nil, expect: YAMLNode? = nil, cases: YAMLNode? = nil,
        warnings: [Diagnostic] = []
    ) {
        self.file = file
        self.state = state
        self.now = now
        self.refresh = refresh
        self.policyPath = policyPath
        self.expect = expect
        self.cases = cases
        self.warnings = warnings
    }
}
