import ArgumentParser
import RefreshCore
import RefreshHost
import RefreshIO

/// `refreshctl plan`: a dry run of a refresh, each decision with why.
struct Plan: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what a refresh would do, each decision with why (a dry run).",
        discussion: """
            Exit codes: 0 the refresh can go ahead; 1 some snap cannot be refreshed; \
            2 bad input; 3 some snap's refresh is postponed.
            """
    )

    @Option(name: .long, help: ArgumentHelp("A scenario file describing the host to plan for (default: the live host under --root).", valueName: "FILE"), completion: Completion.scenarioFile)
    var scenario: String?

    @Option(name: .long, help: ArgumentHelp("The live host's root, when there is no --scenario.", valueName: "DIR"), completion: Completion.directory)
    var root: String?

    @Option(name: .long, help: ArgumentHelp("Plan as of this time (RFC 3339; default: the scenario's 'now:', else the clock).", valueName: "TIME"))
    var now: String?

    @Option(name: .long, help: ArgumentHelp("The policy file (default: built-in defaults only).", valueName: "FILE"), completion: Completion.policyFile)
    var policy: String?

    @Option(name: .long, help: "Output format: text or json.")
    var format: OutputFormat = .text

    @Flag(name: .long, help: "Text: under each service and process, why (the full reason), how, and where each setting came from.")
    var explain = false

    @Option(name: .long, help: ArgumentHelp("On a live host, what runs the daemons: auto (systemd when it is PID 1), systemd, or none.", valueName: "auto|systemd|none"))
    var serviceManager: ServiceManagerChoice = .auto

    @Argument(help: ArgumentHelp("Snaps to refresh (default: the scenario's 'refresh:').", valueName: "NAME[=REV]"), completion: Completion.snapNamesAndRevisions)
    var snaps: [String] = []

    func validate() throws {
        if scenario != nil, root != nil {
            throw ValidationError("give either --scenario FILE or --root DIR, not both")
        }
    }

    /// Parses `--now`.
    static func timestamp(_ text: String) throws(RefreshCoreError) -> Timestamp {
        guard let time = Timestamp(rfc3339: text) else {
            throw RefreshCoreError(.invalidArgument, "invalid time '\(text)'; expected RFC 3339 such as 2026-11-27T12:00:00Z")
        }
        return time
    }

    func run() async throws {
        do {
            var policy = Policy.builtIn
            if let path = self.policy { policy = try Policy(contentsOf: path) }
            for warning in policy.warnings { Output.error(warning.description) }
            var fixedNow: Timestamp?
            if let now { fixedNow = try Plan.timestamp(now) }
            let state: SystemState
            var adapters: HostAdapters?
            var knownUnits: Set<String> = []
            var request = try snaps.isEmpty ? nil : RefreshRequest(parsing: snaps)
            var planTime = fixedNow
            if let scenarioPath = scenario {
                let scenario = try Scenario(contentsOf: scenarioPath)
                for warning in scenario.warnings { Output.error(warning.description) }
                state = scenario.state
                request = request ?? scenario.refresh
                planTime = planTime ?? scenario.now
                if request == nil {
                    throw RefreshCoreError(.invalidArgument, "nothing to refresh: name snaps on the command line (NAME or NAME=REV) or add 'refresh:' to \(scenarioPath)")
                }
            } else {
                guard request != nil else {
                    throw RefreshCoreError(.invalidArgument, "nothing to refresh: name the snaps to plan for (NAME or NAME=REV)")
                }
                adapters = .linux(root: try HostRoot.withSnaps(root ?? "/"), serviceManager: serviceManager)
                let host = await adapters!.readHostAndServices()
                knownUnits = Set(host.services.keys)
                for notice in host.notices { Output.error(notice) }
                state = host.state
            }
            var plan = Planner.plan(state: state, request: request!, policy: policy, now: planTime ?? SystemClock.now())
            // On a live host, the plan says which service manager it assumed, and what cannot be
            // carried out without one (a restart nobody can start again) up front.
            if let adapters { plan = plan.assuming(serviceManager: adapters.serviceManager?.name, knownUnits: knownUnits) }
            print(format == .json ? plan.json() : plan.text(explain: explain), terminator: "")
            if plan.exitCode != 0 { throw ExitCode(plan.exitCode) }
        } catch let error as RefreshCoreError {
            throw ExitCode(Output.fail(error))
        }
    }
}
