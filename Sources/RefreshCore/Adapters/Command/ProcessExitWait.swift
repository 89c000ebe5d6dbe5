#if canImport(Glibc)
import Glibc
#endif
import Dispatch

/// Waits, without holding a thread, until a child process exits or a timeout passes.
enum ProcessExitWait {
    enum Outcome: Sendable, Hashable {
        case exited
        /// The timeout passed (or the waiting task was cancelled) first.
        case timedOut
    }

    /// Waits for the child `pid` through its pidfd (readable once it exits), which a dispatch
    /// source watches; with no pidfd (kernels before 5.3), by polling `waitid(WNOWAIT)`.
    /// The child is never reaped here.
    static func exitOrTimeout(pid: pid_t, pidfd: Int32, timeout: Duration) async -> Outcome {
        let copy = pidfd >= 0 ? fcntl(pidfd, F_DUPFD_CLOEXEC, 0) : -1
        if copy < 0 { return await pollExitOrTimeout(pid: pid, timeout: timeout) }
        let waiter = PidfdWaiter(pidfd: copy, timeout: timeout)
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in waiter.start(continuation) }
        } onCancel: {
            waiter.finish(.timedOut)
        }
    }

    /// The fallback without a pidfd: checks every 20 ms.
    private static func pollExitOrTimeout(pid: pid_t, timeout: Duration) async -> Outcome {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while true {
            var info = siginfo_t()
            if waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0, info._sifields._sigchld.si_pid == pid {
                return .exited
            }
            if ContinuousClock.now >= deadline || Task.isCancelled { return .timedOut }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }
}

/// One wait: a read source on the pidfd and a timer, on one serial queue, whichever fires first
/// resumes the continuation (once) and cancels both. All state is touched on `queue` only.
private final class PidfdWaiter: @unchecked Sendable {
    private let queue = DispatchQueue(label: "refreshcore.process-exit-wait")
    private let pidfd: Int32
    private let timeout: Duration
    private var continuation: CheckedContinuation<ProcessExitWait.Outcome, Never>?
    private var outcome: ProcessExitWait.Outcome?
    private var readSource: DispatchSourceRead?
    private var timer: DispatchSourceTimer?

    init(pidfd: Int32, timeout: Duration) {
        self.pidfd = pidfd
        self.timeout = timeout
    }

    func start(_ continuation: CheckedContinuation<ProcessExitWait.Outcome, Never>) {
        queue.async { [self] in
            if let outcome {  // cancelled before the wait began
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
            timer.setEventHandler { [self] in self.resolve(.timedOut) }
            self.timer = timer
            source.resume()
            timer.resume()
        }
    }

    func finish(_ outcome: ProcessExitWait.Outcome) {
        queue.async { [self] in self.resolve(outcome) }
    }

    private func resolve(_ result: ProcessExitWait.Outcome) {
        guard outcome == nil else { return }
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
