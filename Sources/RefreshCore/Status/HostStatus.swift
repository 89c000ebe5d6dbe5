/// The state of every revision on a host: what `refreshctl status` prints. Pure: computed
/// from a ``SystemState`` and the store's listing.
public struct HostStatus: Sendable, Hashable {
    /// What a revision is right now.
    public enum State: String, Sendable, Hashable, CaseIterable {
        case current
        /// Newer than current, waiting for a refresh.
        case staged
        /// Processes of this snap run from it.
        case inUse = "in-use"
        /// Processes of other snaps pin it as their base.
        case pinned
        /// Kept by `retain`.
        case retained
        /// Nothing holds it: `gc` may remove it.
        case collectable
    }

    public struct RevisionStatus: Sendable, Hashable {
        public var revision: Revision
        public var states: [State]
        /// PIDs of this snap's processes that run from it.
        public var processes: [Int32]
        /// The apps those processes run (known ones), sorted.
        public var apps: [String]
        /// PIDs of other snaps' processes that pin it.
        public var pinnedBy: [Int32]
        public var mounted: Bool
        /// Whether its system data directory (`var/snap/NAME/REV`) is there.
        public var hasData: Bool
        /// The homes that hold users' data of it (`HOME/snap/NAME/REV`), sorted; filled in by
        /// ``withUserData(_:)``.
        public var userData: [String] = []
        /// The lifecycle state the one retention rule gives it (``RevisionLifecycle/assess(revisions:current:retain:isStaged:users:)``).
        public var lifecycle: RevisionLifecycle.State
    }

    public struct SnapStatus: Sendable, Hashable {
        public var name: SnapName
        public var type: SnapType
        public var current: Revision?
        /// Newest first.
        public var revisions: [RevisionStatus]
        /// The hold put on the snap by hand, while it applies.
        public var hold: SnapHold?
    }

    /// A refresh that was interrupted (its journal is there): `recover` finishes it.
    public struct Interrupted: Sendable, Hashable {
        /// `apply` or `revert`.
        public var operation: String
        /// The journal's path.
        public var journal: String
        public var snaps: [SnapName]
        /// The command that finishes or rolls it back.
        public var command: String
        /// Why the journal cannot be read, when it cannot.
        public var problem: String?

        public init(operation: String, journal: String, snaps: [SnapName], command: String, problem: String? = nil) {
            self.operation = operation
            self.journal = journal
            self.snaps = snaps
            self.command = command
            self.problem = problem
        }
    }

    public var snaps: [SnapStatus]
    public var problems: [String]
    public var retain: Int
    public var interrupted: Interrupted?

    /// - Parameters:
    ///   - state: the host's snaps and processes.
    ///   - listing: what the revision store holds: images, mounts, data, `current` links.
    ///   - names: only these snaps; all when empty.
    ///   - retain: revisions kept per snap, the current one included.
    ///   - now: holds that expired by then are not shown; `nil` shows every hold.
    public init(state: SystemState, listing: StoreListing, retain: Int, names: [SnapName] = [], now: Timestamp? = nil) {
        self.retain = retain
        self.problems = listing.problems
        var users: [SnapRevision: [Int32]] = [:]
        var apps: [SnapRevision: Set<String>] = [:]
        var pinners: [SnapRevision: [Int32]] = [:]
        for process in state.processes {
            guard let binding = process.binding else { continue }
            let own = SnapRevision(binding.snap, binding.revision)
            users[own, default: []].append(process.pid)
            if let app = binding.app { apps[own, default: []].insert(app.rawValue) }
            if let hook = binding.hook { apps[own, default: []].insert("hook.\(hook)") }
            for pin in binding.pins {
                if pin.snap == binding.snap {
                    users[pin, default: []].append(process.pid)
                } else {
                    pinners[pin, default: []].append(process.pid)
                }
            }
        }
        snaps = state.snapNames.filter { names.isEmpty || names.contains($0) }.map { name in
            let snap = state.snaps[name]!
            let assessments = RevisionLifecycle.assess(
                revisions: snap.revisions.map(\.revision), current: snap.current, retain: retain,
                isStaged: { revision in snap.current.map { revision > $0 } ?? false },
                users: { revision in
                    let key = SnapRevision(name, revision)
                    return (users[key]?.count ?? 0) + (pinners[key]?.count ?? 0)
                })
            let revisions = assessments.map { assessment in
                let key = SnapRevision(name, assessment.revision)
                var states: [State] = []
                if assessment.isCurrent { states.append(.current) }
                if assessment.isStaged { states.append(.staged) }
                if users[key] != nil { states.append(.inUse) }
                if pinners[key] != nil { states.append(.pinned) }
                if assessment.withinRetain, !assessment.isCurrent { states.append(.retained) }
                if assessment.isCollectable { states.append(.collectable) }
                return RevisionStatus(
                    revision: assessment.revision, states: states, processes: users[key] ?? [],
                    apps: (apps[key] ?? []).sorted(), pinnedBy: pinners[key] ?? [],
                    mounted: listing.mounted.contains(key), hasData: listing.dataDirectories.contains(key),
                    lifecycle: assessment.state)
            }
            let hold = snap.hold.flatMap { hold in now.map { hold.isActive(at: $0) } ?? true ? hold : nil }
            return SnapStatus(name: name, type: snap.info()?.type ?? .app, current: snap.current, revisions: revisions, hold: hold)
        }
    }

    /// The status with each revision's users' data: `homes` gives the homes that hold data of
    /// a revision (``RevisionStore/userDataHomes(_:_:)``).
    public func withUserData(_ homes: (SnapName, Revision) -> [String]) -> HostStatus {
        var status = self
        for snapIndex in status.snaps.indices {
            let name = status.snaps[snapIndex].name
            for revisionIndex in status.snaps[snapIndex].revisions.indices {
                status.snaps[snapIndex].revisions[revisionIndex].userData = homes(name, status.snaps[snapIndex].revisions[revisionIndex].revision).sorted()
            }
        }
        return status
    }

    public func text() -> String {
        var lines: [String] = []
        for snap in snaps {
            if !lines.isEmpty { lines.append("") }
            lines.append("\(snap.name)\(snap.type == .app ? "" : " (\(snap.type.rawValue))")")
            if let hold = snap.hold { lines.append("  \(hold.summary)") }
            for revision in snap.revisions {
                var parts: [String] = []
                for state in revision.states {
                    switch state {
                    case .inUse:
                        let count = revision.processes.count == 1 ? "1 process" : "\(revision.processes.count) processes"
                        parts.append("in use by \(count)" + (revision.apps.isEmpty ? "" : " (\(revision.apps.joined(separator: ", ")))"))
                    case .pinned:
                        let count = revision.pinnedBy.count == 1 ? "1 process" : "\(revision.pinnedBy.count) processes"
                        parts.append("pinned as a base by \(count)")
                    case .retained: parts.append("retained (retain: \(retain))")
                    default: parts.append(state.rawValue)
                    }
                }
                parts.append(revision.mounted ? "mounted" : "not mounted")
                if !revision.userData.isEmpty {
                    // Control characters in a home's name are shown escaped, never sent to the terminal.
                    let homes = revision.userData.map(PlainText.escaped).joined(separator: ", ")
                    parts.append("data of \(revision.userData.count == 1 ? "1 user" : "\(revision.userData.count) users") (\(homes))")
                }
                let label = "  \(revision.revision)"
                lines.append(label.padding(toLength: max(label.count + 2, 10), withPad: " ", startingAt: 0) + parts.joined(separator: ", "))
            }
        }
        if snaps.isEmpty { lines.append("no snaps installed") }
        if let interrupted {
            lines.append("")
            if let problem = interrupted.problem {
                lines.append("a journal that cannot be read is in \(interrupted.journal): \(problem)")
            } else {
                lines.append("interrupted \(interrupted.operation) of \(interrupted.snaps.map(\.rawValue).joined(separator: ", ")), recorded in \(interrupted.journal): run '\(interrupted.command)' to finish it")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    public func json() -> String {
        JSONValue.object([
            ("version", .int(1)),
            ("retain", .int(Int64(retain))),
            ("snaps", .array(snaps.map { snap in
                var pairs: [(String, JSONValue)] = [
                    ("name", .string(snap.name.rawValue)),
                    ("type", .string(snap.type.rawValue)),
                    ("current", snap.current.map { .string($0.description) } ?? .null),
                ]
                if let hold = snap.hold { pairs.append(("hold", hold.jsonValue)) }
                pairs.append(("revisions", .array(snap.revisions.map { r in
                        .object([
                            ("revision", .string(r.revision.description)),
                            ("states", .array(r.states.map { .string($0.rawValue) })),
                            ("processes", .array(r.processes.map { .int(Int64($0)) })),
                            ("apps", .array(r.apps.map { .string($0) })),
                            ("pinned-by", .array(r.pinnedBy.map { .int(Int64($0)) })),
                            ("mounted", .bool(r.mounted)),
                            ("data", .bool(r.hasData)),
                            ("user-data", .array(r.userData.map { .string($0) })),
                        ])
                    })))
                return .object(pairs)
            })),
            ("problems", .array(problems.map { .string($0) })),
        ] + (interrupted.map { interrupted in
            var pairs: [(String, JSONValue)] = [
                ("operation", .string(interrupted.operation)), ("journal", .string(interrupted.journal)),
                ("snaps", .array(interrupted.snaps.map { .string($0.rawValue) })), ("command", .string(interrupted.command)),
            ]
            if let problem = interrupted.problem { pairs.append(("problem", .string(problem))) }
            return [("interrupted", JSONValue.object(pairs))]
        } ?? [])).serialized() + "\n"
    }
}

private extension String {
    func padding(toLength length: Int, withPad pad: String, startingAt: Int) -> String {
        count >= length ? self : self + String(repeating: pad, count: length - count)
    }
}
