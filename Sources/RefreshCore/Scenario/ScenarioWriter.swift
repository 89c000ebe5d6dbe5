/// Writes a host as a scenario file (DESIGN.md's format) that `plan --scenario` and
/// `refreshctl test` read back: `refreshctl snapshot`. Pure and deterministic.
///
/// Processes are written as their evidence, with paths made relative to the host's root, so
/// the scenario binds them through the same inference as the live host did. A scenario has one
/// set of app metadata per snap: the current revision's is written.
public enum ScenarioWriter {
    /// - Parameters:
    ///   - state: the host's snaps and bound processes.
    ///   - root: the host root the evidence paths lie under.
    ///   - now: the time of the snapshot, written as `now:`.
    ///   - names: only these snaps (and the processes that run from or pin them); all when empty.
    ///   - services: what the service manager reported of each unit (``Host/services``): each
    ///     written service's main process is recorded under `services:` (`main-pid`), so the
    ///     scenario makes the same process main as the live host did.
    public static func write(_ state: SystemState, root: String, now: Timestamp, names: [SnapName] = [], services: [String: ServiceStatus] = [:]) -> String {
        let layout = HostLayout(root: root)
        var out = "# Written by refreshctl snapshot \(RefreshCoreVersion.current)\nversion: 1\nnow: \(now)\nsnaps:\n"
        var written = Set<SnapName>()
        var wanted = Set(names)
        // A selected snap's base comes along, so its pins still bind.
        for name in names { if let base = state.snaps[name]?.info()?.base { wanted.insert(base) } }
        for name in state.snapNames where wanted.isEmpty || wanted.contains(name) {
            let snap = state.snaps[name]!
            guard let current = snap.current, let info = snap.info() else {
                out += "  # \(name) is left out: it has no current revision\n"
                continue
            }
            written.insert(name)
            out += "  - name: \(name)\n"
            if let version = info.version { out += "    version: \(quoted(version))\n" }
            if info.type != .app { out += "    type: \(info.type.rawValue)\n" }
            if let base = info.base { out += "    base: \(base)\n" }
            out += "    current: \(quoted(current.description))\n"
            out += "    revisions: [\(snap.revisions.map { quoted($0.revision.description) }.joined(separator: ", "))]\n"
            if let since = snap.postponedSince { out += "    postponed-since: \(since)\n" }
            if let hold = snap.hold {
                out += "    hold: {since: \(hold.since), until: \(hold.until.map(\.description) ?? "null"), by: \(quoted(hold.by)), command: \(quoted(hold.command))}\n"
            }
            if !info.apps.isEmpty {
                out += "    apps:\n"
                for app in info.apps.values.sorted(by: { $0.name < $1.name }) {
                    var fields: [String] = []
                    if let command = app.command { fields.append("command: \(quoted(command))") }
                    if let daemon = app.daemon { fields.append("daemon: \(daemon.rawValue)") }
                    if let mode = app.refreshMode { fields.append("refresh-mode: \(mode.rawValue)") }
                    if let mode = app.stopMode { fields.append("stop-mode: \(mode)") }
                    if let timeout = app.stopTimeout { fields.append("stop-timeout: \(timeout)") }
                    if let command = app.stopCommand { fields.append("stop-command: \(quoted(command))") }
                    out += "      \(app.name): {\(fields.joined(separator: ", "))}\n"
                }
            }
        }
        let processes = state.processes.filter { process in
            guard let binding = process.binding, written.contains(binding.snap) else { return false }
            return wanted.isEmpty || wanted.contains(binding.snap) || binding.pins.contains { names.contains($0.snap) }
        }
        if processes.isEmpty {
            out += "processes: []\n"
            return out
        }
        // The main process of each service as the service manager named it; null where it
        // names none, or one this scenario does not list in that service.
        var units: [String: Set<Int32>] = [:]
        for process in processes { if let unit = process.binding?.service { units[unit, default: []].insert(process.pid) } }
        let reported = units.keys.filter { services[$0] != nil }.sorted()
        if !reported.isEmpty {
            out += "services:\n"
            for unit in reported {
                let main = services[unit]?.mainPID.flatMap { units[unit]!.contains($0) ? $0 : nil }
                // A unit name is snap.NAME.APP.service of validated names: plain YAML as it is.
                out += "  \(unit): {main-pid: \(main.map { "\($0)" } ?? "null")}\n"
            }
        }
        out += "processes:\n"
        let snapPrefix = layout.root + "/snap/"
        let imagePrefix = layout.root + "/var/lib/snapd/snaps/"
        func relative(_ path: String) -> String {
            for prefix in [snapPrefix, imagePrefix] where !layout.root.isEmpty && path.hasPrefix(prefix) {
                return String(path.dropFirst(layout.root.count))
            }
            return path
        }
        // A path the scenario reader refuses (a control character in it, or longer than
        // PATH_MAX) is left out, so the scenario reads back; anyone can name a file so.
        func readable(_ path: String) -> Bool {
            PlainText.problem(with: path, what: "path", maximumBytes: PlainText.maximumPathBytes) == nil
        }
        for process in processes {
            var evidence = process.evidence
            evidence.exe = evidence.exe.map(relative).flatMap { readable($0) ? $0 : nil }
            evidence.maps = evidence.maps.map(relative).filter(readable)
            evidence.cwd = evidence.cwd.flatMap { $0.hasPrefix(snapPrefix) ? relative($0) : nil }.flatMap { readable($0) ? $0 : nil }
            evidence.cgroups = evidence.cgroups.filter { readable($0) && SnapPath.unit(inCgroup: $0) != nil }
            evidence.rootImage = evidence.rootImage.map(relative).flatMap { readable($0) ? $0 : nil }
            evidence.root = evidence.root.flatMap { $0.hasPrefix(snapPrefix) ? relative($0) : nil }.flatMap { readable($0) ? $0 : nil }
            evidence.files = evidence.files.filter { $0.hasPrefix(snapPrefix) }.map(relative).filter(readable)
            out += "  - pid: \(process.pid)\n"
            if let start = process.identity.startTime { out += "    start-time: \(start)\n" }
            if let parent = process.parent { out += "    ppid: \(parent)\n" }
            if evidence.isEmpty, let binding = process.binding {
                // No evidence (a state built in code): write the binding.
                out += "    snap: \(binding.snap)\n    revision: \(quoted(binding.revision.description))\n"
                // A service's process by its service's app, so it is read back into the service.
                let app = binding.service.flatMap { SnapPath.unit(inCgroup: $0)?.app } ?? binding.app
                if binding.role == .user {
                    out += "    role: user\n"
                } else if let app {
                    out += "    app: \(app)\n"
                    if binding.service == nil, state.snaps[binding.snap]?.info(for: binding.revision)?.apps[app]?.isDaemon == true {
                        out += "    role: app\n"
                    }
                }
                let pins = binding.pins.filter { $0.snap != binding.snap && written.contains($0.snap) }
                if !pins.isEmpty {
                    out += "    pins: {\(pins.map { "\($0.snap): \(quoted($0.revision.description))" }.joined(separator: ", "))}\n"
                }
                continue
            }
            if let exe = evidence.exe { out += "    exe: \(quoted(exe))\n" }
            if !evidence.maps.isEmpty {
                out += "    maps:\n" + evidence.maps.map { "      - \(quoted($0))\n" }.joined()
            }
            if let cwd = evidence.cwd { out += "    cwd: \(quoted(cwd))\n" }
            if let root = evidence.root { out += "    root: \(quoted(root))\n" }
            if !evidence.files.isEmpty {
                out += "    files:\n" + evidence.files.map { "      - \(quoted($0))\n" }.joined()
            }
            if !evidence.cgroups.isEmpty {
                out += "    cgroup:\n" + evidence.cgroups.map { "      - \(quoted($0))\n" }.joined()
            }
            if let image = evidence.rootImage { out += "    root-image: \(quoted(image))\n" }
        }
        return out
    }

    /// A double-quoted YAML scalar (JSON escapes are valid YAML escapes).
    static func quoted(_ text: String) -> String {
        JSONValue.string(text).serialized()
    }
}
