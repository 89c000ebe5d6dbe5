/// A hold put on a snap by hand (`refreshctl hold NAME`): while it lasts, `plan` and `apply`
/// leave the snap where it is, with the outcome `held`.
public struct SnapHold: Sendable, Hashable {
    /// The hold record's format version.
    public static let formatVersion = 1

    public var snap: SnapName
    /// When the hold was put.
    public var since: Timestamp
    /// When it ends by itself; `nil` holds until `refreshctl unhold`.
    public var until: Timestamp?
    /// Who put it: the user refreshctl ran as, and who ran sudo, if anyone (`root (sudo by alice)`).
    public var by: String
    /// The command that put it (`refreshctl hold --for 2d vlc`).
    public var command: String

    public init(snap: SnapName, since: Timestamp, until: Timestamp?, by: String, command: String) {
        self.snap = snap
        self.since = since
        self.until = until
        self.by = by
        self.command = command
    }

    /// Whether the hold still applies at `now`: an expired hold no longer does.
    public func isActive(at now: Timestamp) -> Bool {
        guard let until else { return true }
        return now < until
    }

    /// `until 2026-11-29T12:00:00Z` or `until unheld`, then by whom and with what command.
    public var summary: String {
        let end = until.map { "until \($0)" } ?? "until 'refreshctl unhold \(snap)'"
        return "held \(end), since \(since) by \(PlainText.escaped(by)) (\(PlainText.escaped(command)))"
    }

    /// The hold as JSON, for `ROOT/var/lib/refreshctl/held/NAME` and for output.
    package var jsonValue: JSONValue {
        .object([
            ("snap", .string(snap.rawValue)),
            ("since", .string(since.description)),
            ("until", until.map { .string($0.description) } ?? .null),
            ("by", .string(by)),
            ("command", .string(command)),
        ])
    }

    /// The record file's content: the hold with the format version, one line.
    public func encoded() -> String {
        guard case .object(let pairs) = jsonValue else { return "" }
        return JSONValue.object([("version", .int(Int64(SnapHold.formatVersion)))] + pairs).serialized() + "\n"
    }

    /// Reads a hold record strictly; anything unexpected is an error with its position.
    public init(decoding text: String, file: String) throws(RefreshCoreError) {
        guard let root = try YAMLDocument.parse(text, file: file) else {
            throw .invalidInput([.error(at: SourceLocation(file: file, line: 1, column: 1), "the hold record is empty; run 'refreshctl unhold' and hold again")])
        }
        var reader = YAMLReader()
        guard let fields = reader.fields(root, what: "the hold record", allowed: ["version", "snap", "since", "until", "by", "command"]) else {
            throw .invalidInput(reader.sortedDiagnostics)
        }
        reader.formatVersion(fields["version"], in: root, of: "hold record")
        func required(_ key: String) -> YAMLNode? {
            if let node = fields[key] { return node }
            reader.error(root, "the hold record has no '\(key)'")
            return nil
        }
        let snap = required("snap").flatMap { reader.snapName($0, what: "snap name") }
        let since = required("since").flatMap { reader.timestamp($0, what: "since") }
        var until: Timestamp?
        if let node = fields["until"], !node.isNull { until = reader.timestamp(node, what: "until") }
        let by = required("by").flatMap { reader.string($0, what: "by") }
        let command = required("command").flatMap { reader.string($0, what: "command") }
        guard !reader.hasErrors, let snap, let since, let by, let command else {
            throw .invalidInput(reader.sortedDiagnostics)
        }
        self.init(snap: snap, since: since, until: until, by: by, command: command)
    }
}
