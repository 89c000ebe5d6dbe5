/// Decides what a refresh does. A pure function of its inputs: the same host, request, policy
/// and time give the same plan, byte for byte once printed.
public enum Planner {
    /// Plans `request` on `state` under `policy` at `now`.
    ///
    /// - Every process of a refreshed snap, and every process that pins one of its old
    ///   revisions as a base, gets exactly one decision with a reason.
    /// - A revision stays while a process that the plan leaves running holds it, beyond `retain`.
    /// - Returns: the plan; snaps in name order, processes in PID order.
    public static func plan(
        state: SystemState, request: RefreshRequest, policy: Policy, now: Timestamp
    ) -> RefreshPlan {
        // Index once: which processes hold which snap (own or pinned), in PID order.
        var holders: [SnapName: [Int]] = [:]
        for index in state.processes.indices {
            guard let binding = state.processes[index].binding else { continue }
            holders[binding.snap, default: []].append(index)
            // Pins are sorted, so a snap pinned twice comes twice in a row.
            var previous: SnapName?
            for pin in binding.pins where pin.snap != binding.snap && pin.snap != previous {
                previous = pin.snap
                holders[pin.snap, default: []].append(index)
            }
        }
        var warnings = Set<String>()
        let items = request.items.sorted { $0.snap < $1.snap }
        var targets: [SnapName: Target] = [:]
        for item in items { targets[item.snap] = target(of: item, in: state) }
        // A process decided in its own snap's section keeps that decision where it pins a
        // refreshed base: one process, one fate.
        var cache = DecisionCache()
        var ownDecisions = [Int32](repeating: -1, count: state.processes.count)
        for item in items {
            guard case .move(let move)? = targets[item.snap], let snap = state.snaps[item.snap] else { continue }
            for index in holders[item.snap] ?? [] {
                guard let binding = state.processes[index].binding, binding.snap == item.snap, binding.revision != move.to else { continue }
                ownDecisions[index] = cache.template(binding: binding, planned: snap, state: state, policy: policy, now: now, warnings: &warnings)
            }
        }
        let snaps = items.map { item in
            switch targets[item.snap]! {
            case .settled(let plan): return plan
            case .move(let move):
                return planSnap(
                    state.snaps[item.snap]!, from: move.from, to: move.to, state: state, holders: holders[item.snap] ?? [],
                    ownDecisions: ownDecisions, cache: &cache, policy: policy, now: now, warnings: &warnings)
            }
        }
        return RefreshPlan(snaps: snaps, warnings: warnings.sorted(), now: now)
    }

    private enum Target {
        case move((from: Revision, to: Revision))
        /// Nothing to move: the plan says why (up to date, or an error).
        case settled(SnapPlan)
    }

    /// The revision a request item moves its snap from and to, or the plan that says why not.
    private static func target(of item: RefreshRequest.Item, in state: SystemState) -> Target {
        let name = item.snap
        guard let snap = state.snaps[name] else {
            return .settled(SnapPlan(name: name, from: nil, to: item.revision, outcome: .error, error: "snap '\(name)' is not installed"))
        }
        guard let from = snap.current else {
            return .settled(SnapPlan(name: name, from: nil, to: item.revision, outcome: .error, error: "snap '\(name)' has no current revision; its 'current' link is missing or broken"))
        }
        let target: Revision
        if let wanted = item.revision {
            guard snap.isInstalled(wanted) else {
                let list = snap.revisions.map(\.revision.description).joined(separator: ", ")
                return .settled(SnapPlan(name: name, from: from, to: wanted, outcome: .error, error: "revision \(wanted) of '\(name)' is not installed (installed: \(list)); stage it first or name one of those"))
            }
            target = wanted
        } else if let newest = snap.staged.last {
            target = newest
        } else {
            return .settled(SnapPlan(name: name, from: from, to: from, outcome: .upToDate))
        }
        if target == from { return .settled(SnapPlan(name: name, from: from, to: from, outcome: .upToDate)) }
        return .move((from, target))
    }

    private static func planSnap(
        _ snap: Snap, from: Revision, to target: Revision, state: SystemState, holders: [Int],
        ownDecisions: [Int32], cache: inout DecisionCache, policy: Policy, now: Timestamp, warnings: inout Set<String>
    ) -> SnapPlan {
        let name = snap.name
        let installed = snap.revisions.map(\.revision)
        var decisions: [ProcessDecision] = []
        decisions.reserveCapacity(holders.count)
        var bindingIndices: [Int] = []
        bindingIndices.reserveCapacity(holders.count)
        let alreadyThere = "already runs from revision \(target), the refresh target"
        for index in holders {
            let identity = state.processes[index].identity
            guard let binding = state.processes[index].binding else { continue }
            let isOwn = binding.snap == name
            // The revision of the planned snap this process holds: its own, or the one it pins.
            let held = isOwn ? binding.revision : binding.pins.first(where: { $0.snap == name })!.revision
            var decision: ProcessDecision
            let own = ownDecisions[index]
            if own >= 0, cache.templates[Int(own)].action != .postpone {
                decision = cache.templates[Int(own)]
            } else {
                // Postponements run on the clock of the snap whose refresh they hold back.
                decision = cache.templates[Int(cache.template(binding: binding, planned: snap, state: state, policy: policy, now: now, warnings: &warnings))]
            }
            decision.identity = identity
            if !isOwn { decision.pins = held }
            if held == target {
                decision = ProcessDecision(
                    identity: identity, snap: binding.snap, revision: binding.revision, app: binding.app,
                    hook: binding.hook, pins: isOwn ? nil : held, action: .leaveRunning,
                    reason: alreadyThere)
            }
            decisions.append(decision)
            bindingIndices.append(index)
        }

        if decisions.contains(where: { $0.action == .postpone }) {
            let deadline = decisions.lazy.filter { $0.action == .postpone }.compactMap(\.deadline).min()!
            let since = snap.postponedSince ?? now
            let keep = installed.reversed().map {
                KeptRevision(revision: $0, why: $0 == from ? "current; refresh postponed" : "refresh postponed")
            }
            return SnapPlan(
                name: name, from: from, to: target, outcome: .postponed, processes: decisions, keep: keep,
                postponement: Postponement(since: since, deadline: deadline))
        }

        // Which revisions the processes still hold once the plan has acted.
        var users: [Revision: Int] = [:]
        var leftRunning: [Revision: [Int32]] = [:]
        for (decision, index) in zip(decisions, bindingIndices) where mayOutlive(decision) {
            for revision in installed where state.processes[index].binding!.holds(name, revision) {
                users[revision, default: 0] += 1
            }
            if decision.snap == name && decision.revision != target {
                leftRunning[decision.revision, default: []].append(decision.identity.pid)
            }
        }
        if !leftRunning.isEmpty {
            for (revision, group) in leftRunning {
                let pids = group.map { "\($0)" }.joined(separator: ", ")
                let count = group.count == 1 ? "1 process left running on revision \(revision) (pid \(pids)) keeps" : "\(group.count) processes left running on revision \(revision) (pids \(pids)) keep"
                warnings.insert("\(name): \(count) using the data in /var/snap/\(name)/\(revision) while revision \(target) starts from a copy of it; what is written there after the refresh is not carried over")
            }
        }

        var keep: [KeptRevision] = []
        var remove: [Revision] = []
        let assessments = RevisionLifecycle.assess(
            revisions: installed, current: target, retain: policy.retain,
            isStaged: { $0 > target && $0 > from }, users: { users[$0] ?? 0 })
        for assessment in assessments {
            var why: [String] = []
            if assessment.isCurrent { why.append("current after the refresh") }
            if assessment.isStaged { why.append("staged") }
            if assessment.withinRetain, !assessment.isCurrent { why.append("retained (retain: \(policy.retain))") }
            if assessment.users > 0 {
                why.append(assessment.users == 1 ? "in use by 1 process" : "in use by \(assessment.users) processes")
            }
            if why.isEmpty {
                remove.append(assessment.revision)
            } else {
                keep.append(KeptRevision(revision: assessment.revision, why: why.joined(separator: "; ")))
            }
        }
        return SnapPlan(name: name, from: from, to: target, outcome: .refresh, processes: decisions, keep: keep, remove: remove)
    }

    /// Whether the process may still run after the plan has acted.
    private static func mayOutlive(_ decision: ProcessDecision) -> Bool {
        switch decision.action {
        case .leaveRunning, .postpone: return true
        case .shutdown, .restart: return decision.then == .leaveRunning
        case .kill: return false
        }
    }

    /// Decisions depend on the binding's snap, revision, app and hook and the planned snap's
    /// postponement, not on the process: decide once per such key.
    struct DecisionCache {
        struct Key: Hashable {
            var snap: SnapName
            var revision: Revision
            var app: AppName?
            var hook: AppName?
            var postponedSince: Timestamp?
        }
        var indices: [Key: Int32] = [:]
        var templates: [ProcessDecision] = []

        mutating func template(
            binding: Binding, planned: Snap, state: SystemState, policy: Policy, now: Timestamp, warnings: inout Set<String>
        ) -> Int32 {
            let key = Key(snap: binding.snap, revision: binding.revision, app: binding.app, hook: binding.hook, postponedSince: planned.postponedSince)
            if let index = indices[key] { return index }
            let index = Int32(templates.count)
            templates.append(Planner.decide(
                RunningProcess(identity: ProcessIdentity(pid: 0)), binding: binding, planned: planned, state: state, policy: policy,
                now: now, warnings: &warnings))
            indices[key] = index
            return index
        }
    }

    /// The decision for one process by the rule of its own app.
    fileprivate static func decide(
        _ process: RunningProcess, binding: Binding, planned: Snap, state: SystemState, policy: Policy,
        now: Timestamp, warnings: inout Set<String>
    ) -> ProcessDecision {
        let ownSnap = state.snaps[binding.snap]
        let app = binding.app.flatMap { ownSnap?.info(for: binding.revision)?.apps[$0] }
        let settings = policy.resolve(
            snap: binding.snap, appName: binding.app, app: app, snapRoot: "/snap/\(binding.snap)/\(binding.revision)")
        var decision = ProcessDecision(
            identity: process.identity, snap: binding.snap, revision: binding.revision, app: binding.app,
            hook: binding.hook, action: settings.action.value, reason: settings.action.source)
        if let source = settings.restartOfNonDaemon {
            warnings.insert("\(binding.snap): app '\(decision.appLabel)' is not a daemon, so 'restart' (\(source)) is planned as a shutdown")
        }
        var action = settings.action.value
        if action == .postpone {
            let since = planned.postponedSince ?? now
            let deadline = since + settings.maxPostpone.value
            decision.sources.append(.init(field: "max-postpone", source: settings.maxPostpone.source))
            if now < deadline {
                decision.deadline = deadline
                decision.then = settings.postponeThen.value
                decision.sources.append(.init(field: "then", source: settings.postponeThen.source))
                return decision
            }
            // The postponement ran out: what `then` says happens now.
            action = Action(rawValue: settings.postponeThen.value.rawValue) ?? .shutdown
            if action == .restart, app?.isDaemon != true {
                warnings.insert("\(binding.snap): app '\(decision.appLabel)' is not a daemon, so 'then: restart' (\(settings.postponeThen.source)) is planned as a shutdown")
                action = .shutdown
            }
            decision.action = action
            decision.reason = "\(settings.action.source); postponed since \(since), max-postpone \(settings.maxPostpone.value) ran out at \(deadline), so then: \(settings.postponeThen.value) (\(settings.postponeThen.source))"
        }
        if action == .shutdown || action == .restart {
            switch settings.stop.value {
            case .signal(let signal):
                decision.signal = signal
                decision.sources.append(.init(field: "signal", source: settings.stop.source))
            case .command(let words):
                // `current` will have moved to the new revision by the time the command runs:
                // the process's own revision holds the tool that matches it.
                let current = "/snap/\(binding.snap)/current/", own = "/snap/\(binding.snap)/\(binding.revision)/"
                decision.stopCommand = words.map { $0.hasPrefix(current) ? own + $0.dropFirst(current.count) : $0 }
                decision.sources.append(.init(field: "stop-command", source: settings.stop.source))
            }
            decision.timeout = settings.timeout.value
            decision.sources.append(.init(field: "timeout", source: settings.timeout.source))
            // After a postponement, a rule's `then: shutdown` chose this shutdown; the escalation
            // resolves past it, as `shutdown` is no escalation of a shutdown.
            decision.then = settings.then.value
            decision.sources.append(.init(field: "then", source: settings.then.source))
            if action == .restart, let command = settings.restartCommand {
                decision.restartCommand = command.value
                decision.sources.append(.init(field: "restart-command", source: command.source))
            }
        }
        return decision
    }
}
