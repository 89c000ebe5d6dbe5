import ArgumentParser
import RefreshCore
import RefreshHost
import RefreshIO

/// `refreshctl gc`: collect old revisions nothing uses any more.
struct Gc: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Remove revisions that are not current, not in use (re-scanned) and beyond 'retain'.",
        discussion: "A busy mount is kept and reported. Per-revision data directories are never removed."
    )

    @Option(name: .long, help: ArgumentHelp("A policy file, for its 'retain' (default 2).", valueName: "FILE"))
    var policy: String?

    @Option(name: .long, help: ArgumentHelp("The host root.", valueName: "DIR"))
    var root: String = "/"

    @Option(name: .long, help: "Output format: text or json.")
    var format: OutputFormat = .text

    @Flag(name: .long, help: "Only say what would be removed.")
    var dryRun = false

    @Flag(name: .long, help: "Keep going: collect each old revision as soon as its last user exits.")
    var watch = false

    @Flag(name: .long, help: "Wait for another refresh to finish instead of exiting with code 4.")
    var wait = false

    @Argument(help: ArgumentHelp("Only these snaps.", valueName: "NAME"))
    var snaps: [String] = []

    func validate() throws {
        if dryRun && watch { throw ValidationError("--dry-run and --watch do not go together") }
    }

    func run() throws {
        do {
            let names = try HostOptions.names(snaps)
            var retain = Policy.defaultRetain
            if let policy { retain = try Policy(contentsOf: policy).retain }
            let executor = RefreshExecutor(root: root)
            let collector = GarbageCollector(store: executor.store, layout: executor.layout)
            let format = self.format
            if dryRun {
                let report = collector.collect(retain: retain, dryRun: true, names: names)
                print(format == .json ? report.json() : report.text(), terminator: "")
                return
            }
            let lock = try HostLock(layout: executor.layout, wait: wait)
            defer { withExtendedLifetime(lock) {} }
            if watch {
                collector.watch(retain: retain, names: names) { report in
                    print(format == .json ? report.json() : report.text(), terminator: "")
                }
            } else {
                let report = collector.collect(retain: retain, dryRun: false, names: names)
                print(format == .json ? report.json() : report.text(), terminator: "")
            }
        } catch {
            throw ExitCode(Output.exitCode(for: error))
        }
    }
}
