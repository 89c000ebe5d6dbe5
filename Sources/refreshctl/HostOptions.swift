import ArgumentParser
import RefreshCore
import RefreshHost
import RefreshIO

/// `--root` and `--format`, shared by the commands that read a host.
struct HostOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The host root whose snap/, var/snap/ and var/lib/snapd/ are read.", valueName: "DIR"), completion: Completion.directory)
    var root: String = "/"

    @Option(name: .long, help: "Output format: text or json.")
    var format: OutputFormat = .text

    /// Validated snap names from the command line.
    static func names(_ arguments: [String]) throws(RefreshCoreError) -> [SnapName] {
        var names: [SnapName] = []
        for argument in arguments { names.append(try SnapName(validating: argument)) }
        return names
    }

    /// Reads the host, printing what could not be read on stderr.
    func readHost() throws(RefreshCoreError) -> Host {
        let host = HostReader(root: try HostRoot.withSnaps(root)).read()
        for notice in host.notices { Output.error(notice) }
        return host
    }
}
