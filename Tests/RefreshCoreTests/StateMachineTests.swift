import Testing
@testable import RefreshCore
@testable import RefreshHost
import RefreshIO

/// The refresh transaction and revision lifecycle state machines: every legal transition with
/// its action, every other (state, event) pair refused with the state unchanged, and the paths
/// an executor walks.
@Suite struct StateMachineTests {
    // MARK: Refresh transaction

    typealias TState = RefreshTransaction.State
    typealias TEvent = RefreshTransaction.Event
    typealias TAction = RefreshTransaction.Action

    struct TransactionCase: CustomTestStringConvertible, Sendable {
        var from: TState
        var event: TEvent
        var to: TState
        var action: TAction
        var testDescription: String { "\(from.rawValue) + \(event.name) → \(to.rawValue)" }
    }

    /// One of each event; the reasons are arbitrary but distinct so actions show they carry them.
    static let transactionEvents: [TEvent] = [
        .start, .recover(switchBegun: false), .recover(switchBegun: true),
        .staged, .switched, .actingStarted, .settled, .collected, .abort("timeout"), .failure("mount failed"),
    ]

    /// Every legal transition of the transaction.
    static let legalTransactions: [TransactionCase] = [
        .init(from: .planned, event: .start, to: .planned, action: .stage),
        // recover: what the journalled state asks for, before and after the switch began.
        .init(from: .planned, event: .recover(switchBegun: false), to: .rolledBack, action: .undoStaging("the refresh was interrupted before the switch")),
        .init(from: .staged, event: .recover(switchBegun: false), to: .rolledBack, action: .undoStaging("the refresh was interrupted before the switch")),
        .init(from: .staged, event: .recover(switchBegun: true), to: .staged, action: .switchCurrent),
        .init(from: .switched, event: .recover(switchBegun: false), to: .switched, action: .actOnProcesses),
        .init(from: .switched, event: .recover(switchBegun: true), to: .switched, action: .actOnProcesses),
        .init(from: .acting, event: .recover(switchBegun: false), to: .acting, action: .waitForProcesses),
        .init(from: .acting, event: .recover(switchBegun: true), to: .acting, action: .waitForProcesses),
        .init(from: .settled, event: .recover(switchBegun: false), to: .settled, action: .collect),
        .init(from: .settled, event: .recover(switchBegun: true), to: .settled, action: .collect),
        .init(from: .rolledBack, event: .recover(switchBegun: false), to: .rolledBack, action: .undoStaging("the interrupted refresh had been rolled back")),
        .init(from: .rolledBack, event: .recover(switchBegun: true), to: .rolledBack, action: .switchBack("the interrupted refresh had been rolled back")),
        .init(from: .planned, event: .staged, to: .staged, action: .switchCurrent),
        .init(from: .staged, event: .switched, to: .switched, action: .actOnProcesses),
        .init(from: .switched, event: .actingStarted, to: .acting, action: .waitForProcesses),
        .init(from: .acting, event: .settled, to: .settled, action: .collect),
        .init(from: .settled, event: .collected, to: .collected, action: .finish),
        .init(from: .planned, event: .abort("timeout"), to: .rolledBack, action: .undoStaging("timeout")),
        .init(from: .staged, event: .abort("timeout"), to: .rolledBack, action: .undoStaging("timeout")),
        .init(from: .switched, event: .abort("timeout"), to: .rolledBack, action: .switchBack("timeout")),
        .init(from: .acting, event: .abort("timeout"), to: .rolledBack, action: .switchBack("timeout")),
        .init(from: .planned, event: .failure("mount failed"), to: .failed, action: .report("mount failed")),
        .init(from: .staged, event: .failure("mount failed"), to: .failed, action: .report("mount failed")),
        .init(from: .switched, event: .failure("mount failed"), to: .failed, action: .report("mount failed")),
        .init(from: .acting, event: .failure("mount failed"), to: .failed, action: .report("mount failed")),
        .init(from: .settled, event: .failure("mount failed"), to: .failed, action: .report("mount failed")),
    ]

    struct TransactionPair: CustomTestStringConvertible, Sendable {
        var state: TState
        var event: TEvent
        var testDescription: String { "\(state.rawValue) + \(event.name)" }
    }

    /// Every (state, representative event) pair that is not in ``legalTransactions``.
    static let illegalTransactions: [TransactionPair] = TState.allCases.flatMap { state in
        transactionEvents.filter { event in
            !legalTransactions.contains { $0.from == state && $0.event == event }
        }.map { TransactionPair(state: state, event: $0) }
    }

    @Test(arguments: legalTransactions)
    func transactionAllows(_ c: TransactionCase) throws {
        var machine = RefreshTransaction(state: c.from)
        let action = try machine.handle(c.event)
        #expect(action == c.action)
        #expect(machine.state == c.to)
    }

    @Test(arguments: illegalTransactions)
    func transactionRefuses(_ pair: TransactionPair) {
        var machine = RefreshTransaction(state: pair.state)
        let error = #expect(throws: IllegalTransition.self) { try machine.handle(pair.event) }
        #expect(error == IllegalTransition(machine: "refresh transaction", state: pair.state.rawValue, event: pair.event.name))
        #expect(error?.description == "refresh transaction: '\(pair.event.name)' is not allowed in state '\(pair.state.rawValue)'")
        #expect(machine.state == pair.state)
    }

    @Test func transactionTablesCoverEveryPair() {
        #expect(Self.legalTransactions.count + Self.illegalTransactions.count
            == TState.allCases.count * Self.transactionEvents.count)
        // The pairs the design singles out.
        let illegal = Set(Self.illegalTransactions.map { "\($0.state.rawValue) + \($0.event.name)" })
        #expect(illegal.isSuperset(of: ["settled + abort", "planned + switched", "staged + acting-started", "planned + recover"]))
        // Only recover may look at a rolled-back refresh again, to make sure it is complete.
        for terminal in TState.allCases where terminal.isTerminal && terminal != .rolledBack {
            #expect(Self.transactionEvents.allSatisfy { illegal.contains("\(terminal.rawValue) + \($0.name)") })
        }
    }

    @Test func transactionMessageReadsAsDocumented() {
        var machine = RefreshTransaction()
        #expect(throws: IllegalTransition(machine: "refresh transaction", state: "planned", event: "switched")) {
            try machine.handle(.switched)
        }
        let error = IllegalTransition(machine: "refresh transaction", state: "planned", event: "switched")
        #expect(error.description == "refresh transaction: 'switched' is not allowed in state 'planned'")
        #expect(String(describing: error) == error.description)
    }

    @Test func transactionHappyPath() throws {
        var machine = RefreshTransaction()
        #expect(machine.state == .planned)
        var walked: [(TAction, TState)] = []
        for event in [TEvent.staged, .switched, .actingStarted, .settled, .collected] {
            walked.append((try machine.handle(event), machine.state))
        }
        #expect(walked.map(\.0) == [.switchCurrent, .actOnProcesses, .waitForProcesses, .collect, .finish])
        #expect(walked.map(\.1) == [.staged, .switched, .acting, .settled, .collected])
        #expect(machine.state.isTerminal)
        #expect(throws: IllegalTransition.self) { try machine.handle(.failure("late")) }
        #expect(machine.state == .collected)
    }

    @Test func transactionAbortBeforeTheSwitchUndoesStaging() throws {
        var machine = RefreshTransaction()
        #expect(try machine.handle(.staged) == .switchCurrent)
        #expect(!machine.state.isPastSwitch)
        #expect(try machine.handle(.abort("target revision 12 failed to mount")) == .undoStaging("target revision 12 failed to mount"))
        #expect(machine.state == .rolledBack)
        #expect(throws: IllegalTransition.self) { try machine.handle(.switched) }
        #expect(machine.state == .rolledBack)
    }

    @Test func transactionAbortAfterTheSwitchSwitchesBack() throws {
        var machine = RefreshTransaction()
        #expect(try machine.handle(.staged) == .switchCurrent)
        #expect(try machine.handle(.switched) == .actOnProcesses)
        #expect(machine.state.isPastSwitch)
        #expect(try machine.handle(.actingStarted) == .waitForProcesses)
        let reason = "my-db: pid 4242 still running after 2m (then: abort)"
        #expect(try machine.handle(.abort(reason)) == .switchBack(reason))
        #expect(machine.state == .rolledBack)
        #expect(!machine.state.isPastSwitch)
    }

    @Test func transactionStateProperties() {
        #expect(TState.allCases.filter(\.isTerminal) == [.collected, .rolledBack, .failed])
        #expect(TState.allCases.filter(\.isPastSwitch) == [.switched, .acting, .settled, .collected])
        #expect(TState.allCases.map(\.rawValue)
            == ["planned", "staged", "switched", "acting", "settled", "collected", "rolled-back", "failed"])
        #expect(Self.transactionEvents.map(\.name)
            == ["start", "recover", "recover", "staged", "switched", "acting-started", "settled", "collected", "abort", "failure"])
    }

    // MARK: Revision lifecycle

    typealias RState = RevisionLifecycle.State
    typealias REvent = RevisionLifecycle.Event
    typealias RAction = RevisionLifecycle.Action

    struct LifecycleCase: CustomTestStringConvertible, Sendable {
        var from: RState
        var event: REvent
        var to: RState
        var action: RAction
        var testDescription: String { "\(from.rawValue) + \(event) → \(to.rawValue)" }
    }

    /// Each event, with the counts and retention flags that select different transitions.
    static let lifecycleEvents: [REvent] = [
        .madeCurrent,
        .replaced(users: 1, withinRetain: false), .replaced(users: 3, withinRetain: true),
        .replaced(users: 0, withinRetain: true), .replaced(users: 0, withinRetain: false),
        .usersExited(remaining: 1, withinRetain: true), .usersExited(remaining: 2, withinRetain: false),
        .usersExited(remaining: 0, withinRetain: true), .usersExited(remaining: 0, withinRetain: false),
        .retentionChanged(withinRetain: true), .retentionChanged(withinRetain: false),
        .removed,
    ]

    /// Every legal transition of the lifecycle, for the events above.
    static let legalLifecycles: [LifecycleCase] = [
        .init(from: .staged, event: .madeCurrent, to: .current, action: .keep("current")),
        .init(from: .staged, event: .removed, to: .removed, action: .remove),
        .init(from: .current, event: .replaced(users: 1, withinRetain: false), to: .inUse, action: .keep("in use by 1 process")),
        .init(from: .current, event: .replaced(users: 3, withinRetain: true), to: .inUse, action: .keep("in use by 3 processes")),
        .init(from: .current, event: .replaced(users: 0, withinRetain: true), to: .retained, action: .keep("retained")),
        .init(from: .current, event: .replaced(users: 0, withinRetain: false), to: .collectable, action: .collect),
        .init(from: .inUse, event: .usersExited(remaining: 1, withinRetain: true), to: .inUse, action: .keep("in use by 1 process")),
        .init(from: .inUse, event: .usersExited(remaining: 2, withinRetain: false), to: .inUse, action: .keep("in use by 2 processes")),
        .init(from: .inUse, event: .usersExited(remaining: 0, withinRetain: true), to: .retained, action: .keep("retained")),
        .init(from: .inUse, event: .usersExited(remaining: 0, withinRetain: false), to: .collectable, action: .collect),
        .init(from: .retained, event: .retentionChanged(withinRetain: false), to: .collectable, action: .collect),
        .init(from: .retained, event: .retentionChanged(withinRetain: true), to: .retained, action: .none),
        .init(from: .collectable, event: .retentionChanged(withinRetain: true), to: .retained, action: .keep("retained")),
        .init(from: .collectable, event: .retentionChanged(withinRetain: false), to: .collectable, action: .none),
        .init(from: .inUse, event: .madeCurrent, to: .current, action: .keep("current")),
        .init(from: .retained, event: .madeCurrent, to: .current, action: .keep("current")),
        .init(from: .collectable, event: .madeCurrent, to: .current, action: .keep("current")),
        .init(from: .collectable, event: .removed, to: .removed, action: .remove),
    ]

    struct LifecyclePair: CustomTestStringConvertible, Sendable {
        var state: RState
        var event: REvent
        var testDescription: String { "\(state.rawValue) + \(event)" }
    }

    /// Every (state, representative event) pair that is not in ``legalLifecycles``.
    static let illegalLifecycles: [LifecyclePair] = RState.allCases.flatMap { state in
        lifecycleEvents.filter { event in
            !legalLifecycles.contains { $0.from == state && $0.event == event }
        }.map { LifecyclePair(state: state, event: $0) }
    }

    @Test(arguments: legalLifecycles)
    func lifecycleAllows(_ c: LifecycleCase) throws {
        var machine = RevisionLifecycle(state: c.from)
        let action = try machine.handle(c.event)
        #expect(action == c.action)
        #expect(machine.state == c.to)
    }

    @Test(arguments: illegalLifecycles)
    func lifecycleRefuses(_ pair: LifecyclePair) {
        var machine = RevisionLifecycle(state: pair.state)
        let error = #expect(throws: IllegalTransition.self) { try machine.handle(pair.event) }
        #expect(error == IllegalTransition(machine: "revision lifecycle", state: pair.state.rawValue, event: pair.event.name))
        #expect(error?.description == "revision lifecycle: '\(pair.event.name)' is not allowed in state '\(pair.state.rawValue)'")
        #expect(machine.state == pair.state)
    }

    @Test func lifecycleTablesCoverEveryPair() {
        #expect(Self.legalLifecycles.count + Self.illegalLifecycles.count
            == RState.allCases.count * Self.lifecycleEvents.count)
        let illegal = Set(Self.illegalLifecycles.map { "\($0.state.rawValue) + \($0.event.name)" })
        #expect(illegal.isSuperset(of: [
            "staged + replaced", "current + made-current",
            "staged + users-exited", "current + users-exited", "retained + users-exited",
            "collectable + users-exited", "removed + users-exited",
        ]))
        #expect(Self.lifecycleEvents.allSatisfy { illegal.contains("removed + \($0.name)") })
    }

    /// The invariant: no revision a live process uses, and never the current one, is removed.
    @Test(arguments: [RState.current, .inUse, .retained, .removed])
    func lifecycleNeverRemovesAHeldRevision(_ state: RState) {
        var machine = RevisionLifecycle(state: state)
        #expect(throws: IllegalTransition(machine: "revision lifecycle", state: state.rawValue, event: "removed")) {
            try machine.handle(.removed)
        }
        #expect(machine.state == state)
    }

    @Test func lifecycleMessageReadsAsDocumented() {
        var machine = RevisionLifecycle(state: .inUse)
        let error = #expect(throws: IllegalTransition.self) { try machine.handle(.removed) }
        #expect(error?.description == "revision lifecycle: 'removed' is not allowed in state 'in-use'")
    }

    @Test func lifecycleOfARevisionLeftRunning() throws {
        var machine = RevisionLifecycle(state: .staged)
        #expect(try machine.handle(.madeCurrent) == .keep("current"))
        #expect(try machine.handle(.replaced(users: 2, withinRetain: false)) == .keep("in use by 2 processes"))
        #expect(try machine.handle(.usersExited(remaining: 1, withinRetain: false)) == .keep("in use by 1 process"))
        #expect(try machine.handle(.usersExited(remaining: 0, withinRetain: true)) == .keep("retained"))
        #expect(try machine.handle(.retentionChanged(withinRetain: false)) == .collect)
        #expect(try machine.handle(.removed) == .remove)
        #expect(machine.state == .removed)
    }

    @Test func lifecycleNamesAndRawValues() {
        #expect(RState.allCases.map(\.rawValue) == ["staged", "current", "in-use", "retained", "collectable", "removed"])
        #expect(Set(Self.lifecycleEvents.map(\.name))
            == ["made-current", "replaced", "users-exited", "retention-changed", "removed"])
    }
}
