extension Policy {
    static let topKeys = ["version", "retain", "defaults", "rules"]
    static let settingKeys = ["on-refresh", "signal", "stop-mode", "stop-command", "timeout", "then", "max-postpone", "restart-command", "keep-data"]
    static let ruleKeys = ["snap", "app", "exe"] + settingKeys

    /// Parses and validates a policy file.
    /// - Parameters:
    ///   - text: the file's content.
    ///   - file: the name to print in diagnostics and reasons.
    /// - Returns: the policy; its ``warnings`` list rules that an earlier rule shadows.
    /// - Throws: ``RefreshCoreError`` (`invalidInput`) with every error, sorted by position.
    public init(parsing text: String, file: String) throws(RefreshCoreError) {
        var reader = YAMLReader()
        let start = SourceLocation(file: file, line: 1, column: 1)
        guard let root = try YAMLDocument.parse(text, file: file) else {
            throw .invalidInput([.error(at: start, "policy file is empty; it needs at least 'version: 1'")])
        }
        guard let fields = reader.fields(root, what: "the policy file", allowed: Policy.topKeys) else {
            throw .invalidInput(reader.sortedDiagnostics)
        }
        reader.formatVersion(fields["version"], in: root, of: "policy")
        var policy = Policy(file: file)
        if let node = fields["retain"], let retain = reader.integer(node, what: "retain", in: 2...20) {
            policy.retain = retain
        }
        if let node = fields["defaults"], !node.isNull {
            policy.defaultsLocation = node.location
            policy.defaults = Policy.settings(node, what: "defaults", allowed: Policy.settingKeys, reader: &reader) ?? PolicySettings()
        }
        if let node = fields["rules"], !node.isNull, let items = reader.list(node, what: "rules") {
            for (index, item) in items.enumerated() {
                if let rule = Policy.rule(item, number: index + 1, defaults: policy.defaults, reader: &reader) {
                    policy.rules.append(rule)
                }
            }
        }
        // The first rule for each (snap, app, exe) selector; hashed, so a long policy stays quick.
        struct Selector: Hashable {
            var snap: Glob
            var app: Glob?
            var exe: Glob?
        }
        var firstRule: [Selector: PolicyRule] = [:]
        for rule in policy.rules {
            let selector = Selector(snap: rule.snap, app: rule.app, exe: rule.exe)
            if let twin = firstRule[selector] {
                reader.error(at: rule.location, "\(rule.label) selects exactly what \(twin.label) at line \(twin.location.line) selects, so it is ambiguous which the author meant; merge the two rules into one")
            } else {
                firstRule[selector] = rule
            }
        }
        if reader.hasErrors { throw .invalidInput(reader.sortedDiagnostics) }
        policy.warnings = policy.shadowingWarnings()
        self = policy
    }

    private static func rule(_ node: YAMLNode, number: Int, defaults: PolicySettings, reader: inout YAMLReader) -> PolicyRule? {
        let what = "rule \(number)"
        guard let fields = reader.fields(node, what: what, allowed: ruleKeys) else { return nil }
        var snap: Glob?
        if let snapNode = fields["snap"] {
            snap = glob(snapNode, subject: .snap, reader: &reader)
        } else {
            reader.error(node, "\(what) has no 'snap'; every rule needs a snap name or pattern, such as snap: \"*\"")
        }
        let app = fields["app"].flatMap { glob($0, subject: .app, reader: &reader) }
        let exe = fields["exe"].flatMap { glob($0, subject: .exe, reader: &reader) }
        guard let settings = settings(node, what: what, allowed: ruleKeys, reader: &reader, fields: fields) else { return nil }
        if let stopMode = settings.stopMode, fields["exe"] != nil {
            reader.error(at: stopMode.location, "'stop-mode' in \(what), which has 'exe': a rule with exe decides single processes, while stop-mode says which processes of a whole service its stop reaches; put stop-mode in a rule for the service's app (app: NAME) and keep exe rules for the processes to spare or name")
        }
        if let keepData = settings.keepData, fields["app"] != nil || fields["exe"] != nil {
            reader.error(at: keepData.location, "'keep-data' in \(what), which has '\(fields["app"] != nil ? "app" : "exe")': the data directories belong to a whole snap revision, not to an app or a process; put keep-data in a rule with only 'snap' (or in defaults)")
        }
        if let maxPostpone = settings.maxPostpone, settings.onRefresh == nil,
            defaults.onRefresh?.value != .postpone {
            reader.error(at: maxPostpone.location, "max-postpone in \(what), whose action is not postpone; add 'on-refresh: postpone' or remove max-postpone")
        }
        guard let snap else { return nil }
        return PolicyRule(number: number, snap: snap, app: app, exe: exe, settings: settings, location: node.location)
    }

    private static func glob(_ node: YAMLNode, subject: Glob.Subject, reader: inout YAMLReader) -> Glob? {
        let what: String
        switch subject {
        case .snap: what = "snap"
        case .app: what = "app"
        case .exe: what = "exe"
        }
        guard let text = reader.string(node, what: "\(what) pattern") else { return nil }
        switch Glob.compile(text, for: subject) {
        case .success(let glob): return glob
        case .failure(let failure):
            reader.error(node, failure.message)
            return nil
        }
    }

    /// A command and its arguments: a non-empty list of strings starting with an absolute path;
    /// each word plain text of at most 4096 bytes.
    private static func command(_ node: YAMLNode, key: String, example: String, reader: inout YAMLReader) -> Located<[String]>? {
        guard let items = reader.list(node, what: "\(key) (a command and its arguments)") else { return nil }
        let words = items.compactMap { reader.plainText($0, what: "\(key) word") }
        if items.isEmpty {
            reader.error(node, "\(key) is empty; give the command and its arguments, such as \(example)")
            return nil
        }
        guard words.count == items.count else { return nil }
        guard words[0].hasPrefix("/") else {
            reader.error(items[0], "\(key) must start with an absolute path, not '\(words[0])'")
            return nil
        }
        return Located(words, at: node.location)
    }

    /// Reads the settings of a rule or of `defaults`, and the combinations that mean nothing.
    private static func settings(
        _ node: YAMLNode, what: String, allowed: [String], reader: inout YAMLReader,
        fields given: [String: YAMLNode]? = nil
    ) -> PolicySettings? {
        guard let fields = given ?? reader.fields(node, what: what, allowed: allowed) else { return nil }
        var settings = PolicySettings()
        if let node = fields["on-refresh"],
            let action = reader.choice(node, what: "action", Action.allCases.map { ($0.rawValue, $0) }) {
            settings.onRefresh = Located(action, at: node.location)
        }
        if let node = fields["signal"],
            let signal = reader.choice(node, what: "signal", Signal.allCases.map { ($0.rawValue, $0) }) {
            settings.signal = Located(signal, at: node.location)
        }
        if let node = fields["stop-mode"], let text = reader.string(node, what: "stop-mode") {
            if let mode = App.StopMode(text) {
                settings.stopMode = Located(mode, at: node.location)
            } else if let mode = App.StopMode(text.lowercased()) {
                reader.error(node, "unknown stop-mode '\(text)'; stop-mode has snap.yaml's lowercase spellings: write '\(mode)'")
            } else {
                _ = reader.choice(node, what: "stop-mode", App.StopMode.spellings.map { ($0, ()) })
            }
        }
        if let node = fields["stop-command"] {
            settings.stopCommand = command(node, key: "stop-command", example: "[\"/snap/my-db/current/bin/db-ctl\", \"shutdown\"]", reader: &reader)
        }
        if let node = fields["restart-command"] {
            settings.restartCommand = command(node, key: "restart-command", example: "[\"/usr/local/bin/start-libvirtd\"]", reader: &reader)
        }
        if let node = fields["timeout"], let span = reader.duration(node, what: "timeout", syntax: .policy) {
            settings.timeout = Located(span, at: node.location)
        }
        if let node = fields["max-postpone"], let span = reader.duration(node, what: "max-postpone", syntax: .policy) {
            settings.maxPostpone = Located(span, at: node.location)
        }
        if let node = fields["keep-data"],
            let keep = reader.choice(node, what: "keep-data value (a boolean)", [("true", true), ("false", false)]) {
            settings.keepData = Located(keep, at: node.location)
        }
        if let node = fields["then"] {
            if node.scalar == "postpone" {
                let choices = { (action: Action) in Escalation.allowed(after: action).map(\.rawValue).joined(separator: ", ") }
                reader.error(node, "'then: postpone' would postpone forever; after a postponement choose one of: \(choices(.postpone)); after a timed-out shutdown or restart: \(choices(.shutdown))")
            } else if let escalation = reader.choice(node, what: "escalation ('then')", Escalation.allCases.map { ($0.rawValue, $0) }) {
                settings.then = Located(escalation, at: node.location)
            }
        }
        if let action = settings.onRefresh?.value {
            let allowedThen = Escalation.allowed(after: action)
            if let then = settings.then {
                if allowedThen.isEmpty {
                    reader.error(at: then.location, "'then' means nothing with 'on-refresh: \(action)', which never waits; remove it")
                } else if !allowedThen.contains(then.value) {
                    reader.error(at: then.location, "'then: \(then.value)' cannot follow '\(action)'; expected one of: \(allowedThen.map(\.rawValue).joined(separator: ", "))")
                }
            }
            if action == .kill || action == .leaveRunning {
                for (key, location) in [("signal", settings.signal?.location), ("stop-mode", settings.stopMode?.location), ("stop-command", settings.stopCommand?.location), ("timeout", settings.timeout?.location)] {
                    if let location {
                        reader.error(at: location, "'\(key)' means nothing with 'on-refresh: \(action)', which stops nothing gracefully; remove it or use 'on-refresh: shutdown'")
                    }
                }
            }
            if let maxPostpone = settings.maxPostpone, action != .postpone {
                reader.error(at: maxPostpone.location, "max-postpone in \(what), whose action is '\(action)', not postpone; remove it or use 'on-refresh: postpone'")
            }
        }
        if let restart = settings.restartCommand, let action = settings.onRefresh?.value, action != .restart {
            reader.error(at: restart.location, "'restart-command' means nothing with 'on-refresh: \(action)'; it starts a daemon again after 'on-refresh: restart'")
        }
        if let signal = settings.signal, settings.stopCommand != nil {
            reader.error(at: signal.location, "both 'signal' and 'stop-command' in \(what); a shutdown uses one of them: remove one")
        }
        if let stopMode = settings.stopMode {
            if let signal = settings.signal {
                reader.error(at: stopMode.location, "both 'stop-mode' and 'signal' in \(what); stop-mode names the stop signal too (\(stopMode.value) sends \(stopMode.value.signal)): remove 'signal: \(signal.value)' or the stop-mode")
            }
            if settings.onRefresh?.value == .postpone, let then = settings.then, then.value == .kill || then.value == .leaveRunning {
                reader.error(at: stopMode.location, "'stop-mode' means nothing with 'on-refresh: postpone' and 'then: \(then.value)', which stop nothing gracefully; remove it, or use 'then: shutdown' or 'then: restart'")
            }
        }
        return settings
    }
}
