import ArgumentParser
import RefreshCore
import RefreshHost
import RefreshIO

/// `refreshctl gc`: collect old revisions nothing uses any more.
struct Gc: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Remove revisions that are not current, not in use (re-checked right before each removal) and beyond 'retain'.",
        discussion: """
            A busy mount is kept and reported. A removed revision's data directories (var/snap/NAME/REV \
            and every user's snap/NAME/REV) go with it unless the policy says keep-data: true; the \
            report lists the files in them that were written after the revision stopped being current. \
            --watch takes the refresh lock only while it collects, so a refresh can run while it waits.
            """
    )

    @Option(name: .long, help: ArgumentHelp("A policy file, for its 'retain' (default 2) and 'keep-data'.", valueName: "FILE"), completion: Completion.policyFile)
    var policy: String?

    @Option(name: .long, help: ArgumentHelp("The host root.", valueName: "DIR"), completion: Completion.directory)
    var root: String = "/"

    @Option(name: .long, help: "Output format: text or json.")
    var format: OutputFormat = .text

    @Flag(name: .long, help: "Only say what would be removed.")
    var dryRun = false

    @Flag(name: .long, help: "Keep going: collect each old revision as soon as its last user exits.")
    var watch = false

    @Flag(name: .long, help: "Wait for another refresh to finish instead of exiting with code 4.")
    var wait = false

    @Argument(help: ArgumentHelp("Only these snaps.", valueName: "NAME"), completion: Completion.snapNames)
    var snaps: [String] = []

    func validate() throws {
        if dryRun && watch { throw ValidationError("--dry-run and --watch do not go together") }
    }

    func run() async throws {
        do throws(RefreshCoreError) {
            let names = try HostOptions.names(snaps)
            if !dryRun {
                try ChangeOptions.requireRoot("gc")
                let canonical = try HostRoot.canonical(root)
                try SnapdPresence.detect(root: canonical).refuse(watch ? "gc --watch" : "gc", root: canonical)
            }
            var loaded = Policy.builtIn
            if let policy { loaded = try TrustedPolicy.load(policy, requireTrust: !dryRun).policy }
            let retain = loaded.retain
            let engine = RefreshEngine(adapters: .linux(root: try HostRoot.withSnaps(root)))
            let format = self.format
            if watch {
                try await engine.watch(retain: retain, names: names, policy: loaded) { report in
                    print(format == .json ? report.json() : report.text(), terminator: "")
                }
            } else {
                let report = try engine.collectGarbage(retain: retain, dryRun: dryRun, names: names, wait: wait, policy: loaded)
                print(format == .json ? report.json() : report.text(), terminator: "")
            }
        } catch {
            throw ExitCode(Output.exitCode(for: error))
        }
    }
}
