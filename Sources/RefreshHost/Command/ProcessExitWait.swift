#if canImport(Glibc)
import Glibc
#endif
import CRefreshSys
import Dispatch

/// Waits, without holding a thread, until a child process exits, or kills it and its process
/// group when a timeout passes first.
enum ProcessExitWait {
    enum Outcome: Sendable, Hashable {
        case exited
        /// The timeout passed (or the waiting task was cancelled) first, and the child and its
        /// process group were sent SIGKILL.
        case killed
    }

    /// Waits for the child `pid`, leader of its own process group, through its pidfd (readable
    /// once it exits), which a dispatch source watches; with no pidfd (kernels before 5.3), by
    /// polling `waitid(WNOWAIT)`.
    ///
    /// At the timeout, the kill is sent from the dispatch queue at once, not after this task
    /// resumes: a busy Swift concurrency pool cannot delay it. The child is never reaped here,
    /// and the caller must not reap it before this returns: until then neither its PID nor its
    /// group's ID can have been reused, so the kill reaches no other process.
    static func exitOrKill(pid: pid_t, pidfd: Int32, timeout: Duration) async -> Outcome {
        let copy = pidfd >= 0 ? fcntl(pidfd, F_DUPFD_CLOEXEC, 0) : -1
        if copy < 0 { return await pollExitOrKill(pid: pid, timeout: timeout) }
        let waiter = PidfdWaiter(pid: pid, pidfd: copy, timeout: timeout)
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in waiter.start(continuation) }
        } onCancel: {
            waiter.finish(.killed)
        }
    }

    /// The fallback without a pidfd: checks every 20 ms.
    private static func pollExitOrKill(pid: pid_t, timeout: Duration) async -> Outcome {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while true {
            var info = siginfo_t()
            if waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0, info._sifields._sigchld.si_pid == pid {
                return .exited
            }
            if ContinuousClock.now >= deadline || Task.isCancelled {
                _ = kill(-pid, SIGKILL)
                _ = kill(pid, SIGKILL)
                return .killed
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }
}

/// One wait: a read source on the pidfd and a timer, on one serial queue, whichever fires first
/// resumes the continuation (once) and cancels both; the timer (or a cancellation) kills first.
/// All state is touched on `queue` only.
private final class PidfdWaiter: @unchecked Sendable {
    private let queue = DispatchQueue(label: "refreshcore.process-exit-wait")
    private let pid: pid_t
    private let pidfd: Int32
    private let timeout: Duration
    private var continuation: CheckedContinuation<ProcessExitWait.Outcome, Never>?
    private var outcome: ProcessExitWait.Outcome?
    private var readSource: DispatchSourceRead?
    private var timer: DispatchSourceTimer?

    init(pid: pid_t, pidfd: Int32, timeout: Duration) {
        self.pid = pid
        self.pidfd = pidfd
        self.timeout = timeout
    }

    func start(_ continuation: CheckedContinuation<ProcessExitWait.Outcome, Never>) {
        queue.async { [self] in
            if let outcome {  // cancelled before the wait began (and killed then)
                close(pidfd)
                continuation.resume(returning: outcome)
                return
            }
            self.continuation = continuation
            let source = DispatchSource.makeReadSource(fileDescriptor: pidfd, queue: queue)
            let fd = pidfd
            source.setEventHandler { [self] in self.resolve(.exited) }
            source.setCancelHandler { close(fd) }
            readSource = source
            let timer = DispatchSource.makeTimerSource(queue: queue)
            timer.schedule(deadline: .now() + Self.interval(timeout))
            timer.setEventHandler { [self] in self.resolve(.killed) }
            self.timer = timer
            source.resume()
            timer.resume()
        }
    }

    func finish(_ outcome: ProcessExitWait.Outcome) {
        queue.async { [self] in self.resolve(outcome) }
    }

    private func resolve(_ proposed: ProcessExitWait.Outcome) {
        guard outcome == nil else { return }
        // The timer and the exit may come together: an exit that already happened wins, so a
        // daemon the command left behind is not killed with it.
        var entry = pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)
        let result: ProcessExitWait.Outcome = proposed == .killed && poll(&entry, 1, 0) > 0 ? .exited : proposed
        if result == .killed {
            // The group first, so no member is left running while the leader dies; the leader
            // through its pidfd, which names that process only.
            _ = kill(-pid, SIGKILL)
            _ = crs_pidfd_send_signal(pidfd, SIGKILL, 0)
        }
        outcome = result
        readSource?.cancel()
        timer?.cancel()
        readSource = nil
        timer = nil
        continuation?.resume(returning: result)
        continuation = nil
    }

    /// `duration` for dispatch, at least 0 and at most about 100 years.
    private static func interval(_ duration: Duration) -> DispatchTimeInterval {
        let (seconds, attoseconds) = duration.components
        if seconds < 0 { return .nanoseconds(0) }
        if seconds > 3_000_000_000 { return .seconds(3_000_000_000) }
        return .nanoseconds(Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000))
    }
}
