import Testing
@testable import RefreshCore

/// The shadowing check tries only the earlier rules that could cover a rule (same literal snap
/// name, or a wildcard snap pattern). Compared here with trying every earlier rule, on policies
/// drawn from patterns that cover each other in every way the check knows.
@Suite struct ShadowingTests {
    /// Every earlier rule tried, in file order: the check before it was indexed.
    static func everyEarlierRule(_ policy: Policy) -> [String] {
        let rules = policy.rules
        var warnings: [String] = []
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
                warnings.append("\(rule.location.line): shadowed by \(shadow.location.line)")
                continue
            }
            guard rule.exe != nil else { continue }
            let overlapping = rules[..<index].first { earlier in
                guard earlier.exe == nil, let earlierApp = earlier.app else { return false }
                guard earlier.snap.covers(rule.snap) || rule.snap.covers(earlier.snap) else { return false }
                guard let app = rule.app else { return true }
                return earlierApp.covers(app) || app.covers(earlierApp)
            }
            if let overlapping { warnings.append("\(rule.location.line): after \(overlapping.location.line)") }
        }
        return warnings
    }

    /// The warnings the policy gave, in the reference's words.
    static func given(_ policy: Policy) -> [String] {
        policy.warnings.map { warning in
            let text = warning.message
            let line = warning.location.line
            // "... never applies: rule N (...) at line L ..." / "... comes after rule N (...) at line L, ..."
            let after = text.range(of: " at line ").map { text[$0.upperBound...].prefix { $0.isNumber } } ?? ""
            return text.contains("never applies") ? "\(line): shadowed by \(after)" : "\(line): after \(after)"
        }
    }

    /// A small deterministic generator (xorshift), so that a failure can be replayed.
    struct Generator {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return Int(state % UInt64(bound))
        }
    }

    @Test("indexed by snap name, the check warns exactly as trying every earlier rule does")
    func sameWarningsAsTryingEveryRule() throws {
        let snaps = ["vlc", "vlc-beta", "qemu", "*", "vlc*", "q*", "?lc", "[qv]*"]
        let apps: [String?] = [nil, nil, "vlc", "player", "*", "v*"]
        let exes: [String?] = [nil, nil, nil, "usr/bin/vlc", "usr/bin/*", "usr/*"]
        var generator = Generator(state: 0x9E37_79B9_7F4A_7C15)
        var warned = 0
        for _ in 0..<400 {
            var text = "version: 1\nrules:\n"
            for _ in 0..<(2 + generator.next(10)) {
                text += "  - snap: \"\(snaps[generator.next(snaps.count)])\"\n"
                if let app = apps[generator.next(apps.count)] { text += "    app: \"\(app)\"\n" }
                if let exe = exes[generator.next(exes.count)] { text += "    exe: \"\(exe)\"\n" }
                text += "    on-refresh: kill\n"
            }
            guard let policy = try? Policy(parsing: text, file: "p.yaml") else { continue }
            #expect(Self.given(policy) == Self.everyEarlierRule(policy), "\(text)")
            warned += policy.warnings.isEmpty ? 0 : 1
        }
        // The draw exercises the check: most policies get warnings, some none.
        #expect(warned > 100 && warned < 400, "\(warned)")
    }
}
