import RefreshCore

/// Which service manager the engine acts through.
public enum ServiceManagerChoice: String, Sendable, CaseIterable {
    /// systemd when it is PID 1, else none.
    case auto
    /// systemd, through `systemctl` and `busctl`.
    case systemd
    /// None: the engine signals a service's processes itself and starts it again with the
    /// policy's `restart-command`.
    case none
}

extension HostAdapters {
    /// The real adapters for the host under `root`.
    /// - Parameters:
    ///   - root: the host's root (canonical: see ``HostRoot``).
    ///   - serviceManager: which service manager runs the host's daemons.
    public static func linux(root: String, serviceManager: ServiceManagerChoice = .auto) -> HostAdapters {
        let layout = HostLayout(root: root)
        let runner = SubprocessCommandRunner()
        var manager: (any ServiceManager)?
        switch serviceManager {
        case .systemd: manager = SystemdServiceManager(runner: runner)
        case .auto: manager = HostAdapters.systemdIsPID1 ? SystemdServiceManager(runner: runner) : nil
        case .none: manager = nil
        }
        return HostAdapters(
            store: FileSystemRevisionStore(root: root), inspector: ProcFileSystemInspector(root: root),
            signaller: PidfdSignaller(), serviceManager: manager, commands: runner, clock: SystemEngineClock(),
            journal: FileJournal(layout: layout), lock: FileLock(layout: layout), records: StateRecords(layout: layout))
    }

    /// Whether systemd is PID 1 of this host.
    public static var systemdIsPID1: Bool {
        var buffer: [UInt8] = []
        guard case .success(let count) = Syscall.readFile("/proc/1/comm", into: &buffer) else { return false }
        return String(decoding: buffer[..<count], as: UTF8.self).hasPrefix("systemd")
    }
}
