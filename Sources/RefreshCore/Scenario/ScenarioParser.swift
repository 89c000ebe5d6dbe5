extension Scenario {
    static let topKeys = ["version", "now", "snaps", "services", "processes", "refresh", "policy", "expect", "cases"]
    static let snapKeys = ["name", "version", "type", "base", "current", "revisions", "apps", "postponed-since", "hold"]
    static let processKeys = ["pid", "start-time", "ppid", "snap", "revision", "app", "role", "pins", "exe", "maps", "cwd", "root", "files", "cgroup", "root-image"]
    static let bindingKeys = ["snap", "revision", "app", "role", "pins"]
    static let evidenceKeys = ["exe", "maps", "cwd", "root", "files", "cgroup", "root-image"]

    /// Parses and validates a scenario file; processes given as evidence are bound through
    /// ``BindingInference`` exactly as on a live host.
    /// - Throws: ``RefreshCoreError`` (`invalidInput`) with every error, sorted by position.
    public init(parsing text: String, file: String) throws(RefreshCoreError) {
        var reader = YAMLReader()
        guard let root = try YAMLDocument.parse(text, file: file) else {
            throw .invalidInput([.error(at: SourceLocation(file: file, line: 1, column: 1), "scenario file is empty; it needs at least 'version: 1' and 'snaps:'")])
        }
        guard let fields = reader.fields(root, what: "the scenario file", allowed: Scenario.topKeys) else {
            throw .invalidInput(reader.sortedDiagnostics)
        }
        reader.formatVersion(fields["version"], in: root, of: "scenario")
        let now = fields["now"].flatMap { reader.timestamp($0, what: "now") }
        var snaps: [Snap] = []
        var listed = Set<SnapName>()  // duplicates found in one pass: a long list stays quick
        if let node = fields["snaps"] {
            for item in reader.list(node, what: "snaps") ?? [] {
                guard let snap = Scenario.snap(item, reader: &reader) else { continue }
                if !listed.insert(snap.name).inserted {
                    reader.error(item["name"] ?? item, "snap '\(snap.name)' is listed twice; list each snap once")
                } else {
                    snaps.append(snap)
                }
            }
        } else {
            reader.error(root, "the scenario file has no 'snaps'; list the host's snaps under 'snaps:'")
        }
        var byName: [SnapName: Snap] = [:]
        for snap in snaps { byName[snap.name] = snap }
        let inference = BindingInference(snaps: byName)
        var processes: [RunningProcess] = []
        var pids: [Int32: SourceLocation] = [:]
        if let node = fields["processes"], !node.isNull {
            for item in reader.list(node, what: "processes") ?? [] {
                guard let process = Scenario.process(item, snaps: byName, inference: inference, reader: &reader) else { continue }
                if let first = pids[process.pid] {
                    reader.error(item["pid"] ?? item, "pid \(process.pid) is listed twice (first at line \(first.line)); give each process its own pid")
                    continue
                }
                pids[process.pid] = item.location
                let unknown = Scenario.unknownRevisions(in: process, snaps: byName)
                for message in unknown { reader.warning(at: item.location, message) }
                if process.binding == nil, unknown.isEmpty {
                    reader.warning(at: item.location, "process \(process.pid) runs from no snap revision this scenario knows; it is ignored")
                }
                processes.append(process)
            }
        }
        // What a service manager said of each service's main process (systemd's MainPID), as
        // `refreshctl snapshot` records it; without it, the main process is inferred.
        let mainPIDs = fields["services"].map { Scenario.services($0, processes: processes, reader: &reader) } ?? [:]
        // Which process of each service is its main one takes them all, as on a live host.
        inference.resolveServices(&processes, mainPIDs: mainPIDs)
        var refresh: RefreshRequest?
        if let node = fields["refresh"] {
            refresh = Scenario.refresh(node, snaps: byName, reader: &reader)
        }
        _ = fields["policy"].flatMap { reader.plainText($0, what: "policy path") }  // for test files
        if reader.hasErrors { throw .invalidInput(reader.sortedDiagnostics) }
        self.init(
            file: file, state: SystemState(snaps: snaps, processes: processes), now: now,
            refresh: refresh,
            warnings: reader.sortedDiagnostics)
    }

    /// `services: {snap.NAME.APP.service: {main-pid: PID | null}}`: the main process a service
    /// manager names for each unit (null: none), by unit; a PID must be a listed process of that
    /// unit. The value is 0 for "none", as ``BindingInference/resolveServices(_:mainPIDs:)`` takes it.
    private static func services(_ node: YAMLNode, processes: [RunningProcess], reader: inout YAMLReader) -> [String: Int32] {
        guard !node.isNull, let entries = reader.entries(node, what: "services") else { return [:] }
        var mainPIDs: [String: Int32] = [:]
        for (unit, keyNode, value) in entries {
            guard let parsed = SnapPath.unit(inCgroup: "/" + unit), parsed.unitName == unit, parsed.app != nil, unit.hasSuffix(".service") else {
                reader.error(keyNode, "'\(PlainText.escaped(unit))' is not a snap service unit; write it as snap.NAME.APP.service")
                continue
            }
            guard let fields = reader.fields(value, what: "a service", allowed: ["main-pid"]) else { continue }
            guard let pidNode = fields["main-pid"] else {
                reader.error(value, "service \(unit) has no 'main-pid'; give the PID its service manager names (systemctl show -p MainPID \(unit)), or null for none")
                continue
            }
            if pidNode.isNull {
                mainPIDs[unit] = 0
                continue
            }
            guard let pid = reader.integer(pidNode, what: "main-pid", in: 1...4_194_304) else { continue }
            guard processes.contains(where: { $0.pid == Int32(pid) && $0.binding?.service == unit }) else {
                reader.error(pidNode, "main-pid \(pid) is not a process of \(unit) in this scenario; list it under 'processes' in that service (its cgroup, or its daemon app), or write main-pid: null")
                continue
            }
            mainPIDs[unit] = Int32(pid)
        }
        return mainPIDs
    }

    private static func snap(_ node: YAMLNode, reader: inout YAMLReader) -> Snap? {
        guard let fields = reader.fields(node, what: "a snap", allowed: snapKeys) else { return nil }
        guard let nameNode = fields["name"] else {
            reader.error(node, "a snap has no 'name'; add name: followed by the snap's name")
            return nil
        }
        guard let name = reader.snapName(nameNode, what: "snap name") else { return nil }
        var info = SnapInfo(name: name)
        info.version = fields["version"].flatMap { $0.isNull ? nil : $0.scalar }
        if let typeNode = fields["type"] {
            info.type = reader.choice(typeNode, what: "snap type", SnapType.allCases.map { ($0.rawValue, $0) }) ?? .app
        }
        info.base = fields["base"].flatMap { reader.snapName($0, what: "base snap name") }
        if let appsNode = fields["apps"], !appsNode.isNull {
            for entry in reader.entries(appsNode, what: "apps of snap '\(name)'") ?? [] {
                guard let appName = reader.appName(entry.keyNode, what: "app name") else { continue }
                if let app = SnapYAML.parseApp(appName, entry.value, reader: &reader, strict: true) {
                    info.apps[appName] = app
                }
            }
        }
        var revisions: [Revision] = []
        var listed = Set<Revision>()
        if let revisionsNode = fields["revisions"] {
            for item in reader.list(revisionsNode, what: "revisions of snap '\(name)'") ?? [] {
                guard let revision = reader.revision(item, what: "revision") else { continue }
                if !listed.insert(revision).inserted {
                    reader.error(item, "revision \(revision) of snap '\(name)' is listed twice")
                } else {
                    revisions.append(revision)
                }
            }
        }
        var current: Revision?
        if let currentNode = fields["current"] {
            current = reader.revision(currentNode, what: "current revision")
            if let current, fields["revisions"] != nil, !revisions.contains(current) {
                reader.error(currentNode, "current revision \(current) of snap '\(name)' is not among its revisions (\(revisions.isEmpty ? "none listed" : revisions.map(\.description).joined(separator: ", "))); add it to 'revisions'")
            }
            if let current, fields["revisions"] == nil { revisions = [current] }
        } else {
            reader.error(node, "snap '\(name)' has no 'current'; add current: followed by the revision 'current' points at")
        }
        let postponedSince = fields["postponed-since"].flatMap { reader.timestamp($0, what: "postponed-since") }
        // A hold put by hand (`refreshctl hold`): since, until (none: until unheld), by, command.
        var hold: SnapHold?
        if let node = fields["hold"], let holdFields = reader.fields(node, what: "a hold", allowed: ["since", "until", "by", "command"]) {
            if let sinceNode = holdFields["since"] {
                if let since = reader.timestamp(sinceNode, what: "hold since") {
                    let until = holdFields["until"].flatMap { $0.isNull ? nil : reader.timestamp($0, what: "hold until") }
                    hold = SnapHold(
                        snap: name, since: since, until: until,
                        by: holdFields["by"].flatMap { reader.string($0, what: "hold by") } ?? "scenario",
                        command: holdFields["command"].flatMap { reader.string($0, what: "hold command") } ?? "refreshctl hold \(name)")
                }
            } else {
                reader.error(node, "a hold needs 'since' (and 'until', unless it lasts until unheld)")
            }
        }
        return Snap(
            name: name, current: current,
            revisions: revisions.map { InstalledRevision(revision: $0, info: info) },
            postponedSince: postponedSince, hold: hold)
    }

    private static func process(
        _ node: YAMLNode, snaps: [SnapName: Snap], inference: BindingInference, reader: inout YAMLReader
    ) -> RunningProcess? {
        guard let fields = reader.fields(node, what: "a process", allowed: processKeys) else { return nil }
        guard let pidNode = fields["pid"] else {
            reader.error(node, "a process has no 'pid'; add pid: followed by its process ID")
            return nil
        }
        guard let pid = reader.integer(pidNode, what: "pid", in: 1...4_194_304) else { return nil }
        var identity = ProcessIdentity(pid: Int32(pid))
        if let startNode = fields["start-time"] {
            if let ticks = startNode.integer, ticks >= 0 {
                identity.startTime = UInt64(ticks)
            } else {
                reader.error(startNode, "expected start-time as clock ticks since boot (a whole number), found \(startNode.kindDescription)")
            }
        }
        var parent: Int32?
        if let ppidNode = fields["ppid"], let ppid = reader.integer(ppidNode, what: "ppid", in: 0...4_194_304) {
            if ppid == pid {
                reader.error(ppidNode, "process \(pid) names itself as its parent; ppid is the PID of the process that started it")
            } else {
                parent = Int32(ppid)
            }
        }
        let bindingKeys = Scenario.bindingKeys.filter { fields[$0] != nil }
        let evidenceKeys = Scenario.evidenceKeys.filter { fields[$0] != nil }
        if !bindingKeys.isEmpty, !evidenceKeys.isEmpty {
            reader.error(fields[evidenceKeys[0]]!, "process \(pid) gives both a binding (\(bindingKeys.joined(separator: ", "))) and evidence (\(evidenceKeys.joined(separator: ", "))); give one or the other")
            return nil
        }
        if bindingKeys.isEmpty, evidenceKeys.isEmpty {
            reader.error(node, "process \(pid) says nothing about where it runs from; give snap and revision (and app), or evidence: exe, maps, cwd, root, files, cgroup")
            return nil
        }
        if !evidenceKeys.isEmpty {
            var evidence = ProcessEvidence()
            // Paths as /proc shows them: plain text, at most PATH_MAX.
            evidence.exe = fields["exe"].flatMap { reader.plainText($0, what: "exe") }
            evidence.cwd = fields["cwd"].flatMap { reader.plainText($0, what: "cwd") }
            evidence.root = fields["root"].flatMap { reader.plainText($0, what: "root") }
            evidence.rootImage = fields["root-image"].flatMap { reader.plainText($0, what: "root-image") }
            if let mapsNode = fields["maps"] {
                evidence.maps = (reader.list(mapsNode, what: "maps") ?? []).compactMap { reader.plainText($0, what: "mapped path") }
            }
            if let filesNode = fields["files"] {
                evidence.files = (reader.list(filesNode, what: "files (open files)") ?? []).compactMap { reader.plainText($0, what: "open file path") }
            }
            if let cgroupNode = fields["cgroup"] {
                if case .sequence(let items) = cgroupNode.kind {
                    evidence.cgroups = items.compactMap { reader.plainText($0, what: "cgroup") }
                } else if let line = reader.plainText(cgroupNode, what: "cgroup") {
                    evidence.cgroups = [line]
                }
            }
            return RunningProcess(identity: identity, parent: parent, evidence: evidence, binding: inference.infer(evidence))
        }
        guard let snapNode = fields["snap"], let revisionNode = fields["revision"] else {
            reader.error(node, "process \(pid) needs both 'snap' and 'revision' to be bound")
            return nil
        }
        guard let snapName = reader.snapName(snapNode, what: "snap name"),
            let revision = reader.revision(revisionNode, what: "revision")
        else { return nil }
        guard let snap = knownRevision(snapName, revision, snapNode, revisionNode, snaps, &reader) else { return nil }
        var binding = Binding(snap: snapName, revision: revision, evidence: ["scenario binding"])
        var role: ProcessRole?
        if let roleNode = fields["role"] {
            role = reader.choice(roleNode, what: "role", ProcessRole.allCases.map { ($0.rawValue, $0) })
            if role == .main || role == .member {
                reader.error(roleNode, "role '\(role!)' is found, not given: a process of a daemon app is in its service (snap.NAME.APP.service), and whether it is the main process follows from 'ppid', as on a live host; remove 'role', or write 'role: app' for a daemon's process outside its service")
                return nil
            }
            if role == .user, let appNode = fields["app"] {
                reader.error(appNode, "process \(pid) is a user, which runs no app; remove 'app' or 'role: user'")
                return nil
            }
        }
        if let appNode = fields["app"], let app = reader.appName(appNode, what: "app name") {
            let apps = snap.info(for: revision)?.apps.keys.sorted() ?? []
            if apps.contains(app) {
                binding.app = app
                // snapd runs every daemon as snap.NAME.APP.service: its processes are in it,
                // unless the scenario says the process runs the app outside it (role: app).
                if role == nil, snap.info(for: revision)?.apps[app]?.isDaemon == true {
                    binding.role = .member
                    binding.service = ServicePlan.unitName(snap: snapName, app: app)
                }
            } else {
                reader.error(appNode, "snap '\(snapName)' has no app '\(app)'; its apps are: \(apps.isEmpty ? "(none listed)" : apps.map(\.rawValue).joined(separator: ", "))")
            }
        }
        if role == .user { binding.role = .user }
        if let pinsNode = fields["pins"] {
            var pins: [SnapRevision] = []
            for entry in reader.entries(pinsNode, what: "pins (snap: revision)") ?? [] {
                guard let pinSnap = reader.snapName(entry.keyNode, what: "pinned snap name"),
                    let pinRevision = reader.revision(entry.value, what: "pinned revision"),
                    knownRevision(pinSnap, pinRevision, entry.keyNode, entry.value, snaps, &reader) != nil
                else { continue }
                pins.append(SnapRevision(pinSnap, pinRevision))
            }
            binding.pins = pins.sorted()
        }
        return RunningProcess(identity: identity, parent: parent, binding: binding)
    }

    /// What a process's evidence names that the scenario does not have: a snap it does not
    /// list, or a revision that is not installed, once per snap revision. A binding naming
    /// these is an error; evidence is what a host showed, so it is only flagged.
    static func unknownRevisions(in process: RunningProcess, snaps: [SnapName: Snap]) -> [String] {
        let evidence = process.evidence
        var named: [(source: String, snap: SnapName, revision: Revision?)] = []
        func add(_ path: String?, _ source: String) {
            guard let path, let (name, text, _) = SnapPath.split(path, under: "/snap/") else { return }
            named.append((source, name, text == "current" ? nil : Revision(String(text))))
        }
        add(evidence.exe, "exe")
        for path in evidence.maps { add(path, "maps entry") }
        add(evidence.cwd, "cwd")
        add(evidence.root, "root")
        for path in evidence.files { add(path, "open file") }
        if let image = evidence.rootImage, let found = SnapPath.imageRevision(image, under: "/var/lib/snapd/snaps/") {
            named.append(("root-image", found.snap, found.revision))
        }
        var messages: [String] = []
        var seen = Set<String>()
        for entry in named {
            guard let snap = snaps[entry.snap] else {
                if seen.insert(entry.snap.rawValue).inserted {
                    messages.append("process \(process.pid)'s \(entry.source) names snap '\(entry.snap)', which this scenario does not list; add it to 'snaps' or fix the path")
                }
                continue
            }
            guard let revision = entry.revision, !snap.isInstalled(revision),
                seen.insert("\(entry.snap)=\(revision)").inserted
            else { continue }
            messages.append("process \(process.pid)'s \(entry.source) names \(entry.snap) revision \(revision), which this scenario does not list; add it to the snap's revisions or fix the path")
        }
        return messages
    }

    private static func knownRevision(
        _ name: SnapName, _ revision: Revision, _ snapNode: YAMLNode, _ revisionNode: YAMLNode,
        _ snaps: [SnapName: Snap], _ reader: inout YAMLReader
    ) -> Snap? {
        guard let snap = snaps[name] else {
            reader.error(snapNode, "snap '\(name)' is not in this scenario's 'snaps'; add it there or fix the name")
            return nil
        }
        guard snap.isInstalled(revision) else {
            reader.error(revisionNode, "snap '\(name)' has no revision \(revision); its revisions are: \(snap.revisions.map(\.revision.description).joined(separator: ", "))")
            return nil
        }
        return snap
    }

    private static func refresh(_ node: YAMLNode, snaps: [SnapName: Snap], reader: inout YAMLReader) -> RefreshRequest? {
        let items = node.scalar != nil && !node.isNull ? [node] : (reader.list(node, what: "refresh (NAME or NAME=REV)") ?? [])
        var request = RefreshRequest([])
        var named = Set<SnapName>()
        for item in items {
            guard let text = reader.string(item, what: "refresh entry") else { continue }
            switch RefreshRequest.Item.parse(text) {
            case .failure(let failure):
                reader.error(item, failure.message)
            case .success(let parsed):
                if named.contains(parsed.snap) {
                    reader.error(item, "snap '\(parsed.snap)' is named twice in 'refresh'; name each snap once")
                } else if snaps[parsed.snap] == nil {
                    reader.error(item, "snap '\(parsed.snap)' in 'refresh' is not in this scenario's 'snaps'")
                } else {
                    named.insert(parsed.snap)
                    request.items.append(parsed)
                }
            }
        }
        return request
    }
}
