import RefreshCore
#if canImport(Glibc)
import Glibc
#endif

/// Removes revisions nothing uses any more, re-checking against a fresh scan each time:
/// never the current revision, never one a live process runs from, maps or pins.
public struct GarbageCollector: Sendable {
    public let store: FileSystemRevisionStore
    public let layout: HostLayout

    public init(store: FileSystemRevisionStore, layout: HostLayout) {
        self.store = store
        self.layout = layout
    }

    public struct Outcome: Sendable, Hashable {
        public var removed: [Revision] = []
        public var kept: [KeptRevision] = []
    }

    /// Removes `candidates` of `snap` that a fresh scan shows are neither current nor in use.
    func remove(_ candidates: [Revision], of snap: SnapName) -> Outcome {
        var outcome = Outcome()
        guard !candidates.isEmpty else { return outcome }
        let host = HostReader(store: store, inspector: ProcFileSystemInspector(root: layout.rootPath)).read()
        let status = HostStatus(state: host.state, listing: host.listing, retain: 1, names: [snap])
        for revision in candidates {
            guard let entry = status.snaps.first?.revisions.first(where: { $0.revision == revision }) else { continue }
            if let why = GarbageCollector.holdReason(entry) {
                outcome.kept.append(KeptRevision(revision: revision, why: why))
                continue
            }
            do {
                try store.removeRevision(snap, revision)
                outcome.removed.append(revision)
            } catch {
                outcome.kept.append(KeptRevision(revision: revision, why: error.message))
            }
        }
        return outcome
    }

    /// Why a revision must stay despite the plan, or `nil`: the lifecycle machine decides.
    static func holdReason(_ entry: HostStatus.RevisionStatus) -> String? {
        if entry.states.contains(.staged) { return "staged" }
        var lifecycle = RevisionLifecycle(state: lifecycleState(entry))
        switch try? lifecycle.handle(.removed) {
        case .remove?: return nil
        default:
            if entry.states.contains(.current) { return "current" }
            let users = entry.processes.count + entry.pinnedBy.count
            if users > 0 { return users == 1 ? "in use by 1 process" : "in use by \(users) processes" }
            return "retained"
        }
    }

    static func lifecycleState(_ entry: HostStatus.RevisionStatus) -> RevisionLifecycle.State {
        if entry.states.contains(.current) { return .current }
        if entry.states.contains(.inUse) || entry.states.contains(.pinned) { return .inUse }
        if entry.states.contains(.staged) { return .staged }
        if entry.states.contains(.retained) { return .retained }
        return .collectable
    }

    public struct Report: Sendable, Hashable {
        public struct Entry: Sendable, Hashable {
            public var snap: SnapName
            public var revision: Revision
            /// `removed`, `would remove` (dry run) or `kept`.
            public var result: String
            public var why: String?
        }
        public var entries: [Entry]

        public func text() -> String {
            guard !entries.isEmpty else { return "nothing to collect\n" }
            return entries.map { entry in
                "\(entry.snap) revision \(entry.revision): \(entry.result)" + (entry.why.map { " (\($0))" } ?? "")
            }.joined(separator: "\n") + "\n"
        }

        public func json() -> String {
            JSONValue.object([
                ("version", .int(1)),
                ("revisions", .array(entries.map { entry in
                    var pairs: [(String, JSONValue)] = [("snap", .string(entry.snap.rawValue)), ("revision", .string(entry.revision.description)), ("result", .string(entry.result))]
                    if let why = entry.why { pairs.append(("why", .string(why))) }
                    return .object(pairs)
                })),
            ]).serialized() + "\n"
        }
    }

    /// `refreshctl gc`: every revision that is not current, not in use (re-scanned), not staged
    /// and beyond `retain` is removed; busy mounts are kept and said so.
    public func collect(retain: Int, dryRun: Bool, names: [SnapName] = []) -> Report {
        let host = HostReader(store: store, inspector: ProcFileSystemInspector(root: layout.rootPath)).read()
        let status = HostStatus(state: host.state, listing: host.listing, retain: retain, names: names)
        var entries: [Report.Entry] = []
        for snap in status.snaps {
            for entry in snap.revisions where entry.states == [.collectable] {
                if dryRun {
                    entries.append(.init(snap: snap.name, revision: entry.revision, result: "would remove"))
                    continue
                }
                do {
                    try store.removeRevision(snap.name, entry.revision)
                    entries.append(.init(snap: snap.name, revision: entry.revision, result: "removed"))
                } catch {
                    entries.append(.init(snap: snap.name, revision: entry.revision, result: "kept", why: error.message))
                }
            }
        }
        return Report(entries: entries)
    }

    /// `refreshctl gc --watch`: collects, then waits on the pidfds of the processes that hold
    /// old revisions and collects again as each exits, until no old revision is held.
    public func watch(retain: Int, names: [SnapName] = [], report: (Report) -> Void) {
        let signaller = PidfdSignaller()
        while true {
            let collected = collect(retain: retain, dryRun: false, names: names)
            if !collected.entries.isEmpty { report(collected) }
            let host = HostReader(store: store, inspector: ProcFileSystemInspector(root: layout.rootPath)).read()
            let status = HostStatus(state: host.state, listing: host.listing, retain: retain, names: names)
            var holders = Set<Int32>()
            for snap in status.snaps {
                for entry in snap.revisions where !entry.states.contains(.current) && !entry.states.contains(.retained) && !entry.states.contains(.staged) {
                    holders.formUnion(entry.processes)
                    holders.formUnion(entry.pinnedBy)
                }
            }
            if holders.isEmpty { return }
            let identities = host.state.processes.filter { holders.contains($0.pid) }.map(\.identity)
            var fds: [Int32] = []
            for identity in identities {
                // Only waits: the pidfd tells when it exits; nothing is sent.
                if case .success(let handle) = signaller.open(identity) { fds.append(handle.reference) }
            }
            if fds.isEmpty {
                usleep(200_000)
                continue
            }
            while !fds.contains(where: PidfdSignaller.hasExited) {
                PidfdSignaller.waitForAny(fds, milliseconds: 5000)
            }
            for fd in fds { Syscall.close(fd) }
        }
    }
}
