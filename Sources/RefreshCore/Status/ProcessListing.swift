/// The processes bound to snap revisions: what `refreshctl ps` prints. Pure.
public struct ProcessListing: Sendable, Hashable {
    public struct Row: Sendable, Hashable {
        public var identity: ProcessIdentity
        /// The parent PID, when known.
        public var parent: Int32?
        public var role: ProcessRole
        /// The unit of a main or member process's service.
        public var service: String?
        public var snap: SnapName
        public var app: String?
        public var revision: Revision
        /// Whether the revision it runs from is still the current one.
        public var isCurrent: Bool
        public var pins: [SnapRevision]
        public var evidence: [String]
    }

    /// Sorted by PID.
    public var rows: [Row]

    /// - Parameters:
    ///   - state: the host's snaps and processes.
    ///   - names: only processes of these snaps (or pinning them); all when empty.
    public init(state: SystemState, names: [SnapName] = []) {
        rows = state.processes.compactMap { process in
            guard let binding = process.binding else { return nil }
            if !names.isEmpty, !names.contains(binding.snap), !binding.pins.contains(where: { names.contains($0.snap) }) {
                return nil
            }
            let app = binding.app.map(\.rawValue) ?? binding.hook.map { "hook.\($0)" }
            return Row(
                identity: process.identity, parent: process.parent, role: binding.role, service: binding.service,
                snap: binding.snap, app: app, revision: binding.revision,
                isCurrent: state.snaps[binding.snap]?.current == binding.revision, pins: binding.pins,
                evidence: binding.evidence)
        }
    }

    public func text() -> String {
        guard !rows.isEmpty else { return "no process runs from a snap\n" }
        let header = ["PID", "PPID", "ROLE", "SNAP", "APP", "SERVICE", "REV", "CURRENT", "PINS", "EVIDENCE"]
        let table = rows.map { row in
            [String(row.identity.pid), row.parent.map(String.init) ?? "-", row.role.rawValue, row.snap.rawValue, row.app ?? "-",
             row.service ?? "-", row.revision.description,
             row.isCurrent ? "yes" : "no", row.pins.isEmpty ? "-" : row.pins.map(\.description).joined(separator: ","),
             row.evidence.joined(separator: "; ")]
        }
        var widths = header.map(\.count)
        for line in table {
            for (i, cell) in line.enumerated() where i < line.count - 1 { widths[i] = max(widths[i], cell.count) }
        }
        func render(_ cells: [String]) -> String {
            cells.enumerated().map { i, cell in
                i == cells.count - 1 ? cell : cell + String(repeating: " ", count: widths[i] - cell.count)
            }.joined(separator: "  ")
        }
        return ([render(header)] + table.map(render)).joined(separator: "\n") + "\n"
    }

    public func json() -> String {
        JSONValue.object([
            ("version", .int(1)),
            ("processes", .array(rows.map { row in
                var pairs: [(String, JSONValue)] = [("pid", .int(Int64(row.identity.pid)))]
                if let start = row.identity.startTime { pairs.append(("start-time", .int(Int64(start)))) }
                pairs += [
                    ("ppid", row.parent.map { .int(Int64($0)) } ?? .null),
                    ("role", .string(row.role.rawValue)),
                    ("snap", .string(row.snap.rawValue)),
                    ("app", row.app.map { .string($0) } ?? .null),
                    ("service", row.service.map { .string($0) } ?? .null),
                    ("revision", .string(row.revision.description)),
                    ("current", .bool(row.isCurrent)),
                    ("pins", .array(row.pins.map { .string($0.description) })),
                    ("evidence", .array(row.evidence.map { .string($0) })),
                ]
                return .object(pairs)
            })),
        ]).serialized() + "\n"
    }
}
