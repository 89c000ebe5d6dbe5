/// What a policy unit test expects of the plan for one snap (one entry under `expect:`).
///
/// Every field is optional; only those given are compared. `keep` and `remove` list revisions
/// that must be kept (or removed), others are not looked at; an empty list means "none".
public struct SnapExpectation: Sendable, Hashable {
    /// A list of revisions that must be kept, or removed.
    public struct Revisions: Sendable, Hashable {
        /// Where the list was written; an empty list is checked there.
        public var location: SourceLocation
        /// The revisions, each where it was written.
        public var revisions: [Located<Revision>]

        /// A list written at `location`.
        public init(_ revisions: [Located<Revision>], at location: SourceLocation) {
            self.revisions = revisions
            self.location = location
        }
    }

    /// The snap; its plan must be part of the refresh.
    public var snap: SnapName
    /// Where the snap's key was written.
    public var location: SourceLocation
    /// What the refresh does for the snap: `refresh`, `postponed`, `up-to-date` or `error`.
    public var outcome: Located<SnapPlan.Outcome>?
    /// The revision the snap is refreshed to (`to:`).
    public var target: Located<Revision>?
    /// When the snap's postponement runs out.
    public var deadline: Located<Timestamp>?
    /// Expectations by PID (`processes:`) and by app (`apps:`), in file order.
    public var processes: [ProcessExpectation]
    /// Revisions that must be kept (`keep:`).
    public var keep: Revisions?
    /// Revisions that must be removed (`remove:`).
    public var remove: Revisions?
    /// Texts that some warning about this snap must contain.
    public var warningsContaining: [Located<String>]
    /// Texts that no warning about this snap may contain.
    public var warningsAbsent: [Located<String>]

    /// An expectation with only the fields given set.
    public init(
        snap: SnapName, location: SourceLocation, outcome: Located<SnapPlan.Outcome>? = nil,
        target: Located<Revision>? = nil, deadline: Located<Timestamp>? = nil,
        processes: [ProcessExpectation] = [], keep: Revisions? = nil, remove: Revisions? = nil,
        warningsContaining: [Located<String>] = [], warningsAbsent: [Located<String>] = []
    ) {
        self.snap = snap
        self.location = location
        self.outcome = outcome
        self.target = target
        self.deadline = deadline
        self.processes = processes
        self.keep = keep
        self.remove = remove
        self.warningsContaining = warningsContaining
        self.warningsAbsent = warningsAbsent
    }
}
