/// The result of one policy unit test case: every check it made.
public struct PolicyTestCaseResult: Sendable, Hashable {
    /// The test file.
    public var file: String
    /// The case's name.
    public var name: String
    /// Where the case starts.
    public var location: SourceLocation
    /// Every comparison, in the order the expectations are written.
    public var checks: [PolicyTestCheck]

    /// A result with the given checks.
    public init(file: String, name: String, location: SourceLocation, checks: [PolicyTestCheck]) {
        self.file = file
        self.name = name
        self.location = location
        self.checks = checks
    }

    /// Whether every check passed.
    public var passed: Bool { checks.allSatisfy(\.passed) }

    /// The checks that failed.
    public var failures: [PolicyTestCheck] { checks.filter { !$0.passed } }
}
