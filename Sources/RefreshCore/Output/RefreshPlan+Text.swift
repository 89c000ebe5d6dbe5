extension RefreshPlan {
    /// The width the plan's text keeps to for ordinary names (free text is wrapped at it).
    public static let textWidth = 100

    /// The plan for people: a section per snap, one line per process (PID, app, revision, role,
    /// action, the rule that decided it as `file:line`), grouped by service; stable line for line.
    ///
    /// A process that pins a refreshed base while its own snap is refreshed too, with the same
    /// fate in both, is listed once, under its own snap (the base's section names it); its pins
    /// are shown on its line.
    /// - Parameter explain: add under each service and process why (the full reason), how
    ///   (signal or stop-command, timeout, escalation, restart) and where each field came from.
    public func text(explain: Bool = false) -> String {
        let layout = PlanTextLayout(plan: self)
        var lines: [String] = []
        if snaps.isEmpty { lines.append("nothing to refresh: no snaps were named") }
        for index in snaps.indices {
            if !lines.isEmpty { lines.append("") }
            lines.append(contentsOf: layout.lines(for: index, explain: explain))
        }
        if !warnings.isEmpty {
            lines.append("")
            lines.append("warnings:")
            for warning in warnings {
                lines.append(contentsOf: PlanTextLayout.wrap(warning, first: "  - ", rest: "    "))
            }
        }
        if let serviceManager {
            lines.append("")
            lines.append("service manager: \(RefreshPlan.serviceManagerPhrase(serviceManager))")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `systemd (services are stopped and started through it)`, or what `none` means.
    static func serviceManagerPhrase(_ name: String) -> String {
        name == "none"
            ? "none (the engine signals daemons itself and starts them again with their restart-command)"
            : "\(name) (services are stopped, killed and started through it; survivors are moved out of their unit first)"
    }
}

/// How the plan is laid out as text: which rows each section lists, the pins of each process,
/// and the column widths, shared by every section so that they line up.
struct PlanTextLayout {
    static let columns = ["PID", "APP", "REV", "ROLE", "ACTION", "RULE"]
    static let rowIndent = "    "
    static let detailIndent = "        "

    let plan: RefreshPlan
    /// By snap index: the PIDs listed under another snap (their own) instead.
    var elided: [Int: Set<Int32>] = [:]
    /// By PID: the refreshed snaps (and their revisions) the process pins, `core22 100`.
    var pins: [Int32: [String]] = [:]
    /// The columns: ``columns``, and `PINS` when some process pins a refreshed snap.
    var header: [String]
    var widths: [Int]

    init(plan: RefreshPlan) {
        self.plan = plan
        var own: [Int32: ProcessDecision] = [:]
        for snap in plan.snaps {
            for decision in snap.processes where decision.pins == nil && decision.snap == snap.name {
                own[decision.identity.pid] = decision
            }
        }
        for (index, snap) in plan.snaps.enumerated() {
            for decision in snap.processes {
                guard let pinned = decision.pins else { continue }
                pins[decision.identity.pid, default: []].append("\(snap.name) \(pinned)")
                // Listed once: under its own snap, when it has the same fate there.
                var same = decision
                same.pins = nil
                if let ownDecision = own[decision.identity.pid], ownDecision == same {
                    elided[index, default: []].insert(decision.identity.pid)
                }
            }
        }
        header = PlanTextLayout.columns + (pins.isEmpty ? [] : ["PINS"])
        widths = header.map(\.count)
        for (index, snap) in plan.snaps.enumerated() {
            for decision in snap.processes where !(elided[index]?.contains(decision.identity.pid) ?? false) {
                for (column, cell) in cells(decision).enumerated() { widths[column] = max(widths[column], cell.count) }
            }
        }
    }

    /// The cells of a process's line.
    func cells(_ decision: ProcessDecision) -> [String] {
        var cells = [
            String(decision.identity.pid), decision.appLabel, decision.revision.description, decision.role.rawValue,
            decision.action.rawValue, PlanTextLayout.ruleTag(decision.reason),
        ]
        if header.count > cells.count { cells.append(pins[decision.identity.pid]?.joined(separator: ", ") ?? "-") }
        return cells
    }

    func render(_ cells: [String]) -> String {
        var line = PlanTextLayout.rowIndent
        for (column, cell) in cells.enumerated() {
            line += column == cells.count - 1 ? cell : cell + String(repeating: " ", count: widths[column] - cell.count + 2)
        }
        return line
    }

    func lines(for index: Int, explain: Bool) -> [String] {
        let snap = plan.snaps[index]
        let fromText = snap.from?.description ?? "(none)"
        let toText = snap.to?.description ?? "(none)"
        var lines: [String]
        switch snap.outcome {
        case .refresh: lines = ["\(snap.name): refresh \(fromText) -> \(toText)"]
        case .postponed: lines = ["\(snap.name): postponed (\(fromText) -> \(toText))"]
        case .held: lines = ["\(snap.name): held (\(fromText) -> \(toText))"]
        case .upToDate: lines = ["\(snap.name): up to date at \(fromText)"]
        case .error: lines = PlanTextLayout.wrap("\(snap.name): error: \(snap.error ?? "cannot refresh")", first: "", rest: "  ")
        }
        if let hold = snap.hold {
            lines.append(contentsOf: PlanTextLayout.wrap(hold.summary, first: "  ", rest: "    "))
        }
        if let postponement = snap.postponement {
            lines.append("  postponed since \(postponement.since), until \(postponement.deadline) at the latest")
        }
        let hidden = elided[index] ?? []
        let listed = snap.processes.filter { !hidden.contains($0.identity.pid) }
        if !hidden.isEmpty {
            // By snap, in name order, each snap's PIDs in order.
            var bySnap: [SnapName: [Int32]] = [:]
            for decision in snap.processes where hidden.contains(decision.identity.pid) {
                bySnap[decision.snap, default: []].append(decision.identity.pid)
            }
            let groups = bySnap.keys.sorted().map { name in
                "\(name) " + bySnap[name]!.map(String.init).joined(separator: ", ")
            }
            let count = hidden.count == 1 ? "1 process" : "\(hidden.count) processes"
            lines.append(contentsOf: PlanTextLayout.wrap(
                "pinned by \(count), listed under their own snaps: " + groups.joined(separator: "; "), first: "  ", rest: "    "))
        }
        // A postponement that ran out: what the rule's `then:` does now.
        var ranOut: [String] = []
        for decision in listed {
            guard let since = decision.reason.range(of: "postponed since "),
                  let then = decision.reason.range(of: ", so then: ", range: since.upperBound..<decision.reason.endIndex)
            else { continue }
            let escalation = decision.reason[then.upperBound...].prefix { $0 != " " }
            let phrase = "\(decision.reason[since.lowerBound..<then.lowerBound]), so then: \(escalation)"
            if !ranOut.contains(phrase) { ranOut.append(phrase) }
        }
        for phrase in ranOut { lines.append(contentsOf: PlanTextLayout.wrap(phrase, first: "  ", rest: "    ")) }
        if !listed.isEmpty {
            lines.append(render(header))
        }
        // Each service as a whole, its main process first, then its other members; then the
        // processes that are in no service.
        var shown = Set<Int32>()
        let services = snap.services.filter { service in listed.contains { $0.service == service.unit } }
        for service in services {
            lines.append("  service \(service.unit) (kill mode \(service.killMode)): \(service.action)")
            if explain { lines.append(contentsOf: service.explanation) }
            let members = listed.filter { $0.service == service.unit }
            for decision in members where decision.role == .main {
                lines.append(contentsOf: row(decision, service: service, explain: explain))
            }
            for decision in members where decision.role != .main {
                lines.append(contentsOf: row(decision, service: service, explain: explain))
            }
            for decision in members { shown.insert(decision.identity.pid) }
        }
        let others = listed.filter { !shown.contains($0.identity.pid) }
        if !services.isEmpty, !others.isEmpty { lines.append("  in no service:") }
        for decision in others {
            lines.append(contentsOf: row(decision, service: nil, explain: explain))
        }
        for kept in snap.keep {
            lines.append(contentsOf: PlanTextLayout.wrap("keep revision \(kept.revision): \(kept.why)", first: "  ", rest: "    "))
        }
        for revision in snap.remove {
            lines.append("  remove revision \(revision)")
        }
        return lines
    }

    /// A process's line, and with `explain` its why, how and sources.
    func row(_ decision: ProcessDecision, service: ServicePlan?, explain: Bool) -> [String] {
        var lines = [render(cells(decision))]
        guard explain else { return lines }
        let detail = PlanTextLayout.detailIndent
        if let service, service.stopped.contains(decision.identity) {
            // Its fate is the service's, which the service's lines explain.
            if decision.role != .main { lines.append("\(detail)why: \(decision.reason)") }
            return lines
        }
        lines.append("\(detail)why: \(decision.reason)")
        let how = howText(
            action: decision.action, signal: decision.signal, stopCommand: decision.stopCommand, timeout: decision.timeout,
            then: decision.then, restartCommand: decision.restartCommand, deadline: decision.deadline)
        if !how.isEmpty { lines.append("\(detail)how: \(how)") }
        for source in decision.sources {
            lines.append("\(detail)\(source.field): \(source.source)")
        }
        return lines
    }

    /// The short form of a reason for the RULE column: `workstation.yaml:19` for a policy line
    /// (the file's name; `--explain` gives its path), `snap.yaml refresh-mode`, `built-in`, or
    /// what decided a process that no rule of its own decided.
    static func ruleTag(_ reason: String) -> String {
        if reason.hasPrefix("goes with ") || reason.hasPrefix("left running with ") { return "with its service" }
        if reason.hasPrefix("survives the ") { return "spared by kill mode" }
        if reason.hasPrefix("already runs from revision ") { return "already on target" }
        if reason.hasPrefix("refreshctl itself") || reason.hasPrefix("its main process ") { return "refreshctl itself" }
        if reason.hasPrefix("uses "), reason.contains("runs no app of a snap") { return "user: never acted on" }
        if reason.hasPrefix("built-in") { return "built-in" }
        if reason.hasPrefix("snap.yaml: ") {
            let field = reason.dropFirst("snap.yaml: ".count).prefix { $0 != ":" && $0 != ";" }
            return "snap.yaml \(field)"
        }
        // `PATH:LINE: rule N (...)` or `PATH:LINE: defaults`.
        if let colon = reason.range(of: ": ") {
            let location = reason[..<colon.lowerBound]
            if let last = location.lastIndex(of: ":") {
                let line = location[location.index(after: last)...]
                let path = location[..<last]
                if !line.isEmpty, line.allSatisfy(\.isASCIIDigit), !path.isEmpty {
                    let name = path.split(separator: "/").last.map(String.init) ?? String(path)
                    return "\(name):\(line)"
                }
            }
        }
        return "see --explain"
    }

    /// `text` in words, the first line starting with `first`, the others with `rest`, each at
    /// most ``RefreshPlan/textWidth`` columns unless one word is wider.
    static func wrap(_ text: String, first: String, rest: String) -> [String] {
        var lines: [String] = []
        var line = first
        var empty = true
        for word in text.split(separator: " ", omittingEmptySubsequences: false) {
            if !empty, line.count + 1 + word.count > RefreshPlan.textWidth {
                lines.append(line)
                line = rest + word
            } else {
                line += (empty ? "" : " ") + word
            }
            empty = false
        }
        lines.append(line)
        return lines
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}

extension ServicePlan {
    /// Why the service's action, its kill mode, how it is stopped and where each field came from.
    var explanation: [String] {
        let detail = PlanTextLayout.detailIndent
        var lines = ["\(detail)why: \(reason)", "\(detail)kill mode: \(killModePhrase)"]
        let how = howText(action: action, signal: signal, stopCommand: stopCommand, timeout: timeout, then: then, restartCommand: restartCommand, deadline: deadline)
        if !how.isEmpty { lines.append("\(detail)how: \(how)") }
        for source in sources {
            lines.append("\(detail)\(source.field): \(source.source)")
        }
        return lines
    }
}

/// `send SIGTERM, wait 30s, then kill`, and for a restart how it starts again; for a
/// postponement until when; empty for the other actions.
func howText(
    action: Action, signal: Signal?, stopCommand: [String]?, timeout: TimeSpan?, then: Escalation?,
    restartCommand: [String]?, deadline: Timestamp?
) -> String {
    switch action {
    case .shutdown, .restart:
        let how = stopCommand.map { "run \($0.joined(separator: " "))" } ?? signal.map { "send \($0)" } ?? ""
        var text = "\(how), wait \(timeout?.description ?? "?"), then \(then?.description ?? "?")"
        if action == .restart {
            text += restartCommand.map { "; start again with \($0.joined(separator: " "))" } ?? "; start again through the service manager"
        }
        return text
    case .postpone:
        if let deadline, let then { return "until \(deadline) at the latest, then \(then)" }
        return ""
    case .kill, .leaveRunning:
        return ""
    }
}
