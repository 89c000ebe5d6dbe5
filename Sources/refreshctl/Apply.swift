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

    @Argument(help: ArgumentHelp("Snaps to refresh.", valueName: "NAME[=REV]"))
    var snaps: [String] = []

    func run() async throws {
        do {
            guard !snaps.isEmpty else {
                throw RefreshCoreError(.invalidArgument, "nothing to refresh: name the snaps to refresh (NAME or NAME=REV)")
            }
            let request = try RefreshRequest(parsing: snaps)
            try ChangeOptions.requireRoot("apply")
            try options.refuseUnderSnapd("apply")
            let policy = try options.loadPolicy()
            let report = try await options.engine().apply(request, policy: policy, wait: options.wait)
            try options.print(report)
        } catch let error as RefreshCoreError {
            throw ExitCode(Output.exitCode(for: error))
        }
    }
}
