/// Past refreshes: what `apply`, `revert` and `recover` did to each snap, and to each of its
/// processes and services. The engine records an entry per snap at the end of every refresh it
/// carried out (``RefreshRecords/recordHistory(_:)``); `refreshctl history` prints them.
public struct RefreshHistory: Sendable, Hashable {
    /// The history file's format version.
    public static let formatVersion = 1
    /// How many entries are kept per snap: the newest ones.
    public static let limit = 20

    /// One refresh of one snap.
    public struct Entry: Sendable, Hashable {
        /// What happened to one process or service.
        public struct Result: Sendable, Hashable {
            /// `pid 4242 vlc.vlc` or `snap.libvirt.libvirtd.service`.
            public var subject: String
            public var pid: Int32?
            public var action: Action
            public var outcome: ProcessResult.Outcome
            public var detail: String

            public init(subject: String, pid: Int32?, action: Action, outcome: ProcessResult.Outcome, detail: String) {
                self.subject = subject
                self.pid = pid
                self.action = action
                self.outcome = outcome
                self.detail = detail
            }
        }

        public var snap: SnapName
        /// `apply`, `revert` or `recover`.
        public var operation: String
        /// When the refresh started and when it ended.
        public var started: Timestamp
        public var finished: Timestamp
        public var from: Revision
        public var to: Revision
        public var outcome: ApplyReport.SnapOutcome
        public var message: String?
        /// Services first (in unit order), then processes (in PID order).
        public var results: [Result]
        public var removed: [Revision]

        public init(
            snap: SnapName, operation: String, started: Timestamp, finished: Timestamp, from: Revision, to: Revision,
            outcome: ApplyReport.SnapOutcome, message: String? = nil, results: [Result] = [], removed: [Revision] = []
        ) {
            self.snap = snap
            self.operation = operation
            self.started = started
            self.finished = finished
            self.from = from
            self.to = to
            self.outcome = outcome
            self.message = message
            self.results = results
            self.removed = removed
        }

        var jsonValue: JSONValue {
            var pairs: [(String, JSONValue)] = [
                ("snap", .string(snap.rawValue)),
                ("operation", .string(operation)),
                ("started", .string(started.description)),
                ("finished", .string(finished.description)),
                ("from", .string(from.description)),
                ("to", .string(to.description)),
                ("outcome", .string(outcome.rawValue)),
            ]
            if let message { pairs.append(("message", .string(message))) }
            pairs.append(("results", .array(results.map { result in
                var fields: [(String, JSONValue)] = [("subject", .string(result.subject))]
                if let pid = result.pid { fields.append(("pid", .int(Int64(pid)))) }
                fields += [
                    ("action", .string(result.action.rawValue)),
                    ("outcome", .string(result.outcome.rawValue)),
                    ("detail", .string(result.detail)),
                ]
                return .object(fields)
            })))
            pairs.append(("removed", .array(removed.map { .string($0.description) })))
            return .object(pairs)
        }

        var textLines: [String] {
            let move = "\(from) -> \(to)"
            var head = "\(finished) \(snap) \(operation) \(move): \(outcome.rawValue)"
            if let message { head += ": " + PlainText.escaped(message) }
            var lines = [head]
            for result in results {
                lines.append("  \(PlainText.escaped(result.subject)): \(result.action): \(result.outcome.rawValue): \(PlainText.escaped(result.detail))")
            }
            if !removed.isEmpty { lines.append("  removed revision" + (removed.count == 1 ? " " : "s ") + removed.map(\.description).joined(separator: ", ")) }
            return lines
        }
    }

    /// Oldest first.
    public var entries: [Entry]

    public init(entries: [Entry]) { self.entries = entries }

    /// `entries` with `entry` added, the oldest dropped beyond ``limit``.
    public func appending(_ entry: Entry) -> RefreshHistory {
        var all = entries + [entry]
        if all.count > RefreshHistory.limit { all.removeFirst(all.count - RefreshHistory.limit) }
        return RefreshHistory(entries: all)
    }

    /// The history as `refreshctl history` prints it: one line per refresh, oldest first, each
    /// with what happened to its services and processes.
    public func text() -> String {
        guard !entries.isEmpty else { return "no refreshes recorded\n" }
        return entries.flatMap(\.textLines).joined(separator: "\n") + "\n"
    }

    /// The history as JSON: `{"version":1,"limit":20,"entries":[...]}`, oldest first.
    public func json() -> String {
        JSONValue.object([
            ("version", .int(Int64(RefreshHistory.formatVersion))),
            ("limit", .int(Int64(RefreshHistory.limit))),
            ("entries", .array(entries.map(\.jsonValue))),
        ]).serialized() + "\n"
    }

    /// One snap's history file: the same JSON as ``json()``.
    public func encoded() -> String { json() }

    /// Reads a history file strictly; anything unexpected is an error with its position.
    public init(decoding text: String, file: String) throws(RefreshCoreError) {
        guard let root = try YAMLDocument.parse(text, file: file) else {
            throw .invalidInput([.error(at: SourceLocation(file: file, line: 1, column: 1), "the history file is empty")])
        }
        var reader = YAMLReader()
        guard let fields = reader.fields(root, what: "the history file", allowed: ["version", "limit", "entries"]) else {
            throw .invalidInput(reader.sortedDiagnostics)
        }
        reader.formatVersion(fields["version"], in: root, of: "history")
        var entries: [Entry] = []
        for item in fields["entries"].flatMap({ reader.list($0, what: "entries") }) ?? [] {
            if let entry = RefreshHistory.entry(item, reader: &reader) { entries.append(entry) }
        }
        guard !reader.hasErrors else { throw .invalidInput(reader.sortedDiagnostics) }
        self.init(entries: entries)
    }

    private static func entry(_ node: YAMLNode, reader: inout YAMLReader) -> Entry? {
        let keys = ["snap", "operation", "started", "finished", "from", "to", "outcome", "message", "results", "removed"]
        guard let fields = reader.fields(node, what: "a history entry", allowed: keys) else { return nil }
        let missing = ["snap", "operation", "started", "finished", "from", "to", "outcome"].filter { fields[$0] == nil }
        if !missing.isEmpty {
            reader.error(node, "a history entry needs snap, operation, started, finished, from, to and outcome (it has no \(missing.joined(separator: ", ")))")
            return nil
        }
        let outcomes: [(String, ApplyReport.SnapOutcome)] = ApplyReport.SnapOutcome.allCases.map { ($0.rawValue, $0) }
        guard let snap = fields["snap"].flatMap({ reader.snapName($0, what: "snap name") }),
            let operation = fields["operation"].flatMap({ reader.choice($0, what: "operation", [("apply", "apply"), ("revert", "revert"), ("recover", "recover")]) }),
            let started = fields["started"].flatMap({ reader.timestamp($0, what: "started") }),
            let finished = fields["finished"].flatMap({ reader.timestamp($0, what: "finished") }),
            let from = fields["from"].flatMap({ reader.revision($0, what: "revision") }),
            let to = fields["to"].flatMap({ reader.revision($0, what: "revision") }),
            let outcome = fields["outcome"].flatMap({ reader.choice($0, what: "outcome", outcomes) })
        else { return nil }
        let message = fields["message"].flatMap { reader.string($0, what: "message") }
        var results: [Entry.Result] = []
        for item in fields["results"].flatMap({ reader.list($0, what: "results") }) ?? [] {
            guard let result = reader.fields(item, what: "a result", allowed: ["subject", "pid", "action", "outcome", "detail"]) else { continue }
            guard let subject = result["subject"].flatMap({ reader.string($0, what: "subject") }),
                let action = result["action"].flatMap({ reader.choice($0, what: "action", Action.allCases.map { ($0.rawValue, $0) }) }),
                let resultOutcome = result["outcome"].flatMap({ reader.choice($0, what: "outcome", ProcessResult.Outcome.allCases.map { ($0.rawValue, $0) }) }),
                let detail = result["detail"].flatMap({ reader.string($0, what: "detail") })
            else {
                reader.error(item, "a result needs subject, action, outcome and detail")
                continue
            }
            let pid = result["pid"].flatMap { reader.integer($0, what: "pid", in: 1...Int(Int32.max)) }.map { Int32($0) }
            results.append(Entry.Result(subject: subject, pid: pid, action: action, outcome: resultOutcome, detail: detail))
        }
        let removed = (fields["removed"].flatMap { reader.list($0, what: "removed") } ?? []).compactMap { reader.revision($0, what: "revision") }
        return Entry(
            snap: snap, operation: operation, started: started, finished: finished, from: from, to: to,
            outcome: outcome, message: message, results: results, removed: removed)
    }
}
