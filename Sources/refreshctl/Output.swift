import RefreshCore

#if canImport(Glibc)
import Glibc
#endif

/// Printing for the commands: results to stdout, diagnostics to stderr.
enum Output {
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

    /// Prints a library error and returns the exit code for it: 2, bad input or usage.
    static func fail(_ error: RefreshCoreError) -> ExitCodeValue {
        Output.error(error.description)
        return 2
    }

    typealias ExitCodeValue = Int32
}

/// `--format text|json`.
enum OutputFormat: String, CaseIterable, Sendable {
    case text, json
}
