/// What `apply`, `revert` or `recover` did: per snap the outcome, per process what happened,
/// and which revisions were removed or kept.
public struct ApplyReport: Sendable, Hashable {
    public enum SnapOutcome: String, Sendable, Hashable, CaseIterable {
        case refreshed
        case rolledBack = "rolled-back"
        case postponed
        /// A hold (`refreshctl hold`) keeps the snap where it is.
        case held
        case upToDate = "up-to-date"
        case error
    }

    public struct SnapReport: Sendable, Hashable {
        public var name: SnapName
        public var from: Revision?
        public var to: Revision?
        public var outcome: SnapOutcome
        public var message: String?
        public var removed: [Revision]
        /// Revisions the plan would have removed that stay, and why.
        public var kept: [KeptRevision]
        /// What became of the data directories of the removed revisions.
        public var data: [DataOutcome] = []

        package init(
            name: SnapName, from: Revision?, to: Revision?, outcome: SnapOutcome, message: String? = nil,
            removed: [Revision], kept: [KeptRevision]
        ) {
            self.name = name
            self.from = from
            self.to = to
            self.outcome = outcome
            self.message = message
            self.removed = removed
            self.kept = kept
        }
    }

    public var operation: String
    /// Sorted by name.
    public var snaps: [SnapReport]
    /// Sorted by PID.
    public var processes: [ProcessResult]
    /// What happened to each service that was stopped or restarted, sorted by unit.
    public var services: [ServiceResult]
    public var warnings: [String]
    /// The service manager the engine acted through (`systemd`), or `none`; `nil` when not said.
    /// The text says it when it stopped or restarted services; the JSON always.
    public var serviceManager: String?

    package init(operation: String, snaps: [SnapReport], processes: [ProcessResult], services: [ServiceResult] = [], warnings: [String]) {
        self.operation = operation
        self.snaps = snaps
        self.processes = processes
        self.services = services
        self.warnings = warnings
    }

    /// 0 done; 1 something could not be completed; 3 postponed or held.
    public var exitCode: Int32 {
        // A rollback is a failed refresh, but a successful recovery.
        if snaps.contains(where: { $0.outcome == .error || ($0.outcome == .rolledBack && operation != "recover") })
            || processes.contains(where: { $0.outcome == .failed }) || services.contains(where: { $0.outcome == .failed }) {
            return 1
        }
        if snaps.contains(where: { $0.outcome == .postponed || $0.outcome == .held }) { return 3 }
        return 0
    }

    public func text() -> String {
        var lines: [String] = []
        for snap in snaps {
            let move = "\(snap.from?.description ?? "(none)") -> \(snap.to?.description ?? "(none)")"
            switch snap.outcome {
            case .refreshed: lines.append("\(snap.name): refreshed \(move)")
            case .rolledBack: lines.append("\(snap.name): rolled back (\(move)): \(snap.message ?? "")")
            case .postponed: lines.append("\(snap.name): postponed (\(move))\(snap.message.map { ": \($0)" } ?? "")")
            case .held: lines.append("\(snap.name): held (\(move))\(snap.message.map { ": \($0)" } ?? "")")
            case .upToDate: lines.append("\(snap.name): up to date at \(snap.from?.description ?? "(none)")\(snap.message.map { " (\($0))" } ?? "")")
            case .error: lines.append("\(snap.name): error: \(snap.message ?? "")")
            }
            for revision in snap.removed {
                lines.append("  removed revision \(revision)")
                for data in snap.data where data.revision == revision { lines += data.lines().map { "    " + $0 } }
            }
            for kept in snap.kept { lines.append("  kept revision \(kept.revision): \(kept.why)") }
        }
        if !services.isEmpty {
            lines.append("services:")
            for service in services {
                lines.append("  \(service.unit): \(service.action): \(service.outcome.rawValue): \(service.detail)")
            }
        }
        if !processes.isEmpty {
            lines.append("processes:")
            for process in processes {
                lines.append("  pid \(process.identity.pid) \(process.label): \(process.action): \(process.detail)")
            }
        }
        if !warnings.isEmpty {
            lines.append("warnings:")
            lines.append(contentsOf: warnings.map { "  - \($0)" })
        }
        // Said where it mattered: when services were stopped or restarted (JSON always says it).
        if let serviceManager, !services.isEmpty { lines.append("service manager: \(RefreshPlan.serviceManagerPhrase(serviceManager))") }
        return lines.joined(separator: "\n") + "\n"
    }

    public func json() -> String {
        var pairs: [(String, JSONValue)] = [
            ("version", .int(1)),
            ("operation", .string(operation)),
            ("snaps", .array(snaps.map { snap in
                var pairs: [(String, JSONValue)] = [
                    ("name", .string(snap.name.rawValue)),
                    ("from", snap.from.map { .string($0.description) } ?? .null),
                    ("to", snap.to.map { .string($0.description) } ?? .null),
                    ("outcome", .string(snap.outcome.rawValue)),
                ]
                if let message = snap.message { pairs.append(("message", .string(message))) }
                pairs.append(("removed", .array(snap.removed.map { .string($0.description) })))
                if !snap.data.isEmpty { pairs.append(("data", .array(snap.data.map { $0.json() }))) }
                pairs.append(("kept", .array(snap.kept.map { .object([("revision", .string($0.revision.description)), ("why", .string($0.why))]) })))
                return .object(pairs)
            })),
            ("processes", .array(processes.map { process in
                .object([
                    ("pid", .int(Int64(process.identity.pid))),
                    ("app", .string(process.label)),
                    ("action", .string(process.action.rawValue)),
                    ("outcome", .string(process.outcome.rawValue)),
                    ("detail", .string(process.detail)),
                ])
            })),
            ("services", .array(services.map { service in
                .object([
                    ("unit", .string(service.unit)),
                    ("action", .string(service.action.rawValue)),
                    ("outcome", .string(service.outcome.rawValue)),
                    ("detail", .string(service.detail)),
                ])
            })),
            ("warnings", .array(warnings.map { .string($0) })),
            ("exit-code", .int(Int64(exitCode))),
        ]
        if let serviceManager { pairs.append(("service-manager", .string(serviceManager))) }
        return JSONValue.object(pairs).serialized() + "\n"
    }
}
