/// A point on a monotonic clock, in nanoseconds from an arbitrary origin.
public struct MonotonicInstant: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var nanoseconds: Int64

    public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    public static func + (lhs: MonotonicInstant, rhs: TimeSpan) -> MonotonicInstant {
        MonotonicInstant(nanoseconds: lhs.nanoseconds &+ rhs.nanoseconds)
    }

    /// The time from `earlier` to this instant (zero when `earlier` is later).
    public func since(_ earlier: MonotonicInstant) -> TimeSpan {
        TimeSpan(nanoseconds: max(0, nanoseconds - earlier.nanoseconds))
    }

    public static func < (lhs: MonotonicInstant, rhs: MonotonicInstant) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    public var description: String { "\(nanoseconds)ns" }
}

/// Time for the executor: a monotonic clock for timeouts, the wall clock for records, and
/// waiting. The executor never reads a clock or sleeps behind this protocol's back, so a fake
/// clock (RefreshFakes) runs a refresh with a 30 s timeout in microseconds.
public protocol EngineClock: Sendable {
    /// Now, on the monotonic clock.
    func now() -> MonotonicInstant
    /// Now, on the wall clock (for postponements and the journal).
    func wallTime() -> Timestamp
    /// Suspends until `deadline`, or sooner when one of `processes` has exited. It may also
    /// return early for no reason; the caller checks what happened.
    func wait(until deadline: MonotonicInstant, orExitOf processes: [ProcessHandle]) async
}
