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

    /// Reads the host, printing what could not be read on stderr; where systemd is PID 1, a
    /// service's main process is its `MainPID`, as `plan` and `apply` see it.
    func readHost() async throws(RefreshCoreError) -> Host {
        try await HostOptions.readHost(root: root)
    }

    /// ``readHost()`` for a command with its own `--root`.
    static func readHost(root: String) async throws(RefreshCoreError) -> Host {
        let reader = HostReader(root: try HostRoot.withSnaps(root))
        let systemd = HostAdapters.systemdIsPID1 ? SystemdServiceManager(runner: SubprocessCommandRunner()) : nil
        let host = await reader.read(serviceManager: systemd)
        for notice in host.notices { Output.error(notice) }
        return host
    }
}
