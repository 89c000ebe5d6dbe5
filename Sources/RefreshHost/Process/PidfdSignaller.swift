import RefreshCore
#if canImport(Glibc)
import Glibc
#endif
import CRefreshSys

/// The real ``ProcessSignaller``: signals processes through pidfds, so a signal only ever
/// reaches the process identity (PID + start time) a plan saw. PID 0, PID 1, the engine itself
/// and every one of its ancestors (the shell that ran it, and up) are never signalled.
public struct PidfdSignaller: ProcessSignaller {
    public let proc: String
    /// The engine and its ancestors, read once from `/proc` when the signaller is made.
    public let protected: [Int32: String]
    /// The highest descriptor a pidfd may take: the soft open-file limit less
    /// ``reservedDescriptors``, so holding one pidfd per process never leaves the engine unable
    /// to write its journal or run a command.
    public let highestPidfd: Int32

    /// Descriptors kept free for the journal, the lock, commands and `/proc` reads.
    public static let reservedDescriptors: Int32 = 32

    /// Why a pidfd could not be held: the open-files limit.
    var tooMany: String {
        "cannot hold a pidfd for it: the limit on open files (\(openFileLimit), ulimit -n) is too low for this many processes at once; raise the hard limit (for example LimitNOFILE= or ulimit -Hn) and run again"
    }

    public init(proc: String = "/proc") {
        self.proc = proc
        self.protected = PidfdSignaller.engineAndAncestors(proc: proc)
        var limit = rlimit()
        let soft = getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 ? limit.rlim_cur : 1024
        self.highestPidfd = Int32(clamping: min(soft, rlim_t(Int32.max))) - 1 - PidfdSignaller.reservedDescriptors
        openFileLimit = soft
    }

    /// The soft open-file limit when the signaller was made.
    private let openFileLimit: rlim_t

    /// `getpid()` and the chain of parents up to (not including) PID 1, each with why.
    static func engineAndAncestors(proc: String) -> [Int32: String] {
        var result: [Int32: String] = [getpid(): "it is refreshctl itself"]
        var pid = getppid()
        var depth = 0
        var buffer: [UInt8] = []
        while pid > 1, depth < 4096, result[pid] == nil {
            result[pid] = depth == 0 ? "it is refreshctl's parent" : "it is an ancestor of refreshctl"
            guard case .success(let count) = Syscall.readFile("\(proc)/\(pid)/stat", into: &buffer),
                let stat = buffer.withUnsafeBytes({ ProcParsing.stat(UnsafeRawBufferPointer(rebasing: $0[..<count])) })
            else { break }
            pid = stat.ppid
            depth += 1
        }
        return result
    }

    /// A pidfd for `identity`, checked: the process behind it has the plan's start time.
    ///
    /// The pidfd is opened first and the start time read after; if the process had exited in
    /// between (and its PID been reused), the pidfd reports it as exited, so the start time
    /// read can only be that of the process the pidfd holds.
    public func open(_ identity: ProcessIdentity) -> Result<ProcessHandle, SignalRefusal> {
        let pid = identity.pid
        if pid <= 1 { return .failure(.protected("PID \(pid) is never signalled")) }
        if let why = protected[pid] { return .failure(.protected(why)) }
        guard let expected = identity.startTime else {
            return .failure(.protected("its start time is unknown, so a reused PID could not be told apart"))
        }
        let fd = crs_pidfd_open(pid, 0)
        if fd < 0 {
            let error = errno
            if error == EMFILE || error == ENFILE { return .failure(.exhausted(tooMany)) }
            return error == ESRCH ? .failure(.gone) : .failure(.failed(SystemCallError("pidfd_open", errno: error).description))
        }
        if fd > highestPidfd {
            Syscall.close(fd)
            return .failure(.exhausted(tooMany))
        }
        var buffer: [UInt8] = []
        let count: Int
        switch Syscall.readFile("\(proc)/\(pid)/stat", into: &buffer) {
        case .success(let read): count = read
        case .failure(let error) where error.errno == ENOENT || error.errno == ESRCH:
            Syscall.close(fd)
            return .failure(.gone)
        case .failure(let error):
            // Out of descriptors (EMFILE, ENFILE), memory, ...: the process may well be there.
            Syscall.close(fd)
            return .failure(.failed("cannot read its start time: \(error)"))
        }
        guard let stat = buffer.withUnsafeBytes({ ProcParsing.stat(UnsafeRawBufferPointer(rebasing: $0[..<count])) }),
            stat.startTime == expected, !PidfdSignaller.hasExited(fd)
        else {
            Syscall.close(fd)
            return .failure(.gone)
        }
        return .success(ProcessHandle(identity: identity, reference: fd))
    }

    /// pidfd_send_signal(2).
    public func send(_ signal: Signal, to handle: ProcessHandle) -> Result<Void, SignalRefusal> {
        if crs_pidfd_send_signal(handle.reference, signal.number, 0) == 0 { return .success(()) }
        return errno == ESRCH ? .failure(.gone) : .failure(.failed(SystemCallError("pidfd_send_signal", errno: errno).description))
    }

    public func hasExited(_ handle: ProcessHandle) -> Bool {
        PidfdSignaller.hasExited(handle.reference)
    }

    public func close(_ handle: ProcessHandle) {
        Syscall.close(handle.reference)
    }

    /// Whether the process behind `pidfd` has exited (a pidfd polls readable then).
    static func hasExited(_ pidfd: Int32) -> Bool {
        var entry = pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)
        return poll(&entry, 1, 0) > 0 && entry.revents != 0
    }

    /// Waits until one of `pidfds` exits or `milliseconds` pass.
    static func waitForAny(_ pidfds: [Int32], milliseconds: Int32) {
        var entries = pidfds.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        if entries.isEmpty {
            usleep(useconds_t(milliseconds) * 1000)
            return
        }
        _ = poll(&entries, nfds_t(entries.count), milliseconds)
    }
}
