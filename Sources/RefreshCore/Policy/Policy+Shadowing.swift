extension Policy {
    /// A warning for each rule that an earlier rule shadows completely: the earlier one's
    /// snap pattern covers this one's, and it names no app (no exe) or an app (exe) pattern
    /// that covers this one's. Such a rule never decides anything.
    ///
    /// And a warning for a rule with `exe` that comes after a rule with `app` for the same
    /// snaps: the earlier rule decides that app's processes that run the executable (the
    /// children a service started in its cgroup), which is rarely what the author meant.
    func shadowingWarnings() -> [Diagnostic] {
        var warnings: [Diagnostic] = []
        for (index, rule) in rules.enumerated() {
            let shadow = rules[..<index].first { earlier in
                guard earlier.snap != rule.snap || earlier.app != rule.app || earlier.exe != rule.exe else { return false }
                guard earlier.snap.covers(rule.snap) else { return false }
                if let earlierApp = earlier.app {
                    guard let app = rule.app, earlierApp.covers(app) else { return false }
                }
                if let earlierExe = earlier.exe {
                    guard let exe = rule.exe, earlierExe.covers(exe) else { return false }
                }
                return true
            }
            if let shadow {
                warnings.append(.warning(at: rule.location, "\(rule.label) never applies: \(shadow.label) at line \(shadow.location.line) matches everything it matches and comes first; move it above that rule or remove it"))
                continue
            }
            guard let exe = rule.exe else { continue }
            let overlapping = rules[..<index].first { earlier in
                guard earlier.exe == nil, let earlierApp = earlier.app else { return false }
                guard earlier.snap.covers(rule.snap) || rule.snap.covers(earlier.snap) else { return false }
                guard let app = rule.app else { return true }
                return earlierApp.covers(app) || app.covers(earlierApp)
            }
            if let earlier = overlapping, let app = earlier.app {
                warnings.append(.warning(at: rule.location, "\(rule.label) comes after \(earlier.label) at line \(earlier.location.line), so the processes of app \(app) that run \(exe) (such as those a service starts in its cgroup) are decided by that rule, not by this one; move this rule above it if it should decide them"))
            }
        }
        return warnings
    }
}
