import Testing
@testable import RefreshCore
import RefreshFakes

/// Holds put by hand and the history of past refreshes: the planner and the engine on a fake
/// host, and the records' formats.
@Suite struct HoldAndHistoryTests {
    static let now = Timestamp(rfc3339: "2026-11-27T12:00:00Z")!
    static let vlc = SnapName("vlc")!
    static let db = SnapName("db")!

    func host() throws -> FakeHost {
        FakeHost(scenario: try Scenario(parsing: EngineTests.scenario, file: "host.yaml"))
    }

    func hold(_ snap: SnapName = vlc, until: Timestamp?) -> SnapHold {
        SnapHold(snap: snap, since: Timestamp(rfc3339: "2026-11-26T12:00:00Z")!, until: until, by: "root (sudo by alice)", command: "refreshctl hold vlc --for 2d")
    }

    func request(_ names: String...) throws -> RefreshRequest { try RefreshRequest(parsing: names) }

    // MARK: Planning

    @Test func aHeldSnapIsPlannedAsHeldWithUntilWhenAndByWhom() throws {
        var scenario = try Scenario(parsing: EngineTests.scenario, file: "host.yaml")
        scenario.state.snaps[Self.vlc]?.hold = hold(until: Self.now + .days(1))
        let plan = Planner.plan(state: scenario.state, request: try request("vlc", "db"), policy: .builtIn, now: Self.now)
        let vlc = try #require(plan.snaps.first { $0.name == Self.vlc })
        #expect(vlc.outcome == .held)
        #expect(vlc.from == Revision("10") && vlc.to == Revision("12"))
        // Nothing is decided for its processes, nothing is removed: it stays as it is.
        #expect(vlc.processes.isEmpty && vlc.remove.isEmpty)
        #expect(plan.snaps.first { $0.name == Self.db }?.outcome == .refresh)
        #expect(plan.exitCode == 3)
        #expect(plan.text().hasPrefix("""
            db: refresh 1 -> 2
            """))
        #expect(plan.text().contains("""

            vlc: held (10 -> 12)
              held until 2026-11-28T12:00:00Z, since 2026-11-26T12:00:00Z by root (sudo by alice) (refreshctl
                hold vlc --for 2d)

            """))
        #expect(plan.json().contains(#"{"name":"vlc","from":"10","to":"12","outcome":"held","hold":{"snap":"vlc","since":"2026-11-26T12:00:00Z","until":"2026-11-28T12:00:00Z","by":"root (sudo by alice)","command":"refreshctl hold vlc --for 2d"},"processes":[]"#))
    }

    @Test func anExpiredHoldNoLongerApplies() throws {
        var scenario = try Scenario(parsing: EngineTests.scenario, file: "host.yaml")
        scenario.state.snaps[Self.vlc]?.hold = hold(until: Self.now)
        let plan = Planner.plan(state: scenario.state, request: try request("vlc"), policy: .builtIn, now: Self.now)
        #expect(plan.snaps.first?.outcome == .refresh)
        #expect(plan.snaps.first?.hold == nil)
        #expect(plan.exitCode == 0)
    }

    @Test func aHoldWithoutAnEndLastsUntilUnheld() throws {
        var scenario = try Scenario(parsing: EngineTests.scenario, file: "host.yaml")
        scenario.state.snaps[Self.vlc]?.hold = hold(until: nil)
        let plan = Planner.plan(state: scenario.state, request: try request("vlc"), policy: .builtIn, now: Self.now + .days(3650))
        #expect(plan.snaps.first?.outcome == .held)
        #expect(plan.text().contains("held until 'refreshctl unhold vlc', since 2026-11-26T12:00:00Z"))
    }

    @Test func aHeldSnapThatIsUpToDateIsUpToDate() throws {
        var scenario = try Scenario(parsing: EngineTests.scenario, file: "host.yaml")
        scenario.state.snaps[Self.vlc]?.hold = hold(until: nil)
        let plan = Planner.plan(state: scenario.state, request: try request("vlc=10"), policy: .builtIn, now: Self.now)
        #expect(plan.snaps.first?.outcome == .upToDate)
    }

    /// A scenario says a snap is held (as `snapshot` writes a live host's hold), so that `plan
    /// --scenario` and policy tests see it as `plan --root` does.
    @Test func scenariosCarryHoldsBothWays() throws {
        let text = EngineTests.scenario.replacingOccurrences(of: "    revisions: [8, 10, 12]\n", with: """
                revisions: [8, 10, 12]
                hold: {since: 2026-11-26T12:00:00Z, until: 2026-11-28T12:00:00Z, by: "root (sudo by alice)", command: "refreshctl hold vlc --for 2d"}

            """)
        let scenario = try Scenario(parsing: text, file: "host.yaml")
        #expect(scenario.state.snaps[Self.vlc]?.hold == hold(until: Self.now + .days(1)))
        let plan = Planner.plan(state: scenario.state, request: try request("vlc"), policy: .builtIn, now: Self.now)
        #expect(plan.snaps.first?.outcome == .held)
        // snapshot writes it back.
        let written = ScenarioWriter.write(scenario.state, root: "/", now: Self.now)
        #expect(written.contains(#"    hold: {since: 2026-11-26T12:00:00Z, until: 2026-11-28T12:00:00Z, by: "root (sudo by alice)", command: "refreshctl hold vlc --for 2d"}"#))
        #expect(try Scenario(parsing: written, file: "snapshot.yaml").state.snaps[Self.vlc]?.hold == scenario.state.snaps[Self.vlc]?.hold)
        // Until unheld, and the defaults for who and how.
        let forever = try Scenario(parsing: text.replacingOccurrences(of: #"until: 2026-11-28T12:00:00Z, by: "root (sudo by alice)", command: "refreshctl hold vlc --for 2d""#, with: "until: null"), file: "host.yaml")
        #expect(forever.state.snaps[Self.vlc]?.hold == SnapHold(snap: Self.vlc, since: Timestamp(rfc3339: "2026-11-26T12:00:00Z")!, until: nil, by: "scenario", command: "refreshctl hold vlc"))
        // A hold without since, or with an unknown key, is an error with its position.
        let error = #expect(throws: RefreshCoreError.self) {
            try Scenario(parsing: text.replacingOccurrences(of: "since: 2026-11-26T12:00:00Z, ", with: "from: x, "), file: "host.yaml")
        }
        #expect(error?.description.contains("host.yaml:7:") == true)
        #expect(error?.description.contains("'from'") == true)
    }

    // MARK: The engine

    @Test func applyLeavesAHeldSnapAloneAndExits3() async throws {
        let host = try host()
        host.with { $0.snaps[Self.vlc]?.hold = hold(until: Self.now + .days(1)) }
        let engine = RefreshEngine(adapters: host.adapters())
        let report = try await engine.apply(try request("vlc", "killme"), policy: EngineTests.policy, wait: false)
        #expect(report.exitCode == 3)
        let vlc = try #require(report.snaps.first { $0.name == Self.vlc })
        #expect(vlc.outcome == .held)
        #expect(vlc.message == "held until 2026-11-28T12:00:00Z, since 2026-11-26T12:00:00Z by root (sudo by alice) (refreshctl hold vlc --for 2d)")
        #expect(report.text().contains("vlc: held (10 -> 12): held until 2026-11-28T12:00:00Z"))
        #expect(report.json().contains(#"{"name":"vlc","from":"10","to":"12","outcome":"held","message":"held until"#))
        let world = host.world
        #expect(world.snaps[Self.vlc]?.current == Revision("10"))
        #expect(world.processes[4242]?.signals == [] && world.processes[4243]?.signals == [])
        #expect(!host.log.contains { $0.contains("vlc") })
        // The other snap went ahead; only it is in the history.
        #expect(world.snaps[SnapName("killme")!]?.current == Revision("4"))
        #expect(world.history[Self.vlc] == nil)
        #expect(world.history[SnapName("killme")!]?.entries.count == 1)
    }

    @Test func applyRefreshesOnceTheHoldHasExpired() async throws {
        let host = try host()
        host.with { $0.snaps[Self.vlc]?.hold = hold(until: Self.now) }
        let report = try await RefreshEngine(adapters: host.adapters()).apply(try request("vlc"), policy: EngineTests.policy, wait: false)
        #expect(report.exitCode == 0)
        #expect(report.snaps.first?.outcome == .refreshed)
        #expect(host.world.snaps[Self.vlc]?.current == Revision("12"))
    }

    @Test func eachRefreshIsRecordedWithWhatHappenedToEachProcess() async throws {
        let host = try host()
        let report = try await RefreshEngine(adapters: host.adapters()).apply(try request("vlc", "db", "killme"), policy: EngineTests.policy, wait: false)
        #expect(report.exitCode == 0)
        let world = host.world
        let vlc = try #require(world.history[Self.vlc]?.entries.first)
        #expect(vlc.operation == "apply")
        #expect(vlc.from == Revision("10") && vlc.to == Revision("12") && vlc.outcome == .refreshed)
        #expect(vlc.started == Self.now && vlc.finished >= vlc.started)
        #expect(vlc.results.map(\.pid) == [4242, 4243])
        #expect(vlc.results.allSatisfy { $0.action == .leaveRunning && $0.outcome == .leftRunning })
        let db = try #require(world.history[Self.db]?.entries.first)
        // The service first, then its processes.
        #expect(db.results.map { "\($0.subject): \($0.action): \($0.outcome.rawValue)" } == ["snap.db.db.service: shutdown: exited", "pid 5000 db.db: shutdown: exited"])
        let killme = try #require(world.history[SnapName("killme")!]?.entries.first)
        #expect(killme.results.map(\.outcome) == [.killed])
        #expect(killme.removed == [])
        // Printed as `refreshctl history` prints it.
        let text = RefreshHistory(entries: [db]).text()
        #expect(text.hasPrefix("\(db.finished) db apply 1 -> 2: refreshed\n  snap.db.db.service: shutdown: exited: "))
        #expect(text.contains("\n  pid 5000 db.db: shutdown: exited: "))
    }

    @Test func aRolledBackRefreshAndARevertAreRecordedToo() async throws {
        let host = try host()
        host.ignore(pid: 7000, .sigterm)
        let engine = RefreshEngine(adapters: host.adapters())
        let aborted = try await engine.apply(try request("stubborn"), policy: EngineTests.policy, wait: false)
        #expect(aborted.exitCode == 1)
        let stubborn = try #require(host.world.history[SnapName("stubborn")!]?.entries.first)
        #expect(stubborn.outcome == .rolledBack)
        #expect(stubborn.message?.contains("current is back at 5") == true)
        #expect(stubborn.results.map(\.pid) == [7000])

        let reverted = try await engine.revert(Self.vlc, to: nil, policy: EngineTests.policy, wait: false)
        #expect(reverted.exitCode == 0)
        let revert = try #require(host.world.history[Self.vlc]?.entries.last)
        #expect(revert.operation == "revert" && revert.from == Revision("10") && revert.to == Revision("8"))
    }

    @Test func theHistoryKeepsTheLast20EntriesPerSnap() async throws {
        let host = try host()
        let old = (0..<RefreshHistory.limit).map { index in
            RefreshHistory.Entry(snap: Self.vlc, operation: "apply", started: Timestamp(secondsSinceEpoch: 1_700_000_000 + Int64(index)), finished: Timestamp(secondsSinceEpoch: 1_700_000_000 + Int64(index)),
                                 from: Revision("1")!, to: Revision("2")!, outcome: .refreshed)
        }
        host.with { $0.history[Self.vlc] = RefreshHistory(entries: old) }
        _ = try await RefreshEngine(adapters: host.adapters()).apply(try request("vlc"), policy: EngineTests.policy, wait: false)
        let entries = try #require(host.world.history[Self.vlc]?.entries)
        #expect(entries.count == 20)
        #expect(entries.first == old[1])
        #expect(entries.last?.to == Revision("12"))
    }

    @Test func aHistoryThatCannotBeWrittenIsAWarningNotAFailure() async throws {
        let host = try host()
        host.with { $0.historyFails = true }
        let report = try await RefreshEngine(adapters: host.adapters()).apply(try request("vlc"), policy: EngineTests.policy, wait: false)
        #expect(report.exitCode == 0)
        #expect(host.world.snaps[Self.vlc]?.current == Revision("12"))
        #expect(report.warnings.contains("vlc: the refresh is not recorded in its history: cannot record the history of vlc: no space left on device"))
    }

    // MARK: Formats

    @Test func holdRecordsRoundTripAndAreReadStrictly() throws {
        let hold = hold(until: Self.now)
        #expect(try SnapHold(decoding: hold.encoded(), file: "held/vlc") == hold)
        let forever = self.hold(until: nil)
        #expect(try SnapHold(decoding: forever.encoded(), file: "held/vlc") == forever)
        let error = #expect(throws: RefreshCoreError.self) {
            try SnapHold(decoding: #"{"version":1,"snap":"vlc","since":"2026-11-26T12:00:00Z","by":"root","command":"x","owner":"me"}"#, file: "held/vlc")
        }
        #expect(error?.description.contains("held/vlc:1:") == true)
        #expect(error?.description.contains("owner") == true)
        #expect(throws: RefreshCoreError.self) {
            try SnapHold(decoding: #"{"version":1,"snap":"vlc","since":"yesterday","by":"root","command":"x"}"#, file: "held/vlc")
        }
    }

    @Test func historyFilesRoundTripAndAreReadStrictly() throws {
        let entry = RefreshHistory.Entry(
            snap: Self.vlc, operation: "apply", started: Self.now, finished: Self.now + .seconds(3), from: Revision("10")!, to: Revision("12")!,
            outcome: .refreshed, message: nil,
            results: [.init(subject: "snap.vlc.d.service", pid: nil, action: .restart, outcome: .restarted, detail: "restarted"),
                      .init(subject: "pid 4242 vlc.vlc", pid: 4242, action: .leaveRunning, outcome: .leftRunning, detail: "left running")],
            removed: [Revision("8")!])
        let history = RefreshHistory(entries: [entry])
        #expect(try RefreshHistory(decoding: history.encoded(), file: "history/vlc.json") == history)
        #expect(history.text() == """
            2026-11-27T12:00:03Z vlc apply 10 -> 12: refreshed
              snap.vlc.d.service: restart: restarted: restarted
              pid 4242 vlc.vlc: leave-running: left-running: left running
              removed revision 8

            """)
        let bad = history.encoded().replacingOccurrences(of: #""outcome":"refreshed""#, with: #""outcome":"done""#)
        let error = #expect(throws: RefreshCoreError.self) { try RefreshHistory(decoding: bad, file: "history/vlc.json") }
        #expect(error?.description.contains("history/vlc.json:1:") == true)
        #expect(RefreshHistory(entries: []).text() == "no refreshes recorded\n")
    }

    // MARK: Status

    @Test func statusShowsAHoldWhileItApplies() throws {
        let scenario = try Scenario(parsing: EngineTests.scenario, file: "host.yaml")
        var state = scenario.state
        state.snaps[Self.vlc]?.hold = hold(until: Self.now + .days(1))
        let listing = StoreListing(snaps: Array(state.snaps.values))
        let status = HostStatus(state: state, listing: listing, retain: 2, names: [Self.vlc], now: Self.now)
        #expect(status.text().hasPrefix("vlc\n  held until 2026-11-28T12:00:00Z, since 2026-11-26T12:00:00Z by root (sudo by alice) (refreshctl hold vlc --for 2d)\n  12 "))
        #expect(status.json().contains(#""current":"10","hold":{"snap":"vlc","since":"2026-11-26T12:00:00Z","until":"2026-11-28T12:00:00Z""#))
        let later = HostStatus(state: state, listing: listing, retain: 2, names: [Self.vlc], now: Self.now + .days(1))
        #expect(!later.text().contains("held"))
        #expect(!later.json().contains("hold"))
    }
}
