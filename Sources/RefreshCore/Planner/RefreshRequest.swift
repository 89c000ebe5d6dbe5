/// Which snaps to refresh, and to which revision.
public struct RefreshRequest: Sendable, Hashable {
    /// One `NAME` or `NAME=REV`.
    public struct Item: Sendable, Hashable, CustomStringConvertible {
        public var snap: SnapName
        /// `nil`: the newest staged revision.
        public var revision: Revision?

        public init(snap: SnapName, revision: Revision? = nil) {
            self.snap = snap
            self.revision = revision
        }

        /// Parses `vlc` or `vlc=12`; the error says what is wrong.
        public static func parse(_ text: String) -> Result<Item, RefreshCoreError> {
            let parts = text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0])
            if let problem = SnapName.problem(with: name) {
                return .failure(RefreshCoreError(.invalidArgument, "invalid snap name '\(name)' in '\(text)': \(problem); write NAME or NAME=REVISION, such as vlc=12"))
            }
            guard parts.count == 2 else { return .success(Item(snap: SnapName(name)!)) }
            let revisionText = String(parts[1])
            if let problem = Revision.problem(with: revisionText) {
                return .failure(RefreshCoreError(.invalidArgument, "invalid revision '\(revisionText)' in '\(text)': \(problem)"))
            }
            return .success(Item(snap: SnapName(name)!, revision: Revision(revisionText)))
        }

        public var description: String { revision.map { "\(snap)=\($0)" } ?? snap.rawValue }
    }

    public var items: [Item]

    public init(_ items: [Item]) { self.items = items }

    /// Parses each argument; the first bad one is the error. A snap named twice is an error too.
    public init(parsing arguments: [String]) throws(RefreshCoreError) {
        var items: [Item] = []
        for argument in arguments {
            let item = try Item.parse(argument).get()
            if items.contains(where: { $0.snap == item.snap }) {
                throw RefreshCoreError(.invalidArgument, "snap '\(item.snap)' is named twice in the refresh request; name each snap once")
            }
            items.append(item)
        }
        self.items = items
    }
}
