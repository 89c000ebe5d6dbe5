extension RefreshPlan {
    /// The plan for people: a section per snap, each decision with why; stable line for line.
    public func text() -> String {
        var lines: [String] = []
        if snaps.isEmpty { lines.append("nothing to refresh: no snaps were named") }
        for snap in snaps {
            if !lines.isEmpty { lines.append("") }
            lines.append(contentsOf: snap.textLines)
        }
        if !warnings.isEmpty {
            lines.append("")
            lines.append("warnings:")
            lines.append(contentsOf: warnings.map { "  - \($0)" })
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

extension SnapPlan {
    var textLines: [String] {
        let fromText = from?.description ?? "(none)"
        let toText = to?.description ?? "(none)"
        var lines: [String]
        switch outcome {
        case .refresh: lines = ["\(name): refresh \(fromText) -> \(toText)"]
        case .postponed: lines = ["\(name): postponed (\(fromText) -> \(toText))"]
        case .upToDate: lines = ["\(name): up to date at \(fromText)"]
        case .error: lines = ["\(name): error: \(error ?? "cannot refresh")"]
        }
        if let postponement {
            lines.append("  postponed since \(postponement.since), until \(postponement.deadline) at the latest")
        }
        // Each service as a whole, then its main process and its other members; then the
        // processes that are in no service.
        var shown = Set<Int32>()
        for service in services {
            lines.append(contentsOf: service.textLines)
            let members = processes.filter { $0.service == service.unit }
            for decision in members where decision.role == .main {
                lines.append(contentsOf: decision.textLines(indent: "    ", service: service))
            }
            for decision in members where decision.role != .main {
                lines.append(contentsOf: decision.textLines(indent: "    ", service: service))
            }
            for decision in members { shown.insert(decision.identity.pid) }
        }
        for decision in processes where !shown.contains(decision.identity.pid) {
            lines.append(contentsOf: decision.textLines(indent: "  ", service: nil))
        }
        for kept in keep {
            lines.append("  keep revision \(kept.revision): \(kept.why)")
        }
        for revision in remove {
            lines.append("  remove revision \(revision)")
        }
        return lines
    }
}

extension ServicePlan {
    var textLines: [String] {
        var head = "  service \(unit) (revision \(revision), kill mode \(killMode)): \(action)"
        head += howText(action: action, signal: signal, stopCommand: stopCommand, timeout: timeout, then: then, restartCommand: restartCommand, deadline: deadline)
        var lines = [head, "      why: \(reason)", "      kill mode: \(killModePhrase)"]
        for source in sources {
            lines.append("      \(source.field): \(source.source)")
        }
        return lines
    }
}

/// `: send SIGTERM, wait 30s, then kill`, and for a restart how it starts again; for a
/// postponement until when.
func howText(
    action: Action, signal: Signal?, stopCommand: [String]?, timeout: TimeSpan?, then: Escalation?,
    restartCommand: [String]?, deadline: Timestamp?
) -> String {
    switch action {
    case .shutdown, .restart:
        let how = stopCommand.map { "run \($0.joined(separator: " "))" } ?? signal.map { "send \($0)" } ?? ""
        var text = ": \(how), wait \(timeout?.description ?? "?"), then \(then?.description ?? "?")"
        if action == .restart {
            text += restartCommand.map { "; start again with \($0.joined(separator: " "))" } ?? "; start again through the service manager"
        }
        return text
    case .postpone:
        if let deadline, let then { return " until \(deadline) at the latest, then \(then)" }
        return ""
    case .kill, .leaveRunning:
        return ""
    }
}

extension ProcessDecision {
    /// - Parameter service: the plan of the service the process belongs to, when it is listed
    ///   under it: its main process and the members that go with it show only their action,
    ///   as the service line says how and why.
    func textLines(indent: String, service: ServicePlan?) -> [String] {
        var head = "\(indent)pid \(identity.pid) \(role) \(appLabel) (revision \(revision)"
        if let pins { head += ", pins \(pins)" }
        head += "): \(action)"
        let detail = indent + "    "
        if let service, service.stopped.contains(identity) {
            // Its fate is the service's.
            return role == .main ? [head] : [head, "\(detail)why: \(reason)"]
        }
        head += howText(action: action, signal: signal, stopCommand: stopCommand, timeout: timeout, then: then, restartCommand: restartCommand, deadline: deadline)
        var lines = [head, "\(detail)why: \(reason)"]
        for source in sources {
            lines.append("\(detail)\(source.field): \(source.source)")
        }
        return lines
    }
}
