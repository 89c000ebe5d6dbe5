import Foundation
import Testing
@testable import RefreshCore

/// `keep-data`: whether `gc` leaves a collected revision's data directories, per snap rule or
/// in defaults, with its errors at file:line:column.
@Suite struct KeepDataPolicyTests {
    static let vlc = SnapName("vlc")!
    static let db = SnapName("my-db")!
    static let other = SnapName("other")!

    @Test func aSnapRuleThenDefaultsThenTheBuiltInDefaultDecide() throws {
        let policy = try Policy(parsing: """
            version: 1
            defaults:
              keep-data: true
            rules:
              - snap: libvirt
                app: libvirtd
                on-refresh: restart
              - snap: vlc
                keep-data: false
              - snap: "my-*"
                on-refresh: kill
            """, file: "policy.yaml")
        #expect(policy.keepsData(Self.vlc) == (false, "policy.yaml:9: rule 2 (snap: vlc) keep-data: false") as (Bool, String))
        // A matching rule that does not set it falls back to defaults.
        #expect(policy.keepsData(Self.db) == (true, "policy.yaml:3: defaults keep-data: true") as (Bool, String))
        #expect(policy.keepsData(Self.other).keep)
        // A rule for an app never decides it: it is a whole snap's.
        #expect(policy.keepsData(SnapName("libvirt")!).source == "policy.yaml:3: defaults keep-data: true")
        #expect(Policy.builtIn.keepsData(Self.vlc) == (false, "default") as (Bool, String))
    }

    @Test func checkSaysWhereThePolicyKeepsData() throws {
        let policy = try Policy(parsing: """
            version: 1
            defaults:
              keep-data: false
            rules:
              - snap: my-db
                keep-data: true
            """, file: "policy.yaml")
        #expect(policy.keepDataSummary == "keep-data (gc leaves the data directories of a collected revision): false in defaults (line 3); true in rule 1 (snap: my-db) (line 6)")
        #expect(try Policy(parsing: "version: 1\n", file: "p.yaml").keepDataSummary == nil)
    }

    @Test func refreshctlCheckPrintsWhereKeepDataIsSet() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("refreshctl-keep-data-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("policy.yaml").path
        try Data("version: 1\nrules:\n  - snap: my-db\n    keep-data: true\n".utf8).write(to: URL(fileURLWithPath: file))
        let run = try runProduct("refreshctl", ["check", file])
        #expect(run.code == 0)
        #expect(String(decoding: run.stdout, as: UTF8.self) == "\(file): OK, 1 rule\n  keep-data (gc leaves the data directories of a collected revision): true in rule 1 (snap: my-db) (line 4)\n")
    }

    @Test(arguments: [
        ("""
            version: 1
            rules:
              - snap: vlc
                keep-data: yes
            """, "policy.yaml:4:16: error: unknown keep-data value (a boolean) 'yes'; expected one of: true, false"),
        ("""
            version: 1
            defaults:
              keep-data: [true]
            """, "policy.yaml:3:14: error: expected keep-data value (a boolean) as a string, found a list"),
        ("""
            version: 1
            rules:
              - snap: libvirt
                app: libvirtd
                keep-data: true
            """, "policy.yaml:5:16: error: 'keep-data' in rule 1, which has 'app': the data directories belong to a whole snap revision, not to an app or a process; put keep-data in a rule with only 'snap' (or in defaults)"),
        ("""
            version: 1
            rules:
              - snap: libvirt
                exe: "usr/bin/qemu-*"
                keep-data: false
            """, "policy.yaml:5:16: error: 'keep-data' in rule 1, which has 'exe': the data directories belong to a whole snap revision, not to an app or a process; put keep-data in a rule with only 'snap' (or in defaults)"),
        ("""
            version: 1
            rules:
              - snap: vlc
                keep-dat: true
            """, "policy.yaml:4:5: error: unknown key 'keep-dat' in rule 1; expected one of: snap, app, exe, on-refresh, signal, stop-mode, stop-command, timeout, then, max-postpone, restart-command, keep-data (did you mean 'keep-data'?)"),
    ])
    func badKeepDataIsAnErrorAtItsPosition(text: String, expected: String) {
        let diagnostics = refusal { _ = try Policy(parsing: text, file: "policy.yaml") }
        #expect(diagnostics.map(\.description) == [expected])
    }
}
