import ArgumentParser
import RefreshCore
import RefreshHost
import RefreshIO

/// `refreshctl recover`: finish or roll back an interrupted apply.
struct Recover: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Finish or roll back an interrupted apply from its journal (harmless when there is none).",
        discussion: """
            Without --policy, the policy the journal names is read again; it must not have \
            changed since the refresh was planned. A journal that cannot be read (written by \
            another version, torn or edited) is never acted on: exit 2.
            """
    )

    @OptionGroup var options: ChangeOptions

    func run() async throws {
        do {
            try ChangeOptions.requireRoot("recover")
            try options.refuseUnderSnapd("recover")
            let engine = try options.engine()
            var policy = LoadedPolicy.builtIn
            if options.policy != nil {
                policy = try options.loadPolicy()
            } else if let journalled = try engine.adapters.journal.read()?.policy {
                policy = try TrustedPolicy.load(journalled.path, requireTrust: true)
            }
            guard let report = try await engine.recover(policy: policy, wait: options.wait) else {
                print(options.format == .json ? ApplyReport(operation: "recover", snaps: [], processes: [], warnings: []).json() : "nothing to recover\n", terminator: "")
                return
            }
            try options.print(report)
        } catch let error as RefreshCoreError {
            throw ExitCode(Output.exitCode(for: error))
        }
    }
}
