import RefreshCore

/// What every harness checks besides "does not crash": an input is either accepted or refused
/// with diagnostics that read like a compiler's.
public enum FuzzCheck {
    /// The input as text, decoded as the file readers decode it (invalid UTF-8 repaired).
    public static func text(_ data: UnsafePointer<UInt8>, _ size: Int) -> String {
        String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    }

    /// A refusal must say where and what: at least one error, each at a real position in one
    /// of `files`, on one line of printable text.
    public static func refusal(_ error: RefreshCoreError, files: Set<String>) {
        guard error.code == .invalidInput else {
            preconditionFailure("parsing threw \(error.code), not invalid input: \(error)")
        }
        precondition(error.diagnostics.contains { $0.severity == .error }, "a refusal without an error: \(error)")
        for diagnostic in error.diagnostics {
            precondition(files.contains(diagnostic.location.file), "diagnostic names an unexpected file: \(diagnostic)")
            precondition(diagnostic.location.line >= 1 && diagnostic.location.column >= 1, "diagnostic at no position: \(diagnostic)")
            printable(diagnostic.description)
        }
    }

    /// Text for a terminal: no control characters (a newline would forge a line of output, an
    /// escape sequence would drive the terminal).
    public static func printable(_ text: String) {
        for scalar in text.unicodeScalars {
            precondition(!(scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)),
                         "control character U+\(String(scalar.value, radix: 16)) in output: \(text.debugDescription)")
        }
    }
}
