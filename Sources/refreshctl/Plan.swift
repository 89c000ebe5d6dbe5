import ArgumentParser
import RefreshCore

/// `refreshctl plan`: a dry run of a refresh, each decision with why.
struct Plan: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what a refresh would do, each decision with why (a dry run).",
        discussion: """
            Exit codes: 0 the refresh can go ahead; 1 some snap cannot be refreshed; \
            2 bad input; 3 some snap's refresh is postponed.
            """
    )

    @Option(name: .long, help: ArgumentHelp("A scenario file describing the host to plan for.", valueName: "FILE"))
    var scenario: String?

    @Option(name: .long, help: ArgumentHelp("The policy file (default: built-in defaults only).", valueName: "FILE"))
    var policy: String?

    @Option(name: .long, help: "Output format: text or json.")
    var format: OutputFormat = .text

    @Argument(help: ArgumentHelp("Snaps to refresh (default: the scenario's 'refresh:').", valueName: "NAME[=REV]"))
    var snaps: [String] = []

    func run() throws {
        guard let scenarioPath = scenario else {
            throw ValidationError("planning on the live host is not available yet; give --scenario FILE")
        }
        do {
            let policy = try policy.map { path throws(RefreshCoreError) in try Policy(contentsOf: path) } ?? .builtIn
            let scenario = try Scenario(contentsOf: scenarioPath)
            for warning in policy.warnings + scenario.warnings { Output.error(warning.description) }
            let request: RefreshRequest
            if !snaps.isEmpty {
                request = try RefreshRequest(parsing: snaps)
            } else if let fromFile = scenario.refresh {
                request = fromFile
            } else {
                throw RefreshCoreError(.invalidArgument, "nothing to refresh: name snaps on the command line (NAME or NAME=REV) or add 'refresh:' to \(scenarioPath)")
            }
            let plan = Planner.plan(
                state: scenario.state, request: request, policy: policy, now: scenario.now ?? SystemClock.now())
            print(format == .json ? plan.json() : plan.text(), terminator: "")
            if plan.exitCode != 0 { throw ExitCode(plan.exitCode) }
        } catch let error as RefreshCoreError {
            throw ExitCode(Output.fail(error))
        }
    }
}
