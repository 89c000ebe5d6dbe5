/// Carries out refreshes: lock, journal, stage, switch, act, collect — `apply`, `revert`,
/// `recover`, `gc`.
///
/// The engine is a shell around three state machines: each snap's ``RefreshTransaction``, each
/// service's or process's ``ShutdownMachine``, and each old revision's ``RevisionLifecycle``.
/// It feeds them what happened and carries out the action they return; an illegal transition
/// stops the refresh, leaving the journal for `recover`. Everything it touches goes through
/// ``HostAdapters``, so it runs against a real host (RefreshHost) or a fake one (RefreshFakes).
public struct RefreshEngine: Sendable {
    public let adapters: HostAdapters
    let progress: @Sendable (String) -> Void
    /// Tests only: called at every crash point (``crashPoints``); a simulated crash throws
    /// ``RefreshCoreError/Code/simulatedCrash`` from there, a real one kills the process.
    package var crashHook: (@Sendable (String) throws(RefreshCoreError) -> Void)?

    /// Every point at which the crash tests stop an apply: right after each journal write
    /// (`journal:PHASE`), right after each step's effect (`done:PHASE`), and right after a
    /// shutdown's new state is journalled (`work:STATE`; `work:restarting`: stopped, not yet
    /// started again).
    package static let crashPoints = [
        "journal:staging", "done:staging", "journal:switching", "done:switching",
        "journal:acting", "work:restarting", "done:acting", "journal:collecting", "done:collecting",
    ]

    /// - Parameters:
    ///   - adapters: what the engine acts through.
    ///   - progress: receives progress lines ("waiting for vlc.vlc (pid 42) to exit, 12s left");
    ///     print them on stderr.
    public init(adapters: HostAdapters, progress: @escaping @Sendable (String) -> Void = { _ in }) {
        self.adapters = adapters
        self.progress = progress
    }

    func crashPoint(_ name: String) throws(RefreshCoreError) {
        try crashHook?(name)
    }

    // MARK: apply and revert

    /// Plans `request` on the host as it is now and carries the plan out.
    /// - Parameters:
    ///   - request: which snaps to refresh, and to which revision.
    ///   - policy: the policy, with where it came from (journalled for `recover`).
    ///   - wait: wait for another refresh to finish instead of failing with `locked`.
    /// - Returns: what happened to every snap, service and process.
    /// - Throws: ``RefreshCoreError``: `locked` when another refresh holds the lock,
    ///   `refreshFailed` when an interrupted refresh waits for `recover` or a step failed
    ///   (the journal then says how far it got), `invalidInput` for an unreadable journal.
    public func apply(_ request: RefreshRequest, policy: LoadedPolicy, wait: Bool) async throws(RefreshCoreError) -> ApplyReport {
        let hold = try adapters.lock.acquire(wait: wait)
        defer { hold.release() }
        return try await applyHoldingLock(request, policy: policy, operation: "apply")
    }

    /// Reverts `snap` to `revision`, or to the newest installed revision older than current:
    /// its own data directory, no copy; the reverted-from revision's processes are handled by
    /// the policy as in a refresh.
    public func revert(_ snap: SnapName, to revision: Revision?, policy: LoadedPolicy, wait: Bool) async throws(RefreshCoreError) -> ApplyReport {
        let hold = try adapters.lock.acquire(wait: wait)
        defer { hold.release() }
        let listing = adapters.store.list()
        guard let installed = listing.snaps.first(where: { $0.name == snap }), let current = installed.current else {
            throw RefreshCoreError(.invalidArgument, "cannot revert \(snap): it is not installed or has no current revision")
        }
        let others = installed.revisions.map(\.revision).filter { $0 != current }
        let target: Revision
        if let revision {
            guard others.contains(revision) else {
                let list = others.isEmpty ? "none" : others.map(\.description).joined(separator: ", ")
                throw RefreshCoreError(.invalidArgument, "cannot revert \(snap) to revision \(revision): installed revisions other than the current \(current) are: \(list)")
            }
            target = revision
        } else {
            guard let previous = others.filter({ $0 < current }).last else {
                throw RefreshCoreError(.invalidArgument, "cannot revert \(snap): no revision older than the current \(current) is installed")
            }
            target = previous
        }
        return try await applyHoldingLock(RefreshRequest([.init(snap: snap, revision: target)]), policy: policy, operation: "revert")
    }

    /// The plan the engine would carry out now: the live host, planned, with what the host
    /// cannot do (a restart without a service manager or a restart-command) as errors.
    /// Each service's main process is the service manager's (systemd's `MainPID`) where one
    /// runs; the plan says which service manager it assumed.
    /// - Parameters:
    ///   - request: which snaps to refresh, and to which revision.
    ///   - policy: the policy to plan with.
    /// - Returns: the plan, and the host as read for it.
    public func plan(_ request: RefreshRequest, policy: Policy) async -> (plan: RefreshPlan, host: Host) {
        let host = await adapters.readHostAndServices()
        let plan = Planner.plan(state: host.state, request: request, policy: policy, now: adapters.clock.wallTime())
            .assuming(serviceManager: adapters.serviceManager?.name, knownUnits: Set(host.services.keys))
        return (plan, host)
    }

    private func applyHoldingLock(_ request: RefreshRequest, policy: LoadedPolicy, operation: String) async throws(RefreshCoreError) -> ApplyReport {
        if try adapters.journal.read() != nil {
            throw RefreshCoreError(.refreshFailed, "an interrupted refresh is recorded in \(adapters.journal.location); run 'refreshctl recover' first")
        }
        // Every name and revision is checked before anything happens: one bad one changes nothing.
        let listing = adapters.store.list()
        var invalid: [String] = []
        var request = request
        var notes: [SnapName: String] = [:]
        for index in request.items.indices {
            let item = request.items[index]
            guard let snap = listing.snaps.first(where: { $0.name == item.snap }) else {
                invalid.append("snap '\(item.snap)' is not installed")
                continue
            }
            if let wanted = item.revision {
                if !snap.isInstalled(wanted) {
                    let list = snap.revisions.map(\.revision.description).joined(separator: ", ")
                    invalid.append("revision \(wanted) of '\(item.snap)' is not installed (installed: \(list.isEmpty ? "none" : list))")
                }
            } else if operation == "apply", let current = snap.current {
                // As snapd: a revision the snap was reverted from is not refreshed to again
                // unless it is named.
                let reverted = adapters.records.revertedFrom(item.snap)
                guard let newest = snap.staged.last, reverted.contains(newest) else { continue }
                let allowed = snap.staged.filter { !reverted.contains($0) }
                request.items[index].revision = allowed.last ?? current
                if allowed.isEmpty {
                    notes[item.snap] = "revision \(newest) was reverted from, so it is not refreshed to again unless named: \(item.snap)=\(newest)"
                }
            }
        }
        if !invalid.isEmpty {
            throw RefreshCoreError(.invalidArgument, "nothing was changed: \(invalid.joined(separator: "; ")); stage the revision first or name an installed one")
        }
        let (plan, _) = await self.plan(request, policy: policy.policy)
        var report = ApplyReport(operation: operation, snaps: [], processes: [], warnings: plan.warnings)
        report.serviceManager = adapters.serviceManagerName
        var runs: [SnapRun] = []
        for snapPlan in plan.snaps {
            var snapReport = ApplyReport.SnapReport(name: snapPlan.name, from: snapPlan.from, to: snapPlan.to, outcome: .refreshed, removed: [], kept: [])
            switch snapPlan.outcome {
            case .refresh:
                guard let from = snapPlan.from, let to = snapPlan.to else {
                    snapReport.outcome = .error
                    snapReport.message = "the plan has no revision to move from or to"
                    break
                }
                let entry = JournalRecord.SnapEntry(
                    name: snapPlan.name, from: from, to: to, state: .planned,
                    targetWasMounted: adapters.store.isMounted(snapPlan.name, to),
                    dataExisted: adapters.store.hasData(snapPlan.name, to), remove: snapPlan.remove,
                    userDataExisted: adapters.store.userDataHomes(snapPlan.name, to))
                runs.append(SnapRun(entry: entry, plan: snapPlan, report: snapReport))
                continue
            case .postponed:
                snapReport.outcome = .postponed
                if let postponement = snapPlan.postponement {
                    try adapters.records.recordPostponement(snapPlan.name, since: postponement.since)
                    snapReport.message = "until \(postponement.deadline) at the latest"
                }
            case .held:
                snapReport.outcome = .held
                snapReport.message = snapPlan.hold?.summary
            case .upToDate:
                snapReport.outcome = .upToDate
                snapReport.message = notes[snapPlan.name]
            case .error:
                snapReport.outcome = .error
                snapReport.message = snapPlan.error
            }
            report.snaps.append(snapReport)
        }
        guard !runs.isEmpty else {
            report.snaps.sort { $0.name < $1.name }
            return report
        }
        for index in runs.indices { try runs[index].feed(.start) }
        var record = JournalRecord(
            operation: operation, phase: .staging, policy: policy.source, started: adapters.clock.wallTime(),
            snaps: runs.map(\.entry))
        try await drive(&runs, record: &record, policy: policy.policy, report: &report, recovering: false)
        return report
    }

    // MARK: recover

    /// Finishes or rolls back an interrupted apply or revert from its journal: before the
    /// switch it undoes what staging did; after it, it acts on the processes still on the old
    /// revision (re-planned now) and collects. Running it twice is harmless.
    /// - Parameters:
    ///   - policy: the policy the journal names, loaded by the caller; its digest must match
    ///     the journal's, or nothing is done.
    ///   - wait: wait for another refresh to finish instead of failing with `locked`.
    /// - Returns: `nil` when there was nothing to recover.
    public func recover(policy: LoadedPolicy, wait: Bool) async throws(RefreshCoreError) -> ApplyReport? {
        let hold = try adapters.lock.acquire(wait: wait)
        defer { hold.release() }
        guard var record = try adapters.journal.read() else { return nil }
        if record.policy != policy.source {
            throw RefreshCoreError(.invalidInput, RefreshEngine.policyMismatch(journal: record.policy, given: policy.source, location: adapters.journal.location))
        }
        let switchBegun = record.phase != .staging
        var runs = record.snaps.map { entry in
            SnapRun(entry: entry, plan: nil, report: ApplyReport.SnapReport(name: entry.name, from: entry.from, to: entry.to, outcome: .refreshed, removed: [], kept: []))
        }
        for index in runs.indices {
            runs[index].machine = RefreshTransaction(state: runs[index].entry.state)
            if runs[index].machine.state.isTerminal && runs[index].machine.state != .rolledBack { continue }
            try runs[index].feed(.recover(switchBegun: switchBegun))
        }
        var report = ApplyReport(operation: "recover", snaps: [], processes: [], warnings: [])
        report.serviceManager = adapters.serviceManagerName
        try await drive(&runs, record: &record, policy: policy.policy, report: &report, recovering: true)
        return report
    }

    static func policyMismatch(journal: PolicySource?, given: PolicySource?, location: String) -> String {
        switch (journal, given) {
        case (let journalled?, nil):
            return "the interrupted refresh in \(location) was planned with the policy \(journalled.path); run 'refreshctl recover --policy \(journalled.path)'"
        case (nil, let given?):
            return "the interrupted refresh in \(location) was planned with the built-in policy, not \(given.path); run 'refreshctl recover' without --policy"
        case (let journalled?, let given?) where journalled.path != given.path:
            return "the interrupted refresh in \(location) was planned with the policy \(journalled.path), not \(given.path); run 'refreshctl recover --policy \(journalled.path)'"
        case (let journalled?, _):
            return "the policy \(journalled.path) changed since the interrupted refresh was planned (its digest was \(journalled.digest)); put the policy back as it was, or inspect the host and remove \(location) by hand"
        default:
            return "the policy does not match the journal \(location)"
        }
    }

    // MARK: driving the transactions

    /// One snap's refresh: its journal entry, its plan, its machine and the step it asked for.
    struct SnapRun {
        var entry: JournalRecord.SnapEntry
        var plan: SnapPlan?
        var report: ApplyReport.SnapReport
        var machine = RefreshTransaction()
        /// What the machine asked for last; `nil` once there is nothing left to do.
        var next: RefreshTransaction.Action?

        init(entry: JournalRecord.SnapEntry, plan: SnapPlan?, report: ApplyReport.SnapReport) {
            self.entry = entry
            self.plan = plan
            self.report = report
        }

        var name: SnapName { entry.name }

        /// Feeds `event`; the returned action is the next step. An illegal transition stops
        /// the refresh: the journal stays for `recover`.
        mutating func feed(_ event: RefreshTransaction.Event) throws(RefreshCoreError) {
            do {
                next = try machine.handle(event)
            } catch {
                throw RefreshCoreError(.refreshFailed, "\(entry.name): \(error); the refresh stopped here and its journal stays for 'refreshctl recover'", underlying: error)
            }
            entry.state = machine.state
        }
    }

    private func write(_ record: inout JournalRecord, _ runs: [SnapRun], phase: JournalRecord.Phase) throws(RefreshCoreError) {
        record.phase = phase
        record.snaps = runs.map(\.entry)
        try adapters.journal.write(record)
    }

    /// Walks every snap's machine to the end: stage, switch, act, collect, or the rollback the
    /// machine asks for. Used by apply (from `planned`) and recover (from the journalled states).
    private func drive(
        _ runs: inout [SnapRun], record: inout JournalRecord, policy: Policy, report: inout ApplyReport, recovering: Bool
    ) async throws(RefreshCoreError) {
        // Stage (or undo staging).
        try write(&record, runs, phase: .staging)
        try crashPoint("journal:staging")
        for index in runs.indices {
            switch runs[index].next {
            case .stage?:
                let staged: Result<DataCopyOutcome, RefreshCoreError>
                do {
                    staged = .success(try stage(runs[index].entry))
                } catch where error.code != .simulatedCrash {
                    staged = .failure(error)
                }
                switch staged {
                case .success(let copy):
                    if !copy.vanished.isEmpty {
                        report.warnings.append("\(runs[index].name): \(copy.vanished.count) file\(copy.vanished.count == 1 ? "" : "s") vanished from the data directory while it was copied: \(copy.vanished.joined(separator: ", "))")
                    }
                    report.warnings += copy.notes.map { "\(runs[index].name): \($0)" }
                    try runs[index].feed(.staged)
                case .failure(let error):
                    try runs[index].feed(.abort(error.message))
                    runs[index].report.message = error.message
                }
            default:
                break
            }
            if case .undoStaging(let reason)? = runs[index].next {
                try undoStaging(runs[index].entry)
                runs[index].report.outcome = .rolledBack
                runs[index].report.message = runs[index].report.message ?? reason
                runs[index].next = nil
            }
        }
        try crashPoint("done:staging")

        // Switch.
        try write(&record, runs, phase: .switching)
        try crashPoint("journal:switching")
        for index in runs.indices where runs[index].next == .switchCurrent {
            recordLeaving(runs[index].name, runs[index].entry.from, report: &report)
            let notes = try adapters.store.switchCurrent(runs[index].name, to: runs[index].entry.to)
            report.warnings += notes.map { "\(runs[index].name): \($0)" }
            try runs[index].feed(.switched)
        }
        try crashPoint("done:switching")

        // Act on every process of every switched snap at once.
        try write(&record, runs, phase: .acting)
        try crashPoint("journal:acting")
        for index in runs.indices where runs[index].next == .actOnProcesses {
            try runs[index].feed(.actingStarted)
        }
        let acting = runs.indices.filter { runs[$0].next == .waitForProcesses }
        // Restarts a crash interrupted after the stop: their processes are gone, so a new plan
        // does not see them; they are started again below unless acted on now.
        var interrupted = recovering ? record.work.filter { $0.restart != nil && $0.state != "done" } : []
        var held: [WorkItem] = []
        if !acting.isEmpty {
            if recovering { try await replan(&runs, acting, policy: policy, report: &report) }
            let outcome = try await act(on: acting.compactMap { runs[$0].plan }, record: &record, runs: runs)
            report.processes += outcome.processes
            report.services += outcome.services
            interrupted.removeAll { outcome.keys.contains($0.key) }
            held = outcome.held
            for index in acting {
                let name = runs[index].name
                if let culprit = outcome.aborting[name] {
                    try runs[index].feed(.abort(culprit))
                } else {
                    try runs[index].feed(.settled)
                }
            }
        }
        for index in runs.indices {
            if case .switchBack(let reason)? = runs[index].next {
                recordLeaving(runs[index].name, runs[index].entry.to, report: &report)
                let notes = try adapters.store.switchCurrent(runs[index].name, to: runs[index].entry.from)
                report.warnings += notes.map { "\(runs[index].name): \($0)" }
                runs[index].report.outcome = .rolledBack
                runs[index].report.message = "\(reason); current is back at \(runs[index].entry.from)"
                runs[index].entry.reason = reason
                runs[index].next = nil
            }
        }
        // The restarts an abort held back, and those a crash interrupted, start now: from the
        // revision current again where the refresh was rolled back.
        var currentAgain: [SnapName: Revision] = [:]
        for run in runs where run.machine.state == .rolledBack { currentAgain[run.name] = run.entry.from }
        if !held.isEmpty {
            let outcome = try await finishHeldRestarts(held, record: &record, currentAgain: currentAgain)
            report.processes += outcome.processes
            report.services += outcome.services
        }
        for entry in interrupted {
            guard var restart = entry.restart else { continue }
            if let revision = currentAgain[restart.snap] { restart.revision = revision }
            report.services.append(await finishRestart(restart, key: entry.key))
        }
        try crashPoint("done:acting")

        // Collect what the plans remove, each revision re-checked right before it goes.
        try write(&record, runs, phase: .collecting)
        try crashPoint("journal:collecting")
        for index in runs.indices where runs[index].next == .collect {
            let entry = runs[index].entry
            let collected = collect(entry.remove, of: entry.name, policy: policy)
            runs[index].report.removed = collected.removed
            runs[index].report.data = collected.data
            runs[index].report.kept = (runs[index].plan?.keep ?? []) + collected.kept
            adapters.records.clearPostponement(entry.name)
            if record.operation == "revert" {
                do {
                    try adapters.records.recordRevert(entry.name, from: entry.from)
                } catch {
                    report.warnings.append("\(entry.name): \(error.message); 'apply \(entry.name)' may refresh to revision \(entry.from) again")
                }
            } else {
                adapters.records.clearReverts(entry.name)
            }
            if recovering { runs[index].report.message = "finished the interrupted \(record.operation)" }
            try runs[index].feed(.collected)
        }
        try crashPoint("done:collecting")
        for index in runs.indices {
            if case .report(let reason)? = runs[index].next {
                runs[index].report.outcome = .error
                runs[index].report.message = reason
            }
            if recovering, runs[index].report.outcome == .rolledBack, runs[index].report.message == nil {
                runs[index].report.message = "the interrupted \(record.operation) is undone"
            }
        }
        try adapters.journal.remove()
        report.snaps = (report.snaps + runs.map(\.report)).sorted { $0.name < $1.name }
        report.processes.sort { $0.identity < $1.identity }
        report.services.sort { $0.unit < $1.unit }
        recordHistory(runs, record: record, report: &report)
    }

    /// Adds an entry per snap to its history: when, from and to, the outcome, and what happened
    /// to each of its services and processes. The refresh is done by now: a history that cannot
    /// be written is a warning, not a failure.
    private func recordHistory(_ runs: [SnapRun], record: JournalRecord, report: inout ApplyReport) {
        let finished = adapters.clock.wallTime()
        for run in runs {
            // Its processes: those of its plan, or on recovery (no plan) those acted on under its name.
            let pids = Set(run.plan?.processes.map(\.identity.pid) ?? [])
            let units = Set(run.plan?.services.map(\.unit) ?? [])
            var results: [RefreshHistory.Entry.Result] = report.services.filter { units.contains($0.unit) }.map {
                .init(subject: $0.unit, pid: nil, action: $0.action, outcome: $0.outcome, detail: $0.detail)
            }
            results += report.processes.filter { pids.contains($0.identity.pid) }.map {
                .init(subject: "pid \($0.identity.pid) \($0.label)", pid: $0.identity.pid, action: $0.action, outcome: $0.outcome, detail: $0.detail)
            }
            let entry = RefreshHistory.Entry(
                snap: run.name, operation: report.operation, started: record.started, finished: finished,
                from: run.entry.from, to: run.entry.to, outcome: run.report.outcome, message: run.report.message,
                results: results, removed: run.report.removed)
            do {
                try adapters.records.recordHistory(entry)
            } catch {
                report.warnings.append("\(run.name): the refresh is not recorded in its history: \(error.message)")
            }
        }
    }

    /// Starts a service again whose restart a crash interrupted, unless it runs again already.
    private func finishRestart(_ restart: JournalRecord.WorkEntry.Restart, key: String) async -> ServiceResult {
        let unit = restart.unit ?? key
        let running = adapters.readHost().state.processes.contains { process in
            guard let binding = process.binding else { return false }
            return binding.snap == restart.snap && binding.revision == restart.revision && (restart.app == nil || binding.app == restart.app)
        }
        if running {
            return ServiceResult(unit: unit, action: .restart, outcome: .restarted, detail: "it runs again from revision \(restart.revision) already")
        }
        let clock = adapters.clock
        let timeout = TimeSpan.seconds(30)
        let deadline = clock.now() + timeout + .seconds(1)
        if let words = restart.command {
            var arguments = words
            let root = adapters.store.layout.root
            if let first = arguments.first, first.hasPrefix("/snap/"), !root.isEmpty { arguments[0] = root + first }
            let job = adapters.commands.start(Command(arguments, environment: environment(restart.snap, restart.revision), detached: true), timeout: timeout)
            while job.result == nil, clock.now() < deadline { await clock.wait(until: clock.now() + .milliseconds(20), orExitOf: []) }
            let result = job.result ?? CommandResult(termination: .timedOut)
            return ServiceResult(
                unit: unit, action: .restart, outcome: result.succeeded ? .restarted : .failed,
                detail: "the interrupted restart was finished: the restart-command \(words.joined(separator: " ")) \(result.summary)" + (result.output.isEmpty ? "" : "; it printed: \(result.output)"))
        }
        guard let manager = adapters.serviceManager, let unitName = restart.unit else {
            return ServiceResult(unit: unit, action: .restart, outcome: .failed, detail: "the interrupted restart cannot be finished: no service manager and no restart-command")
        }
        let job = manager.start(unitName, timeout: timeout)
        while job.result == nil, clock.now() < deadline { await clock.wait(until: clock.now() + .milliseconds(20), orExitOf: []) }
        switch job.result {
        case .done(let what)?: return ServiceResult(unit: unit, action: .restart, outcome: .restarted, detail: "the interrupted restart was finished: \(what)")
        case .failed(let why)?: return ServiceResult(unit: unit, action: .restart, outcome: .failed, detail: "the interrupted restart could not be finished: \(why)")
        case .timedOut?, nil: return ServiceResult(unit: unit, action: .restart, outcome: .failed, detail: "the interrupted restart did not finish in time")
        }
    }

    /// Mounts the target and copies the data.
    private func stage(_ entry: JournalRecord.SnapEntry) throws(RefreshCoreError) -> DataCopyOutcome {
        try adapters.store.checkData(entry.name, from: entry.from, to: entry.to)
        if adapters.store.hasImage(entry.name, entry.to) { try adapters.store.mount(entry.name, entry.to) }
        try adapters.store.checkRevision(entry.name, entry.to)
        return try adapters.store.copyData(entry.name, from: entry.from, to: entry.to)
    }

    /// Undoes staging: unmounts what this refresh mounted, removes the data directory it created.
    private func undoStaging(_ entry: JournalRecord.SnapEntry) throws(RefreshCoreError) {
        if !entry.targetWasMounted, adapters.store.isMounted(entry.name, entry.to) {
            try adapters.store.unmount(entry.name, entry.to)
        }
        try adapters.store.removeCreatedData(entry.name, entry.to, system: !entry.dataExisted, userDataExisted: entry.userDataExisted)
    }

    /// Records, right before a switch, when `revision` stops being current: `gc` later lists
    /// what a process of it wrote to its data after that. A failure to record only loses
    /// that listing, so it is a warning, never a failed refresh.
    private func recordLeaving(_ snap: SnapName, _ revision: Revision, report: inout ApplyReport) {
        do {
            try adapters.records.recordLeaving(snap, revision, at: adapters.clock.wallTime())
        } catch {
            report.warnings.append("\(snap): \(error.message); gc will not be able to list what revision \(revision) writes to its data from now on")
        }
    }

    /// For recover: plans the processes still on the old revisions again, as a move from the
    /// old revision to the new one (`current` already names the new one).
    private func replan(_ runs: inout [SnapRun], _ indices: [Int], policy: Policy, report: inout ApplyReport) async throws(RefreshCoreError) {
        let host = await adapters.readHostAndServices()
        var state = host.state
        var items: [RefreshRequest.Item] = []
        for index in indices {
            let entry = runs[index].entry
            state.snaps[entry.name]?.current = entry.from
            items.append(.init(snap: entry.name, revision: entry.to))
        }
        let plan = Planner.plan(state: state, request: RefreshRequest(items), policy: policy, now: adapters.clock.wallTime())
            .assuming(serviceManager: adapters.serviceManager?.name, knownUnits: Set(host.services.keys))
        report.warnings += plan.warnings
        for index in indices {
            guard var snapPlan = plan.snap(runs[index].name) else { continue }
            if snapPlan.outcome == .error {
                // Nothing can be done to its processes now; they stay, and the report says why.
                report.warnings.append("\(snapPlan.name): its processes on revision \(runs[index].entry.from) are left running: \(snapPlan.error ?? "they cannot be acted on")")
                snapPlan.processes = []
                snapPlan.services = []
            }
            // A postponement makes no sense once current has moved: the processes stay.
            snapPlan.processes = snapPlan.processes.map { decision in
                var decision = decision
                if decision.action == .postpone { decision.action = .leaveRunning }
                return decision
            }
            snapPlan.services = snapPlan.services.map { service in
                var service = service
                if service.action == .postpone { service.action = .leaveRunning }
                return service
            }
            runs[index].plan = snapPlan
        }
    }
}
