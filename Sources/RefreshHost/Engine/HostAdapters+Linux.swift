import RefreshCore
#if canImport(Glibc)
import Glibc
#endif

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
        raiseOpenFileLimit()
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

    /// Raises the soft limit on open descriptors to the hard one, as the engine holds a pidfd
    /// for every process it stops at once (thousands on a busy host, against a common soft
    /// limit of 1024). Returns the soft limit now in force. A pidfd that still cannot be
    /// opened is an error for that process, never "gone".
    @discardableResult
    public static func raiseOpenFileLimit() -> UInt64 {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 0 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { return UInt64(raised.rlim_cur) }
        }
        return UInt64(limit.rlim_cur)
    }

    /// Whether systemd is PID 1 of this host.
    public static var systemdIsPID1: Bool {
        var buffer: [UInt8] = []
        guard case .success(let count) = Syscall.readFile("/proc/1/comm", into: &buffer) else { return false }
        return String(decoding: buffer[..<count], as: UTF8.self).hasPrefix("systemd")
    }
}
