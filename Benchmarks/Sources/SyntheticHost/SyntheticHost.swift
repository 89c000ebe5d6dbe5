import RefreshCore

/// A synthetic host for the planner benchmarks: snaps, processes bound to them, a policy, a
/// request that refreshes every snap, and a fixed clock. Built in code, deterministically, so
/// every run plans the same host.
public struct SyntheticHost: Sendable {
    public let state: SystemState
    public let request: RefreshRequest
    public let policy: Policy
    public let now: Timestamp

    public var snapCount: Int { state.snaps.count }
    public var processCount: Int { state.processes.count }

    /// A host with `snaps` snaps (4 of them bases) and `processes` processes bound to the app snaps.
    public init(snaps snapCount: Int, processes processCount: Int) {
        let snaps = Synthetic.snaps(count: snapCount)
        let processes = Synthetic.processes(count: processCount, snaps: snaps)
        state = SystemState(snaps: snaps, processes: processes)
        request = RefreshRequest(snaps.map { RefreshRequest.Item(snap: $0.name) })
        policy = Synthetic.policy()
        now = Synthetic.now
    }
}

/// The building blocks of ``SyntheticHost`` and of the inference evidence.
public enum Synthetic {
    /// The fixed clock of every plan.
    public static let now = Timestamp(rfc3339: "2026-11-27T12:00:00Z")!

    /// Base snaps that app snaps name as `base:`. Processes pin one of their revisions.
    public static let baseNames = ["core20", "core22", "core24", "bare"]

    /// Name prefixes of the app snaps; the policy's globs select by them.
    public static let prefixes = ["qemu", "gnome", "kde", "lxd", "db", "web", "media", "net", "editor", "tool"]

    /// A realistic policy: defaults, snap globs, app globs, a character class, a postpone rule,
    /// a stop-command, a rule that asks a restart of non-daemons. 10 rules.
    public static let policyText = """
        version: 1
        retain: 3
        defaults:
          on-refresh: shutdown
          signal: SIGTERM
          timeout: 30s
          then: kill
        rules:
          - snap: "qemu-*"
            on-refresh: leave-running
          - snap: "lxd-*"
            app: daemon
            on-refresh: restart
            timeout: 2m
            then: leave-running
          - snap: "db-*"
            app: "server*"
            on-refresh: restart
            stop-command: ["/usr/bin/db-admin", "stop", "--graceful"]
            timeout: 5m
            then: abort
          - snap: "gnome-*"
            app: "[a-m]*"
            on-refresh: leave-running
          - snap: "kde-*"
            on-refresh: shutdown
            signal: SIGHUP
            timeout: 10s
          - snap: "web-?5"
            on-refresh: postpone
            max-postpone: 7d
            then: shutdown
          - snap: "media-*"
            app: player
            on-refresh: kill
          - snap: "net-*"
            app: "agent"
            on-refresh: restart
          - snap: "editor-*"
            on-refresh: restart
            timeout: 1m30s
          - snap: "*"
            app: "[!a-c]*"
            timeout: 45s

        """

    public static func policy() -> Policy {
        do {
            return try Policy(parsing: policyText, file: "bench-policy.yaml")
        } catch {
            fatalError("the benchmark policy does not parse: \(error)")
        }
    }

    /// `count` snaps: the 4 bases, then app snaps. Each has 3 installed revisions (the newest of
    /// them current) and a newer staged one. Every 4th app snap is a service snap with daemons
    /// whose snap.yaml sets refresh-mode, stop-mode, stop-timeout or stop-command.
    public static func snaps(count: Int) -> [Snap] {
        precondition(count > baseNames.count, "a host needs more snaps than its \(baseNames.count) bases")
        var snaps: [Snap] = []
        for (index, base) in baseNames.enumerated() {
            let name = SnapName(base)!
            let info = SnapInfo(name: name, version: "2026.\(index)", type: .base)
            snaps.append(snap(name, firstRevision: 1000 + 100 * index, info: info))
        }
        for index in 0..<(count - baseNames.count) {
            let prefix = prefixes[index % prefixes.count]
            let name = SnapName("\(prefix)-\(index)")!
            // core22 3/7, core24 2/7, core20 and bare 1/7 each. The snaps whose refresh stays
            // postponed run on bare, so that only bare's refresh is held back with them and the
            // other bases take the planner's full path.
            let postponing = prefix == "web" && index % 20 == 15
            let base = SnapName(baseNames[postponing ? 3 : index % 7 < 3 ? 1 : index % 7 < 5 ? 2 : index % 7 == 5 ? 0 : 3])!
            var apps: [AppName: App] = [:]
            func add(_ app: App) { apps[app.name] = app }
            if index % 4 == 3 {
                // A service snap: 2 daemons and a command-line app.
                let daemon = AppName("daemon")!
                let server = AppName("server")!
                let cli = AppName("ctl")!
                add(App(
                    name: daemon, command: "bin/\(prefix)d --foreground", daemon: .simple,
                    refreshMode: index % 8 == 3 ? .endure : nil, stopMode: App.StopMode("sigterm-all"),
                    stopTimeout: .seconds(20)))
                add(App(
                    name: server, command: "$SNAP/bin/\(prefix)-server", daemon: .notify,
                    stopTimeout: .seconds(60), stopCommand: "bin/\(prefix)-server --stop"))
                add(App(name: cli, command: "bin/\(prefix)ctl"))
            } else {
                // A desktop snap: 2 or 3 apps.
                let names = index % 3 == 0 ? [prefix, "player", "agent"] : [prefix, "settings"]
                for app in names {
                    add(App(name: AppName(app)!, command: "bin/\(app)"))
                }
            }
            let info = SnapInfo(name: name, version: "1.\(index)", type: .app, base: base, apps: apps)
            var snap = snap(name, firstRevision: 10 + 4 * index, info: info)
            // Half of the postponable snaps were held back 10 days ago: their 7d ran out.
            if prefix == "web", index % 20 == 5 {
                snap.postponedSince = Timestamp(secondsSinceEpoch: now.secondsSinceEpoch - 10 * 86_400)
            }
            snaps.append(snap)
        }
        return snaps
    }

    /// Revisions first, first+1, first+2 (current) and first+3 (staged).
    private static func snap(_ name: SnapName, firstRevision: Int, info: SnapInfo) -> Snap {
        let revisions = (0..<4).map { InstalledRevision(revision: Revision(store: firstRevision + $0)!, info: info) }
        return Snap(name: name, current: revisions[2].revision, revisions: revisions)
    }

    /// The revisions of `snap` that processes run from: 70% current, 20% the one before, 10% the oldest.
    static func runningRevision(of snap: Snap, _ draw: Int) -> Revision {
        let installed = snap.revisions.map(\.revision)
        switch draw % 10 {
        case 0..<7: return installed[2]
        case 7..<9: return installed[1]
        default: return installed[0]
        }
    }

    /// `count` processes spread over the app snaps (a deterministic scramble), each bound
    /// directly with a `Binding` to an installed revision and app, pinning its base: 80% the
    /// base's current revision, 20% an older one. 1 in 20 has no known app, 1 in 50 is a hook.
    public static func processes(count: Int, snaps: [Snap]) -> [RunningProcess] {
        let bases = Dictionary(uniqueKeysWithValues: snaps.map { ($0.name, $0) })
        let apps = snaps.filter { $0.info()?.type == .app }
        let configure = AppName("configure")!
        var processes: [RunningProcess] = []
        processes.reserveCapacity(count)
        var random = SplitMix(seed: 0x5EED)
        for index in 0..<count {
            let draw = random.next()
            let snap = apps[Int(draw % UInt64(apps.count))]
            let info = snap.info()!
            let revision = runningRevision(of: snap, Int((draw >> 20) % 10))
            let appNames = info.apps.keys.sorted()
            var app: AppName? = appNames[Int((draw >> 28) % UInt64(appNames.count))]
            var hook: AppName?
            switch (draw >> 36) % 100 {
            case 0..<5: app = nil
            case 5..<7: app = nil; hook = configure
            default: break
            }
            let base = bases[info.base!]!
            let baseRevision = (draw >> 44) % 5 == 0 ? base.revisions[1].revision : base.revisions[2].revision
            let binding = Binding(
                snap: snap.name, revision: revision, app: app, hook: hook,
                pins: [SnapRevision(base.name, baseRevision)])
            processes.append(RunningProcess(
                identity: ProcessIdentity(pid: Int32(1000 + index), startTime: UInt64(5_000 + index)),
                binding: binding))
        }
        return processes
    }

    /// `count` evidence records as a live host shows them: an exe, 3 mapped files (2 in the
    /// base, 1 in the snap) and a cgroup line. 60% run in an app scope, 20% in a service, 20%
    /// in no snap unit (the app is then told by the exe); 1 in 10 exes is ` (deleted)`.
    public static func evidence(count: Int, snaps: [Snap]) -> [ProcessEvidence] {
        let bases = Dictionary(uniqueKeysWithValues: snaps.map { ($0.name, $0) })
        let apps = snaps.filter { $0.info()?.type == .app }
        var random = SplitMix(seed: 0xE71D)
        var records: [ProcessEvidence] = []
        records.reserveCapacity(count)
        for _ in 0..<count {
            let draw = random.next()
            let snap = apps[Int(draw % UInt64(apps.count))]
            let info = snap.info()!
            let revision = runningRevision(of: snap, Int((draw >> 20) % 10))
            let appNames = info.apps.keys.sorted()
            let app = info.apps[appNames[Int((draw >> 28) % UInt64(appNames.count))]]!
            let base = bases[info.base!]!
            let baseRevision = (draw >> 44) % 5 == 0 ? base.revisions[1].revision : base.revisions[2].revision
            let root = "/snap/\(snap.name)/\(revision)"
            let baseRoot = "/snap/\(base.name)/\(baseRevision)"
            var exe = "\(root)/\(app.commandPath!)"
            if (draw >> 36) % 10 == 0 { exe += " (deleted)" }
            let maps = [
                "\(baseRoot)/usr/lib/x86_64-linux-gnu/libc.so.6",
                "\(root)/usr/lib/x86_64-linux-gnu/lib\(snap.name)-core.so.1",
                "\(baseRoot)/usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.33",
            ]
            let cgroup: String
            switch (draw >> 40) % 10 {
            case 0..<6:
                cgroup = "0::/user.slice/user-1000.slice/user@1000.service/app.slice/snap.\(snap.name).\(app.name)-\(uuid(draw)).scope"
            case 6..<8:
                cgroup = "0::/system.slice/snap.\(snap.name).\(app.name).service"
            default:
                cgroup = "0::/user.slice/user-1000.slice/session-2.scope"
            }
            records.append(ProcessEvidence(exe: exe, maps: maps, cgroups: [cgroup]))
        }
        return records
    }

    /// A UUID-shaped string from `seed`: `8c0a8d2e-6f6e-4f0e-9a7e-2b1c3d4e5f60`.
    private static func uuid(_ seed: UInt64) -> String {
        var random = SplitMix(seed: seed)
        let hex = Array("0123456789abcdef")
        let text = (0..<32).map { _ in hex[Int(random.next() % 16)] }
        let groups = [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(text[$0]) }
        return groups.joined(separator: "-")
    }
}

/// A small deterministic generator (SplitMix64), so hosts are the same on every run.
struct SplitMix {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
