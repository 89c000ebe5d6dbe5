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
        return lines.joined(separator: "\n") + "\n"
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
        for decision in processes {
            lines.append(contentsOf: decision.textLines)
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

extension ProcessDecision {
    var textLines: [String] {
        var head = "  pid \(identity.pid) \(appLabel) (revision \(revision)"
        if let pins { head += ", pins \(pins)" }
        head += "): \(action)"
        switch action {
        case .shutdown, .restart:
            let how = stopCommand.map { "run \($0.joined(separator: " "))" } ?? signal.map { "send \($0)" } ?? ""
            head += ": \(how), wait \(timeout?.description ?? "?"), then \(then?.description ?? "?")"
            if action == .restart {
                head += restartCommand.map { "; start again with \($0.joined(separator: " "))" } ?? "; start again through the service manager"
            }
        case .postpone:
            if let deadline, let then { head += " until \(deadline) at the latest, then \(then)" }
        case .kill, .leaveRunning:
            break
        }
        var lines = [head, "      why: \(reason)"]
        for source in sources {
            lines.append("      \(source.field): \(source.source)")
        }
        return lines
    }
}
