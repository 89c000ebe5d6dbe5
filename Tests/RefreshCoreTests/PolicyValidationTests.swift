import Foundation
import Testing
@testable import RefreshCore
@testable import RefreshHost
import RefreshIO

typealias PolicyErrorCase = InputErrorCase

/// Parses `text` as `policy.yaml` and returns the diagnostics of the error it throws; records
/// an issue (and returns `[]`) when it does not throw.
private func policyDiagnostics(
    _ text: String, sourceLocation: Testing.SourceLocation = #_sourceLocation
) -> [Diagnostic] {
    refusal(sourceLocation: sourceLocation) { _ = try Policy(parsing: text, file: "policy.yaml") }
}

/// Parses a policy that must be valid.
private func validPolicy(_ text: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> Policy {
    do {
        return try Policy(parsing: text, file: "policy.yaml")
    } catch {
        Issue.record("expected a valid policy, got:\n\(error)", sourceLocation: sourceLocation)
        throw error
    }
}

private func position(_ diagnostic: Diagnostic) -> String {
    "\(diagnostic.location.line):\(diagnostic.location.column)"
}

@Suite("Policy validation")
struct PolicyValidationTests {
    // MARK: - Every error path, one at a time

    static let keyAndTypeCases: [PolicyErrorCase] = [
        .init("unknown top-level key, with suggestion", """
            version: 1
            retian: 2
            """, 2, 1, "unknown key 'retian' in the policy file; expected one of: version, retain, defaults, rules … (did you mean 'retain'?)"),
        .init("unknown rule key, with suggestion", """
            version: 1
            rules:
              - snap: vlc
                on-refrsh: kill
            """, 4, 5, "unknown key 'on-refrsh' in rule 1; expected one of: snap, app, exe, on-refresh, signal, stop-mode, stop-command, timeout, then, max-postpone … (did you mean 'on-refresh'?)"),
        .init("unknown key in defaults (rule keys are not settings)", """
            version: 1
            defaults:
              snap: vlc
            """, 3, 3, "unknown key 'snap' in defaults; expected one of: on-refresh, signal, stop-mode, stop-command, timeout, then, max-postpone"),
        .init("a key that is a list", """
            version: 1
            [a]: 1
            """, 2, 1, "expected a key name in the policy file, found a list"),
        .init("the file is a list", """
            - version: 1
            """, 1, 1, "expected the policy file as a mapping of keys to values, found a list"),
        .init("the file is a string", """
            just text
            """, 1, 1, "expected the policy file as a mapping of keys to values, found the string 'just text'"),
        .init("retain as a quoted string", """
            version: 1
            retain: "2"
            """, 2, 9, "expected retain as a whole number from 2 to 20, found the string '2'"),
        .init("retain as a word", """
            version: 1
            retain: two
            """, 2, 9, "expected retain as a whole number from 2 to 20, found the string 'two'"),
        .init("retain as a list", """
            version: 1
            retain: [2]
            """, 2, 9, "expected retain as a whole number from 2 to 20, found a list"),
        .init("retain below 2", """
            version: 1
            retain: 1
            """, 2, 9, "retain must be from 2 to 20, is 1"),
        .init("retain above 20", """
            version: 1
            retain: 21
            """, 2, 9, "retain must be from 2 to 20, is 21"),
        .init("rules as a mapping", """
            version: 1
            rules:
              snap: vlc
            """, 3, 3, "expected rules as a list, found a mapping"),
        .init("rules as a string", """
            version: 1
            rules: vlc
            """, 2, 8, "expected rules as a list, found the string 'vlc'"),
        .init("a rule that is a string", """
            version: 1
            rules:
              - vlc
            """, 3, 5, "expected rule 1 as a mapping of keys to values, found the string 'vlc'"),
        .init("defaults as a list", """
            version: 1
            defaults: [kill]
            """, 2, 11, "expected defaults as a mapping of keys to values, found a list"),
        .init("stop-command as a string", """
            version: 1
            rules:
              - snap: my-db
                on-refresh: shutdown
                stop-command: /bin/stop
            """, 5, 19, "expected stop-command (a command and its arguments) as a list, found the string '/bin/stop'"),
        .init("stop-command word that is a list", """
            version: 1
            rules:
              - snap: my-db
                on-refresh: shutdown
                stop-command: [["/bin/stop"]]
            """, 5, 20, "expected stop-command word as a string, found a list"),
        .init("on-refresh as a list", """
            version: 1
            rules:
              - snap: vlc
                on-refresh: [kill]
            """, 4, 17, "expected action as a string, found a list"),
        .init("on-refresh as null", """
            version: 1
            rules:
              - snap: vlc
                on-refresh: ~
            """, 4, 17, "expected action as a string, found nothing (null)"),
        .init("timeout as a list", """
            version: 1
            rules:
              - snap: vlc
                on-refresh: shutdown
                timeout: [30s]
            """, 5, 14, "expected timeout as a duration such as 30s, found a list"),
        .init("then as a mapping", """
            version: 1
            rules:
              - snap: vlc
                on-refresh: shutdown
                then: {a: b}
            """, 5, 11, "expected escalation ('then') as a string, found a mapping"),
        .init("snap as null", """
            version: 1
            rules:
              - snap: ~
            """, 3, 11, "expected snap pattern as a string, found nothing (null)"),
        .init("snap as a list", """
            version: 1
            rules:
              - snap: [vlc]
            """, 3, 11, "expected snap pattern as a string, found a list"),
    ]

    static let versionCases: [PolicyErrorCase] = [
        .init("version missing", """
            retain: 2
            """, 1, 1, "the policy file has no 'version'; add 'version: 1' at the top"),
        .init("version missing, the mapping starts after a comment", """
            # a policy
            retain: 2
            """, 2, 1, "the policy file has no 'version'"),
        .init("version 2", """
            version: 2
            """, 1, 10, "unsupported policy version 2; this refreshctl reads 'version: 1'"),
        .init("version as a quoted string", """
            version: "1"
            """, 1, 10, "expected the policy version as a number, found the string '1'; this refreshctl reads 'version: 1'"),
        .init("version as a list", """
            version: [1]
            """, 1, 10, "expected the policy version as a number, found a list; this refreshctl reads 'version: 1'"),
    ]

    static let globCases: [PolicyErrorCase] = [
        .init("uppercase snap glob", """
            version: 1
            rules:
              - snap: Vlc
            """, 3, 11, "pattern 'Vlc' holds 'V', which no snap name has; snap names have lowercase letters, digits and hyphens"),
        .init("dots in a snap glob", """
            version: 1
            rules:
              - snap: "../etc"
            """, 3, 11, "pattern '../etc' holds '.', which no snap name has"),
        .init("slash in a snap glob", """
            version: 1
            rules:
              - snap: "a/b"
            """, 3, 11, "pattern 'a/b' holds '/', which no snap name has"),
        .init("unclosed character class", """
            version: 1
            rules:
              - snap: "qemu-[a-"
            """, 3, 11, "unclosed '[' in pattern 'qemu-[a-'; close the character class with ']'"),
        .init("empty snap pattern", """
            version: 1
            rules:
              - snap: ""
            """, 3, 11, "snap pattern must not be empty"),
        .init("empty character class", """
            version: 1
            rules:
              - snap: "[]"
            """, 3, 11, "empty character class '[]' in pattern '[]'"),
        .init("range high to low", """
            version: 1
            rules:
              - snap: "[z-a]"
            """, 3, 11, "bad range in pattern '[z-a]'; write ranges low to high, such as [a-z]"),
        .init("uppercase in a snap character class", """
            version: 1
            rules:
              - snap: "[A-Z]*"
            """, 3, 11, "character class in pattern '[A-Z]*' holds 'A'; snap names only have lowercase letters, digits and hyphens"),
        .init("underscore in an app glob", """
            version: 1
            rules:
              - snap: vlc
                app: "Foo_bar"
            """, 4, 10, "pattern 'Foo_bar' holds '_', which no app name has; app names have letters, digits and hyphens"),
        .init("empty app pattern", """
            version: 1
            rules:
              - snap: vlc
                app: ""
            """, 4, 10, "app pattern must not be empty"),
        .init("non-ASCII app glob; column counts characters, not bytes", """
            version: 1
            rules:
              - {app: "é€x", snap: vlc, on-refresh: kill}
            """, 3, 11, "pattern 'é€x' holds a non-ASCII character"),
    ]

    static let durationCases: [PolicyErrorCase] = [
        .init("timeout without a unit", """
            version: 1
            rules:
              - snap: vlc
                on-refresh: shutdown
                timeout: 30
            """, 5, 14, "timeout: duration '30' has no unit; expected a duration such as 30s, 2m, 1h or 14d (units: ms, s, m, h, d)"),
        .init("timeout with an unknown unit", """
            version: 1
            rules:
              - snap: vlc
                on-refresh: shutdown
                timeout: 5x
            """, 5, 14, "timeout: unknown unit 'x' in duration '5x'"),
        .init("negative timeout", """
            version: 1
            rules:
              - snap: vlc
                on-refresh: shutdown
                timeout: -1s
            """, 5, 14, "timeout: duration '-1s' is negative"),
        .init("timeout with two decimal points", """
            version: 1
            rules:
              - snap: vlc
                on-refresh: shutdown
                timeout: 1.2.3s
            """, 5, 14, "timeout: invalid duration '1.2.3s'"),
        .init("empty timeout", """
            version: 1
            rules:
              - snap: vlc
                on-refresh: shutdown
                timeout: ""
            """, 5, 14, "timeout: empty duration"),
        .init("nanoseconds are not a policy unit", """
            version: 1
            defaults:
              timeout: 100ns
            """, 3, 12, "timeout: unknown unit 'ns' in duration '100ns'"),
        .init("weeks are not a unit", """
            version: 1
            rules:
              - snap: firefox
                on-refresh: postpone
                max-postpone: 2w
            """, 5, 19, "max-postpone: unknown unit 'w' in duration '2w'"),
        .init("a unit without a number", """
            version: 1
            defaults:
              timeout: s
            """, 3, 12, "timeout: invalid duration 's'"),
    ]

    static let valueCases: [PolicyErrorCase] = [
        .init("unknown signal", """
            version: 1
            rules:
              - snap: vlc
                on-refresh: shutdown
                signal: SIGFOO
            """, 5, 13, "unknown signal 'SIGFOO'; expected one of: SIGHUP, SIGINT, SIGQUIT, SIGABRT, SIGKILL, SIGUSR1, SIGUSR2, SIGALRM, SIGTERM"),
        .init("unknown action leave_running", """
            version: 1
            rules:
              - snap: vlc
                on-refresh: leave_running
            """, 4, 17, "unknown action 'leave_running'; expected one of: leave-running, shutdown, kill, restart, postpone (did you mean 'leave-running'?)"),
        .init("unknown action in defaults", """
            version: 1
            defaults:
              on-refresh: stop
            """, 3, 15, "unknown action 'stop'; expected one of: leave-running, shutdown, kill, restart, postpone"),
        .init("unknown escalation", """
            version: 1
            rules:
              - snap: vlc
                on-refresh: shutdown
                then: explode
            """, 5, 11, "unknown escalation ('then') 'explode'; expected one of: kill, leave-running, abort, shutdown, restart"),
        .init("then on kill", """
            version: 1
            rules:
              - snap: vlc
                on-refresh: kill
                then: kill
            """, 5, 11, "'then' means nothing with 'on-refresh: kill', which never waits; remove it"),
        .init("then on leave-running", """
            version: 1
            rules:
              - snap: vlc
                on-refresh: leave-running
                then: shutdown
            """, 5, 11, "'then' means nothing with 'on-refresh: leave-running', which never waits"),
        .init("then on kill in defaults", """
            version: 1
            defaults:
              on-refresh: kill
              then: kill
            """, 4, 9, "'then' means nothing with 'on-refresh: kill'"),
        .init("then: postpone", """
            version: 1
            rules:
              - snap: firefox
                on-refresh: postpone
                then: postpone
            """, 5, 11, "'then: postpone' would postpone forever; after a postponement choose one of: leave-running, shutdown, kill, restart; after a timed-out shutdown or restart: kill, leave-running, abort"),
        .init("then: abort after postpone", """
            version: 1
            rules:
              - snap: firefox
                on-refresh: postpone
                then: abort
            """, 5, 11, "'then: abort' cannot follow 'postpone'; expected one of: leave-running, shutdown, kill, restart"),
        .init("then: shutdown after shutdown", """
            version: 1
            defaults:
              on-refresh: shutdown
              then: shutdown
            """, 4, 9, "'then: shutdown' cannot follow 'shutdown'; expected one of: kill, leave-running, abort"),
        .init("max-postpone with on-refresh: kill", """
            version: 1
            rules:
              - snap: firefox
                on-refresh: kill
                max-postpone: 3d
            """, 5, 19, "max-postpone in rule 1, whose action is 'kill', not postpone; remove it or use 'on-refresh: postpone'"),
        .init("max-postpone in a rule without an action, no defaults", """
            version: 1
            rules:
              - snap: firefox
                max-postpone: 3d
            """, 4, 19, "max-postpone in rule 1, whose action is not postpone; add 'on-refresh: postpone' or remove max-postpone"),
        .init("max-postpone in a rule without an action, defaults shut down", """
            version: 1
            defaults:
              on-refresh: shutdown
            rules:
              - snap: vlc
                on-refresh: leave-running
              - snap: firefox
                max-postpone: 3d
            """, 8, 19, "max-postpone in rule 2, whose action is not postpone"),
        .init("max-postpone in defaults whose action is shutdown", """
            version: 1
            defaults:
              on-refresh: shutdown
              max-postpone: 3d
            """, 4, 17, "max-postpone in defaults, whose action is 'shutdown', not postpone"),
        .init("signal and stop-command together", """
            version: 1
            rules:
              - snap: my-db
                on-refresh: shutdown
                signal: SIGTERM
                stop-command: ["/bin/db-ctl", "stop"]
            """, 5, 13, "both 'signal' and 'stop-command' in rule 1; a shutdown uses one of them: remove one"),
        .init("signal and stop-command together in defaults", """
            version: 1
            defaults:
              stop-command: ["/bin/stop"]
              signal: SIGINT
            """, 4, 11, "both 'signal' and 'stop-command' in defaults"),
        .init("signal on kill", """
            version: 1
            rules:
              - snap: vlc
                on-refresh: kill
                signal: SIGTERM
            """, 5, 13, "'signal' means nothing with 'on-refresh: kill', which stops nothing gracefully; remove it or use 'on-refresh: shutdown'"),
        .init("timeout on kill", """
            version: 1
            rules:
              - snap: vlc
                on-refresh: kill
                timeout: 10s
            """, 5, 14, "'timeout' means nothing with 'on-refresh: kill'"),
        .init("stop-command on leave-running", """
            version: 1
            rules:
              - snap: vlc
                on-refresh: leave-running
                stop-command: ["/bin/stop"]
            """, 5, 19, "'stop-command' means nothing with 'on-refresh: leave-running'"),
        .init("relative stop-command", """
            version: 1
            rules:
              - snap: my-db
                on-refresh: shutdown
                stop-command: ["bin/db-ctl", "stop"]
            """, 5, 20, "stop-command must start with an absolute path, not 'bin/db-ctl'"),
        .init("empty stop-command", """
            version: 1
            rules:
              - snap: my-db
                on-refresh: shutdown
                stop-command: []
            """, 5, 19, "stop-command is empty; give the command and its arguments"),
        .init("empty stop-command word", """
            version: 1
            rules:
              - snap: my-db
                on-refresh: shutdown
                stop-command: ["/bin/db-ctl", ""]
            """, 5, 35, "stop-command word must not be empty"),
    ]

    static let ruleCases: [PolicyErrorCase] = [
        .init("a rule without snap", """
            version: 1
            rules:
              - snap: vlc
              - on-refresh: kill
            """, 4, 5, "rule 2 has no 'snap'; every rule needs a snap name or pattern, such as snap: \"*\""),
        .init("a rule with an app but no snap", """
            version: 1
            rules:
              - app: vlc
                on-refresh: kill
            """, 3, 5, "rule 1 has no 'snap'"),
        .init("two rules for the same snap", """
            version: 1
            rules:
              - snap: vlc
                on-refresh: leave-running
              - snap: vlc
                on-refresh: kill
            """, 5, 5, "rule 2 (snap: vlc) selects exactly what rule 1 (snap: vlc) at line 3 selects, so it is ambiguous which the author meant; merge the two rules into one"),
        .init("two rules for the same snap and app", """
            version: 1
            rules:
              - snap: libvirt
                app: libvirtd
                on-refresh: restart
              - snap: qemu-*
              - snap: libvirt
                app: libvirtd
                on-refresh: kill
            """, 7, 5, "rule 3 (snap: libvirt, app: libvirtd) selects exactly what rule 1 (snap: libvirt, app: libvirtd) at line 3 selects"),
    ]

    static let yamlCases: [PolicyErrorCase] = [
        .init("an anchor on a value", """
            version: 1
            rules:
              - snap: &s vlc
              - snap: qemu-virt
            """, 3, 11, "YAML anchors and aliases are not allowed; write the value out in full"),
        .init("an alias without its anchor", """
            version: 1
            rules:
              - snap: *s
            """, 3, 11, "YAML anchors and aliases are not allowed; write the value out in full"),
        .init("a merge key: the anchor is reported", """
            version: 1
            defaults: &d
              on-refresh: kill
            rules:
              - snap: vlc
                <<: *d
            """, 2, 11, "YAML anchors and aliases are not allowed"),
        .init("bad indentation", """
            version: 1
            rules:
              - snap: vlc
               on-refresh: kill
            """, 4, 4, "invalid YAML: while parsing a block collection (started at 3:3): did not find expected '-' indicator"),
        .init("a tab used for indentation", "version: 1\n\tretain: 2\n", 2, 1,
              "invalid YAML: while scanning a plain scalar (started at 1:10): found a tab character that violates indentation"),
        .init("an empty file", "", 1, 1, "policy file is empty; it needs at least 'version: 1'"),
        .init("a file of blanks", "   \n\n", 1, 1, "policy file is empty"),
        .init("a file of comments", "# nothing yet\n# still nothing\n", 1, 1, "policy file is empty"),
        .init("two documents", """
            version: 1
            ---
            version: 1
            """, 2, 1, "invalid YAML: expected a single document in the stream, but found another document"),
    ]

    @Test("each error has its exact position and message", arguments:
        keyAndTypeCases + versionCases + globCases + durationCases + valueCases + ruleCases + yamlCases)
    func singleError(_ c: PolicyErrorCase) {
        let diagnostics = policyDiagnostics(c.yaml)
        let errors = diagnostics.filter { $0.severity == .error }
        #expect(errors.count == 1, "expected exactly one error, got:\n\(diagnostics.map(\.description).joined(separator: "\n"))")
        guard let error = errors.first else { return }
        #expect(error.location.file == "policy.yaml")
        #expect(position(error) == "\(c.line):\(c.column)", "\(error)")
        for part in c.message.components(separatedBy: " … ") {
            #expect(error.message.contains(part), "\(error)")
        }
    }

    @Test("an unknown key with no close match gets no suggestion")
    func unknownKeyWithoutSuggestion() {
        let errors = policyDiagnostics("version: 1\ncolour: red\n")
        #expect(errors.map(position) == ["2:1"])
        #expect(errors.first?.message.hasPrefix("unknown key 'colour' in the policy file; expected one of: version, retain, defaults, rules") == true)
        #expect(errors.first?.message.contains("did you mean") == false)
    }

    @Test("the error message is the first diagnostic, with a count of the others")
    func errorMessageSummarises() throws {
        let error = #expect(throws: RefreshCoreError.self) {
            try Policy(parsing: "version: 1\nretain: 1\ncolour: red\n", file: "policy.yaml")
        }
        #expect(error?.message == "policy.yaml:2:9: error: retain must be from 2 to 20, is 1 (and 1 more)")
        #expect(error?.description.split(separator: "\n").count == 2)
    }

    // MARK: - Duplicate keys

    @Test("a duplicate key is refused")
    func duplicateKeysAreRefused() {
        let topLevel = policyDiagnostics("version: 1\nretain: 2\nversion: 1\n")
        #expect(topLevel.count == 1)
        #expect(topLevel.first?.message == "duplicate key 'version' (first at 1:1); each key may appear only once in a mapping")

        let inRule = policyDiagnostics("""
            version: 1
            rules:
              - snap: vlc
                on-refresh: kill
                on-refresh: shutdown
            """)
        #expect(inRule.count == 1)
        #expect(inRule.first?.message.contains("duplicate key 'on-refresh'") == true)
    }

    @Test("a duplicate key is reported where it is repeated, not at its first occurrence")
    func duplicateKeyPosition() {
        let topLevel = policyDiagnostics("version: 1\nretain: 2\nversion: 1\n")
        let inRule = policyDiagnostics("""
            version: 1
            rules:
              - snap: vlc
                on-refresh: kill
                on-refresh: shutdown
            """)
        #expect(topLevel.map(position) == ["3:1"])
        #expect(inRule.map(position) == ["5:5"])
        #expect(inRule.first?.message == "duplicate key 'on-refresh' (first at 4:5); each key may appear only once in a mapping")
    }

    // MARK: - Anchors, size, YAML syntax

    @Test("an alias bomb fails fast at its first anchor")
    func billionLaughs() {
        var lines = [#"a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]"#]
        let names = Array("abcdefghijklmnopqrstuvwxyz".map(String.init))
        for i in 1..<20 {
            let previous = names[i - 1]
            lines.append("\(names[i]): &\(names[i]) [" + Array(repeating: "*\(previous)", count: 9).joined(separator: ",") + "]")
        }
        let text = lines.joined(separator: "\n") + "\n"
        let clock = ContinuousClock()
        var errors: [Diagnostic] = []
        let elapsed = clock.measure { errors = policyDiagnostics(text) }
        #expect(elapsed < .seconds(2))
        #expect(errors.map(position) == ["1:4"])
        #expect(errors.first?.message == "YAML anchors and aliases are not allowed; write the value out in full")
    }

    @Test("a file over 1 MiB is refused before parsing; exactly 1 MiB is read")
    func sizeLimit() throws {
        let header = "version: 1\n# "
        let exact = header + String(repeating: "x", count: YAMLDocument.maximumSize - header.utf8.count)
        #expect(exact.utf8.count == 1 << 20)
        let policy = try validPolicy(exact)
        #expect(policy.rules.isEmpty)

        let errors = policyDiagnostics(exact + "x")
        #expect(errors.map(position) == ["1:1"])
        #expect(errors.first?.message.contains("file is 1048577 bytes, more than the 1 MiB (1048576 bytes) allowed") == true)
    }

    @Test("a YAML syntax error mid-file is reported where the parser found it")
    func unclosedFlowSequence() {
        let errors = policyDiagnostics("""
            version: 1
            rules: [a, b
            retain: 2
            """)
        #expect(errors.map(position) == ["3:7"])
        #expect(errors.first?.message == "invalid YAML: while parsing a flow sequence (started at 2:8): did not find expected ',' or ']'")
    }

    @Test("an unclosed quote names the line where the quote opened")
    func unclosedQuote() {
        let errors = policyDiagnostics("""
            version: 1
            rules:
              - snap: "vlc
                on-refresh: kill
              - snap: firefox
            """)
        #expect(errors.count == 1)
        // Reported where libyaml found the problem (the end of the file), naming where the
        // quote opened as libyaml's context.
        #expect(errors.map(position) == ["5:18"])
        #expect(errors.first?.message == "invalid YAML: while scanning a quoted scalar (started at 3:11): found unexpected end of stream")
    }

    @Test("two documents: the message says only one is allowed")
    func multiDocumentMessage() {
        let errors = policyDiagnostics("version: 1\n---\nversion: 1\n")
        #expect(errors.map(position) == ["2:1"])
        #expect(errors.first?.message.contains("expected a single document in the stream, but found another document") == true,
                "\(errors.first?.message ?? "")")
    }

    @Test("a single document with explicit markers is fine")
    func explicitDocumentMarkers() throws {
        let policy = try validPolicy("---\nversion: 1\nretain: 3\n...\n")
        #expect(policy.retain == 3)
    }

    @Test("positions survive a byte order mark and CRLF line ends")
    func bomAndCRLF() {
        let bom = policyDiagnostics("\u{FEFF}version: 2\n")
        #expect(bom.map(position) == ["1:10"])
        let crlf = policyDiagnostics("version: 1\r\nretain: 1\r\nrules:\r\n  - snap: vlc\r\n    on-refresh: bogus\r\n")
        #expect(crlf.map(position) == ["2:9", "5:17"])
    }

    @Test("columns count characters, not bytes")
    func unicodeColumns() {
        let errors = policyDiagnostics("""
            version: 1
            rules:
              - {app: "é€😀", snap: vlc, on-refresh: bogus}
            """)
        #expect(errors.map(position) == ["3:11", "3:41"])
    }

    // MARK: - Many errors at once

    @Test("every independent error is reported, sorted by position")
    func severalErrors() {
        let diagnostics = policyDiagnostics("""
            version: 1
            retain: 50
            rules:
              - snap: Vlc
                on-refresh: leave_running
              - snap: vlc
                timeout: 5x
                on-refresh: shutdown
              - on-refresh: kill
            colour: red
            """)
        #expect(diagnostics.map(position) == ["2:9", "4:11", "5:17", "7:14", "9:5", "10:1"])
        #expect(diagnostics.allSatisfy { $0.severity == .error && $0.location.file == "policy.yaml" })
        let starts = [
            "retain must be from 2 to 20", "pattern 'Vlc' holds 'V'", "unknown action 'leave_running'",
            "timeout: unknown unit 'x'", "rule 3 has no 'snap'", "unknown key 'colour'",
        ]
        #expect(diagnostics.count == starts.count)
        for (diagnostic, start) in zip(diagnostics, starts) {
            #expect(diagnostic.message.hasPrefix(start), "\(diagnostic)")
        }
    }

    @Test("errors in defaults and in rules are all reported")
    func errorsInDefaultsAndRules() {
        let diagnostics = policyDiagnostics("""
            version: 1
            defaults:
              on-refresh: kill
              then: kill
              signal: SIGHUP
              stop-command: ["/bin/x"]
            rules:
              - snap: vlc
                on-refresh: kill
            """)
        #expect(diagnostics.map(position) == ["4:9", "5:11", "5:11", "6:17"])
        let starts = ["'then' means nothing", "'signal' means nothing", "both 'signal' and 'stop-command' in defaults", "'stop-command' means nothing"]
        #expect(diagnostics.count == starts.count)
        for (diagnostic, start) in zip(diagnostics, starts) {
            #expect(diagnostic.message.hasPrefix(start), "\(diagnostic)")
        }
    }

    // MARK: - Valid policies

    static let designExample = """
        version: 1
        retain: 2                      # revisions kept, current included (as snapd's refresh.retain);
                                       # a revision still in use is kept beyond that until its last user exits
        defaults:
          on-refresh: shutdown
          signal: SIGTERM
          timeout: 30s
          then: kill
        rules:
          - snap: "qemu-*"             # glob on the snap name
            on-refresh: leave-running
          - snap: vlc
            on-refresh: leave-running
          - snap: libvirt
            app: libvirtd
            on-refresh: restart
          - snap: firefox
            on-refresh: postpone
            max-postpone: 14d
            then: shutdown
          - snap: my-db
            on-refresh: shutdown
            stop-command: ["/snap/my-db/current/bin/db-ctl", "shutdown"]
            timeout: 2m
        """

    @Test("DESIGN.md's example policy parses with the values it states")
    func designExampleParses() throws {
        let policy = try validPolicy(Self.designExample)
        #expect(policy.file == "policy.yaml")
        #expect(policy.retain == 2)
        #expect(policy.warnings.isEmpty)
        #expect(policy.defaults.onRefresh?.value == .shutdown)
        #expect(policy.defaults.onRefresh.map(locatedPosition) == "5:15")
        #expect(policy.defaults.signal?.value == .sigterm)
        #expect(policy.defaults.timeout?.value == .seconds(30))
        #expect(policy.defaults.then?.value == .kill)
        #expect(policy.defaults.maxPostpone == nil)
        #expect(policy.defaultsLocation?.line == 5)

        try #require(policy.rules.count == 5)
        #expect(policy.rules.map(\.number) == [1, 2, 3, 4, 5])
        #expect(policy.rules.map(\.snap.pattern) == ["qemu-*", "vlc", "libvirt", "firefox", "my-db"])
        #expect(policy.rules.map { $0.app?.pattern } == [nil, nil, "libvirtd", nil, nil])
        #expect(policy.rules.map(\.location.line) == [10, 12, 14, 17, 21])
        #expect(policy.rules.map { $0.settings.onRefresh?.value } == [.leaveRunning, .leaveRunning, .restart, .postpone, .shutdown])
        #expect(policy.rules[0].label == "rule 1 (snap: qemu-*)")
        #expect(policy.rules[2].label == "rule 3 (snap: libvirt, app: libvirtd)")
        #expect(policy.rules[3].settings.maxPostpone?.value == .days(14))
        #expect(policy.rules[3].settings.then?.value == .shutdown)
        #expect(policy.rules[4].settings.stopCommand?.value == ["/snap/my-db/current/bin/db-ctl", "shutdown"])
        #expect(policy.rules[4].settings.timeout?.value == .minutes(2))
        #expect(policy.rules[4].settings.signal == nil)
    }

    @Test("the shipped workstation policy parses")
    func shippedExampleParses() throws {
        let path = packageRootForPolicyTests() + "/Examples/policies/workstation.yaml"
        let policy = try Policy(contentsOf: path)
        #expect(policy.rules.count == 5)
        #expect(policy.warnings.isEmpty)
        #expect(policy.file == path)
    }

    @Test("rule matching: first match in file order, apps only when named")
    func ruleLookup() throws {
        let policy = try validPolicy(Self.designExample)
        func ruleNumber(_ snap: String, _ app: String?) -> Int? {
            policy.rule(for: SnapName(snap)!, app: app.flatMap(AppName.init))?.number
        }
        #expect(ruleNumber("qemu-virt", "qemu") == 1)
        #expect(ruleNumber("qemu", "qemu") == nil)
        #expect(ruleNumber("vlc", nil) == 2)
        #expect(ruleNumber("libvirt", "libvirtd") == 3)
        #expect(ruleNumber("libvirt", "virsh") == nil)
        #expect(ruleNumber("libvirt", nil) == nil)
        #expect(ruleNumber("my-db", "db") == 5)
    }

    @Test("max-postpone in a rule is fine when defaults postpone")
    func maxPostponeWithPostponingDefaults() throws {
        let policy = try validPolicy("""
            version: 1
            defaults:
              on-refresh: postpone
              then: kill
            rules:
              - snap: firefox
                max-postpone: 3d
            """)
        #expect(policy.rules.first?.settings.maxPostpone?.value == .days(3))
        #expect(policy.defaults.then?.value == .kill)
    }

    @Test("an empty rules list, null rules and null defaults are fine")
    func emptySections() throws {
        #expect(try validPolicy("version: 1\nrules: []\n").rules.isEmpty)
        #expect(try validPolicy("version: 1\nrules:\ndefaults:\n").rules.isEmpty)
        #expect(try validPolicy("version: 1\n").retain == Policy.defaultRetain)
    }

    @Test("retain bounds 2 and 20 are accepted", arguments: [2, 20])
    func retainBounds(_ retain: Int) throws {
        #expect(try validPolicy("version: 1\nretain: \(retain)\n").retain == retain)
    }

    // MARK: - Shadowing

    struct ShadowCase: Sendable, CustomTestStringConvertible {
        let name: String
        let rules: String
        /// `line:column` of each warning, and the start of its message.
        let warnings: [(String, String)]
        var testDescription: String { name }
    }

    static let shadowCases: [ShadowCase] = [
        .init(name: "* before vlc", rules: """
              - snap: "*"
                on-refresh: kill
              - snap: vlc
            """, warnings: [("5:5", "rule 2 (snap: vlc) never applies: rule 1 (snap: *) at line 3 matches everything it matches and comes first; move it above that rule or remove it")]),
        .init(name: "qemu-* before qemu-virt", rules: """
              - snap: qemu-*
              - snap: vlc
              - snap: qemu-virt
            """, warnings: [("5:5", "rule 3 (snap: qemu-virt) never applies: rule 1 (snap: qemu-*) at line 3")]),
        .init(name: "qemu-* before qemu-[a-z]*", rules: """
              - snap: qemu-*
              - snap: qemu-[a-z]*
            """, warnings: [("4:5", "rule 2 (snap: qemu-[a-z]*) never applies: rule 1 (snap: qemu-*)")]),
        .init(name: "snap-only rule before an app rule of the same snap", rules: """
              - snap: libvirt
                on-refresh: kill
              - snap: libvirt
                app: libvirtd
                on-refresh: restart
            """, warnings: [("5:5", "rule 2 (snap: libvirt, app: libvirtd) never applies: rule 1 (snap: libvirt) at line 3")]),
        .init(name: "glob app rule before a literal app rule", rules: """
              - snap: "x*"
                app: "d*"
              - snap: xy
                app: da
            """, warnings: [("5:5", "rule 2 (snap: xy, app: da) never applies: rule 1 (snap: x*, app: d*) at line 3")]),
        .init(name: "two shadowed rules, each warned about", rules: """
              - snap: "*"
              - snap: vlc
              - snap: firefox
            """, warnings: [("4:5", "rule 2 (snap: vlc) never applies"), ("5:5", "rule 3 (snap: firefox) never applies")]),
        .init(name: "an app rule before a snap-only rule", rules: """
              - snap: libvirt
                app: libvirtd
                on-refresh: restart
              - snap: libvirt
                on-refresh: kill
            """, warnings: []),
        .init(name: "unrelated globs", rules: """
              - snap: qemu-*
              - snap: vlc
              - snap: "lib*"
              - snap: "c?"
              - snap: core22
            """, warnings: []),
        .init(name: "a literal before a glob that matches more", rules: """
              - snap: vlc
              - snap: "vl*"
            """, warnings: []),
        .init(name: "same snap, different apps", rules: """
              - snap: libvirt
                app: libvirtd
              - snap: libvirt
                app: virsh
            """, warnings: []),
    ]

    @Test("shadowed rules are warned about, others are not", arguments: shadowCases)
    func shadowing(_ c: ShadowCase) throws {
        let policy = try validPolicy("version: 1\nrules:\n" + c.rules)
        #expect(policy.warnings.allSatisfy { $0.severity == .warning && $0.location.file == "policy.yaml" })
        #expect(policy.warnings.map(position) == c.warnings.map(\.0), "\(policy.warnings)")
        for (warning, expected) in zip(policy.warnings, c.warnings) {
            #expect(warning.message.hasPrefix(expected.1), "\(warning)")
        }
    }

    // MARK: - Globs

    struct GlobCase: Sendable, CustomTestStringConvertible {
        let pattern: String
        let matching: [String]
        let notMatching: [String]
        var testDescription: String { pattern }
    }

    static let globMatchCases: [GlobCase] = [
        .init(pattern: "*", matching: ["vlc", "a", "qemu-virt", ""], notMatching: []),
        .init(pattern: "vlc", matching: ["vlc"], notMatching: ["vl", "vlcc", "avlc", "VLC"]),
        .init(pattern: "qemu-*", matching: ["qemu-", "qemu-virt", "qemu-x-y"], notMatching: ["qemu", "qemuvirt", "xqemu-virt"]),
        .init(pattern: "*-virt", matching: ["qemu-virt", "-virt"], notMatching: ["qemu-virtual", "virt"]),
        .init(pattern: "a*b*c", matching: ["abc", "aXbYc", "abbbc", "acbc"], notMatching: ["acb", "ab", "abcd"]),
        .init(pattern: "**", matching: ["", "x"], notMatching: []),
        .init(pattern: "v?c", matching: ["vlc", "v-c", "v1c"], notMatching: ["vc", "vllc"]),
        .init(pattern: "??", matching: ["ab", "12"], notMatching: ["a", "abc"]),
        .init(pattern: "core[0-9][0-9]", matching: ["core18", "core22"], notMatching: ["core2", "corexx", "core222"]),
        .init(pattern: "[a-c]*", matching: ["a", "banana", "core"], notMatching: ["dog", "1a", ""]),
        .init(pattern: "[!a-c]*", matching: ["dog", "1a"], notMatching: ["a", "banana", ""]),
        .init(pattern: "[^0-9]x", matching: ["ax"], notMatching: ["1x", "x"]),
        .init(pattern: "x[ab-]", matching: ["xa", "xb", "x-"], notMatching: ["xc", "x"]),
        .init(pattern: "x[a-]", matching: ["xa", "x-"], notMatching: ["xb"]),
        .init(pattern: "*[0-9]", matching: ["core22", "x1"], notMatching: ["core", "22x"]),
    ]

    @Test("snap globs match whole names", arguments: globMatchCases)
    func globMatching(_ c: GlobCase) throws {
        let glob = try Glob.compile(c.pattern, for: .snap).get()
        #expect(glob.pattern == c.pattern)
        for name in c.matching { #expect(glob.matches(name), "\(c.pattern) should match '\(name)'") }
        for name in c.notMatching { #expect(!glob.matches(name), "\(c.pattern) should not match '\(name)'") }
    }

    @Test("app globs allow uppercase letters")
    func appGlobs() throws {
        let glob = try Glob.compile("Vlc-[A-Z]*", for: .app).get()
        #expect(glob.matches("Vlc-Player"))
        #expect(!glob.matches("vlc-player"))
        #expect(Glob.compile("Vlc", for: .snap).isFailure)
    }

    @Test("literal and match-everything patterns are recognised")
    func globKinds() throws {
        #expect(try Glob.compile("vlc", for: .snap).get().isLiteral)
        #expect(try !Glob.compile("vl?", for: .snap).get().isLiteral)
        #expect(try Glob.compile("*", for: .snap).get().matchesEverything)
        #expect(try Glob.compile("**", for: .snap).get().matchesEverything)
        #expect(try !Glob.compile("*a", for: .snap).get().matchesEverything)
    }

    @Test("bad patterns say what is wrong", arguments: [
        ("", "empty snap pattern; use \"*\" to match every snap"),
        ("a.b", "pattern 'a.b' holds '.', which no snap name has"),
        ("[a-", "unclosed '[' in pattern '[a-'"),
        ("[!", "unclosed '[' in pattern '[!'"),
        ("[9-0]", "bad range in pattern '[9-0]'"),
        ("[a-Z]", "bad range in pattern '[a-Z]'"),
        ("[_]", "character class in pattern '[_]' holds '_'"),
        ("vlc ", "pattern 'vlc ' holds ' '"),
    ])
    func badGlobs(_ pattern: String, _ message: String) {
        switch Glob.compile(pattern, for: .snap) {
        case .success: Issue.record("'\(pattern)' should be refused")
        case .failure(let failure): #expect(failure.message.hasPrefix(message), "\(failure.message)")
        }
    }
}

extension PolicyValidationTests {
    @Test("a non-ASCII character in a character class is named as written")
    func nonASCIIInClass() {
        guard case .failure(let failure) = Glob.compile("[é]", for: .snap) else {
            Issue.record("'[é]' should be refused")
            return
        }
        #expect(!failure.message.contains("Ã"), "\(failure.message)")
        #expect(failure.message == "character class in pattern '[é]' holds a non-ASCII character; snap names only have lowercase letters, digits and hyphens")
    }

    @Test("reading a policy file with a byte order mark keeps columns right")
    func bomInFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("policy-bom-\(UUID().uuidString).yaml").path
        try Data("\u{FEFF}version: 2\n".utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let error = #expect(throws: RefreshCoreError.self) { try Policy(contentsOf: path) }
        #expect(error?.diagnostics.map { "\($0.location.file):\($0.location.line):\($0.location.column)" } == ["\(path):1:10"])
    }
}

// MARK: - Fixed error paths: duplicate keys, YAML structure, tags, wording

extension PolicyValidationTests {
    @Test("a duplicate key is found again however it is written", arguments: [
        // (text, position, first occurrence)
        ("version: 1\n\"version\": 1\n", "2:1", "1:1"),
        ("version: 1\nrules:\n  - {snap: vlc, on-refresh: kill, on-refresh: shutdown}\n", "3:35", "3:17"),
        ("version: 1\nrules:\n  - {snap: vlc, on-refresh: kill,\n     on-refresh: shutdown}\n", "4:6", "3:17"),
        ("version: 1\nrules:\n  - {snap: vlc, stop-command: ['/bin/x', 'on-refresh: y'], on-refresh: kill, on-refresh: kill}\n", "3:78", "3:60"),
        // The second rule's mapping, not the first: it starts at the second rule's 'snap'.
        ("version: 1\nrules:\n  - snap: vlc\n    on-refresh: kill\n  - snap: firefox\n    app: x\n    snap: mpv\n", "7:5", "5:5"),
        // A comment and a blank line do not end the mapping, nested mappings are skipped.
        ("version: 1\ndefaults:\n  on-refresh: kill\n\n# the same again\nrules: []\ndefaults: {}\n", "7:1", "2:1"),
    ])
    func duplicateKeyPositions(_ text: String, _ where: String, _ first: String) {
        let errors = policyDiagnostics(text)
        #expect(errors.map(position) == [`where`], "\(errors)")
        #expect(errors.first?.message.contains("(first at \(first)); each key may appear only once in a mapping") == true, "\(errors)")
    }

    @Test("a duplicate key whose repetition the text does not show plainly is reported at its first occurrence")
    func duplicateKeyFallback() {
        // An explicit key (`? version`) has no ':' on its line to find the repetition by.
        let errors = policyDiagnostics("? version\n: 1\nversion: 1\n")
        #expect(errors.map(position) == ["1:3"])
        #expect(errors.first?.message == "duplicate key 'version' in one mapping (first written at 1:3); each key may appear only once in a mapping")
    }

    @Test("YAML nested too deeply says so, without libyaml's function name")
    func nestedTooDeeply() {
        let errors = policyDiagnostics("version: 1\nrules: " + String(repeating: "[", count: 1200) + "\n")
        #expect(errors.count == 1)
        #expect(errors.first?.message.hasPrefix("the YAML is nested too deeply (more than 1000 levels)") == true, "\(errors)")
        #expect(errors.first?.message.contains("yaml_set_max_nest_level") == false)
    }

    @Test("an explicitly tagged string is not a number", arguments: ["!!str 3", "! 3", "'3'"])
    func taggedStringIsNotANumber(_ value: String) {
        let errors = policyDiagnostics("version: 1\nretain: \(value)\n")
        #expect(errors.map(position) == ["2:9"])
        #expect(errors.first?.message == "expected retain as a whole number from 2 to 20, found the string '3'")
    }

    @Test("an untagged number, and a number-looking key, still read as numbers")
    func untaggedNumbers() throws {
        #expect(try validPolicy("version: 1\nretain: 3\n").retain == 3)
        #expect(YAMLNode(.scalar("3", plain: true), at: .init(file: "f", line: 1, column: 1)).integer == 3)
        let root = try #require(try YAMLDocument.parse("4242: a\n!!str 17: b\n", file: "f"))
        guard case .mapping(let pairs) = root.kind else {
            Issue.record("expected a mapping")
            return
        }
        #expect(pairs.map(\.key.integer) == [4242, nil])
    }

    @Test("an explicitly tagged version is not version 1")
    func taggedVersion() {
        let errors = policyDiagnostics("version: !!str 1\n")
        #expect(errors.map(position) == ["1:10"])
        #expect(errors.first?.message == "expected the policy version as a number, found the string '1'; this refreshctl reads 'version: 1'")
    }

    @Test("did-you-mean ignores case", arguments: [
        ("version: 1\ndefaults:\n  signal: sigterm\n", "3:11", "(did you mean 'SIGTERM'?)"),
        ("version: 1\ndefaults:\n  on-refresh: Kill\n", "3:15", "(did you mean 'kill'?)"),
        ("version: 1\ndefaults:\n  on-refresh: LEAVE_RUNNING\n", "3:15", "(did you mean 'leave-running'?)"),
        ("Version: 1\n", "1:1", "(did you mean 'version'?)"),
    ])
    func caseInsensitiveSuggestions(_ text: String, _ where: String, _ suggestion: String) {
        let errors = policyDiagnostics(text).filter { $0.message.contains("did you mean") }
        #expect(errors.map(position) == [`where`])
        #expect(errors.first?.message.hasSuffix(suggestion) == true, "\(errors)")
    }

    @Test("'then: postpone' in defaults lists the choices after a postponement and after a timeout")
    func thenPostponeInDefaults() {
        let errors = policyDiagnostics("version: 1\ndefaults:\n  then: postpone\n")
        #expect(errors.map(position) == ["3:9"])
        #expect(errors.first?.message == "'then: postpone' would postpone forever; after a postponement choose one of: leave-running, shutdown, kill, restart; after a timed-out shutdown or restart: kill, leave-running, abort")
    }

    @Test("a byte order mark does not hide a duplicate key's position")
    func bomAndDuplicateKey() {
        let errors = policyDiagnostics("\u{FEFF}version: 1\nversion: 1\n")
        #expect(errors.map(position) == ["2:1"])
        #expect(errors.first?.message.contains("(first at 1:1)") == true)
    }
}

extension Result {
    fileprivate var isFailure: Bool {
        if case .failure = self { return true }
        return false
    }
}

private func locatedPosition<V>(_ located: Located<V>) -> String {
    "\(located.location.line):\(located.location.column)"
}

private func packageRootForPolicyTests(_ file: String = #filePath) -> String {
    var components = file.split(separator: "/", omittingEmptySubsequences: false)
    components.removeLast(3)  // Tests/RefreshCoreTests/PolicyValidationTests.swift
    return components.joined(separator: "/")
}
