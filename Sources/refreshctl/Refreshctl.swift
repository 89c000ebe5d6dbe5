import ArgumentParser
import RefreshCore

#if canImport(Glibc)
import Glibc
#endif

/// The root command. Its `main` maps errors to DESIGN.md's exit codes: usage errors are 2,
/// not argument-parser's 64.
@main
struct Refreshctl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "refreshctl",
        abstract: "Plan and carry out snap refreshes without killing what runs from the old revision.",
        discussion: """
            Exit codes: 0 done; 1 the refresh could not be completed (the plan says why); \
            2 bad usage or bad input; 3 postponed; 4 another refresh holds the lock.
            """,
        version: RefreshCoreVersion.current,
        subcommands: [Plan.self, Status.self, Ps.self, Snapshot.self, Check.self]
    )

    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let code as ExitCode {
            Glibc.exit(code.rawValue)
        } catch {
            let code = exitCode(for: error)
            let message = fullMessage(for: error)
            if code == .success {
                print(message)
                Glibc.exit(0)
            }
            Output.error(message)
            Glibc.exit(2)
        }
    }
}
