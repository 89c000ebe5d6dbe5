import ArgumentParser
import RefreshCore
import RefreshHost
import RefreshIO

/// `refreshctl ps`: processes and their bindings.
struct Ps: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the processes that run from snap revisions, with the evidence that bound them."
    )

    @OptionGroup var host: HostOptions

    @Argument(help: ArgumentHelp("Only processes of these snaps (or pinning them).", valueName: "NAME"), completion: Completion.snapNames)
    var snaps: [String] = []

    func run() async throws {
        do {
            let names = try HostOptions.names(snaps)
            let listing = ProcessListing(state: try await host.readHost().state, names: names)
            print(host.format == .json ? listing.json() : listing.text(), terminator: "")
        } catch {
            throw ExitCode(Output.fail(error))
        }
    }
}
