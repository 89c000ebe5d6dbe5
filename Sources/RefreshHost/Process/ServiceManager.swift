import RefreshCore
/// Which service manager runs the host's daemons.
public enum ServiceManager {
    /// Whether systemd is PID 1 (then `systemctl restart snap.NAME.APP.service` restarts a daemon).
    public static var systemdIsPID1: Bool {
        var buffer: [UInt8] = []
        guard case .success(let count) = Syscall.readFile("/proc/1/comm", into: &buffer) else { return false }
        return String(decoding: buffer[..<count], as: UTF8.self).hasPrefix("systemd")
    }
}
