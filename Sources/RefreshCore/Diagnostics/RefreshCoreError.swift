/// The one error type RefreshCore throws.
///
/// It carries a ``Code`` that callers can switch on, a one-line message for people, the
/// diagnostics with file positions when the input was at fault, and the underlying cause.
public struct RefreshCoreError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is; extensible without breaking callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// A policy, scenario or snap.yaml file is malformed (exit code 2).
        public static let invalidInput = Code("invalid input")
        /// A command-line argument is malformed (exit code 2).
        public static let invalidArgument = Code("invalid argument")
        /// A file could not be read or written, or a system call failed.
        public static let io = Code("i/o")
        /// A revision is still in use (a mount is busy); it stays.
        public static let inUse = Code("in use")
        /// Another refresh holds the lock (exit code 4).
        public static let locked = Code("locked")
        /// A step of a refresh failed; what was done is in the journal (exit code 1).
        public static let refreshFailed = Code("refresh failed")
        /// The host is not as the operation needs it (a path is a symlink, an image is missing).
        public static let unsafeHost = Code("unsafe host")

        /// Tests only: the engine's crash hook stopped it here, as a crash would.
        package static let simulatedCrash = Code("simulated crash")

        public var description: String { name }
    }

    public var code: Code
    /// A one-line summary: what was wrong, where, and how to fix it.
    public var message: String
    /// Every finding, in file order; empty when the failure is not about a file's content.
    public var diagnostics: [Diagnostic]
    /// The system error or other cause, when there is one.
    public var underlying: (any Error & Sendable)?

    public init(
        _ code: Code, _ message: String, diagnostics: [Diagnostic] = [],
        underlying: (any Error & Sendable)? = nil
    ) {
        self.code = code
        self.message = message
        self.diagnostics = diagnostics
        self.underlying = underlying
    }

    /// An `invalidInput` error for a set of diagnostics; the message is the first error's text.
    public static func invalidInput(_ diagnostics: [Diagnostic]) -> RefreshCoreError {
        let errors = diagnostics.filter { $0.severity == .error }
        let first = errors.first?.description ?? "invalid input"
        let more = errors.count > 1 ? " (and \(errors.count - 1) more)" : ""
        return RefreshCoreError(.invalidInput, first + more, diagnostics: diagnostics)
    }

    /// The text to print: every diagnostic on a line of its own, or the message; control
    /// characters escaped (see ``Diagnostic/description``).
    public var description: String {
        diagnostics.isEmpty ? PlainText.escaped(message) : diagnostics.map(\.description).joined(separator: "\n")
    }
}
