extension Policy {
    /// A warning for each rule that an earlier rule shadows completely: the earlier one's
    /// snap pattern covers this one's, and it names no app (no exe) or an app (exe) pattern
    /// that covers this one's. Such a rule never decides anything.
    ///
    /// And a warning for a rule with `exe` that comes after a rule with `app` for the same
    /// snaps: the earlier rule decides that app's processes that run the executable (the
    /// children a service started in its cgroup), which is rarely what the author meant.
    ///
    /// Near linear in the number of rules: a rule whose snap pattern is a literal name can only
    /// be covered by an earlier rule with the same name or with a wildcard in its snap pattern,
    /// and one with a wildcard only by an earlier wildcard (a literal never covers a wildcard),
    /// so only those earlier rules are tried, in file order.
    func shadowingWarnings() -> [Diagnostic] {
        var warnings: [Diagnostic] = []
        // The earlier rules by literal snap name, and those with a wildcard in their snap
        // pattern; each list in file order.
        var byLiteralSnap: [String: [Int]] = [:]
        var wildcardSnaps: [Int] = []
        for (index, rule) in rules.enumerated() {
            let candidates = rule.snap.isLiteral
                ? Self.merged(byLiteralSnap[rule.snap.pattern] ?? [], wildcardSnaps)
                : wildcardSnaps
            if rule.snap.isLiteral { byLiteralSnap[rule.snap.pattern, default: []].append(index) } else { wildcardSnaps.append(index) }
            let shadow = candidates.lazy.map { rules[$0] }.first { earlier in
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
            // A wildcard snap pattern may cover an earlier literal one too: then every earlier
            // rule is a candidate (rules with both a wildcard snap and an exe are few).
            let overlapCandidates = rule.snap.isLiteral ? candidates : Array(0..<index)
            let overlapping = overlapCandidates.lazy.map { rules[$0] }.first { earlier in
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

    /// Two ascending lists of rule indices as one.
    private static func merged(_ first: [Int], _ second: [Int]) -> [Int] {
        if first.isEmpty { return second }
        if second.isEmpty { return first }
        var result: [Int] = []
        result.reserveCapacity(first.count + second.count)
        var i = 0, j = 0
        while i < first.count || j < second.count {
            if j == second.count || (i < first.count && first[i] < second[j]) {
                result.append(first[i]); i += 1
            } else {
                result.append(second[j]); j += 1
            }
        }
        return result
    }
}
