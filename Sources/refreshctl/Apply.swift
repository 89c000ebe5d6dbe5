import ArgumentParser
import RefreshCore
import RefreshHost
import RefreshIO

/// `refreshctl apply`: carry out a refresh.
struct Apply: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Refresh snaps: lock, journal, stage, switch, act on every process by policy, collect.",
        discussion: """
            Exit codes: 0 done; 1 a refresh could not be completed; 2 bad input; 3 postponed; \
            4 another refresh holds the lock.
            """
    )

    @OptionGroup var options: ChangeOptions

    @Flag(name: .long, help: "Refresh every snap that has a staged revision (one newer than current), as the refresh timer does; with none staged, do nothing.")
    var allStaged = false

    @Argument(help: ArgumentHelp("Snaps to refresh.", valueName: "NAME[=REV]"), completion: Completion.snapNamesAndRevisions)
    var snaps: [String] = []

    func validate() throws {
        if allStaged && !snaps.isEmpty { throw ValidationError("give either --all-staged or snap names, not both") }
    }

    func run() async throws {
        do {
            guard !snaps.isEmpty || allStaged else {
                throw RefreshCoreError(.invalidArgument, "nothing to refresh: name the snaps to refresh (NAME or NAME=REV), or give --all-staged")
            }
            var request = allStaged ? nil : try RefreshRequest(parsing: snaps)
            try ChangeOptions.requireRoot("apply")
            try options.refuseUnderSnapd("apply")
            if allStaged {
                // What is staged now; the apply re-reads the host under its lock.
                let host = HostAdapters.linux(root: try HostRoot.withSnaps(options.root), serviceManager: options.serviceManager).readHost()
                for notice in host.notices { Output.error(notice) }
                let names = host.state.snaps.values.filter { !$0.staged.isEmpty }.map(\.name.rawValue).sorted()
                if names.isEmpty {
                    if options.format == .json {
                        try options.print(ApplyReport(operation: "apply", snaps: [], processes: [], warnings: []))
                    } else {
                        print("nothing staged")
                    }
                    return
                }
                request = try RefreshRequest(parsing: names)
            }
            let policy = try options.loadPolicy()
            let report = try await options.engine().apply(request!, policy: policy, wait: options.wait)
            try options.print(report)
        } catch let error as RefreshCoreError {
            throw ExitCode(Output.exitCode(for: error))
        }
    }
}
