import RefreshCore
#if canImport(Glibc)
import Glibc
#endif

/// The real ``EngineClock``: `CLOCK_MONOTONIC` for timeouts, `CLOCK_REALTIME` for records, and
/// waiting that wakes as soon as a watched process exits (its pidfd polls readable).
public struct SystemEngineClock: EngineClock {
    /// How long one look waits at most before the caller checks its commands and jobs again.
    static let slice: Int64 = 20_000_000

    public init() {}

    public func now() -> MonotonicInstant {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return MonotonicInstant(nanoseconds: Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec))
    }

    public func wallTime() -> Timestamp {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Timestamp(secondsSinceEpoch: Int64(time.tv_sec))
    }

    public func wait(until deadline: MonotonicInstant, orExitOf processes: [ProcessHandle]) async {
        var entries = processes.map { pollfd(fd: $0.reference, events: Int16(POLLIN), revents: 0) }
        while true {
            let left = deadline.nanoseconds - now().nanoseconds
            if left <= 0 { return }
            if !entries.isEmpty, poll(&entries, nfds_t(entries.count), 0) > 0 { return }
            // Sleep without holding a thread of the cooperative pool.
            try? await Task.sleep(nanoseconds: UInt64(min(left, SystemEngineClock.slice)))
        }
    }
}
