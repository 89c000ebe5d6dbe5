/// A value read from a policy file, with where it was written.
public struct Located<Value: Sendable & Hashable>: Sendable, Hashable {
    public var value: Value
    public var location: SourceLocation

    public init(_ value: Value, at location: SourceLocation) {
        self.value = value
        self.location = location
    }
}

/// The settings a rule or `defaults` may give; each is optional and falls back field by field.
public struct PolicySettings: Sendable, Hashable {
    public var onRefresh: Located<Action>?
    public var signal: Located<Signal>?
    public var stopCommand: Located<[String]>?
    public var timeout: Located<TimeSpan>?
    public var then: Located<Escalation>?
    public var maxPostpone: Located<TimeSpan>?
    /// How a daemon is started again after `restart` stops it, where systemd does not run it.
    public var restartCommand: Located<[String]>?
    /// Overrides the snap.yaml `stop-mode` of a daemon: the stop signal, and whether the stop
    /// reaches the main process only or every process of the service.
    public var stopMode: Located<App.StopMode>?
    /// Whether `gc` leaves a collected revision's data directories (`var/snap/NAME/REV` and
    /// every user's `snap/NAME/REV`) in place. A whole-snap setting: only `defaults` and rules
    /// without `app` or `exe` may give it.
    public var keepData: Located<Bool>?

    public init(
        onRefresh: Located<Action>? = nil, signal: Located<Signal>? = nil,
        stopCommand: Located<[String]>? = nil, timeout: Located<TimeSpan>? = nil,
        then: Located<Escalation>? = nil, maxPostpone: Located<TimeSpan>? = nil,
        restartCommand: Located<[String]>? = nil, stopMode: Located<App.StopMode>? = nil,
        keepData: Located<Bool>? = nil
    ) {
        self.keepData = keepData
        self.restartCommand = restartCommand
        self.stopMode = stopMode
        self.onRefresh = onRefresh
        self.signal = signal
        self.stopCommand = stopCommand
        self.timeout = timeout
        self.then = then
        self.maxPostpone = maxPostpone
    }
}

/// One rule of a policy: which snaps (and apps) it is for, and what it sets.
public struct PolicyRule: Sendable, Hashable {
    /// 1-based position among the rules, as messages count them.
    public var number: Int
    public var snap: Glob
    public var app: Glob?
    /// A glob on the executable's path inside its revision, without the leading slash
    /// (`usr/bin/qemu-system-*`): the rule decides the processes that run it, whichever app's
    /// cgroup they are in.
    public var exe: Glob?
    public var settings: PolicySettings
    /// Where the rule starts.
    public var location: SourceLocation

    public init(number: Int, snap: Glob, app: Glob? = nil, exe: Glob? = nil, settings: PolicySettings, location: SourceLocation) {
        self.number = number
        self.snap = snap
        self.app = app
        self.exe = exe
        self.settings = settings
        self.location = location
    }

    /// `rule 2 (snap: vlc)`, `rule 3 (snap: libvirt, app: libvirtd)` or
    /// `rule 1 (snap: libvirt, exe: usr/bin/qemu-system-*)`.
    public var label: String {
        "rule \(number) (snap: \(snap)\(app.map { ", app: \($0)" } ?? "")\(exe.map { ", exe: \($0)" } ?? ""))"
    }

    /// Whether this rule decides for a process of `app` of `snap` running `executable` (its
    /// path inside its revision). A rule naming an app never matches a process whose app is
    /// unknown; one naming an exe never matches a process whose executable is unknown.
    public func matches(snap name: SnapName, app appName: AppName?, executable: String? = nil) -> Bool {
        guard snap.matches(name.rawValue) else { return false }
        if let app {
            guard let appName, app.matches(appName.rawValue) else { return false }
        }
        if let exe {
            guard let executable, exe.matches(executable) else { return false }
        }
        return true
    }
}

/// A parsed, validated policy file.
public struct Policy: Sendable, Hashable {
    /// Revisions to keep per snap, the current one included, when nothing else holds them.
    public static let defaultRetain = 2

    /// The file name, as given; it prefixes every reason (`policy.yaml:12: rule 2 ...`).
    public var file: String
    public var retain: Int
    public var defaults: PolicySettings
    /// Where `defaults:` starts, if the file has it.
    public var defaultsLocation: SourceLocation?
    public var rules: [PolicyRule]
    /// Findings that do not stop the policy from working (shadowed rules).
    public var warnings: [Diagnostic]

    public init(
        file: String, retain: Int = Policy.defaultRetain, defaults: PolicySettings = PolicySettings(),
        defaultsLocation: SourceLocation? = nil, rules: [PolicyRule] = [], warnings: [Diagnostic] = []
    ) {
        self.file = file
        self.retain = retain
        self.defaults = defaults
        self.defaultsLocation = defaultsLocation
        self.rules = rules
        self.warnings = warnings
    }

    /// The policy when none is given: no rules, built-in defaults.
    public static let builtIn = Policy(file: "(built-in)")

    /// The first rule, in file order, that decides for a process of `app` of `snap` running
    /// `executable`.
    public func rule(for snap: SnapName, app: AppName?, executable: String? = nil) -> PolicyRule? {
        rules.first { $0.matches(snap: snap, app: app, executable: executable) }
    }

    /// Whether `gc` keeps the data directories of a collected revision of `snap`, and why: the
    /// first rule without `app` or `exe` whose snap pattern matches decides (when it sets
    /// `keep-data`), then `defaults`, then the built-in default: the data goes with the
    /// revision, as snapd does.
    public func keepsData(_ snap: SnapName) -> (keep: Bool, source: String) {
        if let rule = rules.first(where: { $0.app == nil && $0.exe == nil && $0.snap.matches(snap.rawValue) }),
            let value = rule.settings.keepData {
            return (value.value, "\(file):\(value.location.line): \(rule.label) keep-data: \(value.value)")
        }
        if let value = defaults.keepData {
            return (value.value, "\(file):\(value.location.line): defaults keep-data: \(value.value)")
        }
        return (false, "default")
    }

    /// Where the policy sets `keep-data`, for `refreshctl check`: `nil` when it never does.
    public var keepDataSummary: String? {
        var places: [String] = []
        if let value = defaults.keepData { places.append("\(value.value) in defaults (line \(value.location.line))") }
        for rule in rules {
            if let value = rule.settings.keepData { places.append("\(value.value) in \(rule.label) (line \(value.location.line))") }
        }
        guard !places.isEmpty else { return nil }
        return "keep-data (gc leaves the data directories of a collected revision): " + places.joined(separator: "; ")
    }
}
