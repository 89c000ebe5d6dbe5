/// What a path, a command word or a name pattern may hold, and how text from a file is shown.
///
/// Control characters (C0, DEL, C1) have no business in any of them: a NUL cuts a path short
/// where the kernel reads it, a newline forges a line of output or of a scenario written back,
/// an escape sequence drives the terminal that prints a message quoting it.
enum PlainText {
    /// The longest path or command word read from a file, in bytes (Linux's `PATH_MAX`).
    static let maximumPathBytes = 4096

    /// Whether `scalar` is a control character: U+0000–U+001F, U+007F or U+0080–U+009F.
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }

    /// The first control character in `text` and its position, counted in characters
    /// (Unicode scalars) from 1, as columns are.
    static func firstControl(in text: String) -> (scalar: Unicode.Scalar, position: Int)? {
        for (offset, scalar) in text.unicodeScalars.enumerated() where isControl(scalar) {
            return (scalar, offset + 1)
        }
        return nil
    }

    /// `U+001B`.
    static func code(_ scalar: Unicode.Scalar) -> String {
        let hex = String(scalar.value, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }

    /// `text` with each control character written as `\u{1B}`, so that it prints as one line
    /// and does nothing to a terminal.
    static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var result = ""
        for scalar in text.unicodeScalars {
            if isControl(scalar) {
                let hex = String(scalar.value, radix: 16, uppercase: true)
                result += "\\u{" + (hex.count < 2 ? "0" : "") + hex + "}"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// Why `text` is not plain text of at most `maximumBytes` bytes, or `nil` when it is.
    /// - Parameters:
    ///   - what: the value, as messages name it (`stop-command word`).
    ///   - fix: what to do about a control character.
    static func problem(with text: String, what: String, maximumBytes: Int?, fix: String = "remove it") -> String? {
        if let maximumBytes, text.utf8.count > maximumBytes {
            return "\(what) is \(text.utf8.count) bytes long, more than the \(maximumBytes) allowed"
        }
        if let (scalar, position) = firstControl(in: text) {
            return "\(what) holds a control character (\(code(scalar))) at character \(position); \(fix)"
        }
        return nil
    }
}

extension YAMLReader {
    /// A non-empty string that is plain text (no control characters) of at most `maximumBytes`
    /// bytes: a path, a command word.
    mutating func plainText(
        _ node: YAMLNode, what: String, maximumBytes: Int? = PlainText.maximumPathBytes, fix: String = "remove it"
    ) -> String? {
        guard let text = string(node, what: what) else { return nil }
        if let problem = PlainText.problem(with: text, what: what, maximumBytes: maximumBytes, fix: fix) {
            error(node, problem)
            return nil
        }
        return text
    }
}
