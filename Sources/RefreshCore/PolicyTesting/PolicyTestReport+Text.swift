extension PolicyTestReport {
    /// The report for people: a `PASS` or `FAIL` line per case with its `file:line`, under a
    /// failed case each failed check with the expectation's `file:line`, what was expected,
    /// what the plan shows and the decision's reason; then `N passed, N failed` on the last
    /// line. Empty when loading failed: the diagnostics say why.
    /// - Parameter verbose: list the passed checks too, with what the plan shows.
    public func text(verbose: Bool = false) -> String {
        guard !hasErrors else { return "" }
        var lines: [String] = []
        for result in results {
            lines.append("\(result.passed ? "PASS" : "FAIL") \(result.location.fileAndLine): \(result.name)")
            var lastReason: String?
            for check in result.checks where verbose || !check.passed {
                let what = check.passed ? "\(check.actual), as expected" : "expected \(check.expected), actual \(check.actual)"
                lines.append("  \(check.location.fileAndLine): \(check.snap): \(check.subject): \(what)")
                if let reason = check.reason, reason != lastReason {
                    lines.append("    why: \(reason)")
                }
                lastReason = check.reason
            }
        }
        lines.append("\(passed) passed, \(failed) failed")
        return lines.joined(separator: "\n") + "\n"
    }
}
