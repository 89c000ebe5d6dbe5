/// One policy unit test: a refresh of the test file's host at a fixed time, and what its plan
/// must show.
public struct PolicyTestCase: Sendable, Hashable {
    /// `name:` of a case under `cases:`; for a file with a single `expect:`, the file's name
    /// without `.test.yaml`.
    public var name: String
    /// Where the case starts (the `- name:` item, or the `expect:` key).
    public var location: SourceLocation
    /// What to refresh: the case's `refresh:`, else the file's.
    public var request: RefreshRequest
    /// The time to plan at: the case's `now:`, else the file's. Always fixed, so a test gives
    /// the same result whenever it runs.
    public var now: Timestamp
    /// The expectations, per snap in file order.
    public var expectations: [SnapExpectation]

    /// A case with the given fields.
    public init(name: String, location: SourceLocation, request: RefreshRequest, now: Timestamp, expectations: [SnapExpectation]) {
        self.name = name
        self.location = location
        self.request = request
        self.now = now
        self.expectations = expectations
    }
}
