import ArgumentParser
import RefreshCore
import RefreshHost
import RefreshIO

extension Output {
    /// Prints a library error and returns DESIGN.md's exit code for it: 4 when another refresh
    /// holds the lock, 1 when a refresh step failed, 2 for bad input or usage.
    static func exitCode(for error: RefreshCoreError) -> Int32 {
        report(error)
        return status(for: error)
    }
}

/// `--wait`, `--quiet`, `--policy`, `--root`, `--format` for the commands that change a host.
struct ChangeOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The policy file (default: built-in defaults only).", valueName: "FILE"))
    var policy: String?

    @Option(name: .long, help: ArgumentHelp("The host root.", valueName: "DIR"))
    var root: String = "/"

    @Option(name: .long, help: "Output format: text or json.")
    var format: OutputFormat = .text

    @Flag(name: .long, help: "Wait for another refresh to finish instead of exiting with code 4.")
    var wait = false

    @Flag(name: .long, help: "Print no progress while waiting for processes.")
    var quiet = false

    func loadPolicy() throws(RefreshCoreError) -> Policy {
        guard let policy else { return .builtIn }
        let loaded = try Policy(contentsOf: policy)
        for warning in loaded.warnings { Output.error(warning.description) }
        return loaded
    }

    func executor() -> RefreshExecutor {
        let quiet = self.quiet
        return RefreshExecutor(root: root, progress: { line in if !quiet { Output.error(line) } })
    }

    func print(_ report: ApplyReport) throws {
        Swift.print(format == .json ? report.json() : report.text(), terminator: "")
        if report.exitCode != 0 { throw ExitCode(report.exitCode) }
    }
}
