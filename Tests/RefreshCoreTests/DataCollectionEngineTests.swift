import Testing
@testable import RefreshCore
import RefreshFakes

/// The engine and a revision's data directories on a fake host: the time a revision stops
/// being current is recorded before each switch, `gc` (and apply's own collection) removes the
/// data of what it collects unless `keep-data` says otherwise, and lists what an old process
/// wrote there after the switch.
@Suite struct DataCollectionEngineTests {
    static let vlc = SnapName("vlc")!
    static let r8 = Revision("8")!
    static let r10 = Revision("10")!
    static let r12 = Revision("12")!

    func host() throws -> FakeHost {
        FakeHost(scenario: try Scenario(parsing: EngineTests.scenario, file: "host.yaml"))
    }

    func policy(_ text: String) throws -> Policy { try Policy(parsing: text, file: "/etc/refreshctl/policy.yaml") }

    /// vlc at 12, nothing on 8, which stopped being current at `left`; files written into its
    /// data before and after.
    func hostWithOldData(left: Timestamp) throws -> FakeHost {
        let host = try host()
        host.with { world in
            world.exit(4243)
            world.snaps[Self.vlc]?.current = Self.r12
            world.snaps[Self.vlc]?.data.insert(Self.r12)
            world.snaps[Self.vlc]?.leftAt[Self.r8] = left
            world.snaps[Self.vlc]?.dataWrites[Self.r8] = [
                "settings.conf": Timestamp(secondsSinceEpoch: left.secondsSinceEpoch - 3600),
                "playlist.m3u": left,
                "logs/late.log": Timestamp(secondsSinceEpoch: left.secondsSinceEpoch + 60),
            ]
        }
        return host
    }

    static let left = Timestamp(rfc3339: "2026-11-20T08:00:00Z")!

    @Test func gcRemovesTheDataWithTheRevisionAndListsWhatWasWrittenAfterTheSwitch() throws {
        let host = try hostWithOldData(left: Self.left)
        let engine = RefreshEngine(adapters: host.adapters())
        let report = try engine.collectGarbage(retain: 2, dryRun: false, names: [Self.vlc], wait: false)
        let entry = try #require(report.entries.first)
        #expect(entry.result == .removed)
        #expect(entry.data == DataOutcome(
            revision: Self.r8, keptBy: nil,
            removal: DataRemoval(directories: ["/var/snap/vlc/8"], lateWrites: ["/var/snap/vlc/8/logs/late.log", "/var/snap/vlc/8/playlist.m3u"], lateWriteCount: 2),
            leftAt: Self.left))
        #expect(report.text() == """
            vlc revision 8: removed
              data removed: /var/snap/vlc/8
              written after revision 8 stopped being current (2026-11-20T08:00:00Z), 2 files, gone with it:
                /var/snap/vlc/8/logs/late.log
                /var/snap/vlc/8/playlist.m3u

            """)
        #expect(report.json().contains(#""data":{"revision":"8","kept":false,"directories":["/var/snap/vlc/8"],"left-at":"2026-11-20T08:00:00Z","late-writes":["/var/snap/vlc/8/logs/late.log","/var/snap/vlc/8/playlist.m3u"],"late-write-count":2,"problems":[]}"#))
        #expect(host.log.suffix(2) == ["remove vlc 8", "remove data vlc 8"])
        #expect(host.world.snaps[Self.vlc]?.data.contains(Self.r8) == false)
        // The recorded time goes with the data.
        #expect(host.world.snaps[Self.vlc]?.leftAt[Self.r8] == nil)
    }

    @Test func gcDryRunSaysWhatDataWouldGoAndRemovesNothing() throws {
        let host = try hostWithOldData(left: Self.left)
        let report = try RefreshEngine(adapters: host.adapters()).collectGarbage(retain: 2, dryRun: true, names: [Self.vlc], wait: false)
        #expect(report.text().hasPrefix("vlc revision 8: would remove\n  data would be removed: /var/snap/vlc/8\n  written after revision 8 stopped being current (2026-11-20T08:00:00Z), 2 files that would go:\n"))
        #expect(!host.log.contains("remove data vlc 8"))
        #expect(host.world.snaps[Self.vlc]?.data.contains(Self.r8) == true)
    }

    @Test func keepDataLeavesTheDataAndSaysWhichRuleKeptIt() throws {
        let host = try hostWithOldData(left: Self.left)
        let policy = try policy("""
            version: 1
            rules:
              - snap: vlc
                keep-data: true
            """)
        let report = try RefreshEngine(adapters: host.adapters()).collectGarbage(retain: 2, dryRun: false, names: [Self.vlc], wait: false, policy: policy)
        #expect(report.text() == """
            vlc revision 8: removed
              data kept (/etc/refreshctl/policy.yaml:4: rule 1 (snap: vlc) keep-data: true): /var/snap/vlc/8

            """)
        #expect(host.log.contains("remove vlc 8"))
        #expect(!host.log.contains("remove data vlc 8"))
        #expect(host.world.snaps[Self.vlc]?.data.contains(Self.r8) == true)
    }

    @Test func withoutARecordedSwitchTimeTheReportSaysLateWritesCannotBeTold() throws {
        let host = try hostWithOldData(left: Self.left)
        host.with { _ = $0.snaps[Self.vlc]?.leftAt.removeValue(forKey: Self.r8) }
        let report = try RefreshEngine(adapters: host.adapters()).collectGarbage(retain: 2, dryRun: false, names: [Self.vlc], wait: false)
        #expect(report.text() == """
            vlc revision 8: removed
              data removed: /var/snap/vlc/8
              when revision 8 stopped being current is not recorded, so what was written there since cannot be told

            """)
        #expect(host.log.contains("remove data vlc 8"))
    }

    @Test func applyRecordsWhenTheOldRevisionStopsBeingCurrentAndCollectsItsData() async throws {
        let host = try host()
        host.with { world in
            world.exit(4243)
            world.snaps[Self.vlc]?.dataWrites[Self.r8] = ["late": Timestamp(rfc3339: "2026-11-28T00:00:00Z")!]
        }
        let engine = RefreshEngine(adapters: host.adapters())
        let report = try await engine.apply(try RefreshRequest(parsing: ["vlc"]), policy: EngineTests.policy, wait: false)
        let vlc = try #require(report.snaps.first)
        #expect(vlc.removed == [Self.r8])
        // 8 was left before refreshctl recorded such times: its data goes, unlisted.
        #expect(vlc.data.map(\.revision) == [Self.r8])
        #expect(vlc.data.first?.removal.directories == ["/var/snap/vlc/8"])
        #expect(host.log.contains("remove data vlc 8"))
        #expect(report.text().contains("  removed revision 8\n    data removed: /var/snap/vlc/8\n"))
        #expect(report.json().contains(#""removed":["8"],"data":[{"revision":"8","kept":false,"directories":["/var/snap/vlc/8"],"left-at":null,"late-writes":[],"late-write-count":0,"problems":[]}],"kept":["#))
        // 10 stopped being current at the switch, at the fake clock's wall time.
        let switched = try #require(host.world.snaps[Self.vlc]?.leftAt[Self.r10])
        #expect(switched == Timestamp(rfc3339: "2026-11-27T12:00:00Z"))
    }

    @Test func anAbortedRefreshRecordsThatTheNewRevisionStoppedBeingCurrent() async throws {
        let host = try host()
        host.ignore(pid: 7000, .sigterm)
        let stubborn = SnapName("stubborn")!
        _ = try await RefreshEngine(adapters: host.adapters()).apply(try RefreshRequest(parsing: ["stubborn"]), policy: EngineTests.policy, wait: false)
        #expect(host.world.snaps[stubborn]?.current == Revision("5"))
        #expect(host.world.snaps[stubborn]?.leftAt[Revision("5")!] != nil)
        #expect(host.world.snaps[stubborn]?.leftAt[Revision("6")!] != nil)
    }

    @Test func applyKeepsTheDataOfWhatItCollectsWhenThePolicySaysSo() async throws {
        let host = try host()
        host.with { $0.exit(4243) }
        let policy = LoadedPolicy(policy: try policy("""
            version: 1
            defaults:
              keep-data: true
            """), source: nil)
        let report = try await RefreshEngine(adapters: host.adapters()).apply(try RefreshRequest(parsing: ["vlc"]), policy: policy, wait: false)
        #expect(report.snaps.first?.removed == [Self.r8])
        #expect(report.snaps.first?.data.first?.keptBy == "/etc/refreshctl/policy.yaml:3: defaults keep-data: true")
        #expect(!host.log.contains("remove data vlc 8"))
    }

    /// The last user of an old revision exits between the watch's collection and its look for
    /// users to wait on: the watch collects again instead of stopping with the revision there.
    @Test func gcWatchCollectsWhatItsLastUserLeftBetweenTwoLooks() async throws {
        let host = try host()
        host.with { world in
            world.snaps[Self.vlc]?.current = Self.r12
            world.beforeScan = { number, world in
                // Scan 1: the collection (8 and 10 in use, nothing to collect); before scan 2,
                // the look for users, both exit.
                if number == 2 {
                    world.exit(4242)
                    world.exit(4243)
                }
            }
        }
        try await RefreshEngine(adapters: host.adapters()).watch(retain: 2, names: [Self.vlc], rescan: .seconds(600)) { _ in }
        #expect(host.log.contains("remove vlc 8"))
        #expect(host.world.snaps[Self.vlc]?.revisions[Self.r8] == nil)
    }

    /// The homes that had the target's data before a refresh are journalled, so an undo after a
    /// crash never removes a user's own data; an entry without any reads as before.
    @Test func theJournalKeepsTheHomesThatHadTheTargetsData() throws {
        let entry = JournalRecord.SnapEntry(
            name: Self.vlc, from: Self.r10, to: Self.r12, state: .planned, targetWasMounted: false, dataExisted: false,
            remove: [], userDataExisted: ["/home/alice", "/root"])
        let record = JournalRecord(operation: "apply", phase: .staging, policy: nil, started: Self.left, snaps: [entry])
        let text = record.encoded()
        #expect(text.contains(#""user-data-existed":["/home/alice","/root"]"#))
        #expect(try JournalRecord(decoding: text, file: "journal.json") == record)
        var plain = record
        plain.snaps[0].userDataExisted = []
        #expect(!plain.encoded().contains("user-data-existed"))
        #expect(try JournalRecord(decoding: plain.encoded(), file: "journal.json") == plain)
    }

    /// Data left behind by revisions removed before gc removed data with them (it piled up):
    /// gc removes it once, unless the policy keeps data; `--dry-run` says so.
    @Test func dataOfRevisionsNoLongerInstalledIsCollected() throws {
        let host = try host()
        let r5 = Revision("5")!
        host.with { world in
            world.snaps[Self.vlc]?.data.insert(r5)
            world.snaps[SnapName("db")!]?.data.insert(r5)
        }
        let engine = RefreshEngine(adapters: host.adapters())
        let dry = try engine.collectGarbage(retain: 2, dryRun: true, names: [Self.vlc], wait: false)
        #expect(dry.text() == "vlc revision 5: not installed: would remove its data\n  data would be removed: /var/snap/vlc/5\n  when revision 5 stopped being current is not recorded, so what was written there since cannot be told\n")
        let kept = try engine.collectGarbage(retain: 2, dryRun: false, names: [Self.vlc], wait: false, policy: policy("version: 1\ndefaults:\n  keep-data: true\n"))
        #expect(kept.entries.isEmpty)
        #expect(host.world.snaps[Self.vlc]?.data.contains(r5) == true)
        let report = try engine.collectGarbage(retain: 2, dryRun: false, names: [Self.vlc], wait: false)
        #expect(report.entries.map(\.result) == [.removedData])
        #expect(host.log == ["remove data vlc 5"])
        // Only the snaps named; then nothing is left to do.
        #expect(host.world.snaps[SnapName("db")!]?.data.contains(r5) == true)
        #expect(try engine.collectGarbage(retain: 2, dryRun: true, names: [Self.vlc], wait: false).entries.isEmpty)
    }
}
