import RefreshCore
import RefreshHost
import RefreshIO

#if canImport(Glibc)
import Glibc
#endif

/// Printing for the commands: results to stdout, diagnostics to stderr.
enum Output {
    /// Writes `text` to stderr as it is, on a line of its own: diagnostics that carry their
    /// own `file:line:column: error:` or `warning:`, notices and progress.
    static func error(_ text: String) {
        var line = text
        if !line.hasSuffix("\n") { line += "\n" }
        var bytes = Array(line.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
            if written < 0 { if errno == EINTR { continue } else { return } }
            bytes = bytes.dropFirst(written)
        }
    }

    /// Prints a library error on stderr as a compiler would: each diagnostic as
    /// `file:line:column: error: ...` (or `warning:`), an error without a file position as
    /// `error: ...`.
    static func report(_ error: RefreshCoreError) {
        Output.error(error.diagnostics.isEmpty ? errorLine(error.message) : error.description)
    }

    /// `message` with the `error: ` prefix, unless it already has one (`error: ...`, or a
    /// diagnostic's `path: error: ...`).
    static func errorLine(_ message: String) -> String {
        let firstLine = message.prefix { $0 != "\n" }
        if message.hasPrefix("error: ") || firstLine.contains(": error: ") || firstLine.contains(": warning: ") {
            return message
        }
        return "error: " + message
    }

    /// DESIGN.md's exit code for a library error: 4 when another refresh holds the lock, 1 when
    /// a refresh step failed, 2 for bad input or usage.
    static func status(for error: RefreshCoreError) -> Int32 {
        if error.code == .locked { return 4 }
        if error.code == .refreshFailed || error.code == .io || error.code == .inUse || error.code == .unsafeHost { return 1 }
        return 2
    }

    /// Prints a library error and returns the exit code for it: 2, bad input or usage.
    static func fail(_ error: RefreshCoreError) -> ExitCodeValue {
        report(error)
        return 2
    }

    typealias ExitCodeValue = Int32
}

/// `--format text|json`.
enum OutputFormat: String, CaseIterable, Sendable {
    case text, json
}
