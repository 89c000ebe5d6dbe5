/// The policy a refresh was planned under: its absolute path and a digest of its bytes, so
/// `recover` plans with the same policy or refuses.
public struct PolicySource: Sendable, Hashable {
    /// The absolute path the policy was read from.
    public var path: String
    /// A digest of its bytes (`sha256:HEX`).
    public var digest: String

    public init(path: String, digest: String) {
        self.path = path
        self.digest = digest
    }
}

/// A policy with where it came from: what `apply` journals and `recover` checks.
public struct LoadedPolicy: Sendable {
    public var policy: Policy
    /// `nil` for the built-in policy.
    public var source: PolicySource?

    public init(policy: Policy, source: PolicySource?) {
        self.policy = policy
        self.source = source
    }

    /// The built-in policy, which no file holds.
    public static let builtIn = LoadedPolicy(policy: .builtIn, source: nil)
}

/// What an apply (or revert) set out to do and how far it got: written before every step so
/// `recover` can undo or finish it after a crash. The machines' states are in it, so recovery
/// rebuilds them and resumes.
public struct JournalRecord: Sendable, Hashable {
    /// The journal format this engine writes and reads. A journal of another version is never
    /// acted on.
    public static let formatVersion = 2

    /// The step about to be carried out (written before it starts).
    public enum Phase: String, Sendable, Hashable, CaseIterable {
        case staging, switching, acting, collecting
    }

    /// One snap's refresh.
    public struct SnapEntry: Sendable, Hashable {
        public var name: SnapName
        public var from: Revision
        public var to: Revision
        public var state: RefreshTransaction.State
        /// Whether the target revision was mounted before this refresh staged it.
        public var targetWasMounted: Bool
        /// Whether `var/snap/NAME/TO` existed before this refresh (then it is never removed).
        public var dataExisted: Bool
        /// Revisions the plan removes once the processes are handled.
        public var remove: [Revision]
        /// Why it was rolled back or failed, once it was.
        public var reason: String?
        /// The homes whose `snap/NAME/TO` existed before this refresh (never removed by an undo).
        public var userDataExisted: [String]

        public init(
            name: SnapName, from: Revision, to: Revision, state: RefreshTransaction.State, targetWasMounted: Bool,
            dataExisted: Bool, remove: [Revision], reason: String? = nil, userDataExisted: [String] = []
        ) {
            self.userDataExisted = userDataExisted
            self.name = name
            self.from = from
            self.to = to
            self.state = state
            self.targetWasMounted = targetWasMounted
            self.dataExisted = dataExisted
            self.remove = remove
            self.reason = reason
        }
    }

    /// One shutdown (of a service or a process) and how far it got.
    public struct WorkEntry: Sendable, Hashable {
        /// How a restarted service starts again, so `recover` can finish a restart that a
        /// crash interrupted after the stop.
        public struct Restart: Sendable, Hashable {
            public var snap: SnapName
            /// The revision it starts from (its environment).
            public var revision: Revision
            /// The app whose processes show it runs again.
            public var app: AppName?
            /// The restart-command; `nil` means the service manager starts `unit`.
            public var command: [String]?
            public var unit: String?

            public init(snap: SnapName, revision: Revision, app: AppName?, command: [String]?, unit: String?) {
                self.snap = snap
                self.revision = revision
                self.app = app
                self.command = command
                self.unit = unit
            }
        }

        /// `service snap.NAME.APP.service` or `process PID@START`.
        public var key: String
        /// The ``ShutdownMachine/State/name`` it was last in.
        public var state: String
        /// The outcome, once done (`exited`, `restarted`, ...).
        public var outcome: String?
        /// Set for a restart.
        public var restart: Restart?

        public init(key: String, state: String, outcome: String? = nil, restart: Restart? = nil) {
            self.key = key
            self.state = state
            self.outcome = outcome
            self.restart = restart
        }
    }

    public var operation: String
    public var phase: Phase
    public var policy: PolicySource?
    public var started: Timestamp
    public var snaps: [SnapEntry]
    public var work: [WorkEntry]

    public init(
        operation: String, phase: Phase, policy: PolicySource?, started: Timestamp, snaps: [SnapEntry],
        work: [WorkEntry] = []
    ) {
        self.operation = operation
        self.phase = phase
        self.policy = policy
        self.started = started
        self.snaps = snaps
        self.work = work
    }

    /// The record as JSON, one line, keys in a fixed order.
    public func encoded() -> String {
        var pairs: [(String, JSONValue)] = [
            ("version", .int(Int64(JournalRecord.formatVersion))),
            ("operation", .string(operation)),
            ("phase", .string(phase.rawValue)),
            ("started", .string(started.description)),
        ]
        if let policy {
            pairs.append(("policy", .object([("path", .string(policy.path)), ("digest", .string(policy.digest))])))
        }
        pairs.append(("snaps", .array(snaps.map { entry in
            var fields: [(String, JSONValue)] = [
                ("name", .string(entry.name.rawValue)),
                ("from", .string(entry.from.description)),
                ("to", .string(entry.to.description)),
                ("state", .string(entry.state.rawValue)),
                ("target-was-mounted", .bool(entry.targetWasMounted)),
                ("data-existed", .bool(entry.dataExisted)),
                ("remove", .array(entry.remove.map { .string($0.description) })),
            ]
            if let reason = entry.reason { fields.append(("reason", .string(reason))) }
            if !entry.userDataExisted.isEmpty {
                fields.append(("user-data-existed", .array(entry.userDataExisted.map { .string($0) })))
            }
            return .object(fields)
        })))
        pairs.append(("work", .array(work.map { entry in
            var fields: [(String, JSONValue)] = [("key", .string(entry.key)), ("state", .string(entry.state))]
            if let outcome = entry.outcome { fields.append(("outcome", .string(outcome))) }
            if let restart = entry.restart {
                var restartFields: [(String, JSONValue)] = [
                    ("snap", .string(restart.snap.rawValue)), ("revision", .string(restart.revision.description)),
                ]
                if let app = restart.app { restartFields.append(("app", .string(app.rawValue))) }
                if let command = restart.command { restartFields.append(("command", .array(command.map { .string($0) }))) }
                if let unit = restart.unit { restartFields.append(("unit", .string(unit))) }
                fields.append(("restart", .object(restartFields)))
            }
            return .object(fields)
        })))
        return JSONValue.object(pairs).serialized() + "\n"
    }

    /// Reads a journal, strictly: a journal of another format version, or one with anything
    /// that cannot be read, is an error and nothing in it is acted on.
    /// - Parameters:
    ///   - text: the journal's content (JSON).
    ///   - file: its path, for diagnostics.
    /// - Throws: ``RefreshCoreError`` (`invalidInput`) naming every problem with its position
    ///   and what to do.
    public init(decoding text: String, file: String) throws(RefreshCoreError) {
        let advice = "the journal must not be guessed at: finish the refresh with the refreshctl that wrote it, or inspect the host and remove \(file) by hand"
        guard let root = try YAMLDocument.parse(text, file: file) else {
            throw .invalidInput([.error(at: SourceLocation(file: file, line: 1, column: 1), "the journal is empty; \(advice)")])
        }
        var reader = YAMLReader()
        let keys = ["version", "operation", "phase", "started", "policy", "snaps", "work"]
        guard let fields = reader.fields(root, what: "the journal", allowed: keys) else {
            throw .invalidInput(JournalRecord.advised(reader.sortedDiagnostics, advice))
        }
        guard let versionNode = fields["version"], let version = versionNode.integer else {
            reader.error(fields["version"] ?? root, "the journal has no format version; \(advice)")
            throw .invalidInput(reader.sortedDiagnostics)
        }
        guard version == JournalRecord.formatVersion else {
            reader.error(versionNode, "the journal has format version \(version), this refreshctl reads version \(JournalRecord.formatVersion); \(advice)")
            throw .invalidInput(reader.sortedDiagnostics)
        }
        func required(_ key: String) -> YAMLNode? {
            if let node = fields[key] { return node }
            reader.error(root, "the journal has no '\(key)'; \(advice)")
            return nil
        }
        let operation = required("operation").flatMap { reader.choice($0, what: "operation", [("apply", "apply"), ("revert", "revert")]) }
        let phase = required("phase").flatMap { reader.choice($0, what: "phase", Phase.allCases.map { ($0.rawValue, $0) }) }
        let started = required("started").flatMap { reader.timestamp($0, what: "start time") }
        var policy: PolicySource?
        if let node = fields["policy"], let policyFields = reader.fields(node, what: "the journal's policy", allowed: ["path", "digest"]) {
            if let path = policyFields["path"].flatMap({ reader.string($0, what: "policy path") }),
                let digest = policyFields["digest"].flatMap({ reader.string($0, what: "policy digest") }) {
                policy = PolicySource(path: path, digest: digest)
            } else {
                reader.error(node, "the journal's policy needs 'path' and 'digest'; \(advice)")
            }
        }
        var snaps: [SnapEntry] = []
        if let node = required("snaps") {
            for item in reader.list(node, what: "snaps") ?? [] {
                if let entry = JournalRecord.snapEntry(item, reader: &reader, advice: advice) { snaps.append(entry) }
            }
        }
        var work: [WorkEntry] = []
        if let node = fields["work"] {
            for item in reader.list(node, what: "work") ?? [] {
                guard let entry = reader.fields(item, what: "a work entry", allowed: ["key", "state", "outcome", "restart"]) else { continue }
                guard let keyNode = entry["key"], let stateNode = entry["state"] else {
                    reader.error(item, "a work entry needs 'key' and 'state'; \(advice)")
                    continue
                }
                guard let key = reader.string(keyNode, what: "key"), let state = reader.string(stateNode, what: "state") else { continue }
                var restart: WorkEntry.Restart?
                if let node = entry["restart"] {
                    guard let fields = reader.fields(node, what: "a restart", allowed: ["snap", "revision", "app", "command", "unit"]) else { continue }
                    guard let snap = fields["snap"].flatMap({ reader.snapName($0, what: "snap name") }),
                        let revision = fields["revision"].flatMap({ reader.revision($0, what: "revision") })
                    else {
                        reader.error(node, "a restart needs 'snap' and 'revision'; \(advice)")
                        continue
                    }
                    let command = fields["command"].map { (reader.list($0, what: "command") ?? []).compactMap { reader.string($0, what: "command word") } }
                    restart = WorkEntry.Restart(
                        snap: snap, revision: revision, app: fields["app"].flatMap { reader.appName($0, what: "app name") },
                        command: command, unit: fields["unit"].flatMap { reader.string($0, what: "unit") })
                }
                work.append(WorkEntry(key: key, state: state, outcome: entry["outcome"].flatMap { reader.string($0, what: "outcome") }, restart: restart))
            }
        }
        guard !reader.hasErrors, let operation, let phase, let started else {
            throw .invalidInput(JournalRecord.advised(reader.sortedDiagnostics, advice))
        }
        self.init(operation: operation, phase: phase, policy: policy, started: started, snaps: snaps, work: work)
    }

    /// Every error with what to do about it.
    private static func advised(_ diagnostics: [Diagnostic], _ advice: String) -> [Diagnostic] {
        diagnostics.map { diagnostic in
            guard diagnostic.severity == .error, !diagnostic.message.contains(advice) else { return diagnostic }
            var advised = diagnostic
            advised.message += "; \(advice)"
            return advised
        }
    }

    private static func snapEntry(_ node: YAMLNode, reader: inout YAMLReader, advice: String) -> SnapEntry? {
        let keys = ["name", "from", "to", "state", "target-was-mounted", "data-existed", "remove", "reason", "user-data-existed"]
        guard let fields = reader.fields(node, what: "a snap entry", allowed: keys) else { return nil }
        func boolean(_ key: String) -> Bool? {
            guard let node = fields[key] else { return nil }
            switch node.scalar {
            case "true"?: return true
            case "false"?: return false
            default:
                reader.error(node, "expected \(key) as true or false, found \(node.kindDescription)")
                return nil
            }
        }
        let missing = ["name", "from", "to", "state", "target-was-mounted", "data-existed"].filter { fields[$0] == nil }
        if !missing.isEmpty {
            reader.error(node, "a snap entry needs name, from, to, state, target-was-mounted and data-existed (it has no \(missing.joined(separator: ", "))); \(advice)")
            return nil
        }
        guard let name = fields["name"].flatMap({ reader.snapName($0, what: "snap name") }),
            let from = fields["from"].flatMap({ reader.revision($0, what: "revision") }),
            let to = fields["to"].flatMap({ reader.revision($0, what: "revision") }),
            let state = fields["state"].flatMap({ reader.choice($0, what: "transaction state", RefreshTransaction.State.allCases.map { ($0.rawValue, $0) }) }),
            let mounted = boolean("target-was-mounted"), let existed = boolean("data-existed")
        else { return nil }
        var remove: [Revision] = []
        if let list = fields["remove"] {
            remove = (reader.list(list, what: "remove") ?? []).compactMap { reader.revision($0, what: "revision") }
        }
        let reason = fields["reason"].flatMap { reader.string($0, what: "reason") }
        var homes: [String] = []
        if let list = fields["user-data-existed"] {
            homes = (reader.list(list, what: "user-data-existed") ?? []).compactMap { reader.string($0, what: "home") }
        }
        return SnapEntry(
            name: name, from: from, to: to, state: state, targetWasMounted: mounted, dataExisted: existed, remove: remove,
            reason: reason, userDataExisted: homes)
    }
}

/// Where the journal is kept: written before every step of a refresh, atomically.
public protocol JournalStore: Sendable {
    /// Where it is, for messages (`ROOT/var/lib/refreshctl/journal.json`).
    var location: String { get }
    /// The record, or `nil` when no refresh is under way.
    /// - Throws: `invalidInput` when a journal is there but cannot be read (another format
    ///   version, a torn or edited file): it is never guessed at; `io` when it cannot be opened.
    func read() throws(RefreshCoreError) -> JournalRecord?
    /// Replaces the record atomically: a crash leaves the old record or the new one, whole.
    func write(_ record: JournalRecord) throws(RefreshCoreError)
    /// Removes the journal: the refresh is over.
    func remove() throws(RefreshCoreError)
}
