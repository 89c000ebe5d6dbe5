/// One finding about an input file, printed like a compiler's:
/// `policy.yaml:7:15: error: unknown action 'leave_running'; expected one of: ...`.
public struct Diagnostic: Sendable, Hashable, CustomStringConvertible {
    /// How serious a finding is: an error stops the input from being used, a warning does not.
    public enum Severity: String, Sendable, Hashable {
        case error
        case warning
    }

    public var severity: Severity
    public var location: SourceLocation
    /// What was wrong and how to fix it, in one line.
    public var message: String

    public init(_ severity: Severity, at location: SourceLocation, _ message: String) {
        self.severity = severity
        self.location = location
        self.message = message
    }

    public static func error(at location: SourceLocation, _ message: String) -> Diagnostic {
        Diagnostic(.error, at: location, message)
    }

    public static func warning(at location: SourceLocation, _ message: String) -> Diagnostic {
        Diagnostic(.warning, at: location, message)
    }

    /// One line, with any control character in it (a file name or a value the message quotes)
    /// escaped, so a file cannot forge lines of output or drive the terminal.
    public var description: String { PlainText.escaped("\(location): \(severity.rawValue): \(message)") }
}
