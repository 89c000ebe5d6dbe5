import ArgumentParser
import RefreshCore
import RefreshHost
import RefreshIO

/// `refreshctl check`: validate a policy file.
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate a policy file: every error with file:line:column, and shadowed rules.",
        discussion: "Exit codes: 0 the policy is valid (warnings may be printed); 2 it is not."
    )

    @Argument(help: ArgumentHelp("The policy file.", valueName: "POLICY"), completion: Completion.policyFile)
    var file: String

    func run() throws {
        do {
            let policy = try Policy(contentsOf: file)
            for warning in policy.warnings { Output.error(warning.description) }
            let rules = policy.rules.count == 1 ? "1 rule" : "\(policy.rules.count) rules"
            let warnings = policy.warnings.isEmpty ? "" : ", \(policy.warnings.count) warning\(policy.warnings.count == 1 ? "" : "s")"
            print("\(file): OK, \(rules)\(warnings)")
            if let keeping = policy.keepDataSummary { print("  \(keeping)") }
        } catch {
            throw ExitCode(Output.fail(error))
        }
    }
}
