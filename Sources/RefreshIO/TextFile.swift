import Foundation
import RefreshCore

/// Reads the text files the engine is given (policies, scenarios, snap.yaml), refusing any
/// that is larger than ``YAMLDocument/maximumSize`` before reading it whole.
public enum TextFile {
    /// Reads `path` as UTF-8.
    /// - Throws: ``RefreshCoreError``: `io` when the file cannot be opened, `invalidInput`
    ///   (at `path:1:1`) when it is too large or not UTF-8.
    public static func read(_ path: String) throws(RefreshCoreError) -> String {
        let start = SourceLocation(file: path, line: 1, column: 1)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw RefreshCoreError(.io, "\(path): error: no such file; check the path")
        }
        guard !isDirectory.boolValue else {
            throw RefreshCoreError(.io, "\(path): error: is a directory, not a file")
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw RefreshCoreError(.io, "\(path): error: cannot open the file; check its permissions")
        }
        defer { try? handle.close() }
        let data: Data
        do {
            data = try handle.read(upToCount: YAMLDocument.maximumSize + 1) ?? Data()
        } catch {
            throw RefreshCoreError(.io, "\(path): error: cannot read the file: \(error.localizedDescription)", underlying: error)
        }
        if data.count > YAMLDocument.maximumSize {
            throw .invalidInput([.error(at: start, "file is larger than the 1 MiB (\(YAMLDocument.maximumSize) bytes) allowed; split it or remove what is not needed")])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw .invalidInput([.error(at: start, "file is not UTF-8 text")])
        }
        return text
    }
}

extension Policy {
    /// Reads and parses the policy file at `path`; diagnostics name `path` as given.
    public init(contentsOf path: String) throws(RefreshCoreError) {
        try self.init(parsing: try TextFile.read(path), file: path)
    }
}

extension Scenario {
    /// Reads and parses the scenario file at `path`; diagnostics name `path` as given.
    public init(contentsOf path: String) throws(RefreshCoreError) {
        try self.init(parsing: try TextFile.read(path), file: path)
    }
}

extension SnapYAML {
    /// Reads and parses a `meta/snap.yaml` at `path`.
    public static func read(_ path: String) throws(RefreshCoreError) -> SnapInfo {
        try parse(try TextFile.read(path), file: path)
    }
}

extension PolicyTestFile {
    /// Reads and parses the test file at `path`; `policy:` and `scenario:` are resolved
    /// against its folder.
    /// - Throws: ``RefreshCoreError``: `io` when the file cannot be read, `invalidInput` with
    ///   every problem, each at its `file:line:column`.
    public init(contentsOf path: String) throws(RefreshCoreError) {
        try self.init(parsing: try TextFile.read(path), file: path, read: TextFile.read)
    }
}

extension PolicyTestSuite {
    /// Loads each test file and the policy it names from disk: ``init(loading:policy:read:)``
    /// with ``TextFile/read(_:)``.
    public init(loading paths: [String], policy: Policy? = nil) {
        self.init(loading: paths, policy: policy, read: TextFile.read)
    }
}
