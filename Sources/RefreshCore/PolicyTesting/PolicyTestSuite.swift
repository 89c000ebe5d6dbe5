/// Policy unit test files loaded with their policies, ready to run: what `refreshctl test` does,
/// as a library.
///
/// ```swift
/// let suite = PolicyTestSuite(loading: try TestFileFinder.find(["Examples"]))
/// let report = suite.run()
/// print(report.text(), terminator: "")
/// ```
public struct PolicyTestSuite: Sendable {
    /// A test file and the policy its cases are planned under.
    public struct Entry: Sendable {
        /// The parsed test file.
        public var test: PolicyTestFile
        /// The override, else the file's `policy:`, else ``Policy/builtIn``.
        public var policy: Policy

        /// An entry with the given parts.
        public init(test: PolicyTestFile, policy: Policy) {
            self.test = test
            self.policy = policy
        }
    }

    /// The files that loaded, in the order given.
    public var entries: [Entry]
    /// Every error and warning found while loading, sorted by position, without repeats.
    public var diagnostics: [Diagnostic]

    /// Whether some file or policy could not be loaded; then ``run(filter:)`` runs nothing.
    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }

    /// Test files that are already loaded.
    public init(entries: [Entry], diagnostics: [Diagnostic] = []) {
        self.entries = entries
        self.diagnostics = diagnostics
    }

    /// Loads each test file and the policy it names (relative to it), collecting every
    /// problem of every file rather than stopping at the first.
    ///
    /// - Parameters:
    ///   - paths: the test files, in the order to run them (``TestFileFinder/find(_:)`` sorts).
    ///   - policy: a policy for every case, overriding the files' `policy:`
    ///     (`refreshctl test --policy`); `nil` to use theirs.
    ///   - read: reads a file (`RefreshIO` adds an initialiser that reads from disk).
    public init(
        loading paths: [String], policy: Policy? = nil,
        read: (String) throws(RefreshCoreError) -> String
    ) {
        var entries: [Entry] = []
        var diagnostics: [Diagnostic] = []
        var policies: [String: Policy] = [:]
        var failedPolicies: Set<String> = []
        for path in paths {
            let test: PolicyTestFile
            do {
                test = try PolicyTestFile(parsing: try read(path), file: path, read: read)
            } catch {
                diagnostics += PolicyTestSuite.diagnostics(of: error, at: SourceLocation(file: path, line: 1, column: 1), path: path, what: "the test file")
                continue
            }
            diagnostics += test.warnings
            var chosen = policy ?? .builtIn
            if policy == nil, let policyPath = test.policyPath {
                if let loaded = policies[policyPath.value] {
                    chosen = loaded
                } else if failedPolicies.contains(policyPath.value) {
                    continue
                } else {
                    do {
                        let loaded = try Policy(parsing: try read(policyPath.value), file: policyPath.value)
                        policies[policyPath.value] = loaded
                        diagnostics += loaded.warnings
                        chosen = loaded
                    } catch {
                        if error.code != .io { failedPolicies.insert(policyPath.value) }
                        diagnostics += PolicyTestSuite.diagnostics(of: error, at: policyPath.location, path: policyPath.value, what: "the policy file")
                        continue
                    }
                }
            }
            entries.append(Entry(test: test, policy: chosen))
        }
        var seen = Set<Diagnostic>()
        let unique = diagnostics.filter { seen.insert($0).inserted }
        self.init(entries: entries, diagnostics: unique.enumerated().sorted {
            ($0.element.location, $0.offset) < ($1.element.location, $1.offset)
        }.map(\.element))
    }

    /// An error as diagnostics: its own, or one at `location` for a file that cannot be read.
    private static func diagnostics(of error: RefreshCoreError, at location: SourceLocation, path: String, what: String) -> [Diagnostic] {
        if !error.diagnostics.isEmpty { return error.diagnostics }
        return [.error(at: location, "cannot read \(what) \(path): \(PolicyTestFile.cause(of: error, path: path))")]
    }

    /// Runs every case (or those `filter` selects): plans it and compares.
    /// - Returns: the report; when loading found errors, a report of those errors alone, as
    ///   nothing is run on input that is partly broken.
    public func run(filter: PolicyTestFilter? = nil) -> PolicyTestReport {
        guard !hasErrors else { return PolicyTestReport(results: [], diagnostics: diagnostics) }
        var results: [PolicyTestCaseResult] = []
        for entry in entries {
            for testCase in entry.test.cases where filter?.matches(testCase.name) ?? true {
                results.append(testCase.run(on: entry.test.scenario, policy: entry.policy, file: entry.test.file))
            }
        }
        return PolicyTestReport(results: results, diagnostics: diagnostics)
    }
}

extension PolicyTestCase {
    /// Plans this case on `scenario`'s host under `policy` and compares the plan with the
    /// expectations.
    /// - Parameters:
    ///   - scenario: the host (``PolicyTestFile/scenario``).
    ///   - policy: the policy to plan under.
    ///   - file: the test file, for the result.
    /// - Returns: a check per compared value, in the order the expectations are written.
    public func run(on scenario: Scenario, policy: Policy, file: String) -> PolicyTestCaseResult {
        let plan = Planner.plan(state: scenario.state, request: request, policy: policy, now: now)
        let checks = expectations.flatMap { $0.check(plan) }
        // In the order the expectations are written; checks of one line keep their order.
        let ordered = checks.enumerated().sorted { ($0.element.location, $0.offset) < ($1.element.location, $1.offset) }.map(\.element)
        return PolicyTestCaseResult(file: file, name: name, location: location, checks: ordered)
    }
}
