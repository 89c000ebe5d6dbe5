extension Policy {
    /// A warning for each rule that an earlier rule shadows completely: the earlier one's
    /// snap pattern covers this one's, and it names no app or an app pattern that covers this
    /// one's. Such a rule never decides anything.
    func shadowingWarnings() -> [Diagnostic] {
        var warnings: [Diagnostic] = []
        for (index, rule) in rules.enumerated() {
            let shadow = rules[..<index].first { earlier in
                guard earlier.snap != rule.snap || earlier.app != rule.app else { return false }
                guard earlier.snap.covers(rule.snap) else { return false }
                guard let earlierApp = earlier.app else { return true }
                guard let app = rule.app else { return false }
                return earlierApp.covers(app)
            }
            if let shadow {
                warnings.append(.warning(at: rule.location, "\(rule.label) never applies: \(shadow.label) at line \(shadow.location.line) matches everything it matches and comes first; move it above that rule or remove it"))
            }
        }
        return warnings
    }
}
