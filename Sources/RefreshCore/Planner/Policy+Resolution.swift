/// The settings that apply to one app, each with where it came from.
struct ResolvedSettings: Sendable {
    struct Field<Value: Sendable>: Sendable {
        var value: Value
        var source: String
    }

    enum Stop: Sendable {
        case signal(Signal)
        case command([String])
    }

    var action: Field<Action>
    var stop: Field<Stop>
    var timeout: Field<TimeSpan>
    /// What follows a timed-out shutdown or restart.
    var then: Field<Escalation>
    var maxPostpone: Field<TimeSpan>
    /// What follows a postponement that ran out.
    var postponeThen: Field<Escalation>
    /// Set when `restart` was asked of a non-daemon and a shutdown is planned instead.
    var restartOfNonDaemon: String?
    /// How to start a restarted daemon again, when the policy says (else the service manager).
    var restartCommand: Field<[String]>?
    /// Which processes of a service its stop reaches (daemons; the built-in control group for
    /// the rest, where it means nothing).
    var killMode: KillModeSetting
}

/// A service's kill mode, the stop-mode it comes from and where that was written.
struct KillModeSetting: Sendable {
    var mode: KillMode
    /// `nil` for the built-in default.
    var stopMode: App.StopMode?
    /// `policy.yaml:9: rule 2 (snap: libvirt, app: libvirtd)`, `snap.yaml: stop-mode: sigterm`,
    /// `policy.yaml:4: defaults` or `built-in (no stop-mode)`.
    var source: String

    /// `stop-mode: sigterm (snap.yaml)`, for reasons.
    var phrase: String { ServicePlan.killModePhrase(stopMode: stopMode, source: source) }
}

extension Policy {
    static let builtInTimeout = TimeSpan.seconds(30)
    static let builtInMaxPostpone = TimeSpan.days(14)

    /// The words of a snap.yaml `stop-command`, its program made absolute under `snapRoot`;
    /// `nil` for a command with no words or whose program is not inside the revision
    /// (validation refuses both, but a planner must not trust that it ran: root runs these).
    static func stopCommandWords(_ command: String, snapRoot: String) -> [String]? {
        SnapCommandLine(command)?.words(under: snapRoot)
    }

    private func source(_ rule: PolicyRule, _ location: SourceLocation) -> String {
        "\(location.file):\(location.line): \(rule.label)"
    }

    private func defaultsSource(_ location: SourceLocation) -> String {
        "\(location.file):\(location.line): defaults"
    }

    /// Resolves every setting for a process of `appName` of `snap` running `executable`: the
    /// first matching rule, then the app's snap.yaml, then `defaults`, then built-ins, field by
    /// field.
    /// - Parameters:
    ///   - app: the app's snap.yaml metadata, `nil` when the app is unknown.
    ///   - snapRoot: `/snap/NAME/REV`, to make snap.yaml's relative stop-command absolute.
    func resolve(snap: SnapName, appName: AppName?, app: App?, executable: String? = nil, snapRoot: String) -> ResolvedSettings {
        resolve(rule: rule(for: snap, app: appName, executable: executable), app: app, snapRoot: snapRoot)
    }

    /// Resolves every setting under `rule` (the first matching one, or none), field by field.
    /// - Parameter notDaemonNote: what to add to the reason when `restart` is planned as a
    ///   shutdown because `app` is not a daemon.
    func resolve(
        rule: PolicyRule?, app: App?, snapRoot: String,
        notDaemonNote: String = "restart of an app that is not a daemon is a shutdown"
    ) -> ResolvedSettings {
        let isDaemon = app?.isDaemon ?? false
        let ruleSettings = rule?.settings ?? PolicySettings()

        // on-refresh
        var action: ResolvedSettings.Field<Action>
        if let rule, let value = ruleSettings.onRefresh {
            action = .init(value: value.value, source: source(rule, value.location))
        } else if let mode = app?.refreshMode, isDaemon || mode == .ignoreRunning {
            let value: Action = mode == .restart ? .restart : .leaveRunning
            action = .init(value: value, source: "snap.yaml: refresh-mode: \(mode.rawValue)")
        } else if let value = defaults.onRefresh {
            action = .init(value: value.value, source: defaultsSource(value.location))
        } else {
            action = isDaemon
                ? .init(value: .restart, source: "built-in (daemons are restarted)")
                : .init(value: .leaveRunning, source: "built-in (apps that are not daemons are left running)")
        }
        var restartOfNonDaemon: String?
        if action.value == .restart, !isDaemon {
            restartOfNonDaemon = action.source
            action = .init(value: .shutdown, source: action.source + "; " + notDaemonNote)
        }

        // stop-mode: the policy's overrides the snap's; for daemons only.
        var killMode = KillModeSetting(mode: .controlGroup, stopMode: nil, source: "built-in (no stop-mode)")
        if isDaemon {
            if let rule, let value = ruleSettings.stopMode {
                killMode = KillModeSetting(mode: value.value.killMode, stopMode: value.value, source: source(rule, value.location))
            } else if let mode = app?.stopMode {
                killMode = KillModeSetting(mode: mode.killMode, stopMode: mode, source: "snap.yaml: stop-mode: \(mode)")
            } else if let value = defaults.stopMode {
                killMode = KillModeSetting(mode: value.value.killMode, stopMode: value.value, source: defaultsSource(value.location))
            }
        }

        // signal or stop-command: one field, so a rule's signal is never mixed with a stop-command
        // from elsewhere.
        var stop: ResolvedSettings.Field<ResolvedSettings.Stop>
        if let rule, let command = ruleSettings.stopCommand {
            stop = .init(value: .command(command.value), source: source(rule, command.location))
        } else if let rule, let signal = ruleSettings.signal {
            stop = .init(value: .signal(signal.value), source: source(rule, signal.location))
        } else if isDaemon, let command = app?.stopCommand, let words = Policy.stopCommandWords(command, snapRoot: snapRoot) {
            stop = .init(value: .command(words), source: "snap.yaml: stop-command: \(command)")
        } else if isDaemon, let rule, let mode = ruleSettings.stopMode {
            stop = .init(value: .signal(mode.value.signal), source: source(rule, mode.location))
        } else if isDaemon, let mode = app?.stopMode {
            stop = .init(value: .signal(mode.signal), source: "snap.yaml: stop-mode: \(mode)")
        } else if let command = defaults.stopCommand {
            stop = .init(value: .command(command.value), source: defaultsSource(command.location))
        } else if let signal = defaults.signal {
            stop = .init(value: .signal(signal.value), source: defaultsSource(signal.location))
        } else if isDaemon, let mode = defaults.stopMode {
            stop = .init(value: .signal(mode.value.signal), source: defaultsSource(mode.location))
        } else {
            stop = .init(value: .signal(.sigterm), source: "built-in")
        }

        var timeout: ResolvedSettings.Field<TimeSpan>
        if let rule, let value = ruleSettings.timeout {
            timeout = .init(value: value.value, source: source(rule, value.location))
        } else if isDaemon, let value = app?.stopTimeout {
            timeout = .init(value: value, source: "snap.yaml: stop-timeout: \(value)")
        } else if let value = defaults.timeout {
            timeout = .init(value: value.value, source: defaultsSource(value.location))
        } else {
            timeout = .init(value: Policy.builtInTimeout, source: "built-in")
        }

        var maxPostpone: ResolvedSettings.Field<TimeSpan>
        if let rule, let value = ruleSettings.maxPostpone {
            maxPostpone = .init(value: value.value, source: source(rule, value.location))
        } else if let value = defaults.maxPostpone {
            maxPostpone = .init(value: value.value, source: defaultsSource(value.location))
        } else {
            maxPostpone = .init(value: Policy.builtInMaxPostpone, source: "built-in")
        }

        // `then` means different things after a shutdown and after a postponement; a value
        // that cannot follow the action is passed over for the next source.
        func then(after action: Action, builtIn: Escalation) -> ResolvedSettings.Field<Escalation> {
            let allowed = Escalation.allowed(after: action)
            if let rule, let value = ruleSettings.then, allowed.contains(value.value) {
                return .init(value: value.value, source: source(rule, value.location))
            }
            if let value = defaults.then, allowed.contains(value.value) {
                return .init(value: value.value, source: defaultsSource(value.location))
            }
            return .init(value: builtIn, source: "built-in")
        }
        var restartCommand: ResolvedSettings.Field<[String]>?
        if let rule, let value = ruleSettings.restartCommand {
            restartCommand = .init(value: value.value, source: source(rule, value.location))
        } else if let value = defaults.restartCommand {
            restartCommand = .init(value: value.value, source: defaultsSource(value.location))
        }
        return ResolvedSettings(
            action: action, stop: stop, timeout: timeout, then: then(after: .shutdown, builtIn: .kill),
            maxPostpone: maxPostpone, postponeThen: then(after: .postpone, builtIn: .shutdown),
            restartOfNonDaemon: restartOfNonDaemon, restartCommand: restartCommand, killMode: killMode)
    }
}
