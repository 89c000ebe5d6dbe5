import ArgumentParser
import RefreshCore
import RefreshHost
import RefreshIO

#if canImport(Glibc)
import Glibc
#endif

extension Output {
    /// Prints a library error and returns DESIGN.md's exit code for it: 4 when another refresh
    /// holds the lock, 1 when a refresh step failed, 2 for bad input or usage.
    static func exitCode(for error: RefreshCoreError) -> Int32 {
        report(error)
        return status(for: error)
    }
}

extension ServiceManagerChoice: ExpressibleByArgument {}

/// `--wait`, `--quiet`, `--policy`, `--root`, `--format`, `--service-manager` for the commands
/// that change a host.
struct ChangeOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The policy file (default: built-in defaults only). It must be root's and writable by root alone, as must every directory above it.", valueName: "FILE"), completion: Completion.policyFile)
    var policy: String?

    @Option(name: .long, help: ArgumentHelp("The host root.", valueName: "DIR"), completion: Completion.directory)
    var root: String = "/"

    @Option(name: .long, help: "Output format: text or json.")
    var format: OutputFormat = .text

    @Option(name: .long, help: ArgumentHelp("What runs the daemons: auto (systemd when it is PID 1), systemd, or none (the engine signals them and runs restart-commands).", valueName: "auto|systemd|none"))
    var serviceManager: ServiceManagerChoice = .auto

    @Flag(name: .long, help: "Wait for another refresh to finish instead of exiting with code 4.")
    var wait = false

    @Flag(name: .long, help: "Print no progress while waiting for processes.")
    var quiet = false

    /// Refuses at once, before anything is read or changed, when not run as root.
    static func requireRoot(_ command: String, why: String = "it mounts revisions, switches links and signals processes") throws(RefreshCoreError) {
        if geteuid() != 0 {
            throw RefreshCoreError(.invalidArgument, "refreshctl \(command) must be run as root: \(why); run it with sudo")
        }
    }

    /// Refuses, before anything is read or changed, when snapd manages the host (exit 2).
    func refuseUnderSnapd(_ command: String) throws(RefreshCoreError) {
        let canonical = try HostRoot.canonical(root)
        try SnapdPresence.detect(root: canonical).refuse(command, root: canonical)
    }

    /// The policy, checked: root's and writable by root alone.
    func loadPolicy() throws(RefreshCoreError) -> LoadedPolicy {
        guard let policy else { return .builtIn }
        let loaded = try TrustedPolicy.load(policy, requireTrust: true)
        for warning in loaded.policy.warnings { Output.error(warning.description) }
        return loaded
    }

    func engine() throws(RefreshCoreError) -> RefreshEngine {
        let quiet = self.quiet
        var engine = RefreshEngine(
            adapters: .linux(root: try HostRoot.withSnaps(root), serviceManager: serviceManager),
            progress: { line in if !quiet { Output.error(line) } })
        #if DEBUG
        // Testing only, and only in debug builds: the crash tests stop an apply here.
        if let point = getenv("REFRESHCTL_TESTING_CRASH_AT").map({ String(cString: $0) }) {
            engine.crashHook = { name throws(RefreshCoreError) in if name == point { raise(SIGKILL) } }
        }
        #endif
        return engine
    }

    func print(_ report: ApplyReport) throws {
        Swift.print(format == .json ? report.json() : report.text(), terminator: "")
        if report.exitCode != 0 { throw ExitCode(report.exitCode) }
    }
}
