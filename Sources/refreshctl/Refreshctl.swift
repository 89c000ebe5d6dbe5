import ArgumentParser
import RefreshCore
import RefreshHost
import RefreshIO

#if canImport(Glibc)
import Glibc
#endif

/// The root command. Its `main` maps errors to DESIGN.md's exit codes: usage errors are 2,
/// not argument-parser's 64.
@main
struct Refreshctl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "refreshctl",
        abstract: "Plan and carry out snap refreshes without killing what runs from the old revision.",
        discussion: """
            Exit codes: 0 done; 1 the refresh could not be completed (the plan says why); \
            2 bad usage or bad input; 3 postponed; 4 another refresh holds the lock.
            """,
        version: RefreshCoreVersion.current,
        subcommands: [Plan.self, Apply.self, Status.self, Ps.self, Gc.self, Revert.self, Recover.self, Hold.self, Unhold.self, History.self, Snapshot.self, Check.self, Test.self]
    )

    static func main() async {
        do {
            var command = try parseAsRoot()
            if command is Refreshctl {
                // No command: bad usage, unlike `--help`, which asks for the help.
                Output.error(helpMessage())
                Output.error(Output.errorLine("no command given; run 'refreshctl COMMAND', such as 'refreshctl plan --help'"))
                Glibc.exit(2)
            }
            if var command = command as? AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch let code as ExitCode {
            Glibc.exit(code.rawValue)
        } catch let error as RefreshCoreError {
            Output.report(error)
            Glibc.exit(Output.status(for: error))
        } catch {
            let code = exitCode(for: error)
            let message = fullMessage(for: error)
            if code == .success {
                print(message)
                Glibc.exit(0)
            }
            // argument-parser writes "Error: "; ours, like a compiler's, is "error: ".
            Output.error(message.hasPrefix("Error: ") ? Output.errorLine(String(message.dropFirst(7))) : message)
            Glibc.exit(2)
        }
    }
}
