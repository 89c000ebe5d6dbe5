/// Which processes of a service its stop reaches, in systemd's terms (snapd writes
/// `KillMode=process` for a plain `stop-mode` such as `sigterm`).
public enum KillMode: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// The main process only; the other members survive the stop.
    case process
    /// Every process in the service's cgroup (the `-all` stop-modes, and no stop-mode at all).
    case controlGroup = "control-group"

    public var description: String { rawValue }
}

/// An app of a snap revision, with the snap.yaml fields that shape a refresh.
public struct App: Sendable, Hashable {
    /// snap.yaml `daemon`.
    public enum DaemonKind: String, Sendable, Hashable, CaseIterable {
        case simple, forking, oneshot, dbus, notify
    }

    /// snap.yaml `refresh-mode`.
    public enum RefreshMode: String, Sendable, Hashable, CaseIterable {
        /// Daemons only: keep running through a refresh.
        case endure
        /// Daemons only: restarted by a refresh (snapd's default for daemons).
        case restart
        /// Non-daemons only: running instances never hold a refresh back.
        case ignoreRunning = "ignore-running"
    }

    /// snap.yaml `stop-mode`: which signal stops the daemon, and whether the whole group gets it.
    public struct StopMode: Sendable, Hashable, CustomStringConvertible {
        public var signal: Signal
        /// `sigX-all` (and no stop-mode at all) signal every process of the service;
        /// plain `sigX` only its main process.
        public var allProcesses: Bool

        public static let spellings = ["sigterm", "sigterm-all", "sighup", "sighup-all", "sigusr1",
                                       "sigusr1-all", "sigusr2", "sigusr2-all", "sigint", "sigint-all"]

        public init?(_ text: String) {
            guard StopMode.spellings.contains(text) else { return nil }
            allProcesses = text.hasSuffix("-all")
            let base = allProcesses ? String(text.dropLast(4)) : text
            signal = Signal(rawValue: base.uppercased())!
        }

        public var description: String { signal.rawValue.lowercased() + (allProcesses ? "-all" : "") }

        /// Which processes of the service its stop signals.
        public var killMode: KillMode { allProcesses ? .controlGroup : .process }
    }

    public var name: AppName
    /// snap.yaml `command`, relative to the snap's root (`bin/vlc`, `$SNAP/bin/vlc --flag`).
    public var command: String?
    /// `nil` for an app that is not a daemon.
    public var daemon: DaemonKind?
    public var refreshMode: RefreshMode?
    public var stopMode: StopMode?
    public var stopTimeout: TimeSpan?
    /// snap.yaml `stop-command`, relative to the snap's root.
    public var stopCommand: String?

    public init(
        name: AppName, command: String? = nil, daemon: DaemonKind? = nil,
        refreshMode: RefreshMode? = nil, stopMode: StopMode? = nil, stopTimeout: TimeSpan? = nil,
        stopCommand: String? = nil
    ) {
        self.name = name
        self.command = command
        self.daemon = daemon
        self.refreshMode = refreshMode
        self.stopMode = stopMode
        self.stopTimeout = stopTimeout
        self.stopCommand = stopCommand
    }

    public var isDaemon: Bool { daemon != nil }

    /// The executable `command` names, relative to the snap root (`bin/vlc`), without
    /// `$SNAP/` and arguments; `nil` when there is no command.
    public var commandPath: String? {
        guard let program = command.flatMap(SnapCommandLine.init)?.program, !program.isEmpty else { return nil }
        return program
    }
}
