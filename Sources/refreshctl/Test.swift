import ArgumentParser
import RefreshCore
import RefreshHost
import RefreshIO

/// `refreshctl test`: policy unit tests, each a scenario with what its plan must show.
struct Test: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run policy unit tests: plan each *.test.yaml case and compare with its 'expect:'.",
        discussion: """
            Folders are searched recursively for *.test.yaml files (hidden folders are skipped). \
            A test file's 'policy:' and 'scenario:' are relative to it and must stay inside its \
            tree: the folder it was found in, or its own folder when it is named directly. \
            Each case prints PASS or FAIL with its file:line; a failure shows each unmet \
            expectation's file:line, expected and actual, and the decision's reason. The last \
            line is 'N passed, N failed'.
            Exit codes: 0 every case passed; 1 a case failed; 2 a malformed test file or policy \
            (file:line:column on stderr, nothing is run), a bad path, or no case selected.
            """
    )

    @Option(name: .long, help: ArgumentHelp("A policy for every case, instead of the test files' 'policy:'.", valueName: "FILE"), completion: Completion.policyFile)
    var policy: String?

    @Option(name: .long, help: "Output format: text or json.")
    var format: OutputFormat = .text

    @Flag(name: .shortAndLong, help: "Show the passed expectations too.")
    var verbose = false

    @Option(name: .customLong("run"), help: ArgumentHelp("Run only the cases whose name matches this regular expression.", valueName: "PATTERN"))
    var pattern: String?

    @Argument(help: ArgumentHelp("Test files, or folders to search for *.test.yaml (default: .).", valueName: "PATH"), completion: Completion.anyPath)
    var paths: [String] = []

    func run() throws {
        do {
            let filter = try pattern.map { pattern throws(RefreshCoreError) in try PolicyTestFilter(pattern: pattern) }
            let override = try policy.map { path throws(RefreshCoreError) in try Policy(contentsOf: path) }
            let files = try TestFileFinder.sources(paths.isEmpty ? ["."] : paths)
            let report = PolicyTestSuite(loading: files, policy: override).run(filter: filter)
            for diagnostic in report.diagnostics { Output.error(diagnostic.description) }
            print(format == .json ? report.json() : report.text(verbose: verbose), terminator: "")
            if !report.hasErrors, report.results.isEmpty, let pattern {
                Output.error("error: no test case matches --run '\(pattern)'; check the pattern against the case names")
            }
            if report.exitCode != 0 { throw ExitCode(report.exitCode) }
        } catch let error as RefreshCoreError {
            throw ExitCode(Output.fail(error))
        }
    }
}
