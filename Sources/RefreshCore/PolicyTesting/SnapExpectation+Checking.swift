extension SnapExpectation {
    /// Compares the expectation with `plan`.
    /// - Returns: one check per compared value, in the order the expectations are written;
    ///   an expectation about several processes (`apps:`) gives one check per process.
    public func check(_ plan: RefreshPlan) -> [PolicyTestCheck] {
        func make(_ location: SourceLocation, _ subject: String, expected: String, actual: String, reason: String? = nil, passed: Bool) -> PolicyTestCheck {
            PolicyTestCheck(location: location, snap: snap, subject: subject, expected: expected, actual: actual, reason: reason, passed: passed)
        }
        guard let snapPlan = plan.snap(snap) else {
            return [make(location, "plan", expected: "a plan for \(snap)", actual: "none: the refresh does not include \(snap)", passed: false)]
        }
        var checks: [PolicyTestCheck] = []
        if let outcome {
            let actual = snapPlan.outcome.rawValue + (snapPlan.error.map { " (\($0))" } ?? "")
            checks.append(make(outcome.location, "outcome", expected: outcome.value.rawValue, actual: actual, passed: snapPlan.outcome == outcome.value))
        }
        if let target {
            checks.append(make(target.location, "target revision", expected: "\(target.value)", actual: snapPlan.to?.description ?? "none", passed: snapPlan.to == target.value))
        }
        if let deadline {
            let actual = snapPlan.postponement?.deadline
            checks.append(make(deadline.location, "deadline", expected: "\(deadline.value)", actual: actual.map { "\($0)" } ?? "none (\(snapPlan.outcome.rawValue), not postponed)", passed: actual == deadline.value))
        }
        for process in processes {
            checks.append(contentsOf: process.check(snapPlan))
        }
        let kept = Dictionary(snapPlan.keep.map { ($0.revision, $0.why) }, uniquingKeysWith: { first, _ in first })
        let removed = Set(snapPlan.remove)
        func fate(_ revision: Revision) -> String {
            if let why = kept[revision] { return "kept (\(why))" }
            if removed.contains(revision) { return "removed" }
            return "neither kept nor removed (outcome \(snapPlan.outcome.rawValue))"
        }
        if let keep {
            if keep.revisions.isEmpty {
                let actual = snapPlan.keep.map(\.revision.description).joined(separator: ", ")
                checks.append(make(keep.location, "kept revisions", expected: "none", actual: actual.isEmpty ? "none" : actual, passed: snapPlan.keep.isEmpty))
            }
            for revision in keep.revisions {
                checks.append(make(revision.location, "revision \(revision.value)", expected: "kept", actual: fate(revision.value), passed: kept[revision.value] != nil))
            }
        }
        if let remove {
            if remove.revisions.isEmpty {
                let actual = snapPlan.remove.map(\.description).joined(separator: ", ")
                checks.append(make(remove.location, "removed revisions", expected: "none", actual: actual.isEmpty ? "none" : actual, passed: snapPlan.remove.isEmpty))
            }
            for revision in remove.revisions {
                checks.append(make(revision.location, "revision \(revision.value)", expected: "removed", actual: fate(revision.value), passed: removed.contains(revision.value)))
            }
        }
        let warnings = plan.warnings(about: snap)
        let allWarnings = warnings.isEmpty ? "no warning about \(snap)" : warnings.map { "'\($0)'" }.joined(separator: ", ")
        for text in warningsContaining {
            let match = warnings.first { $0.contains(text.value) }
            checks.append(make(text.location, "warnings", expected: "a warning containing '\(text.value)'", actual: match.map { "'\($0)'" } ?? allWarnings, passed: match != nil))
        }
        for text in warningsAbsent {
            let match = warnings.first { $0.contains(text.value) }
            checks.append(make(text.location, "warnings", expected: "no warning containing '\(text.value)'", actual: match.map { "'\($0)'" } ?? "none contains '\(text.value)'", passed: match == nil))
        }
        return checks
    }
}

extension ProcessExpectation {
    /// Compares the expectation with the decisions in `snapPlan`.
    /// - Returns: for each process the selector matches, one check per field the expectation
    ///   sets; a single failed check when it matches none.
    public func check(_ snapPlan: SnapPlan) -> [PolicyTestCheck] {
        let decisions = snapPlan.processes.filter { selector.value.matches($0) }
        guard !decisions.isEmpty else {
            let expected: String
            switch selector.value {
            case .pid: expected = "a decision"
            case .app: expected = "a decision for at least one of its processes"
            }
            return [PolicyTestCheck(
                location: selector.location, snap: snapPlan.name, subject: "\(selector.value)",
                expected: expected, actual: "none: no such process in the plan of \(snapPlan.name)", passed: false)]
        }
        var checks: [PolicyTestCheck] = []
        for decision in decisions {
            let who: String
            switch selector.value {
            case .pid: who = "pid \(decision.identity.pid)"
            case .app: who = "\(selector.value) (pid \(decision.identity.pid))"
            }
            func make<Value: Equatable>(_ field: Located<Value>?, _ name: String, _ actual: Value?, _ show: (Value) -> String, none: String = "none") {
                guard let field else { return }
                checks.append(PolicyTestCheck(
                    location: field.location, snap: snapPlan.name, subject: "\(who): \(name)", expected: show(field.value),
                    actual: actual.map(show) ?? none, reason: decision.reason, passed: actual == field.value))
            }
            make(action, "action", decision.action, \.rawValue)
            let stopNote = decision.stopCommand.map { "none (stop-command: \($0.joined(separator: " ")))" } ?? "none"
            make(signal, "signal", decision.signal, \.rawValue, none: stopNote)
            let signalNote = decision.signal.map { "none (signal: \($0))" } ?? "none"
            make(stopCommand, "stop-command", decision.stopCommand, { $0.joined(separator: " ") }, none: signalNote)
            make(timeout, "timeout", decision.timeout, \.description)
            make(then, "then", decision.then, \.rawValue)
            make(deadline, "deadline", decision.deadline, \.description)
            make(role, "role", decision.role, \.rawValue)
            make(service, "service", decision.service, { $0 }, none: "none (\(decision.role))")
            if let reasonContains {
                checks.append(PolicyTestCheck(
                    location: reasonContains.location, snap: snapPlan.name, subject: "\(who): reason",
                    expected: "a reason containing '\(reasonContains.value)'", actual: "'\(decision.reason)'",
                    passed: decision.reason.contains(reasonContains.value)))
            }
        }
        return checks
    }
}
