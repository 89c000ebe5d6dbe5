/// One comparison a policy unit test made: what the expectation at ``location`` wanted, and what
/// the plan shows.
public struct PolicyTestCheck: Sendable, Hashable {
    /// Where the expectation was written.
    public var location: SourceLocation
    /// The snap whose plan was looked at.
    public var snap: SnapName
    /// What was compared: `outcome`, `pid 4242: action`, `revision 8`, `warnings`.
    public var subject: String
    /// What the test file asks for, in words: `kill`, `kept`, `a warning containing 'copy'`.
    public var expected: String
    /// What the plan shows, in the same words.
    public var actual: String
    /// The reason of the decision that was looked at, when there is one.
    public var reason: String?
    /// Whether the plan meets the expectation.
    public var passed: Bool

    /// A check with the given fields.
    public init(
        location: SourceLocation, snap: SnapName, subject: String, expected: String, actual: String,
        reason: String? = nil, passed: Bool
    ) {
        self.location = location
        self.snap = snap
        self.subject = subject
        self.expected = expected
        self.actual = actual
        self.reason = reason
        self.passed = passed
    }
}
