/// A signal a policy may send to stop a process. Numbers are Linux's.
public enum Signal: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case sighup = "SIGHUP"
    case sigint = "SIGINT"
    case sigquit = "SIGQUIT"
    case sigabrt = "SIGABRT"
    case sigkill = "SIGKILL"
    case sigusr1 = "SIGUSR1"
    case sigusr2 = "SIGUSR2"
    case sigalrm = "SIGALRM"
    case sigterm = "SIGTERM"

    /// The Linux signal number.
    public var number: Int32 {
        switch self {
        case .sighup: 1
        case .sigint: 2
        case .sigquit: 3
        case .sigabrt: 6
        case .sigkill: 9
        case .sigusr1: 10
        case .sigusr2: 12
        case .sigalrm: 14
        case .sigterm: 15
        }
    }

    public var description: String { rawValue }

    /// The accepted spellings, for error messages.
    public static var spellings: String { allCases.map(\.rawValue).joined(separator: ", ") }
}
