/// Policy unit test files loaded with their policies, ready to run: what `refreshctl test` does,
/// as a library.
///
/// ```swift
/// let suite = PolicyTestSuite(loading: try TestFileFinder.sources(["Examples"]))
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
    /// problem of every file rather than stopping at the first. Each file's tree is its own
    /// folder (see ``PolicyTestSource``).
    ///
    /// - Parameters:
    ///   - paths: the test files, in the order to run them (`TestFileFinder.find(_:)` in RefreshIO sorts).
    ///   - policy: a policy for every case, overriding the files' `policy:`
    ///     (`refreshctl test --policy`); `nil` to use theirs.
    ///   - read: reads a file (`RefreshIO` adds an initialiser that reads from disk).
    public init(
        loading paths: [String], policy: Policy? = nil,
        read: (String) throws(RefreshCoreError) -> String
    ) {
        self.init(loading: paths.map { PolicyTestSource(path: $0) }, policy: policy) { (path: String, _: String) throws(RefreshCoreError) -> String in
            try read(path)
        }
    }

    /// Loads each test file and the policy it names (relative to it, inside the file's tree),
    /// collecting every problem of every file rather than stopping at the first.
    ///
    /// - Parameters:
    ///   - sources: the test files and their trees, in the order to run them
    ///     (`TestFileFinder.sources(_:)` in RefreshIO sorts).
    ///   - policy: a policy for every case, overriding the files' `policy:`
    ///     (`refreshctl test --policy`); `nil` to use theirs.
    ///   - read: reads a file inside a tree (`RefreshIO`'s refuses a symbolic link that leads
    ///     out of it); called only with paths inside the tree.
    public init(
        loading sources: [PolicyTestSource], policy: Policy? = nil,
        read: (_ path: String, _ tree: String) throws(RefreshCoreError) -> String
    ) {
        var entries: [Entry] = []
        var diagnostics: [Diagnostic] = []
        // By path and tree: the same file may be inside one test file's tree and not another's.
        var policies: [PolicyTestSource: Policy] = [:]
        var failedPolicies: Set<PolicyTestSource> = []
        for source in sources {
            let path = source.path
            func readInTree(_ file: String) throws(RefreshCoreError) -> String { try read(file, source.tree) }
            let test: PolicyTestFile
            do {
                test = try PolicyTestFile(parsing: try readInTree(path), file: path, tree: source.tree, read: readInTree)
            } catch {
                diagnostics += PolicyTestSuite.diagnostics(of: error, at: SourceLocation(file: path, line: 1, column: 1), path: path, what: "the test file")
                continue
            }
            diagnostics += test.warnings
            var chosen = policy ?? .builtIn
            if policy == nil, let policyPath = test.policyPath {
                let key = PolicyTestSource(path: policyPath.value, tree: source.tree)
                if let loaded = policies[key] {
                    chosen = loaded
                } else if failedPolicies.contains(key) {
                    continue
                } else {
                    do {
                        let loaded = try Policy(parsing: try readInTree(policyPath.value), file: policyPath.value)
                        policies[key] = loaded
                        diagnostics += loaded.warnings
                        chosen = loaded
                    } catch {
                        if error.code != .io { failedPolicies.insert(key) }
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
