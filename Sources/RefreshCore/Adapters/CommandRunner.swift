/// A command the engine runs: a stop-command, a restart-command.
public struct Command: Sendable, Hashable, CustomStringConvertible {
    /// The program (an absolute path) and its arguments.
    public var arguments: [String]
    /// The child's complete environment: nothing of the engine's leaks in.
    public var environment: [String: String]
    /// The working directory (default `/`).
    public var workingDirectory: String
    /// Whether the child gets a session of its own (a restart-command that starts a daemon).
    public var detached: Bool

    public init(_ arguments: [String], environment: [String: String] = [:], workingDirectory: String = "/", detached: Bool = false) {
        self.arguments = arguments
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.detached = detached
    }

    /// The words joined by spaces, for messages.
    public var description: String { arguments.joined(separator: " ") }
}

/// How a command ended, and what it printed.
public struct CommandResult: Sendable, Hashable {
    public enum Termination: Sendable, Hashable {
        case exited(Int32)
        case signalled(Int32)
        /// It ran past its timeout and was killed.
        case timedOut
        /// It could not be started; why.
        case couldNotStart(String)
    }

    public var termination: Termination
    /// What it printed on stdout and stderr, bounded.
    public var output: String
    public var duration: TimeSpan

    public init(termination: Termination, output: String = "", duration: TimeSpan = TimeSpan(nanoseconds: 0)) {
        self.termination = termination
        self.output = output
        self.duration = duration
    }

    /// Whether it exited with status 0.
    public var succeeded: Bool { termination == .exited(0) }

    /// `exited with status 0`, `was killed by signal 9`, `timed out`, `could not start: ...`.
    public var summary: String {
        switch termination {
        case .exited(let status): return "exited with status \(status)"
        case .signalled(let signal): return "was killed by signal \(signal)"
        case .timedOut: return "ran past its timeout and was killed"
        case .couldNotStart(let why): return "could not start: \(why)"
        }
    }
}

/// A command that was started: its result once it has ended.
public protocol CommandJob: Sendable {
    /// `nil` while the command runs.
    var result: CommandResult? { get }
}

/// Runs commands without blocking the executor: `start` returns at once, the executor polls the
/// job while it waits for processes, so one slow command never delays another's timeout.
///
/// The real runner (RefreshHost) closes every inherited descriptor, captures output into the
/// result (never to the engine's stdout), and kills a command that runs past its timeout.
public protocol CommandRunner: Sendable {
    func start(_ command: Command, timeout: TimeSpan) -> any CommandJob
}
