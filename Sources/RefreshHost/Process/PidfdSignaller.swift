import RefreshCore
#if canImport(Glibc)
import Glibc
#endif
import CRefreshSys

/// Signals processes through pidfds, so a signal only ever reaches the process identity (PID +
/// start time) a plan saw. PID 0, PID 1, the engine itself and its parent are never signalled.
public struct PidfdSignaller: Sendable {
    /// Why a process was not (or could not be) signalled.
    public enum Refusal: Error, Sendable, Hashable, CustomStringConvertible {
        /// It exited, or its PID now belongs to another process.
        case gone
        /// PID 0 or 1, the engine or its parent, or a process whose start time is unknown.
        case protected(String)
        case failed(SystemCallError)

        public var description: String {
            switch self {
            case .gone: return "gone before it was signalled"
            case .protected(let why): return "not signalled: \(why)"
            case .failed(let error): return "not signalled: \(error)"
            }
        }
    }

    public let proc: String

    public init(proc: String = "/proc") { self.proc = proc }

    /// A pidfd for `identity`, checked: the process behind it has the plan's start time.
    ///
    /// The pidfd is opened first and the start time read after; if the process had exited in
    /// between (and its PID been reused), the pidfd reports it as exited, so the start time
    /// read can only be that of the process the pidfd holds.
    public func open(_ identity: ProcessIdentity) -> Result<Int32, Refusal> {
        let pid = identity.pid
        if pid <= 1 { return .failure(.protected("PID \(pid) is never signalled")) }
        if pid == getpid() { return .failure(.protected("it is refreshctl itself")) }
        if pid == getppid() { return .failure(.protected("it is refreshctl's parent")) }
        guard let expected = identity.startTime else {
            return .failure(.protected("its start time is unknown, so a reused PID could not be told apart"))
        }
        let fd = crs_pidfd_open(pid, 0)
        if fd < 0 {
            return errno == ESRCH ? .failure(.gone) : .failure(.failed(SystemCallError("pidfd_open", errno: errno)))
        }
        var buffer: [UInt8] = []
        guard case .success(let count) = Syscall.readFile("\(proc)/\(pid)/stat", into: &buffer),
            let stat = buffer.withUnsafeBytes({ ProcParsing.stat(UnsafeRawBufferPointer(rebasing: $0[..<count])) }),
            stat.startTime == expected, !PidfdSignaller.hasExited(fd)
        else {
            Syscall.close(fd)
            return .failure(.gone)
        }
        return .success(fd)
    }

    /// pidfd_send_signal(2).
    public func send(_ signal: Int32, to pidfd: Int32) -> Result<Void, Refusal> {
        if crs_pidfd_send_signal(pidfd, signal, 0) == 0 { return .success(()) }
        return errno == ESRCH ? .failure(.gone) : .failure(.failed(SystemCallError("pidfd_send_signal", errno: errno)))
    }

    /// Whether the process behind `pidfd` has exited (a pidfd polls readable then).
    public static func hasExited(_ pidfd: Int32) -> Bool {
        var entry = pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)
        return poll(&entry, 1, 0) > 0 && entry.revents != 0
    }

    /// Waits until one of `pidfds` exits or `milliseconds` pass.
    public static func waitForAny(_ pidfds: [Int32], milliseconds: Int32) {
        var entries = pidfds.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        if entries.isEmpty {
            usleep(useconds_t(milliseconds) * 1000)
            return
        }
        _ = poll(&entries, nfds_t(entries.count), milliseconds)
    }
}
