/// The outcome of a policy unit test run: a result per case and what loading found.
/// ``text(verbose:)`` and ``json()`` print it with the same facts.
public struct PolicyTestReport: Sendable, Hashable {
    /// The JSON format's version.
    public static let formatVersion = 1

    /// The cases run, in order: files sorted, cases in file order.
    public var results: [PolicyTestCaseResult]
    /// Errors and warnings from loading, sorted.
    public var diagnostics: [Diagnostic]

    /// A report of the given results.
    public init(results: [PolicyTestCaseResult], diagnostics: [Diagnostic] = []) {
        self.results = results
        self.diagnostics = diagnostics
    }

    /// The number of cases whose checks all passed.
    public var passed: Int { results.filter(\.passed).count }
    /// The number of cases with a failed check.
    public var failed: Int { results.count - passed }
    /// Whether a test file or policy was malformed (then nothing was run).
    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }

    /// `refreshctl test`'s exit code: 2 when a file was malformed or no case was selected
    /// (nothing was tested), else 1 when a case failed, else 0.
    public var exitCode: Int32 {
        if hasErrors || results.isEmpty { return 2 }
        return failed > 0 ? 1 : 0
    }
}
