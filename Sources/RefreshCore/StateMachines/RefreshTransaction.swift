/// The refresh of one snap, from plan to collection.
///
/// A pure state machine in the style of swift-nio: the executor feeds it what just happened
/// (``Event``) and carries out the ``Action`` it returns. It performs no I/O, so the executor can
/// journal the state before each step and rebuild the machine from the journal after a crash
/// with ``init(state:)``.
///
/// The happy path is `planned → staged → switched → acting → settled → collected`. An abort rolls
/// back: before the switch only staging has to be undone, after it `current` must be pointed
/// back at the old revision. Once processes have been handled (`settled`) there is nothing left
/// to roll back to safely, so an abort is refused there; a failure may still stop the refresh.
public struct RefreshTransaction: Sendable, Hashable {
    /// Where a refresh stands. The raw values are what the journal and `status` print.
    public enum State: String, Sendable, Hashable, CaseIterable, Codable {
        /// Nothing has been touched yet.
        case planned
        /// The target revision is mounted and its data copied; `current` is unchanged.
        case staged
        /// The `current` links name the new revision.
        case switched
        /// The running processes of the old revision are being acted on.
        case acting
        /// Every process has been handled.
        case settled
        /// The old revisions the plan removes are gone; the refresh is complete.
        case collected
        /// The refresh was abandoned and undone.
        case rolledBack = "rolled-back"
        /// The refresh stopped on an unrecoverable error and needs `recover` or a person.
        case failed

        /// Whether the machine accepts no more events: `collected`, `rolled-back`, `failed`.
        public var isTerminal: Bool {
            switch self {
            case .collected, .rolledBack, .failed: true
            case .planned, .staged, .switched, .acting, .settled: false
            }
        }

        /// Whether `current` may already name the new revision (switched, acting, settled, collected).
        ///
        /// `recover` uses this to decide whether rolling back means switching `current` back.
        public var isPastSwitch: Bool {
            switch self {
            case .switched, .acting, .settled, .collected: true
            case .planned, .staged, .rolledBack, .failed: false
            }
        }
    }

    /// What just happened, as the executor reports it.
    public enum Event: Sendable, Hashable {
        /// The refresh begins.
        case start
        /// `recover` found the machine in this state in the journal; `switchBegun` says whether
        /// the journal had reached the switch (then `current` may name either revision).
        case recover(switchBegun: Bool)
        /// The target revision is mounted and its data copied.
        case staged
        /// The `current` links were re-pointed at the new revision.
        case switched
        /// Acting on the old revision's processes has begun.
        case actingStarted
        /// Every process has been handled.
        case settled
        /// The old revisions the plan removes are gone.
        case collected
        /// Give up and roll back (a `then: abort` timeout, a failed step); the reason.
        case abort(String)
        /// Unrecoverable: stop and report; the reason.
        case failure(String)

        /// The event's name in messages and the journal: `"staged"`, `"switched"`,
        /// `"acting-started"`, `"settled"`, `"collected"`, `"abort"`, `"failure"`.
        public var name: String {
            switch self {
            case .start: "start"
            case .recover: "recover"
            case .staged: "staged"
            case .switched: "switched"
            case .actingStarted: "acting-started"
            case .settled: "settled"
            case .collected: "collected"
            case .abort: "abort"
            case .failure: "failure"
            }
        }
    }

    /// What the executor must do next.
    public enum Action: Sendable, Hashable {
        /// Mount the target revision and copy its data.
        case stage
        /// Re-point the `current` links at the staged revision.
        case switchCurrent
        /// Act on the old revision's processes as the plan decided.
        case actOnProcesses
        /// Wait until every process has been handled.
        case waitForProcesses
        /// Remove the old revisions the plan removes.
        case collect
        /// Nothing left to do; release the lock.
        case finish
        /// Abort before the switch: unmount what was mounted and remove the data directory that
        /// was created; the reason.
        case undoStaging(String)
        /// Abort after the switch: point `current` back at the old revision; the reason.
        case switchBack(String)
        /// Stop and report the failure; the reason.
        case report(String)
    }

    /// Where the refresh stands.
    public private(set) var state: State

    /// A machine in `state`: `planned` for a new refresh, or the journalled state on recovery.
    public init(state: State = .planned) {
        self.state = state
    }

    /// Moves the machine on by `event`.
    ///
    /// - Parameter event: What just happened.
    /// - Returns: What the executor must do next.
    /// - Throws: ``IllegalTransition`` when `event` is not allowed in the current state; the
    ///   state is then unchanged.
    public mutating func handle(_ event: Event) throws(IllegalTransition) -> Action {
        let next: State
        let action: Action
        switch (state, event) {
        case (.planned, .start):
            (next, action) = (.planned, .stage)
        case (.planned, .recover(switchBegun: false)), (.staged, .recover(switchBegun: false)):
            (next, action) = (.rolledBack, .undoStaging("the refresh was interrupted before the switch"))
        case (.staged, .recover(switchBegun: true)):
            // The switch may or may not have happened: do it (again; it is idempotent).
            (next, action) = (.staged, .switchCurrent)
        case (.switched, .recover):
            (next, action) = (.switched, .actOnProcesses)
        case (.acting, .recover):
            (next, action) = (.acting, .waitForProcesses)
        case (.settled, .recover):
            (next, action) = (.settled, .collect)
        case (.rolledBack, .recover(let switchBegun)):
            // Make sure the rollback is complete: both steps are idempotent.
            let why = "the interrupted refresh had been rolled back"
            (next, action) = (.rolledBack, switchBegun ? .switchBack(why) : .undoStaging(why))
        case (.planned, .staged):
            (next, action) = (.staged, .switchCurrent)
        case (.staged, .switched):
            (next, action) = (.switched, .actOnProcesses)
        case (.switched, .actingStarted):
            (next, action) = (.acting, .waitForProcesses)
        case (.acting, .settled):
            (next, action) = (.settled, .collect)
        case (.settled, .collected):
            (next, action) = (.collected, .finish)
        case (.planned, .abort(let reason)), (.staged, .abort(let reason)):
            (next, action) = (.rolledBack, .undoStaging(reason))
        case (.switched, .abort(let reason)), (.acting, .abort(let reason)):
            (next, action) = (.rolledBack, .switchBack(reason))
        case (let from, .failure(let reason)) where !from.isTerminal:
            (next, action) = (.failed, .report(reason))
        default:
            // Everything else, including any abort once processes were handled (`settled`) and
            // every event in a terminal state.
            throw IllegalTransition(machine: "refresh transaction", state: state.rawValue, event: event.name)
        }
        state = next
        return action
    }
}
