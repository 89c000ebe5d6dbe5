/// An open reference to one process identity (a pidfd on Linux), through which it is
/// signalled and its exit observed: a reused PID can never be reached through it.
public struct ProcessHandle: Sendable, Hashable {
    /// The process the handle was opened for.
    public let identity: ProcessIdentity
    /// The adapter's reference: a pidfd for the real signaller, an index for a fake.
    package let reference: Int32

    package init(identity: ProcessIdentity, reference: Int32) {
        self.identity = identity
        self.reference = reference
    }
}

/// Why a process was not (or could not be) signalled.
public enum SignalRefusal: Error, Sendable, Hashable, CustomStringConvertible {
    /// It exited, or its PID now belongs to another process.
    case gone
    /// PID 0 or 1, the engine or one of its ancestors, or a process whose start time is unknown.
    case protected(String)
    /// The system refused (the reason, with the call that failed).
    case failed(String)
    /// No descriptor is free for a pidfd now (the open-files limit): it may be opened once
    /// others are closed. The engine then waits for shutdowns to end before starting more.
    case exhausted(String)

    public var description: String {
        switch self {
        case .gone: return "gone before it was signalled"
        case .protected(let why): return "not signalled: \(why)"
        case .failed(let why), .exhausted(let why): return "not signalled: \(why)"
        }
    }
}

/// Signals processes by identity and tells when they exit.
///
/// The real signaller (RefreshHost) opens a pidfd and checks the start time the plan saw before
/// anything is sent; PID 0, 1, the engine and its ancestors are refused.
public protocol ProcessSignaller: Sendable {
    /// A handle for `identity`, checked: the process behind it has the plan's start time.
    func open(_ identity: ProcessIdentity) -> Result<ProcessHandle, SignalRefusal>
    /// Sends `signal` through `handle`.
    func send(_ signal: Signal, to handle: ProcessHandle) -> Result<Void, SignalRefusal>
    /// Whether the process behind `handle` has exited.
    func hasExited(_ handle: ProcessHandle) -> Bool
    /// Lets go of `handle`.
    func close(_ handle: ProcessHandle)
}
