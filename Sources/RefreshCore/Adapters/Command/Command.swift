/// A command to run, with everything the child gets: its arguments, its whole environment and
/// its working directory. Nothing of the caller's environment, descriptors or session leaks in.
public struct Command: Sendable, Hashable {
    /// The program and its arguments; `arguments[0]` is the program's absolute path (no `PATH`
    /// search, so what runs never depends on a directory someone else could write to).
    public var arguments: [String]
    /// The child's complete environment.
    public var environment: [String: String]
    /// The child's working directory.
    public var workingDirectory: String
    /// Whether the child starts in a session of its own: a command that starts a daemon (a
    /// `restart-command`), so the daemon has no controlling terminal and no tie to ours.
    public var detached: Bool

    /// A `PATH` of the system directories only, for commands (such as `systemctl`) that run
    /// other programs by name.
    public static let systemPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// - Parameters:
    ///   - arguments: the program's absolute path, then its arguments.
    ///   - environment: the child's whole environment (empty unless given).
    ///   - workingDirectory: the child's working directory, `/` unless given.
    ///   - detached: whether the child gets a session of its own.
    public init(_ arguments: [String], environment: [String: String] = [:], workingDirectory: String = "/", detached: Bool = false) {
        self.arguments = arguments
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.detached = detached
    }

    /// Why this command cannot be run as given, or `nil`: an empty or relative program path,
    /// or a NUL byte or `=` where the kernel's formats do not allow them.
    public var problem: String? {
        guard let program = arguments.first, !program.isEmpty else { return "no program given" }
        if !program.hasPrefix("/") { return "the program '\(program)' is not an absolute path" }
        if let bad = arguments.first(where: { $0.utf8.contains(0) }) {
            return "the argument \(Command.quoted(bad)) contains a NUL byte"
        }
        for (key, value) in environment {
            if key.isEmpty || key.utf8.contains(UInt8(ascii: "=")) || key.utf8.contains(0) {
                return "the environment variable name '\(key)' is empty or contains '=' or a NUL byte"
            }
            if value.utf8.contains(0) { return "the value of the environment variable \(key) contains a NUL byte" }
        }
        if !workingDirectory.hasPrefix("/") || workingDirectory.utf8.contains(0) {
            return "the working directory '\(workingDirectory)' is not an absolute path"
        }
        return nil
    }
}

extension Command: CustomStringConvertible {
    /// The arguments as a shell would show them (each quoted when it needs to be), for messages.
    public var description: String {
        arguments.map { argument in
            let plain = !argument.isEmpty && argument.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"):
                    return true
                default:
                    return "/._-=:,+@%".utf8.contains(byte)
                }
            }
            return plain ? argument : Command.quoted(argument)
        }.joined(separator: " ")
    }

    /// `text` in single quotes as a shell reads it, NUL bytes shown as `\0`.
    static func quoted(_ text: String) -> String {
        var result = "'"
        for character in text {
            switch character {
            case "'": result += "'\\''"
            case "\0": result += "\\0"
            default: result.append(character)
            }
        }
        return result + "'"
    }
}
