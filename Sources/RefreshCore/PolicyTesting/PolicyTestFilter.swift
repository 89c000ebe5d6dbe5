/// Selects policy unit test cases by name (`refreshctl test --run PATTERN`).
public struct PolicyTestFilter: Sendable, Hashable {
    /// A regular expression, searched for anywhere in a case's name.
    public let pattern: String

    /// Compiles `pattern`.
    /// - Throws: ``RefreshCoreError`` (`invalidArgument`) when `pattern` is not a regular
    ///   expression, saying what is wrong with it.
    public init(pattern: String) throws(RefreshCoreError) {
        do {
            _ = try Regex(pattern)
        } catch {
            throw RefreshCoreError(.invalidArgument, "invalid --run pattern '\(pattern)': \(error); give a regular expression such as 'firefox|vlc'")
        }
        self.pattern = pattern
    }

    /// Whether `name` contains a match of the pattern.
    public func matches(_ name: String) -> Bool {
        // Compiled again here because `Regex` is not `Sendable`; `init` proved it compiles.
        guard let regex = try? Regex(pattern) else { return false }
        return name.contains(regex)
    }
}
