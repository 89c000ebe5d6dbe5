extension PolicyTestFile {
    static let referenceKeys = ["version", "scenario", "now", "refresh", "policy", "expect", "cases"]
    static let caseKeys = ["name", "now", "refresh", "expect"]
    static let snapKeys = ["outcome", "to", "deadline", "processes", "apps", "keep", "remove", "warnings"]
    static let decisionKeys = ["action", "signal", "stop-command", "timeout", "then", "deadline", "reason-contains", "role", "service"]
    static let warningKeys = ["contains", "absent"]

    /// Parses a policy unit test file.
    ///
    /// The file is a scenario (DESIGN.md) with `policy:` and either `expect:` (one case) or
    /// `cases:` (several, each with `name`, `expect`, and optionally `now` and `refresh`), or it
    /// names its host with `scenario: PATH` instead of `snaps:` and `processes:`. Under
    /// `expect:`, per snap: `outcome`, `to`, `deadline`, `processes: {PID: EXPECTATION}`,
    /// `apps: {APP or SNAP.APP: EXPECTATION}`, `keep: [REV]`, `remove: [REV]`,
    /// `warnings: {contains: [TEXT], absent: [TEXT]}`; an EXPECTATION is an action or a mapping
    /// of `action`, `signal`, `stop-command`, `timeout`, `then`, `deadline`, `reason-contains`.
    ///
    /// Strict: unknown keys, bad values, snaps, PIDs, apps and revisions the host does not have,
    /// snaps the case does not refresh, expectations that cannot hold (`timeout` with
    /// `action: kill`) and cases without a fixed `now` are errors.
    ///
    /// `policy:` and `scenario:` are relative to the test file and stay inside `tree`: an
    /// absolute path, or one that climbs out of the tree through `..`, is an error at its key,
    /// and such a file is never read.
    ///
    /// - Parameters:
    ///   - text: the file's content.
    ///   - file: the path to name in diagnostics; `scenario:` is resolved against its folder.
    ///   - tree: the folder whose files the test file may name (``PolicyTestSource/tree``);
    ///     `nil` for the test file's own folder.
    ///   - read: reads the file `scenario:` names (a reader on disk also keeps symbolic links
    ///     inside `tree`).
    /// - Throws: ``RefreshCoreError`` (`invalidInput`) with every error, sorted by position.
    public init(
        parsing text: String, file: String, tree: String? = nil,
        read: (String) throws(RefreshCoreError) -> String
    ) throws(RefreshCoreError) {
        let tree = tree.map(RelativePath.normalized) ?? RelativePath.folder(of: file)
        guard let root = try YAMLDocument.parse(text, file: file) else {
            throw .invalidInput([.error(at: SourceLocation(file: file, line: 1, column: 1), "test file is empty; it needs 'version: 1', a host ('snaps:' or 'scenario:') and 'expect:' or 'cases:'")])
        }
        var reader = YAMLReader()
        let keys = PolicyTestFile.keyNodes(root)
        let scenario: Scenario
        var now: Timestamp?
        var request: RefreshRequest?
        if keys["scenario"] != nil {
            for name in ["snaps", "processes"] {
                if let key = keys[name] {
                    reader.error(key, "'\(name)' and 'scenario' both describe the host; write the host here or name a scenario file, not both")
                }
            }
            // `snaps` and `processes` were just reported; do not call them unknown as well.
            let reported = ["snaps", "processes"].filter { keys[$0] != nil }
            let fields = reader.fields(root, what: "the test file", allowed: PolicyTestFile.referenceKeys + reported) ?? [:]
            reader.formatVersion(fields["version"], in: root, of: "test")
            guard let loaded = PolicyTestFile.referencedScenario(fields["scenario"]!, file: file, tree: tree, read: read, reader: &reader) else {
                throw .invalidInput(reader.sortedDiagnostics)
            }
            scenario = loaded
            now = fields["now"].flatMap { reader.timestamp($0, what: "now") } ?? scenario.now
            request = fields["refresh"].map { PolicyTestFile.refresh($0, state: scenario.state, reader: &reader) } ?? scenario.refresh
        } else {
            // The file is a scenario: its parser checks the host and the top-level keys.
            scenario = try Scenario(parsing: text, file: file)
            now = scenario.now
            request = scenario.refresh
        }
        var policyPath: Located<String>?
        if let node = root["policy"], let path = PolicyTestFile.path(node, what: "policy path", file: file, tree: tree, reader: &reader) {
            policyPath = Located(path, at: node.location)
        }

        var cases: [PolicyTestCase] = []
        let pids = Set(scenario.state.processes.map(\.pid))
        let defaults = CaseDefaults(now: now, request: request, refreshGiven: keys["refresh"] != nil)
        switch (keys["expect"], keys["cases"]) {
        case (nil, nil):
            reader.error(root, "the test file has no 'expect:' and no 'cases:'; add 'expect:' with what the plan must show, or 'cases:' with several named cases")
        case (_?, let casesKey?):
            reader.error(casesKey, "the test file has both 'expect:' and 'cases:'; move the expectations of 'expect:' into a case under 'cases:'")
        case (let expectKey?, nil):
            if let found = PolicyTestFile.singleCase(
                root["expect"]!, key: expectKey, name: RelativePath.stem(of: file), defaults: defaults,
                state: scenario.state, pids: pids, reader: &reader) {
                cases.append(found)
            }
        case (nil, _?):
            cases = PolicyTestFile.cases(root["cases"]!, defaults: defaults, state: scenario.state, pids: pids, reader: &reader)
        }
        if reader.hasErrors { throw .invalidInput(reader.sortedDiagnostics) }
        self.init(file: file, scenario: scenario, policyPath: policyPath, cases: cases, warnings: scenario.warnings)
    }

    /// What a case takes from the file when it does not say.
    private struct CaseDefaults {
        var now: Timestamp?
        var request: RefreshRequest?
        /// Whether the file has `refresh:` (which may have failed to parse).
        var refreshGiven: Bool
    }

    /// The key nodes of the root mapping, for positions of `expect:`, `cases:` and the like.
    private static func keyNodes(_ root: YAMLNode) -> [String: YAMLNode] {
        guard case .mapping(let pairs) = root.kind else { return [:] }
        var keys: [String: YAMLNode] = [:]
        for (key, _) in pairs {
            if let name = key.scalar, keys[name] == nil { keys[name] = key }
        }
        return keys
    }

    /// The path `node` names, relative to the test file, if it is plain text and stays inside
    /// `tree`; else an error at `node`.
    private static func path(_ node: YAMLNode, what: String, file: String, tree: String, reader: inout YAMLReader) -> String? {
        guard let relative = reader.plainText(node, what: what) else { return nil }
        switch RelativePath.resolve(relative, from: file, inside: tree) {
        case .success(let path):
            return path
        case .failure(.absolute):
            reader.error(node, "\(what) '\(relative)' is absolute; a test file names its files relative to its own folder, inside its test tree '\(tree)'")
        case .failure(.outside):
            reader.error(node, "\(what) '\(relative)' leads outside the test tree '\(tree)'; a test file reads only files in its tree: the folder refreshctl test searched, or the folder of a test file named directly; move the file into the tree, or run refreshctl test on a folder that holds both")
        }
        return nil
    }

    /// Reads the scenario that `scenario:` names, relative to the test file, inside `tree`.
    private static func referencedScenario(
        _ node: YAMLNode, file: String, tree: String, read: (String) throws(RefreshCoreError) -> String, reader: inout YAMLReader
    ) -> Scenario? {
        guard let path = path(node, what: "scenario path", file: file, tree: tree, reader: &reader) else { return nil }
        do {
            return try Scenario(parsing: try read(path), file: path)
        } catch {
            if error.code == .io {
                reader.error(node, "cannot read the scenario file \(path): \(cause(of: error, path: path))")
            } else {
                reader.append(contentsOf: error.diagnostics.isEmpty ? [.error(at: node.location, error.message)] : error.diagnostics)
            }
            return nil
        }
    }

    /// The reason of a file-reading error, without its `PATH: error: ` prefix.
    static func cause(of error: RefreshCoreError, path: String) -> String {
        let prefix = "\(path): error: "
        return error.message.hasPrefix(prefix) ? String(error.message.dropFirst(prefix.count)) : error.message
    }

    private static func singleCase(
        _ node: YAMLNode, key: YAMLNode, name: String, defaults: CaseDefaults, state: SystemState, pids: Set<Int32>, reader: inout YAMLReader
    ) -> PolicyTestCase? {
        if defaults.now == nil {
            reader.error(key, "this test has no fixed time; add 'now:' (an RFC 3339 time such as 2026-11-27T12:00:00Z) to the test file, so its result does not depend on when it runs")
        }
        if defaults.request == nil, !defaults.refreshGiven {
            reader.error(key, "this test refreshes nothing; add 'refresh:' (NAME or NAME=REV, as a list) to the test file")
        }
        let expectations = expectations(node, state: state, pids: pids, request: defaults.request, reader: &reader)
        guard let now = defaults.now, let request = defaults.request else { return nil }
        return PolicyTestCase(name: name, location: key.location, request: request, now: now, expectations: expectations)
    }

    private static func cases(_ node: YAMLNode, defaults: CaseDefaults, state: SystemState, pids: Set<Int32>, reader: inout YAMLReader) -> [PolicyTestCase] {
        guard let items = reader.list(node, what: "cases") else { return [] }
        if items.isEmpty {
            reader.error(node, "'cases' is empty; add at least one case with 'name:' and 'expect:'")
        }
        var cases: [PolicyTestCase] = []
        var names: [String: SourceLocation] = [:]
        for item in items {
            guard let fields = reader.fields(item, what: "a test case", allowed: caseKeys) else { continue }
            var name: String?
            if let nameNode = fields["name"] {
                name = reader.string(nameNode, what: "case name")
                if let given = name {
                    if let first = names[given] {
                        reader.error(nameNode, "case name '\(given)' is used twice (first at line \(first.line)); give each case its own name")
                    } else {
                        names[given] = nameNode.location
                    }
                }
            } else {
                reader.error(item, "a test case has no 'name'; add name: followed by what the case shows")
            }
            let now = fields["now"].flatMap { reader.timestamp($0, what: "now") } ?? (fields["now"] == nil ? defaults.now : nil)
            if fields["now"] == nil, defaults.now == nil {
                reader.error(item, "test case \(name.map { "'\($0)' " } ?? "")has no fixed time; add 'now:' (an RFC 3339 time such as 2026-11-27T12:00:00Z) to the case or to the test file")
            }
            var request = defaults.request
            var refreshGiven = defaults.refreshGiven
            if let refreshNode = fields["refresh"] {
                request = refresh(refreshNode, state: state, reader: &reader)
                refreshGiven = true
            }
            if request == nil, !refreshGiven {
                reader.error(item, "test case \(name.map { "'\($0)' " } ?? "")refreshes nothing; add 'refresh:' (NAME or NAME=REV, as a list) to the case or to the test file")
            }
            guard let expectNode = fields["expect"] else {
                reader.error(item, "test case \(name.map { "'\($0)' " } ?? "")has no 'expect'; add expect: with what the plan must show")
                continue
            }
            let expectations = expectations(expectNode, state: state, pids: pids, request: request, reader: &reader)
            if let name, let now, let request {
                cases.append(PolicyTestCase(name: name, location: item.location, request: request, now: now, expectations: expectations))
            }
        }
        return cases
    }

    /// `refresh:` of a case or of a test file naming its scenario: as a scenario reads it.
    private static func refresh(_ node: YAMLNode, state: SystemState, reader: inout YAMLReader) -> RefreshRequest? {
        let items: [YAMLNode]
        if node.scalar != nil, !node.isNull {
            items = [node]
        } else {
            guard let list = reader.list(node, what: "refresh (NAME or NAME=REV)") else { return nil }
            items = list
        }
        var request = RefreshRequest([])
        var named = Set<SnapName>()
        var failed = false
        for item in items {
            guard let text = reader.string(item, what: "refresh entry") else {
                failed = true
                continue
            }
            switch RefreshRequest.Item.parse(text) {
            case .failure(let failure):
                reader.error(item, failure.message)
                failed = true
            case .success(let parsed):
                if named.contains(parsed.snap) {
                    reader.error(item, "snap '\(parsed.snap)' is named twice in 'refresh'; name each snap once")
                    failed = true
                } else if state.snaps[parsed.snap] == nil {
                    reader.error(item, "snap '\(parsed.snap)' in 'refresh' is not in this scenario's 'snaps'")
                    failed = true
                } else {
                    named.insert(parsed.snap)
                    request.items.append(parsed)
                }
            }
        }
        return failed ? nil : request
    }

    // MARK: - Expectations

    private static func expectations(
        _ node: YAMLNode, state: SystemState, pids: Set<Int32>, request: RefreshRequest?, reader: inout YAMLReader
    ) -> [SnapExpectation] {
        guard let entries = reader.entries(node, what: "'expect' (snap name: what its plan must show)") else { return [] }
        if entries.isEmpty {
            reader.error(node, "'expect' is empty; name at least one snap and what its plan must show")
        }
        var result: [SnapExpectation] = []
        for entry in entries {
            guard let name = reader.snapName(entry.keyNode, what: "snap name") else { continue }
            guard state.snaps[name] != nil else {
                reader.error(entry.keyNode, "snap '\(name)' is not in this scenario's 'snaps'; expect only what the host has")
                continue
            }
            if let request, !request.items.contains(where: { $0.snap == name }) {
                let refreshed = request.items.map(\.description).joined(separator: ", ")
                reader.error(entry.keyNode, "snap '\(name)' is expected, but this test does not refresh it (refresh: \(refreshed.isEmpty ? "nothing" : refreshed)); add it to 'refresh:' or remove its expectations")
                continue
            }
            if let expectation = snapExpectation(entry.value, snap: name, key: entry.keyNode, state: state, pids: pids, reader: &reader) {
                result.append(expectation)
            }
        }
        return result
    }

    private static func snapExpectation(
        _ node: YAMLNode, snap: SnapName, key: YAMLNode, state: SystemState, pids: Set<Int32>, reader: inout YAMLReader
    ) -> SnapExpectation? {
        let what = "the expectations of snap '\(snap)'"
        guard let fields = reader.fields(node, what: what, allowed: snapKeys) else { return nil }
        if node.isEmptyMapping {
            reader.error(node, "\(what) are empty; state at least one of: \(snapKeys.joined(separator: ", "))")
            return nil
        }
        var expectation = SnapExpectation(snap: snap, location: key.location)
        if let node = fields["outcome"],
            let outcome = reader.choice(node, what: "outcome", SnapPlan.Outcome.allCases.map { ($0.rawValue, $0) }) {
            expectation.outcome = Located(outcome, at: node.location)
        }
        if let node = fields["to"], let revision = reader.revision(node, what: "target revision ('to')") {
            expectation.target = Located(revision, at: node.location)
        }
        if let node = fields["deadline"], let deadline = reader.timestamp(node, what: "deadline") {
            expectation.deadline = Located(deadline, at: node.location)
        }
        if let node = fields["processes"], let entries = reader.entries(node, what: "'processes' (PID: expectation)") {
            if entries.isEmpty { reader.error(node, "'processes' is empty; give PID: action pairs, such as 4242: leave-running") }
            for entry in entries {
                guard let pid = reader.integer(entry.keyNode, what: "pid", in: 1...4_194_304) else { continue }
                guard pids.contains(Int32(pid)) else {
                    // At most 10 listed: a message per unknown PID must not grow with the host.
                    let listed = state.processes.prefix(10).map { "\($0.pid)" }.joined(separator: ", ")
                    let more = state.processes.count > 10 ? " and \(state.processes.count - 10) more" : ""
                    reader.error(entry.keyNode, "pid \(pid) is not among this scenario's processes (\(listed.isEmpty ? "it has none" : "pids: \(listed)\(more)"))")
                    continue
                }
                let selector = Located(ProcessExpectation.Selector.pid(Int32(pid)), at: entry.keyNode.location)
                if let process = processExpectation(entry.value, selector: selector, reader: &reader) {
                    expectation.processes.append(process)
                }
            }
        }
        if let node = fields["apps"], let entries = reader.entries(node, what: "'apps' (APP or SNAP.APP: expectation)") {
            if entries.isEmpty { reader.error(node, "'apps' is empty; give APP: action pairs, such as vlc: leave-running") }
            for entry in entries {
                guard let selector = appSelector(entry.key, node: entry.keyNode, snap: snap, state: state, reader: &reader) else { continue }
                if let process = processExpectation(entry.value, selector: Located(selector, at: entry.keyNode.location), reader: &reader) {
                    expectation.processes.append(process)
                }
            }
        }
        expectation.processes.sort { $0.selector.location < $1.selector.location }
        var listed: [Revision: (String, SourceLocation)] = [:]
        for key in ["keep", "remove"] {
            guard let node = fields[key], let list = revisions(node, key: key, snap: snap, state: state, listed: &listed, reader: &reader) else { continue }
            if key == "keep" { expectation.keep = list } else { expectation.remove = list }
        }
        if let node = fields["warnings"], let warnings = reader.fields(node, what: "'warnings' of snap '\(snap)'", allowed: warningKeys) {
            if node.isEmptyMapping {
                reader.error(node, "'warnings' is empty; give contains: [TEXT] (warnings that must appear) or absent: [TEXT] (that must not)")
            }
            expectation.warningsContaining = texts(warnings["contains"], key: "contains", reader: &reader)
            expectation.warningsAbsent = texts(warnings["absent"], key: "absent", reader: &reader)
        }
        return expectation
    }

    /// `vlc` (an app of any snap in the plan) or `vlc.vlc` (SNAP.APP).
    private static func appSelector(
        _ text: String, node: YAMLNode, snap: SnapName, state: SystemState, reader: inout YAMLReader
    ) -> ProcessExpectation.Selector? {
        func apps(of name: SnapName) -> [AppName] {
            Set(state.snaps[name]?.revisions.flatMap { $0.info.apps.keys } ?? []).sorted()
        }
        func list(_ apps: [AppName]) -> String {
            apps.isEmpty ? "(none listed)" : apps.map(\.rawValue).joined(separator: ", ")
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        if parts.count == 2 {
            if let problem = SnapName.problem(with: String(parts[0])) {
                reader.error(node, "invalid snap name '\(parts[0])' in '\(text)': \(problem); write APP or SNAP.APP")
                return nil
            }
            if let problem = AppName.problem(with: String(parts[1])) {
                reader.error(node, "invalid app name '\(parts[1])' in '\(text)': \(problem); write APP or SNAP.APP")
                return nil
            }
            let owner = SnapName(String(parts[0]))!, app = AppName(String(parts[1]))!
            guard state.snaps[owner] != nil else {
                reader.error(node, "snap '\(owner)' in '\(text)' is not in this scenario's 'snaps'")
                return nil
            }
            guard apps(of: owner).contains(app) else {
                reader.error(node, "snap '\(owner)' has no app '\(app)'; its apps are: \(list(apps(of: owner)))")
                return nil
            }
            return .app(snap: owner, app: app)
        }
        guard parts.count == 1, let app = reader.appName(node, what: "app name") else {
            if parts.count != 1 { reader.error(node, "invalid app '\(text)'; write APP or SNAP.APP, such as vlc or vlc.vlc") }
            return nil
        }
        guard state.snaps.keys.contains(where: { apps(of: $0).contains(app) }) else {
            reader.error(node, "no snap in this scenario has an app '\(app)'; the apps of '\(snap)' are: \(list(apps(of: snap)))")
            return nil
        }
        return .app(snap: nil, app: app)
    }

    /// An action (`leave-running`) or a mapping of the decision's fields.
    private static func processExpectation(
        _ node: YAMLNode, selector: Located<ProcessExpectation.Selector>, reader: inout YAMLReader
    ) -> ProcessExpectation? {
        let actions = Action.allCases.map { ($0.rawValue, $0) }
        var expectation = ProcessExpectation(selector: selector)
        if node.scalar != nil, !node.isNull {
            guard let action = reader.choice(node, what: "action", actions) else { return nil }
            expectation.action = Located(action, at: node.location)
            return expectation
        }
        let what = "the expectation of \(selector.value)"
        guard case .mapping = node.kind else {
            reader.error(node, "expected \(what) as an action (\(Action.allCases.map(\.rawValue).joined(separator: ", "))) or a mapping of \(decisionKeys.joined(separator: ", ")), found \(node.kindDescription)")
            return nil
        }
        guard let fields = reader.fields(node, what: what, allowed: decisionKeys) else { return nil }
        if node.isEmptyMapping {
            reader.error(node, "\(what) is empty; give an action, or a mapping with any of: \(decisionKeys.joined(separator: ", "))")
            return nil
        }
        if let node = fields["action"], let action = reader.choice(node, what: "action", actions) {
            expectation.action = Located(action, at: node.location)
        }
        if let node = fields["signal"], let signal = reader.choice(node, what: "signal", Signal.allCases.map { ($0.rawValue, $0) }) {
            expectation.signal = Located(signal, at: node.location)
        }
        if let node = fields["stop-command"], let items = reader.list(node, what: "stop-command (a command and its arguments)") {
            let words = items.compactMap { reader.string($0, what: "stop-command word") }
            if items.isEmpty {
                reader.error(node, "stop-command is empty; give the command and its arguments as the plan shows them")
            } else if words.count == items.count {
                expectation.stopCommand = Located(words, at: node.location)
            }
        }
        if let node = fields["timeout"], let span = reader.duration(node, what: "timeout", syntax: .policy) {
            expectation.timeout = Located(span, at: node.location)
        }
        if let node = fields["then"],
            let then = reader.choice(node, what: "escalation ('then')", Escalation.allCases.map { ($0.rawValue, $0) }) {
            expectation.then = Located(then, at: node.location)
        }
        if let node = fields["deadline"], let deadline = reader.timestamp(node, what: "deadline") {
            expectation.deadline = Located(deadline, at: node.location)
        }
        if let node = fields["reason-contains"], let text = reader.string(node, what: "reason-contains") {
            expectation.reasonContains = Located(text, at: node.location)
        }
        if let node = fields["role"], let role = reader.choice(node, what: "role", ProcessRole.allCases.map { ($0.rawValue, $0) }) {
            expectation.role = Located(role, at: node.location)
        }
        if let node = fields["service"], let unit = reader.string(node, what: "service (a unit such as snap.NAME.APP.service)") {
            if SnapPath.unit(inCgroup: unit).map({ $0.unitName == unit && unit.hasSuffix(".service") }) == true {
                expectation.service = Located(unit, at: node.location)
            } else {
                reader.error(node, "service '\(unit)' is not a snap service unit; write it as snap.NAME.APP.service, such as snap.libvirt.libvirtd.service")
            }
        }
        if let role = expectation.role, let service = expectation.service, role.value == .app || role.value == .user {
            reader.error(at: service.location, "'service' cannot hold with 'role: \(role.value)'; only a main or member process is in a service: remove one")
        }
        // Expectations no decision can meet would fail forever: say so now.
        if let signal = expectation.signal, expectation.stopCommand != nil {
            reader.error(at: signal.location, "both 'signal' and 'stop-command' in \(what); a shutdown uses one of them: remove one")
        }
        if let action = expectation.action?.value {
            if action != .shutdown, action != .restart {
                for (key, location) in [("signal", expectation.signal?.location), ("stop-command", expectation.stopCommand?.location), ("timeout", expectation.timeout?.location)] {
                    if let location {
                        reader.error(at: location, "'\(key)' cannot hold with 'action: \(action)'; only a shutdown or restart has one: remove it or expect 'action: shutdown'")
                    }
                }
            }
            if let then = expectation.then {
                let allowed = Escalation.allowed(after: action)
                if allowed.isEmpty {
                    reader.error(at: then.location, "'then' cannot hold with 'action: \(action)', which never waits; remove it")
                } else if !allowed.contains(then.value) {
                    reader.error(at: then.location, "'then: \(then.value)' cannot follow '\(action)'; expected one of: \(allowed.map(\.rawValue).joined(separator: ", "))")
                }
            }
            if let deadline = expectation.deadline, action != .postpone {
                reader.error(at: deadline.location, "'deadline' cannot hold with 'action: \(action)'; only a postponement has one: remove it or expect 'action: postpone'")
            }
        }
        return expectation
    }

    private static func revisions(
        _ node: YAMLNode, key: String, snap: SnapName, state: SystemState,
        listed: inout [Revision: (String, SourceLocation)], reader: inout YAMLReader
    ) -> SnapExpectation.Revisions? {
        guard let items = reader.list(node, what: "'\(key)' (a list of revisions)") else { return nil }
        let installed = state.snaps[snap]?.revisions.map(\.revision) ?? []
        var revisions: [Located<Revision>] = []
        for item in items {
            guard let revision = reader.revision(item, what: "revision") else { continue }
            guard installed.contains(revision) else {
                reader.error(item, "snap '\(snap)' has no revision \(revision); its revisions are: \(installed.map(\.description).joined(separator: ", "))")
                continue
            }
            if let (otherKey, first) = listed[revision] {
                let message = otherKey == key
                    ? "revision \(revision) is listed twice in '\(key)' (first at line \(first.line)); list it once"
                    : "revision \(revision) is listed in both '\(otherKey)' (line \(first.line)) and '\(key)'; a revision is either kept or removed"
                reader.error(item, message)
                continue
            }
            listed[revision] = (key, item.location)
            revisions.append(Located(revision, at: item.location))
        }
        return SnapExpectation.Revisions(revisions, at: node.location)
    }

    private static func texts(_ node: YAMLNode?, key: String, reader: inout YAMLReader) -> [Located<String>] {
        guard let node, let items = reader.list(node, what: "warnings '\(key)' (a list of texts)") else { return [] }
        if items.isEmpty {
            reader.error(node, "warnings '\(key)' is empty; list the texts, or remove '\(key)'")
        }
        return items.compactMap { item in
            reader.string(item, what: "warning text").map { Located($0, at: item.location) }
        }
    }
}

private extension YAMLNode {
    /// `{}`: a mapping without a single key (one with only unknown keys is not empty).
    var isEmptyMapping: Bool {
        if case .mapping(let pairs) = kind { return pairs.isEmpty }
        return false
    }
}
