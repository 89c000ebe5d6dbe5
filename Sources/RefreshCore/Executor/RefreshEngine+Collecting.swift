/// Collecting old revisions: never the current one, never one a live process runs from, maps,
/// pins or uses — each checked against a fresh look at the host right before it goes.
extension RefreshEngine {
    /// Removes those of `candidates` that a fresh look, taken right before each removal, shows
    /// are neither current nor in use; the lifecycle machine decides.
    func collect(_ candidates: [Revision], of snap: SnapName) -> (removed: [Revision], kept: [KeptRevision]) {
        var removed: [Revision] = []
        var kept: [KeptRevision] = []
        for revision in candidates {
            switch removal(of: revision, of: snap, retain: 1) {
            case .success: removed.append(revision)
            case .failure(let why): kept.append(KeptRevision(revision: revision, why: why.message))
            }
        }
        return (removed, kept)
    }

    /// Removes one revision if, looking at the host now, nothing keeps it.
    private func removal(of revision: Revision, of snap: SnapName, retain: Int) -> Result<Void, RefreshCoreError> {
        // The re-check: a process may have taken hold of the revision since it was planned.
        let host = adapters.readHost()
        let status = HostStatus(state: host.state, listing: host.listing, retain: retain, names: [snap])
        guard let snapStatus = status.snaps.first, let entry = snapStatus.revisions.first(where: { $0.revision == revision }) else {
            return .failure(RefreshCoreError(.unsafeHost, "it is no longer installed"))
        }
        // What `current` names must never go: when it cannot be read, nothing of the snap does.
        if snapStatus.current == nil { return .failure(RefreshCoreError(.unsafeHost, RefreshEngine.unknownCurrent(snap))) }
        var lifecycle = RevisionLifecycle(state: entry.lifecycle)
        let action: RevisionLifecycle.Action
        do {
            action = try lifecycle.handle(.removed)
        } catch {
            return .failure(RefreshCoreError(.inUse, RefreshEngine.holdReason(entry)))
        }
        guard action == .remove else { return .failure(RefreshCoreError(.inUse, RefreshEngine.holdReason(entry))) }
        do {
            try adapters.store.removeRevision(snap, revision)
        } catch {
            return .failure(error)
        }
        return .success(())
    }

    static func unknownCurrent(_ snap: SnapName) -> String {
        "\(snap)'s current link is missing or cannot be read, so what it names is unknown and nothing of \(snap) is removed"
    }

    /// Why a revision stays: `current`, `staged`, `in use by N processes`, `retained`.
    static func holdReason(_ entry: HostStatus.RevisionStatus) -> String {
        switch entry.lifecycle {
        case .current: return "current"
        case .staged: return "staged"
        case .inUse:
            let users = entry.processes.count + entry.pinnedBy.count
            return users == 1 ? "in use by 1 process" : "in use by \(users) processes"
        case .retained: return "retained"
        case .collectable, .removed: return "collectable"
        }
    }

    /// `refreshctl gc`: removes every revision that is not current, not staged, not in use
    /// (re-checked right before each removal) and beyond `retain`. Takes the lock, unless
    /// `dryRun` only says what would go.
    /// - Parameters:
    ///   - retain: revisions kept per snap, the current one included.
    ///   - dryRun: only report what would go; nothing is removed and no lock is taken.
    ///   - names: only these snaps; all when empty.
    ///   - wait: wait for a refresh that holds the lock instead of failing with `locked`.
    public func collectGarbage(retain: Int, dryRun: Bool, names: [SnapName] = [], wait: Bool) throws(RefreshCoreError) -> GarbageReport {
        let host = adapters.readHost()
        let status = HostStatus(state: host.state, listing: host.listing, retain: retain, names: names)
        var entries: [GarbageReport.Entry] = []
        // A snap whose `current` cannot be read keeps every revision: what it names is unknown.
        let candidates = status.snaps.filter { $0.current != nil }.flatMap { snap in
            snap.revisions.filter { $0.lifecycle == .collectable }.map { (snap.name, $0.revision) }
        }
        if dryRun {
            return GarbageReport(entries: candidates.map { .init(snap: $0.0, revision: $0.1, result: .wouldRemove) })
        }
        guard !candidates.isEmpty else { return GarbageReport(entries: []) }
        let hold = try adapters.lock.acquire(wait: wait)
        defer { hold.release() }
        for (snap, revision) in candidates {
            switch removal(of: revision, of: snap, retain: retain) {
            case .success: entries.append(.init(snap: snap, revision: revision, result: .removed))
            case .failure(let why): entries.append(.init(snap: snap, revision: revision, result: .kept, why: why.message))
            }
        }
        return GarbageReport(entries: entries)
    }

    /// `refreshctl gc --watch`: collects, then waits for the processes that hold old revisions
    /// and collects again as each exits, until no old revision is held. The lock is taken only
    /// while collecting, so a refresh can run while the watch waits (for weeks, for a VM).
    /// - Parameters:
    ///   - retain: revisions kept per snap, the current one included.
    ///   - names: only these snaps; all when empty.
    ///   - rescan: how often to look again for processes that started holding an old revision.
    ///   - report: receives what each collection did (only when it did something).
    public func watch(
        retain: Int, names: [SnapName] = [], rescan: TimeSpan = .seconds(60), report: @Sendable (GarbageReport) -> Void
    ) async throws(RefreshCoreError) {
        while true {
            let collected = try collectGarbage(retain: retain, dryRun: false, names: names, wait: true)
            if !collected.entries.isEmpty { report(collected) }
            let host = adapters.readHost()
            let status = HostStatus(state: host.state, listing: host.listing, retain: retain, names: names)
            var holders = Set<Int32>()
            for snap in status.snaps {
                for entry in snap.revisions where entry.lifecycle == .inUse {
                    holders.formUnion(entry.processes)
                    holders.formUnion(entry.pinnedBy)
                }
            }
            if holders.isEmpty {
                // The last user may have exited between the collection and this look: collect
                // again what became collectable since, rather than stop with it left behind.
                let tried = Set(collected.entries.map { SnapRevision($0.snap, $0.revision) })
                let fresh = status.snaps.contains { snap in
                    snap.current != nil && snap.revisions.contains { $0.lifecycle == .collectable && !tried.contains(SnapRevision(snap.name, $0.revision)) }
                }
                if fresh { continue }
                return
            }
            var handles: [ProcessHandle] = []
            for process in host.state.processes where holders.contains(process.pid) {
                // Only waits: the handle tells when it exits; nothing is sent.
                if case .success(let handle) = adapters.signaller.open(process.identity) { handles.append(handle) }
            }
            let clock = adapters.clock
            let until = clock.now() + rescan
            while clock.now() < until, !handles.isEmpty, !handles.contains(where: adapters.signaller.hasExited) {
                await clock.wait(until: until, orExitOf: handles)
            }
            if handles.isEmpty { await clock.wait(until: min(until, clock.now() + .milliseconds(200)), orExitOf: []) }
            for handle in handles { adapters.signaller.close(handle) }
        }
    }
}

/// What `gc` did, or would do.
public struct GarbageReport: Sendable, Hashable {
    public struct Entry: Sendable, Hashable {
        public enum Result: String, Sendable, Hashable {
            case removed
            case wouldRemove = "would remove"
            case kept
        }

        public var snap: SnapName
        public var revision: Revision
        public var result: Result
        /// Why a revision was kept.
        public var why: String?

        public init(snap: SnapName, revision: Revision, result: Result, why: String? = nil) {
            self.snap = snap
            self.revision = revision
            self.result = result
            self.why = why
        }
    }

    public var entries: [Entry]

    public init(entries: [Entry]) { self.entries = entries }

    public func text() -> String {
        guard !entries.isEmpty else { return "nothing to collect\n" }
        return entries.map { entry in
            "\(entry.snap) revision \(entry.revision): \(entry.result.rawValue)" + (entry.why.map { " (\($0))" } ?? "")
        }.joined(separator: "\n") + "\n"
    }

    public func json() -> String {
        JSONValue.object([
            ("version", .int(1)),
            ("revisions", .array(entries.map { entry in
                var pairs: [(String, JSONValue)] = [
                    ("snap", .string(entry.snap.rawValue)), ("revision", .string(entry.revision.description)),
                    ("result", .string(entry.result.rawValue)),
                ]
                if let why = entry.why { pairs.append(("why", .string(why))) }
                return .object(pairs)
            })),
        ]).serialized() + "\n"
    }
}
