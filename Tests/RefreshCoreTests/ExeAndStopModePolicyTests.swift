import Testing
@testable import RefreshCore
@testable import RefreshHost
import RefreshIO

/// The policy's `exe` selector and `stop-mode` key: parsing, errors with positions, matching,
/// duplicates and shadowing.
@Suite("Policy: exe and stop-mode")
struct ExeAndStopModePolicyTests {
    static func at(_ diagnostic: Diagnostic) -> String { "\(diagnostic.location.line):\(diagnostic.location.column)" }

    static let errorCases: [InputErrorCase] = [
        .init("exe with a leading slash", """
            version: 1
            rules:
              - snap: libvirt
                exe: /usr/bin/qemu-system-x86_64
            """, 4, 10, "exe pattern '/usr/bin/qemu-system-x86_64' starts with '/'; exe is the path inside the revision, without the leading slash: write \"usr/bin/qemu-system-x86_64\""),
        .init("an empty exe", """
            version: 1
            rules:
              - snap: libvirt
                exe: ""
            """, 4, 10, "exe pattern must not be empty"),
        .init("exe with a control character", """
            version: 1
            rules:
              - snap: libvirt
                exe: "usr/bin/qemu\\t"
            """, 4, 10, "exe pattern \"usr/bin/qemu\\t\" holds a control character (byte 9); write the path as the file is named"),
        .init("exe with an unclosed class", """
            version: 1
            rules:
              - snap: libvirt
                exe: "usr/bin/qemu-[xa"
            """, 4, 10, "unclosed '[' in pattern 'usr/bin/qemu-[xa'"),
        .init("exe that is not a string", """
            version: 1
            rules:
              - snap: libvirt
                exe: [a, b]
            """, 4, 10, "exe pattern"),
        .init("exe in defaults", """
            version: 1
            defaults:
              exe: usr/bin/x
            """, 3, 3, "unknown key 'exe' in defaults"),
        .init("a misspelt stop-mode", """
            version: 1
            rules:
              - snap: libvirt
                stop-mode: sigtrem
            """, 4, 16, "unknown stop-mode 'sigtrem'; expected one of: sigterm, sigterm-all, sighup, sighup-all, sigusr1, sigusr1-all, sigusr2, sigusr2-all, sigint, sigint-all (did you mean 'sigterm'?)"),
        .init("a stop-mode in signal's spelling", """
            version: 1
            rules:
              - snap: libvirt
                stop-mode: SIGTERM-all
            """, 4, 16, "unknown stop-mode 'SIGTERM-all'; stop-mode has snap.yaml's lowercase spellings: write 'sigterm-all'"),
        .init("stop-mode with signal", """
            version: 1
            rules:
              - snap: libvirt
                signal: SIGINT
                stop-mode: sigterm
            """, 5, 16, "both 'stop-mode' and 'signal' in rule 1; stop-mode names the stop signal too (sigterm sends SIGTERM): remove 'signal: SIGINT' or the stop-mode"),
        .init("stop-mode with signal in defaults", """
            version: 1
            defaults:
              stop-mode: sighup-all
              signal: SIGINT
            """, 3, 14, "both 'stop-mode' and 'signal' in defaults"),
        .init("stop-mode in a rule with exe", """
            version: 1
            rules:
              - snap: libvirt
                exe: "usr/bin/qemu-*"
                on-refresh: shutdown
                stop-mode: sigterm
            """, 6, 16, "'stop-mode' in rule 1, which has 'exe': a rule with exe decides single processes, while stop-mode says which processes of a whole service its stop reaches"),
        .init("stop-mode with kill", """
            version: 1
            rules:
              - snap: libvirt
                on-refresh: kill
                stop-mode: sigterm
            """, 5, 16, "'stop-mode' means nothing with 'on-refresh: kill', which stops nothing gracefully; remove it or use 'on-refresh: shutdown'"),
        .init("stop-mode with leave-running", """
            version: 1
            defaults:
              on-refresh: leave-running
              stop-mode: sigterm
            """, 4, 14, "'stop-mode' means nothing with 'on-refresh: leave-running'"),
        .init("stop-mode with a postponement that ends in a kill", """
            version: 1
            rules:
              - snap: libvirt
                on-refresh: postpone
                then: kill
                stop-mode: sigint
            """, 6, 16, "'stop-mode' means nothing with 'on-refresh: postpone' and 'then: kill', which stop nothing gracefully; remove it, or use 'then: shutdown' or 'then: restart'"),
        .init("the same snap, app and exe twice", """
            version: 1
            rules:
              - snap: libvirt
                exe: "usr/bin/qemu-*"
                on-refresh: leave-running
              - snap: libvirt
                exe: "usr/bin/qemu-*"
                on-refresh: kill
            """, 6, 5, "rule 2 (snap: libvirt, exe: usr/bin/qemu-*) selects exactly what rule 1 (snap: libvirt, exe: usr/bin/qemu-*) at line 3 selects"),
    ]

    @Test("each error has its exact position and message", arguments: errorCases)
    func singleError(_ c: InputErrorCase) {
        let diagnostics = refusal { _ = try Policy(parsing: c.yaml, file: "policy.yaml") }
        let errors = diagnostics.filter { $0.severity == .error }
        #expect(errors.count == 1, "expected exactly one error, got:\n\(diagnostics.map(\.description).joined(separator: "\n"))")
        guard let error = errors.first else { return }
        #expect(Self.at(error) == "\(c.line):\(c.column)", "\(error)")
        for part in c.message.components(separatedBy: " … ") {
            #expect(error.message.contains(part), "\(error)")
        }
    }

    @Test func meaningfulCombinationsAreAccepted() throws {
        let policy = try Policy(parsing: """
            version: 1
            defaults:
              stop-mode: sigterm
            rules:
              - snap: libvirt
                exe: "usr/bin/qemu-system-*"
                on-refresh: leave-running
              - snap: libvirt
                app: libvirtd
                exe: usr/sbin/libvirtd
                on-refresh: restart
              - snap: libvirt
                app: libvirtd
                on-refresh: shutdown
                stop-mode: sigint-all
                stop-command: ["/usr/local/bin/stop-libvirtd"]
              - snap: firefox
                on-refresh: postpone
                stop-mode: sighup
            """, file: "policy.yaml")
        #expect(policy.defaults.stopMode?.value.description == "sigterm")
        #expect(policy.rules.map { $0.exe?.pattern } == ["usr/bin/qemu-system-*", "usr/sbin/libvirtd", nil, nil])
        #expect(policy.rules.map { $0.settings.stopMode?.value.description } == [nil, nil, "sigint-all", "sighup"])
        #expect(policy.rules[0].label == "rule 1 (snap: libvirt, exe: usr/bin/qemu-system-*)")
        #expect(policy.rules[0].settings.stopMode == nil)
        #expect(policy.rules[2].settings.stopMode?.location.line == 15)
    }

    // MARK: Matching

    struct GlobCase: Sendable, CustomTestStringConvertible {
        let pattern: String
        let matching: [String]
        let notMatching: [String]
        var testDescription: String { pattern }
    }

    static let globCases: [GlobCase] = [
        .init(pattern: "usr/bin/qemu-system-*", matching: ["usr/bin/qemu-system-x86_64", "usr/bin/qemu-system-"],
              notMatching: ["usr/bin/qemu-system-x86_64/x", "usr/bin/qemu-img", "/usr/bin/qemu-system-x86_64", "bin/qemu-system-x86_64"]),
        .init(pattern: "*", matching: ["sleep", "a b"], notMatching: ["bin/sleep", "/sleep"]),
        .init(pattern: "usr/*/qemu", matching: ["usr/bin/qemu", "usr/sbin/qemu"], notMatching: ["usr/lib/x/qemu", "usr//x/qemu"]),
        .init(pattern: "usr/bin/q?mu", matching: ["usr/bin/qemu"], notMatching: ["usr/bin/q/mu", "usr/bin/qmu"]),
        .init(pattern: "a[!x]b", matching: ["a-b", "aYb"], notMatching: ["a/b", "axb"]),
        .init(pattern: "*/sleep", matching: ["bin/sleep"], notMatching: ["usr/bin/sleep", "sleep"]),
        .init(pattern: "bin/Sleep d", matching: ["bin/Sleep d"], notMatching: ["bin/sleep d"]),
    ]

    @Test(arguments: globCases)
    func exeGlobsNeverMatchASlashWithAWildcard(_ c: GlobCase) throws {
        let glob = try Glob.compile(c.pattern, for: .exe).get()
        for name in c.matching { #expect(glob.matches(name), "\(c.pattern) should match \(name)") }
        for name in c.notMatching { #expect(!glob.matches(name), "\(c.pattern) should not match \(name)") }
        // On names, `*` still matches anything.
        #expect(try Glob.compile("lib*", for: .snap).get().matches("lib-virt"))
    }

    @Test func aRuleWithExeNeverMatchesAnUnknownExecutable() throws {
        let policy = try Policy(parsing: "version: 1\nrules:\n  - snap: libvirt\n    exe: \"*\"\n", file: "policy.yaml")
        let rule = policy.rules[0]
        #expect(rule.matches(snap: SnapName("libvirt")!, app: nil, executable: "qemu"))
        #expect(!rule.matches(snap: SnapName("libvirt")!, app: nil, executable: nil))
        #expect(!rule.matches(snap: SnapName("libvirt")!, app: nil, executable: "bin/qemu"))
        #expect(policy.rule(for: SnapName("libvirt")!, app: AppName("libvirtd")) == nil)
    }

    @Test func exePatternsCoverOnlyWhatTheyMatch() throws {
        func g(_ p: String) throws -> Glob { try Glob.compile(p, for: .exe).get() }
        #expect(try g("usr/bin/*").covers(g("usr/bin/qemu-*")))
        #expect(try g("usr/bin/*").covers(g("usr/bin/qemu")))
        #expect(try !g("usr/bin/*").covers(g("usr/bin/x/qemu-*")))
        #expect(try !g("usr/*").covers(g("usr/bin/qemu")))
        #expect(try !g("*").covers(g("usr/bin/qemu-*")))
        #expect(try g("*").covers(g("qemu-*")))
    }

    // MARK: Shadowing

    struct ShadowCase: Sendable, CustomTestStringConvertible {
        let name: String
        let rules: String
        let warnings: [(String, String)]
        var testDescription: String { name }
    }

    static let shadowCases: [ShadowCase] = [
        .init(name: "a snap rule before an exe rule of that snap", rules: """
              - snap: libvirt
                on-refresh: restart
              - snap: libvirt
                exe: "usr/bin/qemu-*"
                on-refresh: leave-running
            """, warnings: [("5:5", "rule 2 (snap: libvirt, exe: usr/bin/qemu-*) never applies: rule 1 (snap: libvirt) at line 3 matches everything it matches and comes first")]),
        .init(name: "a wider exe rule before a narrower one", rules: """
              - snap: libvirt
                exe: "usr/bin/*"
              - snap: libvirt
                exe: "usr/bin/qemu-system-x86_64"
            """, warnings: [("5:5", "rule 2 (snap: libvirt, exe: usr/bin/qemu-system-x86_64) never applies: rule 1 (snap: libvirt, exe: usr/bin/*)")]),
        .init(name: "an exe rule does not shadow an app rule", rules: """
              - snap: libvirt
                exe: "usr/bin/qemu-*"
              - snap: libvirt
                app: libvirtd
            """, warnings: []),
        .init(name: "an exe rule does not shadow a deeper path", rules: """
              - snap: libvirt
                exe: "usr/*"
              - snap: libvirt
                exe: "usr/bin/qemu"
            """, warnings: []),
        .init(name: "an app rule before an exe rule: the exe rule misses that app's processes", rules: """
              - snap: libvirt
                app: libvirtd
                on-refresh: restart
              - snap: libvirt
                exe: "usr/bin/qemu-system-*"
                on-refresh: leave-running
            """, warnings: [("6:5", "rule 2 (snap: libvirt, exe: usr/bin/qemu-system-*) comes after rule 1 (snap: libvirt, app: libvirtd) at line 3, so the processes of app libvirtd that run usr/bin/qemu-system-* (such as those a service starts in its cgroup) are decided by that rule, not by this one; move this rule above it if it should decide them")]),
        .init(name: "an app rule of another snap before an exe rule", rules: """
              - snap: vlc
                app: vlc
              - snap: libvirt
                exe: "usr/bin/qemu-system-*"
            """, warnings: []),
    ]

    @Test("shadowed exe rules are warned about", arguments: shadowCases)
    func shadowing(_ c: ShadowCase) throws {
        let policy = try Policy(parsing: "version: 1\nrules:\n" + c.rules, file: "policy.yaml")
        #expect(policy.warnings.map(Self.at) == c.warnings.map(\.0), "\(policy.warnings)")
        for (warning, expected) in zip(policy.warnings, c.warnings) {
            #expect(warning.message.hasPrefix(expected.1), "\(warning)")
        }
    }
}
