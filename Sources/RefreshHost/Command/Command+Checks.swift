import RefreshCore

extension Command {
    /// A `PATH` of the system directories only, for commands (such as `systemctl`) that run
    /// other programs by name.
    public static let systemPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// Why this command cannot be run as given, or `nil`: an empty or relative program path
    /// (no `PATH` search, so what runs never depends on a directory someone else could write
    /// to), or a NUL byte or `=` where the kernel's formats do not allow them.
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

    /// The arguments as a shell reads them (each quoted when it needs to be).
    public var shellWords: String {
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
