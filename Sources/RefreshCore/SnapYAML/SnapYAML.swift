/// Reads `meta/snap.yaml`: the fields a refresh needs, validated as snapd validates them.
///
/// snap.yaml has many more keys than these; unknown keys are ignored, but a known key with a
/// bad value is an error with its `file:line:column`.
public enum SnapYAML {
    static let appKeys = ["command", "daemon", "refresh-mode", "stop-mode", "stop-timeout", "stop-command"]

    /// Parses the text of a snap.yaml.
    /// - Parameters:
    ///   - text: the file's content.
    ///   - file: the path to name in diagnostics.
    /// - Throws: ``RefreshCoreError`` (`invalidInput`) listing every problem.
    public static func parse(_ text: String, file: String) throws(RefreshCoreError) -> SnapInfo {
        var reader = YAMLReader()
        let start = SourceLocation(file: file, line: 1, column: 1)
        guard let root = try YAMLDocument.parse(text, file: file) else {
            throw .invalidInput([.error(at: start, "snap.yaml is empty; it needs at least 'name'")])
        }
        let info = parse(root, reader: &reader, strictApps: false)
        if reader.hasErrors || info == nil { throw .invalidInput(reader.sortedDiagnostics) }
        return info!
    }

    /// Parses a snap.yaml node; diagnostics go to `reader`.
    static func parse(_ root: YAMLNode, reader: inout YAMLReader, strictApps: Bool) -> SnapInfo? {
        guard let fields = reader.fields(root, what: "snap.yaml", allowed: ["name", "version", "type", "base", "apps"], ignoringUnknown: true) else {
            return nil
        }
        guard let nameNode = fields["name"] else {
            reader.error(root, "snap.yaml has no 'name'; add name: followed by the snap's name")
            return nil
        }
        let name = reader.snapName(nameNode, what: "snap name")
        let version = fields["version"].flatMap { $0.isNull ? nil : $0.scalar }
        var type = SnapType.app
        if let node = fields["type"] {
            type = reader.choice(node, what: "snap type", SnapType.allCases.map { ($0.rawValue, $0) }) ?? .app
        }
        let base = fields["base"].flatMap { reader.snapName($0, what: "base snap name") }
        var apps: [AppName: App] = [:]
        if let node = fields["apps"], !node.isNull, let entries = reader.entries(node, what: "apps") {
            for entry in entries {
                guard let appName = reader.appName(entry.keyNode, what: "app name") else { continue }
                if let app = parseApp(appName, entry.value, reader: &reader, strict: strictApps) {
                    apps[appName] = app
                }
            }
        }
        guard let name else { return nil }
        return SnapInfo(name: name, version: version, type: type, base: base, apps: apps)
    }

    /// Parses one app's fields and checks the combinations snapd checks.
    static func parseApp(_ name: AppName, _ node: YAMLNode, reader: inout YAMLReader, strict: Bool) -> App? {
        if node.isNull { return App(name: name) }
        guard let fields = reader.fields(node, what: "app '\(name)'", allowed: appKeys, ignoringUnknown: !strict) else {
            return nil
        }
        var app = App(name: name)
        let plain = "snap.yaml commands are plain text: remove it"
        app.command = fields["command"].flatMap { reader.plainText($0, what: "command", maximumBytes: nil, fix: plain) }
        if let node = fields["daemon"] {
            app.daemon = reader.choice(node, what: "daemon type", App.DaemonKind.allCases.map { ($0.rawValue, $0) })
        }
        let daemonOnly = "; it applies to daemons only: add 'daemon: simple' (or another daemon type) or remove it"
        let isDaemon = fields["daemon"] != nil
        if let node = fields["refresh-mode"] {
            app.refreshMode = reader.choice(node, what: "refresh-mode", App.RefreshMode.allCases.map { ($0.rawValue, $0) })
            switch app.refreshMode {
            case .endure?, .restart?:
                if !isDaemon { reader.error(node, "refresh-mode '\(app.refreshMode!.rawValue)' on app '\(name)', which is not a daemon\(daemonOnly)") }
            case .ignoreRunning?:
                if isDaemon { reader.error(node, "refresh-mode 'ignore-running' on daemon '\(name)'; it applies to non-daemon apps only: use 'endure' to keep a daemon running") }
            case nil: break
            }
        }
        if let node = fields["stop-mode"] {
            if let text = reader.string(node, what: "stop-mode") {
                if let mode = App.StopMode(text) {
                    app.stopMode = mode
                    if !isDaemon { reader.error(node, "stop-mode on app '\(name)', which is not a daemon\(daemonOnly)") }
                } else {
                    reader.error(node, "unknown stop-mode '\(text)'; expected one of: \(App.StopMode.spellings.joined(separator: ", "))")
                }
            }
        }
        if let node = fields["stop-timeout"] {
            app.stopTimeout = reader.duration(node, what: "stop-timeout", syntax: .go)
            if app.stopTimeout != nil, !isDaemon { reader.error(node, "stop-timeout on app '\(name)', which is not a daemon\(daemonOnly)") }
        }
        if let node = fields["stop-command"] {
            app.stopCommand = reader.string(node, what: "stop-command")
            if let command = app.stopCommand {
                // Root runs it (DESIGN.md, "Trust"): plain text naming the snap's own program.
                let problem: String? = if command.allSatisfy(\.isWhitespace) {
                    // snapd splits the command into words; with none there is nothing to run.
                    "stop-command is empty (only blanks); give the command that stops the daemon, such as bin/stop, or remove stop-command"
                } else {
                    PlainText.problem(with: command, what: "stop-command", maximumBytes: nil, fix: plain)
                        ?? SnapCommandLine.problem(with: command, key: "stop-command")
                }
                if let problem {
                    reader.error(node, problem)
                    app.stopCommand = nil
                }
            }
            if app.stopCommand != nil, !isDaemon { reader.error(node, "stop-command on app '\(name)', which is not a daemon\(daemonOnly)") }
        }
        return app
    }
}
