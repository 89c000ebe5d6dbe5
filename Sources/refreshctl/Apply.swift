import ArgumentParser
import RefreshCore
import RefreshHost
import RefreshIO

/// `refreshctl apply`: carry out a refresh.
struct Apply: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Refresh snaps: lock, journal, stage, switch, act on every process by policy, collect.",
        discussion: """
            Exit codes: 0 done; 1 a refresh could not be completed; 2 bad input; 3 postponed; \
            4 another refresh holds the lock.
            Testing only: REFRESHCTL_TESTING_CRASH_AT=POINT makes apply kill itself at that \
            journal step (the crash tests use it); never set it otherwise.
            """
    )

    @OptionGroup var options: ChangeOptions

    @Argument(help: ArgumentHelp("Snaps to refresh.", valueName: "NAME[=REV]"))
    var snaps: [String] = []

    func run() throws {
        do {
            guard !snaps.isEmpty else {
                throw RefreshCoreError(.invalidArgument, "nothing to refresh: name the snaps to refresh (NAME or NAME=REV)")
            }
            let request = try RefreshRequest(parsing: snaps)
            let policy = try options.loadPolicy()
            let report = try options.executor().apply(
                request: request, policy: policy, policyPath: options.policy, now: SystemClock.now(), wait: options.wait)
            try options.print(report)
        } catch let error as RefreshCoreError {
            throw ExitCode(Output.exitCode(for: error))
        }
    }
}
