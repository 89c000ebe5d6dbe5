/// A host on paper: snaps, revisions, app metadata and running processes, with an optional
/// refresh request and clock. A test file's `policy:`, `expect:` and `cases:` are allowed in
/// the same file; the policy test runner reads them, planning does not.
public struct Scenario: Sendable {
    public var file: String
    public var state: SystemState
    /// `now:`; postponement arithmetic uses it.
    public var now: Timestamp?
    /// `refresh:`; `nil` when the file has none.
    public var refresh: RefreshRequest?
    /// Findings that do not stop the scenario from being planned.
    public var warnings: [Diagnostic]

    public init(
        file: String, state: SystemState, now: Timestamp? = nil, refresh: RefreshRequest? = nil,
        warnings: [Diagnostic] = []
    ) {
        self.file = file
        self.state = state
        self.now = now
        self.refresh = refresh
        self.warnings = warnings
    }
}
