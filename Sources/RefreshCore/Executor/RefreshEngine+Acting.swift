/// Acting on processes: every service and every process a plan stops runs its own
/// ``ShutdownMachine``, all at once, so the whole takes about the longest timeout, and a slow
/// command never delays another's timeout.
extension RefreshEngine {
    /// What acting did.
    struct ActingOutcome {
        var processes: [ProcessResult] = []
        var services: [ServiceResult] = []
        /// Snaps whose refresh a `then: abort` gives up, with why.
        var aborting: [SnapName: String] = [:]
        /// The journal keys of the shutdowns carried out.
        var keys: Set<String> = []
        /// Restarts held back because a stop of the same snap gave its refresh up: they start
        /// once `current` is switched back (``finishHeldRestarts(_:record:currentAgain:)``).
        var held: [WorkItem] = []
    }

    /// One shutdown: of a service (once, however many processes it has) or of one process.
    struct WorkItem {
        /// `service snap.NAME.APP.service` or `process PID@START`: the journal's key.
        let key: String
        /// For progress and reports: the unit, or `vlc.vlc (pid 42)`.
        let label: String
        let service: ServicePlan?
        /// The unit the service manager knows it by, when one does.
        let unit: String?
        /// The decisions of the processes whose fate this shutdown is.
        let decisions: [ProcessDecision]
        /// The snaps whose plans hold it.
        var snaps: Set<SnapName>
        let stopEnvironment: [String: String]
        var restartEnvironment: [String: String]
        /// What the journal records of a restart, for `recover`.
        let restart: JournalRecord.WorkEntry.Restart?
        /// The restart the machine asked for, held until every stop of the item's snaps has
        /// ended: started then, or after `current` is switched back if one of them aborts.
        var heldRestart: ShutdownMachine.Action?
        /// Said in the report after how it started again (a restart after an abort).
        var restartNote: String?
        /// Not started yet: no descriptor was free for its pidfds.
        var waitingForDescriptors = false
        var machine: ShutdownMachine
        var handles: [ProcessIdentity: ProcessHandle] = [:]
        /// Why no handle could be opened for a process (it is there, but cannot be signalled).
        var refusals: [ProcessIdentity: String] = [:]
        var command: (any CommandJob)?
        var job: (any ServiceJob)?
        var restartCommand: (any CommandJob)?
        var restartJob: (any ServiceJob)?
        var journalled = ""
        /// When the stop began, and when the processes it waited for were all gone.
        var began: MonotonicInstant?
        var stoppedAt: MonotonicInstant?

        var waitingForSomething: Bool { command != nil || job != nil || restartCommand != nil || restartJob != nil }
    }

    /// Acts on the processes of `plans` and waits until every shutdown has ended.
    func act(on plans: [SnapPlan], record: inout JournalRecord, runs: [SnapRun]) async throws(RefreshCoreError) -> ActingOutcome {
        var outcome = ActingOutcome()
        let targets = Dictionary(runs.map { ($0.name, $0.entry.to) }, uniquingKeysWith: { first, _ in first })
        var items = try await workItems(plans, targets: targets, outcome: &outcome)
        let done = Set(record.work.filter { $0.state == "done" }.map(\.key))
        items.removeAll { done.contains($0.key) }
        guard !items.isEmpty else { return outcome }
        let start = adapters.clock.now()
        // Every shutdown starts now, unless no descriptor is left for its pidfds: then it and
        // those after it wait, in order, for earlier ones to end (``startWaiting(_:_:now:)``).
        var waiting = false
        for index in items.indices {
            if waiting {
                items[index].waitingForDescriptors = true
            } else {
                waiting = try !begin(&items[index], now: start, &record, mayWait: true)
            }
        }
        outcome.keys = Set(items.map(\.key))
        try await run(&items, record: &record, since: start)
        for item in items {
            for handle in item.handles.values { adapters.signaller.close(handle) }
            if item.heldRestart != nil {
                var held = item
                held.handles = [:]
                outcome.held.append(held)
            } else {
                collectResults(item, into: &outcome)
            }
        }
        return outcome
    }

    /// Opens a pidfd for each process of the shutdown and starts it. When no descriptor is
    /// free (``SignalRefusal/exhausted(_:)``) and `mayWait`, it opens none, marks the item
    /// waiting and returns false; without `mayWait` such a process is a failure, as any other
    /// that cannot be reached (never "gone").
    private func begin(_ item: inout WorkItem, now: MonotonicInstant, _ record: inout JournalRecord, mayWait: Bool) throws(RefreshCoreError) -> Bool {
        var gone: [ProcessIdentity] = []
        var unreachable: [(ProcessIdentity, String)] = []
        var opened: [ProcessIdentity: ProcessHandle] = [:]
        for identity in item.machine.plan.processes {
            switch adapters.signaller.open(identity) {
            case .success(let handle): opened[identity] = handle
            case .failure(.gone): gone.append(identity)
            case .failure(.exhausted) where mayWait:
                for handle in opened.values { adapters.signaller.close(handle) }
                item.waitingForDescriptors = true
                return false
            case .failure(let refusal):
                unreachable.append((identity, refusal.description))
                item.refusals[identity] = refusal.description
            }
        }
        item.waitingForDescriptors = false
        item.handles = opened
        try feed(&item, .start(now: now, gone: gone), &record)
        for (identity, why) in unreachable where item.machine.remaining.contains(identity) {
            try feed(&item, .unreachable(identity, why), &record)
        }
        return true
    }

    /// Closes the pidfds of the shutdowns that need them no more (ended, or holding a restart),
    /// then starts the waiting ones, in order, while descriptors allow. When none is held and
    /// one still cannot open its pidfds (it alone has more processes than the limit allows),
    /// it starts with those processes as failures rather than wait forever.
    private func startWaiting(_ items: inout [WorkItem], _ record: inout JournalRecord, now: MonotonicInstant) throws(RefreshCoreError) {
        guard items.contains(where: \.waitingForDescriptors) else { return }
        for index in items.indices where !items[index].handles.isEmpty && items[index].command == nil
            && (items[index].machine.isDone || items[index].heldRestart != nil) {
            for handle in items[index].handles.values { adapters.signaller.close(handle) }
            items[index].handles = [:]
        }
        for index in items.indices where items[index].waitingForDescriptors {
            let holding = items.contains { !$0.handles.isEmpty }
            guard try begin(&items[index], now: now, &record, mayWait: holding) else { break }
        }
    }

    /// Starts the restarts an abort held back, now that `current` names the revision each
    /// rolled-back snap was refreshed from (`currentAgain`), and waits for them.
    func finishHeldRestarts(_ held: [WorkItem], record: inout JournalRecord, currentAgain: [SnapName: Revision]) async throws(RefreshCoreError) -> ActingOutcome {
        var outcome = ActingOutcome()
        var items = held
        for index in items.indices {
            guard let restart = items[index].restart, let revision = currentAgain[restart.snap] else { continue }
            items[index].restartEnvironment = environment(restart.snap, revision)
            items[index].restartNote = "from revision \(revision), current again: the refresh of \(restart.snap) was aborted"
        }
        for index in items.indices {
            guard let action = items[index].heldRestart else { continue }
            items[index].heldRestart = nil
            for event in startRestart(action, for: &items[index]) { try feed(&items[index], event, &record) }
        }
        try await run(&items, record: &record, since: adapters.clock.now())
        for item in items { collectResults(item, into: &outcome) }
        return outcome
    }

    /// Polls `items` until every one is done, or holds a restart that must wait for `current`
    /// to be switched back.
    private func run(_ items: inout [WorkItem], record: inout JournalRecord, since start: MonotonicInstant) async throws(RefreshCoreError) {
        let clock = adapters.clock
        var lastProgress = start
        while true {
            let now = clock.now()
            for index in items.indices {
                try poll(&items[index], now: now, &record)
            }
            try releaseRestarts(&items, &record)
            try startWaiting(&items, &record, now: now)
            guard items.contains(where: { (!$0.machine.isDone && $0.heldRestart == nil) || $0.command != nil }) else { break }
            if now.since(lastProgress) >= .seconds(1) {
                lastProgress = now
                for item in items {
                    guard case .stopping(let deadline) = item.machine.state else { continue }
                    let left = (deadline.since(now).nanoseconds + 999_999_999) / 1_000_000_000
                    progress("waiting for \(item.label) to exit, \(left)s left")
                }
            }
            // Wake at the nearest deadline, when a watched process exits, or soon while a
            // command or a service manager job runs (they are polled).
            var wake = now + .seconds(1)
            for item in items {
                if let deadline = item.machine.deadline, deadline < wake { wake = deadline }
                if item.waitingForSomething { wake = min(wake, now + .milliseconds(20)) }
            }
            let watched = items.flatMap { item in item.machine.remaining.compactMap { item.handles[$0] } }
            await clock.wait(until: wake, orExitOf: watched)
        }
    }

    /// Starts each held restart whose snaps' stops have all ended (done, or holding a restart
    /// too) without an abort: a snap's daemons start again only once the refresh of the snap
    /// is sure to go ahead, so a refresh given up never leaves one running from the new revision.
    private func releaseRestarts(_ items: inout [WorkItem], _ record: inout JournalRecord) throws(RefreshCoreError) {
        guard items.contains(where: { $0.heldRestart != nil }) else { return }
        var aborted = Set<SnapName>()
        for item in items { if case .done(.aborted) = item.machine.state { aborted.formUnion(item.snaps) } }
        for index in items.indices where items[index].heldRestart != nil {
            let snaps = items[index].snaps
            guard snaps.isDisjoint(with: aborted) else { continue }
            let settled = items.allSatisfy { $0.snaps.isDisjoint(with: snaps) || $0.machine.isDone || $0.heldRestart != nil }
            guard settled, let action = items[index].heldRestart else { continue }
            items[index].heldRestart = nil
            for event in startRestart(action, for: &items[index]) { try feed(&items[index], event, &record) }
        }
    }

    /// Turns the plans into shutdowns; processes left running get their result at once.
    private func workItems(_ plans: [SnapPlan], targets: [SnapName: Revision], outcome: inout ActingOutcome) async throws(RefreshCoreError) -> [WorkItem] {
        var items: [WorkItem] = []
        var claimed = Set<Int32>()
        var units: [String: Int] = [:]
        for plan in plans {
            for service in plan.services {
                if let index = units[service.unit] {
                    items[index].snaps.insert(plan.name)
                    continue
                }
                let stopped = Set(service.stopped.map(\.pid))
                let decisions = plan.processes.filter { stopped.contains($0.identity.pid) }
                guard [.restart, .shutdown, .kill].contains(service.action) else { continue }
                claimed.formUnion(stopped)
                units[service.unit] = items.count
                items.append(try await serviceItem(service, decisions: decisions, snap: plan.name, targets: targets))
            }
        }
        var seen = Set<Int32>()
        for plan in plans {
            for decision in plan.processes {
                let pid = decision.identity.pid
                if claimed.contains(pid) {
                    if let index = items.firstIndex(where: { $0.decisions.contains { $0.identity.pid == pid } }) {
                        items[index].snaps.insert(plan.name)
                    }
                    continue
                }
                if let index = items.firstIndex(where: { $0.key == RefreshEngine.processKey(decision.identity) }) {
                    items[index].snaps.insert(plan.name)
                    continue
                }
                guard seen.insert(pid).inserted else { continue }
                switch decision.action {
                case .leaveRunning, .postpone:
                    outcome.processes.append(ProcessResult(
                        identity: decision.identity, label: decision.appLabel, action: decision.action, outcome: .leftRunning,
                        detail: RefreshEngine.leftRunningDetail(decision), aborts: false))
                case .kill, .shutdown, .restart:
                    items.append(processItem(decision, snap: plan.name, targets: targets))
                }
            }
        }
        return items
    }

    static func processKey(_ identity: ProcessIdentity) -> String { "process \(identity)" }

    static func leftRunningDetail(_ decision: ProcessDecision) -> String {
        "left running on revision \(decision.pins.map { "\(decision.snap) \(decision.revision), pinning \($0)" } ?? "\(decision.revision)")"
    }

    private func serviceItem(_ service: ServicePlan, decisions: [ProcessDecision], snap: SnapName, targets: [SnapName: Revision]) async throws(RefreshCoreError) -> WorkItem {
        let manager = adapters.serviceManager
        let status = await manager?.status(service.unit)
        let managed = manager != nil && status != nil
        let stop: ShutdownMachine.Stop
        if service.action == .kill {
            stop = .kill
        } else if managed {
            stop = .serviceManager
        } else if let words = service.stopCommand {
            stop = .command(words)
        } else {
            stop = .signal(service.signal ?? .sigterm)
        }
        var restart: ShutdownMachine.Restart?
        if service.action == .restart {
            if let words = service.restartCommand {
                restart = .command(words)
            } else if managed {
                restart = .serviceManager
            } else {
                throw RefreshCoreError(.refreshFailed, "cannot restart \(service.unit): no service manager runs it and the policy gives no restart-command")
            }
        }
        // Under a service manager, the unit's own kill mode decides what its stop takes: move
        // everything the plan keeps out of it first.
        let moveOut = managed && (status?.stopTakesMembers ?? true) ? service.others : []
        // And where the unit's kill mode spares members that the plan's stops (the policy's
        // `stop-mode: sigterm-all` on a unit with KillMode=process), they get the plan's signal
        // once the unit has stopped, rather than SIGKILL after the timeout.
        let spared = managed && stop == .serviceManager && !(status?.stopTakesMembers ?? true) && service.killMode == .controlGroup
        let plan = ShutdownMachine.Plan(
            stop: stop, processes: service.stopped, timeout: service.timeout ?? .seconds(30), then: service.then ?? .kill,
            killThroughServiceManager: managed, moveOut: moveOut, restart: restart,
            membersSignal: spared ? (service.signal ?? .sigterm) : nil)
        let restartRevision = targets[service.snap] ?? service.revision
        let record = restart.map { restart -> JournalRecord.WorkEntry.Restart in
            var command: [String]?
            if case .command(let words) = restart { command = words }
            return .init(snap: service.snap, revision: restartRevision, app: service.app, command: command, unit: service.unit)
        }
        return WorkItem(
            key: "service \(service.unit)", label: service.unit, service: service, unit: managed ? service.unit : nil,
            decisions: decisions, snaps: [snap],
            stopEnvironment: environment(service.snap, service.revision),
            restartEnvironment: environment(service.snap, restartRevision), restart: record,
            machine: ShutdownMachine(plan: plan))
    }

    private func processItem(_ decision: ProcessDecision, snap: SnapName, targets: [SnapName: Revision]) -> WorkItem {
        let stop: ShutdownMachine.Stop
        if decision.action == .kill {
            stop = .kill
        } else if let words = decision.stopCommand {
            stop = .command(words)
        } else {
            stop = .signal(decision.signal ?? .sigterm)
        }
        var restart: ShutdownMachine.Restart?
        var unit: String?
        if decision.action == .restart {
            if let words = decision.restartCommand {
                restart = .command(words)
            } else if adapters.serviceManager != nil, let app = decision.app {
                restart = .serviceManager
                unit = ServicePlan.unitName(snap: decision.snap, app: app)
            }
        }
        let plan = ShutdownMachine.Plan(
            stop: stop, processes: [decision.identity], timeout: decision.timeout ?? .seconds(30), then: decision.then ?? .kill,
            restart: restart)
        let restartRevision = targets[decision.snap] ?? decision.revision
        let record = restart.map { restart -> JournalRecord.WorkEntry.Restart in
            var command: [String]?
            if case .command(let words) = restart { command = words }
            return .init(snap: decision.snap, revision: restartRevision, app: decision.app, command: command, unit: unit)
        }
        return WorkItem(
            key: RefreshEngine.processKey(decision.identity), label: "\(decision.appLabel) (pid \(decision.identity.pid))",
            service: nil, unit: unit, decisions: [decision], snaps: [snap],
            stopEnvironment: environment(decision.snap, decision.revision),
            restartEnvironment: environment(decision.snap, restartRevision), restart: record,
            machine: ShutdownMachine(plan: plan))
    }

    /// The environment of a stop- or restart-command: the snap's, as snapd gives a system
    /// service (`SNAP_USER_DATA` is unset), with paths under the host's root.
    func environment(_ snap: SnapName, _ revision: Revision) -> [String: String] {
        let layout = adapters.store.layout
        return [
            "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "SNAP": layout.revisionDirectory(snap, revision),
            "SNAP_NAME": snap.rawValue,
            "SNAP_INSTANCE_NAME": snap.rawValue,
            "SNAP_REVISION": revision.description,
            "SNAP_DATA": layout.dataDirectory(snap, revision),
            "SNAP_COMMON": layout.dataRoot(snap) + "/common",
        ]
    }

    /// A command's program under the host root when it names a snap path.
    private func command(_ words: [String], environment: [String: String], detached: Bool) -> Command {
        var arguments = words
        let root = adapters.store.layout.root
        if let first = arguments.first, first.hasPrefix("/snap/"), !root.isEmpty { arguments[0] = root + first }
        return Command(arguments, environment: environment, detached: detached)
    }

    /// Feeds `event` and carries out what the machine asks, until it asks to wait; a new state
    /// is journalled before the step it leads to is carried out.
    private func feed(_ item: inout WorkItem, _ event: ShutdownMachine.Event, _ record: inout JournalRecord) throws(RefreshCoreError) {
        var events = [event]
        while !events.isEmpty {
            let next = events.removeFirst()
            let action: ShutdownMachine.Action
            do {
                action = try item.machine.handle(next)
            } catch {
                throw RefreshCoreError(.refreshFailed, "\(item.label): \(error); the refresh stopped here and its journal stays for 'refreshctl recover'", underlying: error)
            }
            try journal(&item, &record)
            if case .start(let now, _) = next { item.began = now }
            if item.stoppedAt == nil, item.machine.remaining.isEmpty, item.machine.state != .idle { item.stoppedAt = adapters.clock.now() }
            events += carryOut(action, for: &item)
        }
    }

    /// Carries out one action; returns the events it caused at once (a process found gone).
    private func carryOut(_ action: ShutdownMachine.Action, for item: inout WorkItem) -> [ShutdownMachine.Event] {
        let timeout = item.machine.plan.timeout
        switch action {
        case .wait, .finish:
            return []
        case .moveOut(let identities):
            guard let manager = adapters.serviceManager, let unit = item.unit ?? item.service?.unit else {
                return [.movedOut(failure: "no service manager runs \(item.label)")]
            }
            let scope = "refreshctl-survivors-\(unit.replacingOccurrences(".", with: "-"))-\(identities.first?.pid ?? 0).scope"
            item.job = manager.moveOut(identities, of: unit, into: scope)
            return []
        case .signal(let signal, let identities):
            var events: [ShutdownMachine.Event] = []
            for identity in identities {
                guard let handle = item.handles[identity] else {
                    // Never "exited": without a handle nothing is known of it but that it could
                    // not be reached.
                    events.append(.unreachable(identity, item.refusals[identity] ?? "no pidfd is held for it"))
                    continue
                }
                switch adapters.signaller.send(signal, to: handle) {
                case .success: break
                case .failure(.gone): events.append(.exited(identity))
                case .failure(let refusal): events.append(.unreachable(identity, "could not send \(signal): \(refusal)"))
                }
            }
            return events
        case .runCommand(let words):
            item.command = adapters.commands.start(command(words, environment: item.stopEnvironment, detached: false), timeout: timeout)
            return []
        case .stopUnit:
            guard let manager = adapters.serviceManager, let unit = item.unit else {
                return [.jobEnded(.failed("no service manager runs \(item.label)"))]
            }
            item.job = manager.stop(unit, timeout: timeout)
            return []
        case .killUnit:
            guard let manager = adapters.serviceManager, let unit = item.unit else {
                return [.jobEnded(.failed("no service manager runs \(item.label)"))]
            }
            item.job = manager.kill(unit, signal: .sigkill, mainOnly: item.service?.killMode == .process)
            return []
        case .restart:
            // Held until the snap's other stops have ended (``releaseRestarts(_:_:)``).
            item.heldRestart = action
            return []
        }
    }

    /// Starts a restart the machine asked for and the engine held.
    private func startRestart(_ action: ShutdownMachine.Action, for item: inout WorkItem) -> [ShutdownMachine.Event] {
        let timeout = item.machine.plan.timeout
        switch action {
        case .restart(.command(let words)):
            item.restartCommand = adapters.commands.start(command(words, environment: item.restartEnvironment, detached: true), timeout: timeout)
            return []
        case .restart(.serviceManager):
            guard let manager = adapters.serviceManager, let unit = item.unit else {
                return [.restartEnded(failure: "no service manager runs \(item.label), and the policy gives no restart-command")]
            }
            item.restartJob = manager.start(unit, timeout: timeout)
            return []
        default:
            return []
        }
    }

    /// Feeds what happened since the last look: jobs that ended, processes that exited, time.
    private func poll(_ item: inout WorkItem, now: MonotonicInstant, _ record: inout JournalRecord) throws(RefreshCoreError) {
        // Exits first: a service manager's stop job ends after the processes it stopped are
        // gone, and they must be seen gone by then.
        try feedExits(&item, &record)
        if let job = item.command, let result = job.result {
            item.command = nil
            // Also after the machine moved on: it keeps the result for the report, and an
            // illegal transition stops the refresh like any other.
            try feed(&item, .commandEnded(result), &record)
        }
        if let job = item.job, let result = job.result {
            item.job = nil
            if case .movingOut = item.machine.state {
                switch result {
                case .done: try feed(&item, .movedOut(failure: nil), &record)
                case .timedOut: try feed(&item, .movedOut(failure: "the service manager did not answer in time"), &record)
                case .failed(let why): try feed(&item, .movedOut(failure: why), &record)
                }
            } else {
                try feed(&item, .jobEnded(result), &record)
            }
        }
        if let job = item.restartCommand, let result = job.result {
            item.restartCommand = nil
            var words: [String] = []
            if case .command(let restartWords)? = item.machine.plan.restart { words = restartWords }
            var failure: String?
            if !result.succeeded {
                failure = "the restart-command \(words.joined(separator: " ")) \(result.summary)"
                if !result.output.isEmpty { failure? += "; it printed: \(result.output)" }
            }
            try feed(&item, .restartEnded(failure: failure), &record)
        }
        if let job = item.restartJob, let result = job.result {
            item.restartJob = nil
            switch result {
            case .done: try feed(&item, .restartEnded(failure: nil), &record)
            case .timedOut: try feed(&item, .restartEnded(failure: "the service manager did not start \(item.label) in time"), &record)
            case .failed(let why): try feed(&item, .restartEnded(failure: why), &record)
            }
        }
        try feedExits(&item, &record)
        if let deadline = item.machine.deadline, now >= deadline {
            try feed(&item, .tick(now: now), &record)
        }
    }

    /// Feeds the exits of the processes the machine waits for.
    private func feedExits(_ item: inout WorkItem, _ record: inout JournalRecord) throws(RefreshCoreError) {
        switch item.machine.state {
        case .movingOut, .stopping, .killing:
            for identity in item.machine.remaining.sorted() {
                guard let handle = item.handles[identity], adapters.signaller.hasExited(handle) else { continue }
                try feed(&item, .exited(identity), &record)
            }
        default:
            break
        }
    }

    /// Journals the item's state when it changed, so recover knows what was done.
    private func journal(_ item: inout WorkItem, _ record: inout JournalRecord) throws(RefreshCoreError) {
        let state = item.machine.state.name
        guard state != item.journalled else { return }
        item.journalled = state
        var entry = JournalRecord.WorkEntry(key: item.key, state: state, restart: item.restart)
        if case .done(let outcome) = item.machine.state { entry.outcome = RefreshEngine.name(of: outcome) }
        if let index = record.work.firstIndex(where: { $0.key == item.key }) {
            record.work[index] = entry
        } else {
            record.work.append(entry)
        }
        try adapters.journal.write(record)
        try crashPoint("work:\(state)")
    }

    static func name(of outcome: ShutdownMachine.Outcome) -> String {
        switch outcome {
        case .exited: "exited"
        case .killed: "killed"
        case .gone: "gone"
        case .restarted: "restarted"
        case .leftRunning: "left-running"
        case .aborted: "aborted"
        case .failed: "failed"
        }
    }

    /// The results of a finished shutdown: its service's, and each process's.
    private func collectResults(_ item: WorkItem, into outcome: inout ActingOutcome) {
        guard case .done(let result) = item.machine.state else { return }
        let how = describe(item)
        let timeout = item.machine.plan.timeout
        var took = ""
        if let began = item.began, let stopped = item.stoppedAt {
            let tenths = stopped.since(began).nanoseconds / 100_000_000
            took = "\(tenths / 10).\(tenths % 10)s"
        }
        var detail: String
        let processOutcome: ProcessResult.Outcome
        switch result {
        case .exited:
            processOutcome = .exited
            detail = "\(how), exited after \(took)"
        case .killed:
            processOutcome = .killed
            detail = item.machine.plan.stop == .kill ? "killed (sent SIGKILL, exited after \(took))" : "\(how), still running after \(timeout), killed"
        case .gone:
            processOutcome = .gone
            detail = "gone before it was signalled (it exited, or its PID now belongs to another process)"
        case .restarted:
            processOutcome = .restarted
            let stop = item.stoppedAt == nil ? "gone before it was signalled" : (item.machine.escalated ? "\(how), still running after \(timeout), killed" : "\(how), exited after \(took)")
            let start: String
            switch item.machine.plan.restart {
            case .command(let words)?: start = "started again with \(words.joined(separator: " "))"
            default: start = "started again through \(adapters.serviceManager?.name ?? "the service manager")"
            }
            detail = "\(stop); \(start)" + (item.restartNote.map { " " + $0 } ?? "")
        case .leftRunning:
            processOutcome = .stillRunning
            detail = "\(how), still running after \(timeout), left running"
        case .aborted:
            processOutcome = .stillRunning
            detail = "\(how), still running after \(timeout); the refresh is aborted"
        case .failed(let why):
            processOutcome = .failed
            detail = "\(how); \(why)"
        }
        if !item.machine.notes.isEmpty { detail += "; " + item.machine.notes.joined(separator: "; ") }
        if result == .leftRunning || result == .aborted, item.machine.plan.stop == .serviceManager {
            let manager = adapters.serviceManager?.name ?? "the service manager"
            detail += "; \(manager)'s stop goes on: it kills what is left after the unit's own stop timeout"
        }
        if case .aborted = result {
            let reason = "\(item.label) did not exit within \(timeout) and its policy says then: abort"
            for snap in item.snaps { outcome.aborting[snap] = outcome.aborting[snap] ?? reason }
        }
        if let service = item.service {
            outcome.services.append(ServiceResult(unit: service.unit, action: service.action, outcome: processOutcome, detail: detail))
        }
        for decision in item.decisions {
            // A process of the shutdown that could not be reached (no pidfd) did not exit with
            // the others as far as anyone knows: a failure of its own, never "exited".
            if let why = item.refusals[decision.identity], processOutcome != .failed {
                outcome.processes.append(ProcessResult(
                    identity: decision.identity, label: decision.appLabel, action: decision.action, outcome: .failed,
                    detail: (item.service.map { "with \($0.unit): " } ?? "") + why, aborts: false))
                continue
            }
            outcome.processes.append(ProcessResult(
                identity: decision.identity, label: decision.appLabel, action: decision.action, outcome: processOutcome,
                detail: item.service.map { "with \($0.unit): \(detail)" } ?? detail, aborts: result == .aborted))
        }
    }

    private func describe(_ item: WorkItem) -> String {
        switch item.machine.plan.stop {
        case .kill: return "sent SIGKILL"
        case .signal(let signal): return "sent \(signal)"
        case .command(let words): return "ran \(words.joined(separator: " "))"
        case .serviceManager: return "stopped through \(adapters.serviceManager?.name ?? "the service manager")"
        }
    }
}

private extension String {
    func replacingOccurrences(_ target: Character, with replacement: String) -> String {
        var out = ""
        for character in self { if character == target { out += replacement } else { out.append(character) } }
        return out
    }
}
