import RefreshCore
import RefreshIO
#if canImport(Glibc)
import Glibc
#endif

/// Carries out refreshes on a real host: lock, journal, stage, switch, act, collect.
///
/// Each snap's refresh walks a ``RefreshTransaction``; the journal is written before every step
/// so ``recover(policy:policyPath:)`` can undo a refresh that had not switched yet, or finish
/// one that had.
public struct RefreshExecutor: Sendable {
    public let layout: HostLayout
    public let store: FileSystemRevisionStore
    public let journal: LegacyJournal
    let progress: @Sendable (String) -> Void
    let systemd: Bool

    /// Testing only: the crash point at which to SIGKILL ourselves, from the environment
    /// variable `REFRESHCTL_TESTING_CRASH_AT` (see ``crashPoints``). Never set it otherwise.
    let crashAt: String?

    /// Every point at which the crash tests stop an apply: right after each journal write
    /// (`journal:PHASE`) and right after each step's effect (`done:PHASE`).
    public static let crashPoints = [
        "journal:staging", "done:staging", "journal:switching", "done:switching",
        "journal:acting", "done:acting", "journal:collecting", "done:collecting",
    ]

    /// - Parameters:
    ///   - progress: receives progress lines (waiting for processes); print them on stderr.
    public init(root: String, progress: @escaping @Sendable (String) -> Void = { _ in }) {
        layout = HostLayout(root: root)
        store = FileSystemRevisionStore(root: root)
        journal = LegacyJournal(layout: layout)
        self.progress = progress
        systemd = ServiceManager.systemdIsPID1
        crashAt = getenv("REFRESHCTL_TESTING_CRASH_AT").map { String(cString: $0) }
    }

    private func crashPoint(_ name: String) {
        if crashAt == name { raise(SIGKILL) }
    }

    // MARK: apply

    /// Plans `request` on the live host and carries the plan out.
    /// - Throws: ``RefreshCoreError``: `locked` when another refresh runs, `refreshFailed`
    ///   when an interrupted refresh waits for `recover`, `io` when a step fails.
    public func apply(
        request: RefreshRequest, policy: Policy, policyPath: String?, now: Timestamp, wait: Bool,
        operation: String = "apply"
    ) throws(RefreshCoreError) -> ApplyReport {
        let lock = try HostLock(layout: layout, wait: wait)
        defer { withExtendedLifetime(lock) {} }
        if try journal.read() != nil {
            throw RefreshCoreError(.refreshFailed, "an interrupted refresh is recorded in \(journal.path); run 'refreshctl recover' first")
        }
        let host = HostReader(store: store, inspector: ProcFileSystemInspector(root: layout.rootPath)).read()
        let planned = Planner.plan(state: host.state, request: request, policy: policy, now: now)
        let plan = systemd ? planned : planned.requiringRestartCommands()
        return try carryOut(plan, host: host, policyPath: policyPath, operation: operation)
    }

    /// Reverts `snap` to `revision`, or to the newest installed revision older than current:
    /// its own data directory, no copy; the reverted-from revision's processes are handled by
    /// the policy as in a refresh.
    public func revert(
        _ snap: SnapName, to revision: Revision?, policy: Policy, policyPath: String?, now: Timestamp, wait: Bool
    ) throws(RefreshCoreError) -> ApplyReport {
        let listing = store.list()
        guard let installed = listing.snaps.first(where: { $0.name == snap }), let current = installed.current else {
            throw RefreshCoreError(.invalidArgument, "cannot revert \(snap): it is not installed or has no current revision")
        }
        let target: Revision
        if let revision {
            guard installed.isInstalled(revision), revision != current else {
                throw RefreshCoreError(.invalidArgument, "cannot revert \(snap) to revision \(revision): installed revisions other than the current \(current) are: \(installed.revisions.map(\.revision).filter { $0 != current }.map(\.description).joined(separator: ", "))")
            }
            target = revision
        } else {
            guard let previous = installed.revisions.map(\.revision).filter({ $0 < current }).last else {
                throw RefreshCoreError(.invalidArgument, "cannot revert \(snap): no revision older than the current \(current) is installed")
            }
            target = previous
        }
        return try apply(request: RefreshRequest([.init(snap: snap, revision: target)]), policy: policy,
                         policyPath: policyPath, now: now, wait: wait, operation: "revert")
    }

    private func carryOut(_ plan: RefreshPlan, host: Host, policyPath: String?, operation: String) throws(RefreshCoreError) -> ApplyReport {
        var reports: [SnapName: ApplyReport.SnapReport] = [:]
        var moving: [SnapPlan] = []
        for snapPlan in plan.snaps {
            var report = ApplyReport.SnapReport(name: snapPlan.name, from: snapPlan.from, to: snapPlan.to, outcome: .refreshed, removed: [], kept: [])
            switch snapPlan.outcome {
            case .refresh:
                moving.append(snapPlan)
            case .postponed:
                report.outcome = .postponed
                if let postponement = snapPlan.postponement {
                    try recordPostponement(snapPlan.name, since: postponement.since)
                    report.message = "until \(postponement.deadline) at the latest"
                }
            case .upToDate: report.outcome = .upToDate
            case .error:
                report.outcome = .error
                report.message = snapPlan.error
            }
            reports[snapPlan.name] = report
        }
        var record = LegacyJournalRecord(operation: operation, phase: .staging, policy: policyPath, snaps: moving.map { snapPlan in
            LegacyJournalRecord.SnapEntry(
                name: snapPlan.name.rawValue, from: snapPlan.from!.description, to: snapPlan.to!.description, state: .planned,
                targetWasMounted: store.isMounted(snapPlan.name, snapPlan.to!),
                dataExisted: pathExists(layout.dataDirectory(snapPlan.name, snapPlan.to!)),
                remove: snapPlan.remove.map(\.description))
        })
        guard !moving.isEmpty else {
            return ApplyReport(operation: operation, snaps: reports.values.sorted { $0.name < $1.name }, processes: [], warnings: plan.warnings)
        }
        var transactions = Dictionary(uniqueKeysWithValues: moving.map { ($0.name, RefreshTransaction()) })

        // Stage: mount the targets, copy the data.
        try journal.write(record)
        crashPoint("journal:staging")
        for snapPlan in moving {
            do {
                try stage(snapPlan)
                _ = try? transactions[snapPlan.name]!.handle(.staged)
            } catch {
                try undoStaging(snapPlan.name, entry: record.snaps.first { $0.name == snapPlan.name.rawValue }!)
                _ = try? transactions[snapPlan.name]!.handle(.abort(error.message))
                reports[snapPlan.name]!.outcome = .rolledBack
                reports[snapPlan.name]!.message = error.message
            }
        }
        crashPoint("done:staging")
        let staged = moving.filter { transactions[$0.name]!.state == .staged }

        // Switch.
        record.phase = .switching
        sync(&record, transactions)
        try journal.write(record)
        crashPoint("journal:switching")
        for snapPlan in staged {
            try store.switchCurrent(snapPlan.name, to: snapPlan.to!)
            _ = try? transactions[snapPlan.name]!.handle(.switched)
        }
        crashPoint("done:switching")

        // Act on every process at once.
        record.phase = .acting
        sync(&record, transactions)
        try journal.write(record)
        crashPoint("journal:acting")
        for snapPlan in staged { _ = try? transactions[snapPlan.name]!.handle(.actingStarted) }
        let actions = ProcessActions(progress: progress, systemd: systemd, layout: layout)
        let results = actions.carryOut(staged.flatMap(\.processes))
        let aborting = Set(results.filter(\.aborts).map(\.identity.pid))
        for snapPlan in staged {
            if let culprit = snapPlan.processes.first(where: { aborting.contains($0.identity.pid) }) {
                let reason = "\(culprit.appLabel) (pid \(culprit.identity.pid)) did not exit within \(culprit.timeout?.description ?? "its timeout") and its policy says then: abort"
                try store.switchCurrent(snapPlan.name, to: snapPlan.from!)
                _ = try? transactions[snapPlan.name]!.handle(.abort(reason))
                reports[snapPlan.name]!.outcome = .rolledBack
                reports[snapPlan.name]!.message = reason + "; current is back at \(snapPlan.from!)"
            } else {
                _ = try? transactions[snapPlan.name]!.handle(.settled)
            }
        }
        crashPoint("done:acting")

        // Collect what the plan removes, re-checked against a fresh scan.
        record.phase = .collecting
        sync(&record, transactions)
        try journal.write(record)
        crashPoint("journal:collecting")
        let settled = staged.filter { transactions[$0.name]!.state == .settled }
        let collection = GarbageCollector(store: store, layout: layout)
        for snapPlan in settled {
            let outcome = collection.remove(snapPlan.remove, of: snapPlan.name)
            reports[snapPlan.name]!.removed = outcome.removed
            reports[snapPlan.name]!.kept = snapPlan.keep + outcome.kept
            _ = try? transactions[snapPlan.name]!.handle(.collected)
            clearPostponement(snapPlan.name)
        }
        crashPoint("done:collecting")
        journal.remove()
        return ApplyReport(operation: operation, snaps: reports.values.sorted { $0.name < $1.name }, processes: results, warnings: plan.warnings)
    }

    private func sync(_ record: inout LegacyJournalRecord, _ transactions: [SnapName: RefreshTransaction]) {
        for index in record.snaps.indices {
            if let name = SnapName(record.snaps[index].name), let transaction = transactions[name] {
                record.snaps[index].state = transaction.state
            }
        }
    }

    private func stage(_ snapPlan: SnapPlan) throws(RefreshCoreError) {
        let name = snapPlan.name, target = snapPlan.to!
        if pathExists(layout.image(name, target)) { try store.mount(name, target) }
        try store.copyData(name, from: snapPlan.from!, to: target)
    }

    /// Undoes staging: unmounts what this refresh mounted, removes the data directory it created.
    private func undoStaging(_ name: SnapName, entry: LegacyJournalRecord.SnapEntry) throws(RefreshCoreError) {
        guard let target = Revision(entry.to) else { return }
        if !entry.targetWasMounted, store.isMounted(name, target) { try store.unmount(name, target) }
        if !entry.dataExisted { try store.removeCreatedData(name, target) }
    }

    private func pathExists(_ path: String) -> Bool {
        if case .success = Syscall.lstat(path) { return true }
        return false
    }

    private func recordPostponement(_ name: SnapName, since: Timestamp) throws(RefreshCoreError) {
        let path = layout.postponementRecord(name)
        if pathExists(path) { return }
        try HostLock.makeStateDirectory(layout)
        _ = Syscall.makeDirectory(layout.stateDirectory + "/postponed")
        guard case .success(let fd) = Syscall.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, mode: 0o644) else {
            throw RefreshCoreError(.io, "cannot record the postponement in \(path): \(SystemCallError("open", errno: errno))")
        }
        let text = "\(since)\n"
        _ = text.withCString { write(fd, $0, strlen($0)) }
        fsync(fd)
        Syscall.close(fd)
    }

    private func clearPostponement(_ name: SnapName) {
        unlink(layout.postponementRecord(name))
    }

    // MARK: recover

    /// Finishes or rolls back an interrupted apply from its journal. Running it twice is harmless.
    /// - Returns: `nil` when there was nothing to recover.
    public func recover(policy: Policy?, now: Timestamp, wait: Bool) throws(RefreshCoreError) -> ApplyReport? {
        let lock = try HostLock(layout: layout, wait: wait)
        defer { withExtendedLifetime(lock) {} }
        guard let record = try journal.read() else { return nil }
        var snaps: [ApplyReport.SnapReport] = []
        var results: [ProcessResult] = []
        var warnings: [String] = []
        if record.phase == .planned || record.phase == .staging {
            // Nothing was switched: undo what staging did.
            for entry in record.snaps {
                guard let name = SnapName(entry.name) else { continue }
                try undoStaging(name, entry: entry)
                snaps.append(.init(name: name, from: Revision(entry.from), to: Revision(entry.to), outcome: .rolledBack,
                                   message: "the interrupted \(record.operation) had not switched yet; what it staged is undone", removed: [], kept: []))
            }
        } else {
            // Switched (or switching): finish. Re-plan the processes still there as a move from
            // the old revision to the new one, act, collect.
            var usedPolicy = policy
            if usedPolicy == nil, let path = record.policy { usedPolicy = try Policy(contentsOf: path) }
            let host = HostReader(store: store, inspector: ProcFileSystemInspector(root: layout.rootPath)).read()
            var state = host.state
            var items: [RefreshRequest.Item] = []
            var rolledBack = Set<SnapName>()
            for entry in record.snaps {
                guard let name = SnapName(entry.name), let from = Revision(entry.from), let to = Revision(entry.to) else { continue }
                if entry.state == .rolledBack {
                    // It had been rolled back (then: abort): make sure current is back.
                    try store.switchCurrent(name, to: from)
                    rolledBack.insert(name)
                    snaps.append(.init(name: name, from: from, to: to, outcome: .rolledBack, message: "the interrupted \(record.operation) had rolled it back", removed: [], kept: []))
                    continue
                }
                try store.switchCurrent(name, to: to)
                state.snaps[name]?.current = from  // plan the move again, from the old revision
                items.append(.init(snap: name, revision: to))
            }
            let plan = Planner.plan(state: state, request: RefreshRequest(items), policy: usedPolicy ?? .builtIn, now: now)
            warnings = plan.warnings
            let actions = ProcessActions(progress: progress, systemd: systemd, layout: layout)
            results = actions.carryOut(plan.snaps.filter { $0.outcome == .refresh || $0.outcome == .postponed }.flatMap(\.processes)
                .map { decision in
                    // A postponement that was already past makes no sense now that current has moved.
                    var d = decision
                    if d.action == .postpone { d.action = .leaveRunning }
                    return d
                })
            let collection = GarbageCollector(store: store, layout: layout)
            for snapPlan in plan.snaps where !rolledBack.contains(snapPlan.name) {
                let outcome = collection.remove(snapPlan.remove, of: snapPlan.name)
                snaps.append(.init(name: snapPlan.name, from: snapPlan.from, to: snapPlan.to, outcome: .refreshed,
                                   message: "finished the interrupted \(record.operation)", removed: outcome.removed, kept: snapPlan.keep + outcome.kept))
                clearPostponement(snapPlan.name)
            }
        }
        journal.remove()
        return ApplyReport(operation: "recover", snaps: snaps.sorted { $0.name < $1.name }, processes: results, warnings: warnings)
    }
}
