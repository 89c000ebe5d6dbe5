import ArgumentParser
import RefreshCore
import RefreshHost
import RefreshIO

/// `refreshctl status`: revisions and their state.
struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show each snap's revisions: current, staged, in use, pinned as a base, retained, collectable."
    )

    @OptionGroup var host: HostOptions

    @Option(name: .long, help: ArgumentHelp("A policy file, for its 'retain' (default 2).", valueName: "FILE"), completion: Completion.policyFile)
    var policy: String?

    @Argument(help: ArgumentHelp("Only these snaps.", valueName: "NAME"), completion: Completion.snapNames)
    var snaps: [String] = []

    func run() async throws {
        do {
            let names = try HostOptions.names(snaps)
            var retain = Policy.defaultRetain
            if let policy { retain = try Policy(contentsOf: policy).retain }
            let read = try await host.readHost()
            var status = HostStatus(state: read.state, listing: read.listing, retain: retain, names: names, now: SystemClock.now())
            let root = try HostRoot.withSnaps(host.root)
            let store = FileSystemRevisionStore(root: root)
            status = status.withUserData { store.userDataHomes($0, $1) }
            let journal = FileJournal(layout: HostLayout(root: root))
            let command = "refreshctl recover" + (root == "/" ? "" : " --root \(root)")
            do {
                if let record = try journal.read() {
                    status.interrupted = .init(operation: record.operation, journal: journal.location, snaps: record.snaps.map(\.name), command: command)
                }
            } catch {
                status.interrupted = .init(operation: "refresh", journal: journal.location, snaps: [], command: command,
                                           problem: error.diagnostics.first?.message ?? error.message)
            }
            print(host.format == .json ? status.json() : status.text(), terminator: "")
        } catch {
            throw ExitCode(Output.fail(error))
        }
    }
}
