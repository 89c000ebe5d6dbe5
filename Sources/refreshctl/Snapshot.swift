import ArgumentParser
import RefreshCore
import RefreshHost
import RefreshIO

/// `refreshctl snapshot`: the host as a scenario file.
struct Snapshot: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the host as a scenario file that 'plan --scenario' and 'refreshctl test' accept."
    )

    @Option(name: .long, help: ArgumentHelp("The host root whose snap/, var/snap/ and var/lib/snapd/ are read.", valueName: "DIR"), completion: Completion.directory)
    var root: String = "/"

    @Option(name: .long, help: ArgumentHelp("The time to write as 'now:' (RFC 3339; default: the clock).", valueName: "TIME"))
    var now: String?

    @Argument(help: ArgumentHelp("Only these snaps (their bases come along).", valueName: "NAME"), completion: Completion.snapNames)
    var snaps: [String] = []

    func run() async throws {
        do {
            let names = try HostOptions.names(snaps)
            var time = SystemClock.now()
            if let now { time = try Plan.timestamp(now) }
            // As status and ps: where systemd is PID 1, a service's main process is its MainPID,
            // recorded under 'services:' so that the scenario plans as the live host does.
            let host = try await HostOptions.readHost(root: root)
            print(ScenarioWriter.write(host.state, root: root, now: time, names: names, services: host.services), terminator: "")
        } catch {
            throw ExitCode(Output.fail(error))
        }
    }
}
