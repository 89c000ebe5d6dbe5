/// The life of one installed revision.
///
/// A pure state machine in the style of swift-nio: the shell reports what happened to the
/// revision (``Event``) and carries out the ``Action`` it returns. It enforces the invariant that
/// no revision a live process uses, and never the current one, is removed: only a `collectable`
/// revision (or a `staged` one that never became current) accepts ``Event/removed``.
///
/// - `staged` becomes `current`, or is discarded.
/// - `current`, once replaced, is `in-use` while processes use it, then `retained` while
///   `retain` keeps it, then `collectable`, then `removed`; `in-use` and `retained` may be skipped.
///
/// Any revision that is not current and not removed may become current again (a revert).
public struct RevisionLifecycle: Sendable, Hashable {
    /// Where a revision stands. The raw values are what `status` prints.
    public enum State: String, Sendable, Hashable, CaseIterable, Codable {
        /// Installed, never current yet.
        case staged
        /// `current` names it.
        case current
        /// No longer current, but a live process still uses it.
        case inUse = "in-use"
        /// No longer current and unused, but kept by `retain`.
        case retained
        /// Nothing keeps it; it may be removed.
        case collectable
        /// Removed by gc.
        case removed
    }

    /// What happened to the revision.
    public enum Event: Sendable, Hashable {
        /// A refresh or revert switched `current` to it.
        case madeCurrent
        /// Another revision became current; `users` processes still use this one, and
        /// `withinRetain` says whether `retain` keeps it.
        case replaced(users: Int, withinRetain: Bool)
        /// A re-scan: `remaining` processes still use it, and whether `retain` keeps it.
        case usersExited(remaining: Int, withinRetain: Bool)
        /// `retain` or the revision list changed: whether `retain` keeps it now.
        case retentionChanged(withinRetain: Bool)
        /// gc removed it.
        case removed

        /// The event's name in messages: `"made-current"`, `"replaced"`, `"users-exited"`,
        /// `"retention-changed"`, `"removed"`.
        public var name: String {
            switch self {
            case .madeCurrent: "made-current"
            case .replaced: "replaced"
            case .usersExited: "users-exited"
            case .retentionChanged: "retention-changed"
            case .removed: "removed"
            }
        }
    }

    /// What the shell must do next.
    public enum Action: Sendable, Hashable {
        /// Nothing changed.
        case none
        /// The revision stays; why: `"current"`, `"in use by N processes"`, `"retained"`.
        case keep(String)
        /// Nothing keeps the revision any more; it may now be removed.
        case collect
        /// Carry out the removal (only ever returned for a collectable or staged revision).
        case remove
    }

    /// Where the revision stands.
    public private(set) var state: State

    /// A machine in `state`, as the host shows the revision now.
    public init(state: State) {
        self.state = state
    }

    /// Moves the machine on by `event`.
    ///
    /// - Parameter event: What happened to the revision. Process counts must not be negative.
    /// - Returns: What the shell must do next.
    /// - Throws: ``IllegalTransition`` when `event` is not allowed in the current state, most
    ///   importantly ``Event/removed`` for a current, in-use or retained revision; the state is
    ///   then unchanged.
    public mutating func handle(_ event: Event) throws(IllegalTransition) -> Action {
        let next: State
        let action: Action
        switch (state, event) {
        case (.staged, .madeCurrent), (.inUse, .madeCurrent), (.retained, .madeCurrent),
            (.collectable, .madeCurrent):
            (next, action) = (.current, .keep("current"))
        case (.staged, .removed), (.collectable, .removed):
            (next, action) = (.removed, .remove)
        case (.current, .replaced(let users, let withinRetain)),
            (.inUse, .usersExited(let users, let withinRetain)):
            precondition(users >= 0, "a revision cannot have \(users) users")
            (next, action) = RevisionLifecycle.afterUse(users: users, withinRetain: withinRetain)
        case (.retained, .retentionChanged(withinRetain: true)):
            (next, action) = (.retained, .none)
        case (.retained, .retentionChanged(withinRetain: false)):
            (next, action) = (.collectable, .collect)
        case (.collectable, .retentionChanged(withinRetain: true)):
            (next, action) = (.retained, .keep("retained"))
        case (.collectable, .retentionChanged(withinRetain: false)):
            // Symmetric with retained+retentionChanged(true): a change that leaves it outside
            // `retain` changes nothing, so the shell may report retention to every old revision.
            (next, action) = (.collectable, .none)
        default:
            throw IllegalTransition(machine: "revision lifecycle", state: state.rawValue, event: event.name)
        }
        state = next
        return action
    }

    /// Where a revision goes once it is not current: users keep it first, then `retain`.
    private static func afterUse(users: Int, withinRetain: Bool) -> (State, Action) {
        if users > 0 {
            return (.inUse, .keep("in use by \(users) \(users == 1 ? "process" : "processes")"))
        }
        return withinRetain ? (.retained, .keep("retained")) : (.collectable, .collect)
    }
}

extension RevisionLifecycle {
    /// Where one installed revision stands, and why: the one rule for which revisions stay,
    /// used by the planner (after a refresh), `status` and `gc` (now).
    public struct Assessment: Sendable, Hashable {
        public var revision: Revision
        public var isCurrent: Bool
        public var isStaged: Bool
        /// Processes that use it (run from it, map it, pin it as a base, or are users of it).
        public var users: Int
        /// Whether `retain` keeps it (the current revision counts as one).
        public var withinRetain: Bool

        /// The lifecycle state this amounts to.
        public var state: State {
            if isCurrent { return .current }
            if isStaged { return .staged }
            if users > 0 { return .inUse }
            return withinRetain ? .retained : .collectable
        }

        /// Whether nothing keeps it: `gc` may remove it.
        public var isCollectable: Bool { state == .collectable }
    }

    /// Assesses every installed revision of a snap, newest first.
    ///
    /// The current revision is kept and counts towards `retain`; staged revisions are kept
    /// and do not count; then the newest others up to `retain`; a revision any process uses is
    /// kept beyond that, until its last user is gone.
    /// - Parameters:
    ///   - revisions: the installed revisions, in any order.
    ///   - current: the revision `current` names (after the refresh, for a plan).
    ///   - retain: revisions kept, the current one included.
    ///   - isStaged: whether a revision is staged (waiting to become current).
    ///   - users: how many processes use a revision.
    public static func assess(
        revisions: [Revision], current: Revision?, retain: Int, isStaged: (Revision) -> Bool, users: (Revision) -> Int
    ) -> [Assessment] {
        // The current revision takes its place first, wherever it stands in the order.
        var retained = current.map { revisions.contains($0) } == true ? 1 : 0
        var result: [Assessment] = []
        for revision in revisions.sorted(by: >) {
            let isCurrent = revision == current
            let staged = !isCurrent && isStaged(revision)
            var withinRetain = isCurrent
            if !isCurrent, !staged, retained < retain {
                retained += 1
                withinRetain = true
            }
            result.append(Assessment(revision: revision, isCurrent: isCurrent, isStaged: staged, users: users(revision), withinRetain: withinRetain))
        }
        return result
    }
}
