import RefreshCore
#if canImport(Glibc)
import Glibc
#endif

/// Whether snapd manages the snaps under a root (DESIGN.md, "Coexisting with snapd"): its state
/// file `ROOT/var/lib/snapd/state.json` exists **and** snapd runs for that tree — its API socket
/// `ROOT/run/snapd.socket` is there (systemd's `snapd.socket` listens on it even while the
/// daemon idles, starting it on the first request), or a process runs `snapd` with that tree as
/// its root (`/proc/PID/root`).
///
/// On such a root snapd owns `current`, the mount units and the AppArmor profiles: the commands
/// that change the host refuse; the read-only ones work as anywhere.
public struct SnapdPresence: Sendable, Hashable {
    /// `ROOT/var/lib/snapd/state.json`, when it exists.
    public var stateFile: String?
    /// What shows that snapd runs for this tree, when something does.
    public var running: String?

    /// Whether snapd manages this tree.
    public var manages: Bool { stateFile != nil && running != nil }

    public init(stateFile: String?, running: String?) {
        self.stateFile = stateFile
        self.running = running
    }

    /// Looks at the canonical `root` (see ``HostRoot``) and at `proc` (the process table).
    public static func detect(root: String, proc: String = "/proc") -> SnapdPresence {
        let layout = HostLayout(root: root)
        let state = layout.root + "/var/lib/snapd/state.json"
        var presence = SnapdPresence(stateFile: nil, running: nil)
        if case .success = Syscall.lstat(state) { presence.stateFile = state }
        let socket = layout.root + "/run/snapd.socket"
        if case .success(let info) = Syscall.lstat(socket), info.st_mode & S_IFMT == S_IFSOCK {
            presence.running = "its socket \(socket) is there"
        } else if let pid = snapdProcess(root: layout.rootPath, proc: proc) {
            presence.running = "snapd runs (pid \(pid))"
        }
        return presence
    }

    /// The PID of a process that runs snapd (its executable is named `snapd`, in a `snapd`
    /// directory, as `/usr/lib/snapd/snapd` or `/snap/snapd/REV/usr/lib/snapd/snapd`) with
    /// `root` as its root directory.
    static func snapdProcess(root: String, proc: String) -> Int32? {
        guard case .success(let procFD) = Syscall.open(proc, O_RDONLY | O_DIRECTORY) else { return nil }
        defer { Syscall.close(procFD) }
        let entries = (try? Syscall.directoryEntries(procFD, path: proc).get()) ?? []
        for entry in entries.sorted() {
            guard let pid = Int32(entry), pid > 0 else { continue }
            guard case .success(var exe) = Syscall.readLink("\(entry)/exe", at: procFD) else { continue }
            if exe.hasSuffix(" (deleted)") { exe.removeLast(" (deleted)".count) }
            guard exe.hasSuffix("/snapd/snapd") else { continue }
            guard case .success(let processRoot) = Syscall.readLink("\(entry)/root", at: procFD) else { continue }
            if processRoot == root { return pid }
        }
        return nil
    }

    /// Refuses, with exit code 2, a command that changes the host when snapd manages it.
    /// - Throws: ``RefreshCoreError/Code/invalidArgument`` saying why and what to do.
    public func refuse(_ command: String, root: String) throws(RefreshCoreError) {
        guard manages, let stateFile, let running else { return }
        throw RefreshCoreError(.invalidArgument, "refusing 'refreshctl \(command)': snapd manages the snaps under \(HostLayout(root: root).rootPath) (\(stateFile) exists and \(running)); snapd owns the current links, the mount units and the AppArmor profiles there, so refreshctl changes nothing behind its back. The read-only commands (plan, status, ps, history, snapshot, check, test) work on this host; to act, use 'snap refresh' (or 'snap refresh --hold'), or point --root at a tree snapd does not manage")
    }
}
