import ArgumentParser
import RefreshCore
import RefreshHost
import RefreshIO

/// `refreshctl revert`: back to the previous retained revision.
struct Revert: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Switch a snap back to an older installed revision (its own data, no copy); the processes of the revision left are handled by policy."
    )

    @OptionGroup var options: ChangeOptions

    @Option(name: .long, help: ArgumentHelp("The revision to go back to (default: the newest one older than current).", valueName: "REV"))
    var to: String?

    @Argument(help: ArgumentHelp("The snap to revert.", valueName: "NAME"), completion: Completion.snapNames)
    var snap: String

    func run() async throws {
        do {
            let name = try SnapName(validating: snap)
            var revision: Revision?
            if let to {
                guard let parsed = Revision(to) else {
                    throw RefreshCoreError(.invalidArgument, "invalid revision '\(to)': \(Revision.problem(with: to) ?? "")")
                }
                revision = parsed
            }
            try ChangeOptions.requireRoot("revert")
            try options.refuseUnderSnapd("revert")
            let policy = try options.loadPolicy()
            let report = try await options.engine().revert(name, to: revision, policy: policy, wait: options.wait)
            try options.print(report)
        } catch let error as RefreshCoreError {
            throw ExitCode(Output.exitCode(for: error))
        }
    }
}
