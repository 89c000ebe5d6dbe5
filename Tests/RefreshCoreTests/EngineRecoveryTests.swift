import Testing
@testable import RefreshCore
import RefreshFakes

/// Crashes at every point of an apply, and `recover` after each, on the fake host; and the
/// journals recover must refuse.
@Suite struct EngineRecoveryTests {
    func host() throws -> FakeHost {
        let host = FakeHost(scenario: try Scenario(parsing: EngineTests.scenario, file: "host.yaml"))
        host.script("/usr/local/bin/start-db", .init(effect: { $0.start(pid: 5100, exe: "/snap/db/2/bin/db") }))
        return host
    }

    static let policy = LoadedPolicy(policy: try! Policy(parsing: """
        version: 1
        rules:
          - {snap: db, on-refresh: restart, restart-command: [/usr/local/bin/start-db]}
          - {snap: killme, on-refresh: kill}
        """, file: "/etc/refreshctl/policy.yaml"), source: PolicySource(path: "/etc/refreshctl/policy.yaml", digest: "sha256:01"))

    func crashing(at point: String, _ host: FakeHost) -> RefreshEngine {
        var engine = RefreshEngine(adapters: host.adapters())
        engine.crashHook = { name throws(RefreshCoreError) in
            if name == point { throw RefreshCoreError(.simulatedCrash, "crashed at \(name)") }
        }
        return engine
    }

    @Test(arguments: RefreshEngine.crashPoints)
    func recoverAfterACrashAt(point: String) async throws {
        let host = try host()
        let request = try RefreshRequest(parsing: ["vlc", "db", "killme"])
        let error = await #expect(throws: RefreshCoreError.self) {
            try await crashing(at: point, host).apply(request, policy: EngineRecoveryTests.policy, wait: false)
        }
        #expect(error?.code == .simulatedCrash)
        #expect(host.world.journal != nil)
        let beforeRecover = host.world

        let report = try #require(try await RefreshEngine(adapters: host.adapters()).recover(policy: EngineRecoveryTests.policy, wait: false))
        let world = host.world
        // The invariants: no journal, `current` names an installed revision, the player left
        // running was never signalled and its revisions are there, no data directory lost.
        #expect(world.journal == nil && !world.lockHeld)
        for snap in world.snaps.values {
            let current = try #require(snap.current)
            #expect(snap.revisions[current] != nil)
            #expect(snap.data.contains(current))
        }
        #expect(world.isRunning(4242) && world.isRunning(4243))
        #expect(world.processes[4242]?.signals == [] && world.processes[4243]?.signals == [])
        #expect(world.snaps[SnapName("vlc")!]?.revisions[Revision("8")!] != nil)
        // The crashed apply recorded nothing; recover records each snap once, as it ended.
        for name in ["vlc", "db", "killme"] {
            let entries = world.history[SnapName(name)!]?.entries ?? []
            #expect(entries.map(\.operation) == ["recover"], "\(name)")
            #expect(entries.map(\.outcome) == report.snaps.filter { $0.name.rawValue == name }.map(\.outcome), "\(name)")
        }
        let switched = ["journal:acting", "work:restarting", "done:acting", "journal:collecting", "done:collecting", "done:switching"].contains(point)
        if switched || point == "journal:switching" {
            // Past the point of no return (or at it): the refresh is finished.
            for (name, to) in [("vlc", "12"), ("db", "2"), ("killme", "4")] {
                #expect(world.snaps[SnapName(name)!]?.current == Revision(to), "\(name)")
            }
            #expect(!world.isRunning(6000))
            // The daemon was restarted exactly once, however far the first attempt got.
            #expect(world.commandsRun.filter { $0.arguments == ["/usr/local/bin/start-db"] }.count == 1)
            #expect(world.isRunning(5100) && !world.isRunning(5000))
            #expect(report.snaps.allSatisfy { $0.outcome == .refreshed }, "\(report.snaps)")
        } else {
            // Before the switch: undone, and nothing was signalled.
            for (name, from) in [("vlc", "10"), ("db", "1"), ("killme", "3")] {
                #expect(world.snaps[SnapName(name)!]?.current == Revision(from), "\(name)")
            }
            #expect(world.snaps[SnapName("vlc")!]?.data.contains(Revision("12")!) == false)
            #expect(world.processes.values.allSatisfy { $0.signals.isEmpty })
            #expect(report.snaps.allSatisfy { $0.outcome == .rolledBack })
            #expect(report.exitCode == 0)
        }
        _ = beforeRecover

        // Running it again finds nothing to do.
        #expect(try await RefreshEngine(adapters: host.adapters()).recover(policy: EngineRecoveryTests.policy, wait: false) == nil)
        #expect(host.world.log == world.log)
    }

    @Test func anApplyRefusesToStartOverAnInterruptedOne() async throws {
        let host = try host()
        _ = try? await crashing(at: "journal:acting", host).apply(try RefreshRequest(parsing: ["vlc"]), policy: .builtIn, wait: false)
        let log = host.log
        let error = await #expect(throws: RefreshCoreError.self) {
            try await RefreshEngine(adapters: host.adapters()).apply(try RefreshRequest(parsing: ["db"]), policy: .builtIn, wait: false)
        }
        #expect(error?.code == .refreshFailed)
        #expect(error?.message.contains("run 'refreshctl recover' first") == true)
        #expect(host.log == log)
    }

    @Test(arguments: [
        (PolicySource?.none, "was planned with the policy /etc/refreshctl/policy.yaml; run 'refreshctl recover --policy /etc/refreshctl/policy.yaml'"),
        (PolicySource(path: "/etc/refreshctl/policy.yaml", digest: "sha256:02"), "the policy /etc/refreshctl/policy.yaml changed since the interrupted refresh was planned"),
        (PolicySource(path: "/tmp/other.yaml", digest: "sha256:01"), "was planned with the policy /etc/refreshctl/policy.yaml, not /tmp/other.yaml"),
    ])
    func recoverRefusesAnotherPolicyAndDoesNothing(given: PolicySource?, message: String) async throws {
        let host = try host()
        _ = try? await crashing(at: "journal:acting", host).apply(try RefreshRequest(parsing: ["vlc", "db"]), policy: EngineRecoveryTests.policy, wait: false)
        let before = host.world
        let other = LoadedPolicy(policy: .builtIn, source: given)
        let error = await #expect(throws: RefreshCoreError.self) {
            try await RefreshEngine(adapters: host.adapters()).recover(policy: other, wait: false)
        }
        #expect(error?.code == .invalidInput)
        #expect(error?.message.contains(message) == true, "\(error?.message ?? "")")
        #expect(host.log == before.log && host.world.journal == before.journal)
    }

    @Test func recoverActsOnNothingWhenTheJournalCannotBeRead() async throws {
        let host = try host()
        _ = try? await crashing(at: "journal:acting", host).apply(try RefreshRequest(parsing: ["vlc", "db"]), policy: EngineRecoveryTests.policy, wait: false)
        // A newer refreshctl's journal, and a torn one.
        for edit in [{ (text: String) in text.replacingFirst("\"version\":2", with: "\"version\":3") }, { String($0.dropLast(20)) }] {
            let journal = try #require(host.world.journal)
            host.with { $0.journal = edit(journal) }
            let log = host.log
            let error = await #expect(throws: RefreshCoreError.self) {
                try await RefreshEngine(adapters: host.adapters()).recover(policy: EngineRecoveryTests.policy, wait: false)
            }
            #expect(error?.code == .invalidInput)
            #expect(host.log == log)
            host.with { $0.journal = journal }
        }
    }

    @Test func anIllegalTransitionInTheJournalStopsRecoverSafely() async throws {
        let host = try host()
        _ = try? await crashing(at: "journal:acting", host).apply(try RefreshRequest(parsing: ["vlc"]), policy: .builtIn, wait: false)
        // A snap that never staged, in a journal that has passed the switch: no legal move.
        let journal = try #require(host.world.journal).replacingFirst("\"state\":\"switched\"", with: "\"state\":\"planned\"")
        host.with { $0.journal = journal }
        let log = host.log
        let error = await #expect(throws: RefreshCoreError.self) {
            try await RefreshEngine(adapters: host.adapters()).recover(policy: .builtIn, wait: false)
        }
        #expect(error?.code == .refreshFailed)
        #expect(error?.message.contains("refresh transaction: 'recover' is not allowed in state 'planned'") == true)
        #expect(host.log == log)
        #expect(host.world.journal == journal)
    }
}

extension String {
    func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let range = range(of: target) else { return self }
        return replacingCharacters(in: range, with: replacement)
    }
}
