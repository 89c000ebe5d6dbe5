/// Decides what a refresh does. A pure function of its inputs: the same host, request, policy
/// and time give the same plan, byte for byte once printed.
public enum Planner {
    /// Plans `request` on `state` under `policy` at `now`.
    ///
    /// - Every process of a refreshed snap, and every process that pins one of its old
    ///   revisions as a base, gets exactly one decision with a reason; so does every other
    ///   process of a service among them, as the service is stopped or restarted as a whole.
    /// - A service (`snap.NAME.APP.service`) is decided once, by its main process's rule, into
    ///   a ``ServicePlan``; its members go with it or survive per its kill mode, unless a rule
    ///   names them (DESIGN.md, "Who runs what").
    /// - Users of a revision, and the engine and its ancestors, are left running; they never
    ///   postpone a refresh.
    /// - A revision stays while a process that the plan leaves running holds it, beyond `retain`.
    /// - Returns: the plan; snaps in name order, processes in PID order, services in unit order.
    public static func plan(
        state: SystemState, request: RefreshRequest, policy: Policy, now: Timestamp
    ) -> RefreshPlan {
        // Index once: which processes hold which snap (own or pinned), in PID order, and which
        // processes make up each service.
        var holders: [SnapName: [Int]] = [:]
        var services: [String: [Int]] = [:]
        // Bindings are read in place, field by field, here and below: a copy of a binding costs
        // a retain and a release of each of its fields, for every process.
        state.processes.withUnsafeBufferPointer { processes in
            for index in processes.indices {
                // `binding?.field`, never `binding != nil` or `binding!.field`: those copy the
                // whole binding (a retain and a release of each field), these do not.
                guard let snap = processes[index].binding?.snap else { continue }
                holders[snap, default: []].append(index)
                // Pins are sorted, so a snap pinned twice comes twice in a row.
                var previous: SnapName?
                for pin in processes[index].binding?.pins ?? [] where pin.snap != snap && pin.snap != previous {
                    previous = pin.snap
                    holders[pin.snap, default: []].append(index)
                }
                if let unit = processes[index].binding?.service { services[unit, default: []].append(index) }
            }
        }
        var context = Context(state: state, policy: policy, now: now, services: services)
        let items = request.items.sorted { $0.snap < $1.snap }
        var targets: [SnapName: Target] = [:]
        for item in items { targets[item.snap] = target(of: item, in: state, now: now) }
        // A process decided in its own snap's section keeps that decision where it pins a
        // refreshed base: one process, one fate. The same for a service.
        context.ownFateList.reserveCapacity(items.reduce(0) { $0 + (holders[$1.snap]?.count ?? 0) })
        for item in items {
            guard case .move(let move)? = targets[item.snap], let snap = state.snaps[item.snap] else { continue }
            state.processes.withUnsafeBufferPointer { processes in
                for index in holders[item.snap] ?? [] {
                    guard processes[index].binding?.snap == item.snap, processes[index].binding?.revision != move.to else { continue }
                    if let unit = processes[index].binding?.service {
                        if context.ownServices[unit] == nil {
                            context.ownServices[unit] = context.serviceFate(unit, planned: snap, target: move.to)
                        }
                    } else {
                        context.setOwnFate(index, context.single(index, postponedSince: snap.postponedSince))
                    }
                }
            }
        }
        let snaps = items.map { item in
            switch targets[item.snap]! {
            case .settled(let plan): return plan
            case .move(let move):
                return context.planSnap(state.snaps[item.snap]!, from: move.from, to: move.to, holders: holders[item.snap] ?? [])
            }
        }
        return RefreshPlan(snaps: snaps, warnings: context.warnings.sorted(), now: now)
    }

    private enum Target {
        case move((from: Revision, to: Revision))
        /// Nothing to move: the plan says why (up to date, or an error).
        case settled(SnapPlan)
    }

    /// The revision a request item moves its snap from and to, or the plan that says why not.
    private static func target(of item: RefreshRequest.Item, in state: SystemState, now: Timestamp) -> Target {
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
        // A hold put by hand keeps the snap where it is, until it expires.
        if let hold = snap.hold, hold.isActive(at: now) {
            return .settled(SnapPlan(name: name, from: from, to: target, outcome: .held, hold: hold))
        }
        return .move((from, target))
    }

    /// Whether the process may still run after the plan has acted.
    static func mayOutlive(_ decision: ProcessDecision) -> Bool {
        switch decision.action {
        case .leaveRunning, .postpone: return true
        case .shutdown, .restart: return decision.then == .leaveRunning
        case .kill: return false
        }
    }

    static let engineReason = "refreshctl itself or one of its ancestors (such as the shell that ran it): never acted on"

    /// What happens to a service and to each of its processes, decided together.
    struct ServiceFate {
        var plan: ServicePlan
        /// By process index: the main process and every member.
        var decisions: [Int: ProcessDecision]
        /// The process indices of ``ServicePlan/others``.
        var others: Set<Int>
    }

    /// The planner's working state: caches, own fates, warnings.
    struct Context {
        let state: SystemState
        let policy: Policy
        let now: Timestamp
        /// Unit → indices of its processes, in PID order.
        let services: [String: [Int]]
        var warnings = Set<String>()
        /// Decisions of processes (not of services) in their own snap's section: by process
        /// index, the position in ``ownFateList`` (-1: none). An array, not a dictionary keyed by
        /// index, so that a large host is not rehashed, and its large values moved, as it grows.
        var ownFateSlots: [Int32]
        var ownFateList: [ProcessDecision] = []
        /// Services in their own snap's section.
        var ownServices: [String: ServiceFate] = [:]
        var cache = DecisionCache()
        /// The first rule for (snap, app, executable), as rule matching repeats for every
        /// member of a service.
        var rules: [RuleKey: Int] = [:]

        struct RuleKey: Hashable {
            var snap: SnapName
            var app: AppName?
            var executable: String?
        }

        init(state: SystemState, policy: Policy, now: Timestamp, services: [String: [Int]]) {
            self.state = state
            self.policy = policy
            self.now = now
            self.services = services
            self.ownFateSlots = Array(repeating: -1, count: state.processes.count)
        }

        mutating func setOwnFate(_ index: Int, _ decision: ProcessDecision) {
            ownFateSlots[index] = Int32(ownFateList.count)
            ownFateList.append(decision)
        }

        mutating func firstRule(_ snap: SnapName, _ app: AppName?, _ executable: String?) -> PolicyRule? {
            let key = RuleKey(snap: snap, app: app, executable: executable)
            if let index = rules[key] { return index < 0 ? nil : policy.rules[index] }
            let index = policy.rules.firstIndex { $0.matches(snap: snap, app: app, executable: executable) }
            rules[key] = index ?? -1
            return index.map { policy.rules[$0] }
        }

        // MARK: Sections

        mutating func planSnap(_ snap: Snap, from: Revision, to target: Revision, holders: [Int]) -> SnapPlan {
            let name = snap.name
            let installed = snap.revisions.map(\.revision)
            // The section holds every process that holds the snap, and every other process of
            // a service among them: the service is stopped or restarted as a whole.
            var indices = holders
            var units = Set<String>()
            for index in holders { if let unit = state.processes[index].binding?.service { units.insert(unit) } }
            if !units.isEmpty {
                var inSection = Set(holders)
                for unit in units { for index in services[unit] ?? [] where inSection.insert(index).inserted { indices.append(index) } }
                indices.sort()
            }
            var fates: [String: ServiceFate] = [:]
            // Services decided in their own snap's section, whose fate this section takes over.
            var reused = Set<String>()
            for unit in units {
                if let own = ownServices[unit], own.plan.snap == name {
                    fates[unit] = own
                } else if let own = ownServices[unit], own.plan.action != .postpone {
                    fates[unit] = own
                    reused.insert(unit)
                } else {
                    // Postponements run on the clock of the snap whose refresh they hold back.
                    fates[unit] = serviceFate(unit, planned: snap, target: target)
                }
            }
            var decisions: [ProcessDecision] = []
            decisions.reserveCapacity(indices.count)
            let alreadyThere = "already runs from revision \(target), the refresh target"
            // The processes are read in place, field by field: a copy of each binding costs a
            // retain and a release of every one of its fields.
            let processes = state.processes
            processes.withUnsafeBufferPointer { processes in
                for index in indices where processes[index].binding?.snap != nil {  // not `!= nil` on the binding: see above
                    let isOwn = processes[index].binding?.snap == name
                    // The revision of the planned snap this process holds: its own, or the one it
                    // pins (none for a process of a service that is here for its service only).
                    let held = isOwn ? processes[index].binding?.revision : processes[index].binding?.pins.first(where: { $0.snap == name })?.revision
                    let isEngine = state.engineProcesses.contains(processes[index].identity.pid)
                    var decision: ProcessDecision
                    if let unit = processes[index].binding?.service, let fate = fates[unit] {
                        decision = fate.decisions[index]!
                        // A member decided on its own keeps its own fate too, unless that postpones
                        // another snap's refresh.
                        let isOther = fate.others.contains(index)
                        var decidedHere = !reused.contains(unit)
                        if isOther, !decidedHere, decision.action == .postpone {
                            decision = namedMember(index, planned: snap, plan: fate.plan)
                            decidedHere = true
                        }
                        if isOther, decidedHere, !isEngine, held == target, decision.action != .leaveRunning {
                            decision.action = .leaveRunning
                            decision.reason = alreadyThere
                            decision.clearStop()
                        }
                    } else {
                        var decidedHere = true
                        let slot = Int(ownFateSlots[index])
                        if slot >= 0, isOwn || ownFateList[slot].action != .postpone {
                            decision = ownFateList[slot]
                            decidedHere = isOwn
                        } else {
                            decision = single(index, postponedSince: snap.postponedSince)
                        }
                        if decidedHere, !isEngine, held == target, decision.role != .user {
                            decision.action = .leaveRunning
                            decision.reason = alreadyThere
                            decision.clearStop()
                        }
                    }
                    decision.pins = isOwn ? nil : held
                    decisions.append(decision)
                }
            }
            let servicePlans = units.sorted().map { fates[$0]!.plan }

            let postponed = decisions.filter { $0.action == .postpone }.compactMap(\.deadline)
                + servicePlans.filter { $0.action == .postpone }.compactMap(\.deadline)
            if let deadline = postponed.min() {
                let since = snap.postponedSince ?? now
                let keep = installed.reversed().map {
                    KeptRevision(revision: $0, why: $0 == from ? "current; refresh postponed" : "refresh postponed")
                }
                return SnapPlan(
                    name: name, from: from, to: target, outcome: .postponed, processes: decisions, keep: keep,
                    postponement: Postponement(since: since, deadline: deadline), services: servicePlans)
            }

            // Which revisions the processes still hold once the plan has acted.
            // A process holds its own revision and the revisions it pins (Binding.holds), each
            // installed one counted once.
            var users: [Revision: Int] = [:]
            var leftRunning: [Revision: [Int32]] = [:]
            let isInstalled = Set(installed)
            processes.withUnsafeBufferPointer { processes in
                for (decision, index) in zip(decisions, indices) where Planner.mayOutlive(decision) {
                    // In place, as above: no copy of the binding.
                    let ownSnap = processes[index].binding?.snap == name
                    guard let ownRevision = processes[index].binding?.revision else { continue }
                    if ownSnap, isInstalled.contains(ownRevision) { users[ownRevision, default: 0] += 1 }
                    let pinCount = processes[index].binding?.pins.count ?? 0
                    for position in 0..<pinCount where processes[index].binding?.pins[position].snap == name {
                        guard let revision = processes[index].binding?.pins[position].revision else { continue }
                        if (ownSnap && revision == ownRevision) || !isInstalled.contains(revision)
                            || processes[index].binding?.pins[..<position].contains(where: { $0.snap == name && $0.revision == revision }) == true { continue }
                        users[revision, default: 0] += 1
                    }
                    // A user does not use the snap's data; it only holds its files.
                    if decision.snap == name && decision.revision != target && decision.role != .user {
                        leftRunning[decision.revision, default: []].append(decision.identity.pid)
                    }
                }
            }
            for (revision, group) in leftRunning {
                let pids = group.map { "\($0)" }.joined(separator: ", ")
                let count = group.count == 1 ? "1 process left running on revision \(revision) (pid \(pids)) keeps" : "\(group.count) processes left running on revision \(revision) (pids \(pids)) keep"
                warnings.insert("\(name): \(count) using the data in /var/snap/\(name)/\(revision) while revision \(target) starts from a copy of it; what is written there after the refresh is not carried over")
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
            return SnapPlan(
                name: name, from: from, to: target, outcome: .refresh, processes: decisions, keep: keep, remove: remove,
                services: servicePlans)
        }

        // MARK: Single processes

        /// The decision for a process that is decided on its own: an app, a user, the engine or
        /// a member of a service that a rule names. `postponedSince` is the planned snap's:
        /// postponements run on its clock.
        mutating func single(_ index: Int, postponedSince: Timestamp?) -> ProcessDecision {
            // Field by field, not a copy of the whole process or binding: this runs for every
            // process, and most of them find their decision in the cache.
            let identity = state.processes[index].identity
            let isEngine = state.engineProcesses.contains(identity.pid)
            // Neither the engine nor a user: decided by the cache, or decided now and cached.
            var missed: DecisionCache.Key?
            if !isEngine, let key = cacheKey(index, postponedSince: postponedSince) {
                if let cached = cache.indices[key] {
                    var decision = cache.templates[Int(cached)]
                    decision.identity = identity
                    state.processes.withUnsafeBufferPointer { processes in
                        decision.parent = processes[index].parent
                        decision.role = (processes[index].binding?.role)!
                        decision.service = processes[index].binding?.service
                    }
                    return decision
                }
                missed = key
            }
            let binding = state.processes[index].binding!
            var decision: ProcessDecision
            if isEngine {
                decision = ProcessDecision(
                    identity: identity, snap: binding.snap, revision: binding.revision, app: binding.app,
                    hook: binding.hook, action: .leaveRunning, reason: Planner.engineReason)
            } else if binding.role == .user {
                decision = ProcessDecision(
                    identity: identity, snap: binding.snap, revision: binding.revision, app: nil,
                    action: .leaveRunning, reason: Planner.userReason(binding))
            } else {
                decision = decideAlone(binding, postponedSince: postponedSince)
                cache.indices[missed!] = Int32(cache.templates.count)
                cache.templates.append(decision)
                decision.identity = identity
            }
            decision.parent = state.processes[index].parent
            decision.role = binding.role
            decision.service = binding.service
            return decision
        }

        /// The cache key of a process that is neither a user nor the engine, read in place.
        private func cacheKey(_ index: Int, postponedSince: Timestamp?) -> DecisionCache.Key? {
            state.processes.withUnsafeBufferPointer { processes -> DecisionCache.Key? in
                guard let role = processes[index].binding?.role, role != .user,
                    let snap = processes[index].binding?.snap, let revision = processes[index].binding?.revision else { return nil }
                return DecisionCache.Key(
                    snap: snap, revision: revision,
                    app: processes[index].binding?.app, hook: processes[index].binding?.hook,
                    executable: processes[index].binding?.executable,
                    service: role == .app ? nil : processes[index].binding?.service,
                    postponedSince: postponedSince)
            }
        }

        /// The decision for an app process, or a member a rule names, by the rule of its own app
        /// and executable.
        private mutating func decideAlone(_ binding: Binding, postponedSince: Timestamp?) -> ProcessDecision {
            var app = binding.app.flatMap { state.snaps[binding.snap]?.info(for: binding.revision)?.apps[$0] }
            let isMember = binding.role != .app
            // A member stops on its own: its app's snap.yaml daemon fields are about the service.
            if isMember { app?.daemon = nil }
            let rule = firstRule(binding.snap, binding.app, binding.executable)
            let settings = policy.resolve(
                rule: rule, app: app, snapRoot: "/snap/\(binding.snap)/\(binding.revision)",
                notDaemonNote: isMember ? "restart of a process that is not its service's main process is a shutdown" : "restart of an app that is not a daemon is a shutdown")
            var decision = ProcessDecision(
                identity: ProcessIdentity(pid: 0), snap: binding.snap, revision: binding.revision, app: binding.app,
                hook: binding.hook, action: settings.action.value, reason: settings.action.source)
            if let source = settings.restartOfNonDaemon {
                if isMember, let unit = binding.service {
                    let running = binding.executable.map { " running \($0)" } ?? ""
                    warnings.insert("\(binding.snap): a process of \(decision.appLabel)\(running) in \(unit) is not the service's main process, so 'restart' (\(source)) is planned as its shutdown alone")
                } else {
                    warnings.insert("\(binding.snap): app '\(decision.appLabel)' is not a daemon, so 'restart' (\(source)) is planned as a shutdown")
                }
            }
            apply(settings, to: &decision, isDaemon: app?.isDaemon == true, binding: binding, postponedSince: postponedSince)
            return decision
        }

        /// Fills in a decision's postponement and shutdown fields from its settings.
        private mutating func apply(_ settings: ResolvedSettings, to decision: inout ProcessDecision, isDaemon: Bool, binding: Binding, postponedSince: Timestamp?) {
            var action = settings.action.value
            if action == .postpone {
                let since = postponedSince ?? now
                let deadline = since + settings.maxPostpone.value
                decision.sources.append(.init(field: "max-postpone", source: settings.maxPostpone.source))
                if now < deadline {
                    decision.deadline = deadline
                    decision.then = settings.postponeThen.value
                    decision.sources.append(.init(field: "then", source: settings.postponeThen.source))
                    return
                }
                // The postponement ran out: what `then` says happens now.
                action = Action(rawValue: settings.postponeThen.value.rawValue) ?? .shutdown
                if action == .restart, !isDaemon {
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
        }

        // MARK: Services

        /// Decides a service once, by its main process's rule (with no main process running: by
        /// the rule for its app without an executable), and each of its processes with it.
        mutating func serviceFate(_ unit: String, planned: Snap, target: Revision) -> ServiceFate {
            let indices = services[unit] ?? []
            let mainIndex = indices.first { state.processes[$0].binding?.role == .main }
            let first = state.processes[mainIndex ?? indices[0]].binding!
            let snapName = first.snap
            let appName = SnapPath.unit(inCgroup: unit)?.app ?? first.app ?? AppName("unknown")!
            let revision = first.revision
            // A unit systemd runs is a daemon, whatever the metadata at hand says.
            var app = state.snaps[snapName]?.info(for: revision)?.apps[appName] ?? App(name: appName)
            if app.daemon == nil { app.daemon = .simple }
            let main = mainIndex.map { state.processes[$0] }
            let rule = firstRule(snapName, appName, main?.binding?.executable)
            let settings = policy.resolve(rule: rule, app: app, snapRoot: "/snap/\(snapName)/\(revision)")
            var binding = first
            binding.app = appName
            var template = ProcessDecision(
                identity: main?.identity ?? ProcessIdentity(pid: 0), snap: snapName, revision: revision, app: appName,
                action: settings.action.value, reason: settings.action.source, role: .main, parent: main?.parent, service: unit)
            let held = main.flatMap { process -> Revision? in
                let binding = process.binding!
                return binding.snap == planned.name ? binding.revision : binding.pins.first(where: { $0.snap == planned.name })?.revision
            }
            if let main, state.engineProcesses.contains(main.pid) {
                template.action = .leaveRunning
                template.reason = "its main process \(main.pid) is \(Planner.engineReason)"
            } else if held == target {
                template.action = .leaveRunning
                template.reason = "already runs from revision \(target), the refresh target"
            } else {
                apply(settings, to: &template, isDaemon: true, binding: binding, postponedSince: planned.postponedSince)
            }
            let killMode = settings.killMode
            var decisions: [Int: ProcessDecision] = [:]
            var stopped: [ProcessIdentity] = []
            var others: [ProcessIdentity] = []
            var otherIndices = Set<Int>()
            for index in indices {
                let process = state.processes[index]
                let member = process.binding!
                if index == mainIndex {
                    decisions[index] = template
                    stopped.append(process.identity)
                    continue
                }
                var decision: ProcessDecision
                if state.engineProcesses.contains(process.pid) {
                    decision = single(index, postponedSince: planned.postponedSince)
                    others.append(process.identity)
                    otherIndices.insert(index)
                } else if isNamed(member, serviceApp: appName) {
                    decision = single(index, postponedSince: planned.postponedSince)
                    decision.reason += "; " + Planner.namedMemberNote(decision.action, unit: unit, service: template.action, killMode: killMode.phrase, mode: killMode.mode)
                    others.append(process.identity)
                    otherIndices.insert(index)
                } else if killMode.mode == .process {
                    decision = ProcessDecision(
                        identity: process.identity, snap: member.snap, revision: member.revision, app: member.app,
                        action: .leaveRunning, reason: template.action == .leaveRunning
                            ? "left running with \(unit)"
                            : "survives the \(template.action) of \(unit): \(killMode.phrase) signals the main process only")
                    others.append(process.identity)
                    otherIndices.insert(index)
                } else {
                    // Goes with the service: its fields are the service's, for display; the
                    // service is stopped once.
                    decision = template
                    decision.identity = process.identity
                    decision.revision = member.revision
                    decision.app = member.app
                    decision.reason = template.action == .leaveRunning
                        ? "goes with \(unit), which is left running"
                        : "goes with \(unit): \(killMode.phrase) signals every process of the service"
                    stopped.append(process.identity)
                }
                decision.parent = process.parent
                decision.role = member.role
                decision.service = unit
                decisions[index] = decision
            }
            let plan = ServicePlan(
                unit: unit, snap: snapName, app: appName, revision: revision, main: main?.identity,
                action: template.action, reason: template.reason, killMode: killMode.mode, killModeSource: killMode.source,
                stopMode: killMode.stopMode, signal: template.signal, stopCommand: template.stopCommand, timeout: template.timeout, then: template.then,
                restartCommand: template.restartCommand, deadline: template.deadline, sources: template.sources,
                stopped: stopped.sorted(), others: others.sorted())
            return ServiceFate(plan: plan, decisions: decisions, others: otherIndices)
        }

        /// A member a rule names, decided on its own under `planned`, its reason relating it to
        /// its service's `plan`.
        mutating func namedMember(_ index: Int, planned: Snap, plan: ServicePlan) -> ProcessDecision {
            var decision = single(index, postponedSince: planned.postponedSince)
            guard !state.engineProcesses.contains(state.processes[index].pid) else { return decision }
            let phrase = plan.killModePhrase
            decision.reason += "; " + Planner.namedMemberNote(decision.action, unit: plan.unit, service: plan.action, killMode: phrase, mode: plan.killMode)
            return decision
        }

        /// Whether a rule names this member of a service: the first rule that matches it has an
        /// `exe`, or an `app` that matched another app than the service's.
        private mutating func isNamed(_ member: Binding, serviceApp: AppName) -> Bool {
            guard let rule = firstRule(member.snap, member.app, member.executable) else { return false }
            if rule.exe != nil { return true }
            return rule.app != nil && member.app != serviceApp
        }
    }

    /// How a member named by a rule relates to its service's fate, for its reason.
    static func namedMemberNote(_ action: Action, unit: String, service: Action, killMode phrase: String, mode: KillMode) -> String {
        switch action {
        case .leaveRunning, .postpone:
            if service == .leaveRunning { return "in \(unit), which is left running too" }
            if mode == .process {
                return "survives the \(service) of \(unit): \(phrase) signals the main process only"
            }
            return "survives the \(service) of \(unit): kept out of its stop, although \(phrase) signals every process of the service"
        case .shutdown, .kill, .restart:
            return "signalled on its own, apart from \(unit)"
        }
    }

    /// Why a user of a revision is left running.
    static func userReason(_ binding: Binding) -> String {
        let through = binding.uses.isEmpty ? "" : " through its " + binding.uses.map(\.description).joined(separator: ", ")
        return "uses \(binding.snap) revision \(binding.revision)\(through) but runs no app of a snap: a user is never signalled and never postpones a refresh; the revision stays while it runs"
    }

    /// Decisions depend on the binding's snap, revision, app, hook, executable and service and
    /// the planned snap's postponement, not on the process: decide once per such key.
    struct DecisionCache {
        struct Key: Hashable {
            var snap: SnapName
            var revision: Revision
            var app: AppName?
            var hook: AppName?
            var executable: String?
            /// For a member decided on its own: its service.
            var service: String?
            var postponedSince: Timestamp?
        }
        var indices: [Key: Int32] = [:]
        var templates: [ProcessDecision] = []
    }
}

extension ProcessDecision {
    /// Drops the fields of a shutdown, restart or postponement.
    mutating func clearStop() {
        signal = nil
        stopCommand = nil
        timeout = nil
        then = nil
        restartCommand = nil
        deadline = nil
        sources = []
    }
}
