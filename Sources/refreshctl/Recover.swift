import ArgumentParser
import RefreshCore
import RefreshHost
import RefreshIO

/// `refreshctl recover`: finish or roll back an interrupted apply.
struct Recover: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Finish or roll back an interrupted apply from its journal (harmless when there is none)."
    )

    @OptionGroup var options: ChangeOptions

    func run() throws {
        do {
            var policy: Policy?
            if options.policy != nil { policy = try options.loadPolicy() }
            guard let report = try options.executor().recover(policy: policy, now: SystemClock.now(), wait: options.wait) else {
                print(options.format == .json ? "{\"version\":1,\"operation\":\"recover\",\"snaps\":[],\"processes\":[],\"warnings\":[],\"exit-code\":0}" : "nothing to recover")
                return
            }
            try options.print(report)
        } catch let error as RefreshCoreError {
            throw ExitCode(Output.exitCode(for: error))
        }
    }
}
