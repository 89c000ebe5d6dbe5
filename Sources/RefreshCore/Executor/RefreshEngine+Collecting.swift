/// Collecting old revisions: never the current one, never one a live process runs from, maps,
/// pins or uses — each checked against a fresh look at the host right before it goes.
extension RefreshEngine {
    /// Removes those of `candidates` that a fresh look, taken right before each removal, shows
    /// are neither current nor in use; the lifecycle machine decides. The data directories of
    /// each removed revision go with it unless `policy` keeps them.
    func collect(_ candidates: [Revision], of snap: SnapName, policy: Policy) -> (removed: [Revision], kept: [KeptRevision], data: [DataOutcome]) {
        var removed: [Revision] = []
        var kept: [KeptRevision] = []
        var data: [DataOutcome] = []
        for revision in candidates {
            switch removal(of: revision, of: snap, retain: 1, policy: policy) {
            case .success(let outcome):
                removed.append(revision)
                if let outcome { data.append(outcome) }
            case .failure(let why): kept.append(KeptRevision(revision: revision, why: why.message))
            }
        }
        return (removed, kept, data)
    }

    /// Removes one revision if, looking at the host now, nothing keeps it, then its data
    /// directories (unless the policy keeps them); `nil` data when it had none.
    private func removal(of revision: Revision, of snap: SnapName, retain: Int, policy: Policy) -> Result<DataOutcome?, RefreshCoreError> {
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
        return .success(data(of: revision, of: snap, policy: policy, dryRun: false))
    }

    /// Removes (or, dry, looks at) the data directories of a collected revision, unless the
    /// policy keeps them; `nil` when it has none.
    func data(of revision: Revision, of snap: SnapName, policy: Policy, dryRun: Bool) -> DataOutcome? {
        let keeping = policy.keepsData(snap)
        let leftAt = adapters.records.leftAt(snap, revision)
        if keeping.keep {
            let found = adapters.store.removeData(snap, revision, writtenSince: nil, dryRun: true)
            guard !found.directories.isEmpty || !found.problems.isEmpty else { return nil }
            return DataOutcome(revision: revision, keptBy: keeping.source, removal: found, leftAt: leftAt, dryRun: dryRun)
        }
        let removal = adapters.store.removeData(snap, revision, writtenSince: leftAt, dryRun: dryRun)
        if !dryRun, removal.problems.isEmpty { adapters.records.forgetLeaving(snap, revision) }
        guard !removal.directories.isEmpty || !removal.problems.isEmpty else { return nil }
        return DataOutcome(revision: revision, keptBy: nil, removal: removal, leftAt: leftAt, dryRun: dryRun)
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
    ///   - policy: whose `keep-data` says whether a collected revision's data directories stay.
    ///   - leftBehind: also remove the data directories of revisions that are no longer installed
    ///     (left behind before gc removed data with its revisions), unless the policy keeps them.
    public func collectGarbage(
        retain: Int, dryRun: Bool, names: [SnapName] = [], wait: Bool, policy: Policy = .builtIn, leftBehind: Bool = true
    ) throws(RefreshCoreError) -> GarbageReport {
        let host = adapters.readHost()
        let status = HostStatus(state: host.state, listing: host.listing, retain: retain, names: names)
        var entries: [GarbageReport.Entry] = []
        // A snap whose `current` cannot be read keeps every revision: what it names is unknown.
        let candidates = status.snaps.filter { $0.current != nil }.flatMap { snap in
            snap.revisions.filter { $0.lifecycle == .collectable }.map { (snap.name, $0.revision) }
        }
        let orphans = leftBehind ? dataLeftBehind(host.listing, names: names, policy: policy) : []
        if dryRun {
            return GarbageReport(entries: candidates.map { snap, revision in
                GarbageReport.Entry(
                    snap: snap, revision: revision, result: .wouldRemove,
                    data: data(of: revision, of: snap, policy: policy, dryRun: true))
            } + orphans.map { snap, revision in
                GarbageReport.Entry(snap: snap, revision: revision, result: .wouldRemoveData, data: data(of: revision, of: snap, policy: policy, dryRun: true))
            })
        }
        guard !candidates.isEmpty || !orphans.isEmpty else { return GarbageReport(entries: []) }
        let hold = try adapters.lock.acquire(wait: wait)
        defer { hold.release() }
        for (snap, revision) in candidates {
            switch removal(of: revision, of: snap, retain: retain, policy: policy) {
            case .success(let data): entries.append(.init(snap: snap, revision: revision, result: .removed, data: data))
            case .failure(let why): entries.append(.init(snap: snap, revision: revision, result: .kept, why: why.message))
            }
        }
        for (snap, revision) in orphans {
            // Re-checked under the lock: a refresh may have staged it meanwhile.
            guard adapters.store.dataLeftBehind(snap).contains(revision) else { continue }
            entries.append(.init(snap: snap, revision: revision, result: .removedData, data: data(of: revision, of: snap, policy: policy, dryRun: false)))
        }
        return GarbageReport(entries: entries)
    }

    /// Revisions of installed snaps that are not installed (no revision directory, no image) but
    /// still have data directories, where the policy does not keep data. Sorted.
    private func dataLeftBehind(_ listing: StoreListing, names: [SnapName], policy: Policy) -> [(SnapName, Revision)] {
        var found: [(SnapName, Revision)] = []
        for snap in listing.snaps where names.isEmpty || names.contains(snap.name) {
            guard !policy.keepsData(snap.name).keep else { continue }
            for revision in adapters.store.dataLeftBehind(snap.name) { found.append((snap.name, revision)) }
        }
        return found
    }

    /// `refreshctl gc --watch`: collects, then waits for the processes that hold old revisions
    /// and collects again as each exits, until no old revision is held. The lock is taken only
    /// while collecting, so a refresh can run while the watch waits (for weeks, for a VM).
    /// - Parameters:
    ///   - retain: revisions kept per snap, the current one included.
    ///   - names: only these snaps; all when empty.
    ///   - rescan: how often to look again for processes that started holding an old revision.
    ///   - policy: whose `keep-data` says whether a collected revision's data directories stay.
    ///   - report: receives what each collection did (only when it did something).
    public func watch(
        retain: Int, names: [SnapName] = [], rescan: TimeSpan = .seconds(60), policy: Policy = .builtIn,
        report: @Sendable (GarbageReport) -> Void
    ) async throws(RefreshCoreError) {
        var first = true
        while true {
            // Data left behind by revisions no longer installed is collected once, not at every pass.
            let collected = try collectGarbage(retain: retain, dryRun: false, names: names, wait: true, policy: policy, leftBehind: first)
            first = false
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
        public enum Result: String, Sendable, Hashable, CaseIterable {
            case removed
            case wouldRemove = "would remove"
            case kept
            /// The revision was no longer installed; only its data directories were left.
            case removedData = "not installed: removed its data"
            case wouldRemoveData = "not installed: would remove its data"
        }

        public var snap: SnapName
        public var revision: Revision
        public var result: Result
        /// Why a revision was kept.
        public var why: String?
        /// What became (or would become) of a removed revision's data directories.
        public var data: DataOutcome?

        public init(snap: SnapName, revision: Revision, result: Result, why: String? = nil, data: DataOutcome? = nil) {
            self.snap = snap
            self.revision = revision
            self.result = result
            self.why = why
            self.data = data
        }
    }

    public var entries: [Entry]

    public init(entries: [Entry]) { self.entries = entries }

    public func text() -> String {
        guard !entries.isEmpty else { return "nothing to collect\n" }
        var lines: [String] = []
        for entry in entries {
            let why: String = entry.why.map { " (\($0))" } ?? ""
            lines.append("\(entry.snap) revision \(entry.revision): \(entry.result.rawValue)\(why)")
            for line in entry.data?.lines() ?? [] { lines.append("  " + line) }
        }
        return lines.joined(separator: "\n") + "\n"
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
                if let data = entry.data { pairs.append(("data", data.json())) }
                return .object(pairs)
            })),
        ]).serialized() + "\n"
    }
}

/// What became of a collected revision's data directories (`var/snap/NAME/REV` and every
/// user's `snap/NAME/REV`): removed with it, or kept by the policy, and what a process of the
/// old revision wrote there after it stopped being current.
public struct DataOutcome: Sendable, Hashable {
    public var revision: Revision
    /// Where the policy keeps them (`policy.yaml:4: rule 1 (snap: vlc) keep-data: true`); `nil`
    /// when they go.
    public var keptBy: String?
    /// The directories that went (or stay, or would go), the late writes, what stays and why.
    public var removal: DataRemoval
    /// When the revision stopped being current, as the engine recorded it; `nil` when unknown
    /// (it was left before refreshctl kept that time, or by another tool).
    public var leftAt: Timestamp?
    /// Only looked at (`gc --dry-run`).
    public var dryRun: Bool

    public init(revision: Revision, keptBy: String?, removal: DataRemoval, leftAt: Timestamp?, dryRun: Bool = false) {
        self.revision = revision
        self.keptBy = keptBy
        self.removal = removal
        self.leftAt = leftAt
        self.dryRun = dryRun
    }

    /// The report's lines, without indentation.
    public func lines() -> [String] {
        var lines: [String] = []
        let directories = removal.directories.joined(separator: ", ")
        if let keptBy {
            if !directories.isEmpty { lines.append("data kept (\(keptBy)): \(directories)") }
        } else {
            if !directories.isEmpty { lines.append("data \(dryRun ? "would be removed" : "removed"): \(directories)") }
            if let leftAt, removal.lateWriteCount > 0 {
                let count = removal.lateWriteCount
                lines.append("written after revision \(revision) stopped being current (\(leftAt)), \(count) file\(count == 1 ? "" : "s")\(dryRun ? " that would go" : ", gone with it"):")
                lines += removal.lateWrites.map { "  " + $0 }
                if count > removal.lateWrites.count { lines.append("  ... and \(count - removal.lateWrites.count) more") }
            } else if leftAt == nil, !directories.isEmpty {
                lines.append("when revision \(revision) stopped being current is not recorded, so what was written there since cannot be told")
            }
        }
        lines += removal.problems.map { "data kept: \($0)" }
        return lines
    }

    package func json() -> JSONValue {
        var pairs: [(String, JSONValue)] = [
            ("revision", .string(revision.description)),
            ("kept", .bool(keptBy != nil)),
        ]
        if let keptBy { pairs.append(("kept-by", .string(keptBy))) }
        pairs.append(("directories", .array(removal.directories.map { .string($0) })))
        pairs.append(("left-at", leftAt.map { .string($0.description) } ?? .null))
        pairs.append(("late-writes", .array(removal.lateWrites.map { .string($0) })))
        pairs.append(("late-write-count", .int(Int64(removal.lateWriteCount))))
        pairs.append(("problems", .array(removal.problems.map { .string($0) })))
        return .object(pairs)
    }
}
