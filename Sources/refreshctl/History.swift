import ArgumentParser
import RefreshCore
import RefreshHost

/// `refreshctl history [NAME...]`: past refreshes.
struct History: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show past refreshes: when, from and to which revision, and what happened to each process.",
        discussion: """
            apply, revert and recover record each snap's refresh in \
            ROOT/var/lib/refreshctl/history/NAME.json, keeping the last \(RefreshHistory.limit) \
            per snap. Entries are listed oldest first (by end time, then snap name).
            """
    )

    @OptionGroup var host: HostOptions

    @Argument(help: ArgumentHelp("Only these snaps (default: every snap with a history).", valueName: "NAME"), completion: Completion.snapNames)
    var snaps: [String] = []

    func run() throws {
        do {
            var names = try HostOptions.names(snaps)
            let records = StateRecords(layout: HostLayout(root: try HostRoot.withSnaps(host.root)))
            names = names.isEmpty ? records.snapsWithHistory() : Array(Set(names)).sorted()
            var entries: [RefreshHistory.Entry] = []
            for name in names {
                entries += try records.readHistory(name)?.entries ?? []
            }
            entries.sort { ($0.finished, $0.snap) < ($1.finished, $1.snap) }
            let history = RefreshHistory(entries: entries)
            print(host.format == .json ? history.json() : history.text(), terminator: "")
        } catch {
            throw ExitCode(Output.fail(error))
        }
    }
}
