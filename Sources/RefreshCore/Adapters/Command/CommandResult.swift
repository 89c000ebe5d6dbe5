/// How a command ended and what it printed.
public struct CommandResult: Sendable, Hashable {
    /// How the command ended.
    public enum Termination: Sendable, Hashable, CustomStringConvertible {
        /// It exited with this status.
        case exited(Int32)
        /// A signal ended it (not our timeout).
        case signalled(Int32)
        /// It ran past its timeout and was killed, with its process group.
        case timedOut
        /// It never ran; the message says why (a missing program, a bad working directory).
        case couldNotStart(String)

        public var description: String {
            switch self {
            case .exited(let status): return "exited with status \(status)"
            case .signalled(let signal): return "ended by signal \(signal)"
            case .timedOut: return "timed out and was killed"
            case .couldNotStart(let why): return "could not start: \(why)"
            }
        }
    }

    public var termination: Termination
    /// Standard output and standard error as the command wrote them, interleaved; at most the
    /// runner's limit, with a `[... N bytes dropped]` line where the middle was left out.
    public var output: String
    /// From just before the start to the end (or the kill).
    public var duration: Duration

    public init(termination: Termination, output: String = "", duration: Duration = .zero) {
        self.termination = termination
        self.output = output
        self.duration = duration
    }

    /// Whether the command exited with status 0.
    public var succeeded: Bool { termination == .exited(0) }
}
