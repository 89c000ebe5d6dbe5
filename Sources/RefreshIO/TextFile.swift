import Foundation
import RefreshCore

/// Reads the text files the engine is given (policies, scenarios, snap.yaml), refusing any
/// that is larger than ``YAMLDocument/maximumSize`` before reading it whole.
public enum TextFile {
    /// Reads `path` as UTF-8.
    /// - Throws: ``RefreshCoreError``: `io` when the file cannot be opened, `invalidInput`
    ///   (at `path:1:1`) when it is too large or not UTF-8.
    public static func read(_ path: String) throws(RefreshCoreError) -> String {
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
        return try read(handle, path: path)
    }

    /// Reads an open file as UTF-8, at most ``YAMLDocument/maximumSize`` bytes.
    private static func read(_ handle: FileHandle, path: String) throws(RefreshCoreError) -> String {
        let start = SourceLocation(file: path, line: 1, column: 1)
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

extension TextFile {
    /// Reads `path`, which must lie inside the folder `tree` once symbolic links are resolved:
    /// how `refreshctl test` reads what a test file names, so a link inside a test tree cannot
    /// lead it to a file elsewhere (and into its error messages).
    ///
    /// Only regular files are read (a FIFO would block). The file is checked by its real path
    /// before it is opened, and on Linux again as opened (`/proc/self/fd`), so a link swapped
    /// in between is caught too.
    /// - Throws: ``RefreshCoreError``: `io` when the file cannot be read or leads outside
    ///   `tree`, `invalidInput` as ``read(_:)``.
    public static func read(_ path: String, inside tree: String) throws(RefreshCoreError) -> String {
        func outside() -> RefreshCoreError {
            RefreshCoreError(.io, "\(path): error: it leads outside the test tree '\(tree)' through a symbolic link; a test file reads only files in its tree")
        }
        guard let realTree = realPath(tree) else {
            throw RefreshCoreError(.io, "\(path): error: the test tree '\(tree)' cannot be resolved; check that the folder exists")
        }
        // A missing file or a directory: read(_:) says so in its words.
        guard let real = realPath(path) else { return try read(path) }
        guard isInside(real, realTree) else { throw outside() }
        var info = stat()
        guard stat(real, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            if info.st_mode & S_IFMT == S_IFDIR { return try read(path) }
            throw RefreshCoreError(.io, "\(path): error: is not a regular file")
        }
        let fd = open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY)
        guard fd >= 0 else {
            throw RefreshCoreError(.io, "\(path): error: cannot open the file; check its permissions")
        }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        var opened = stat()
        guard fstat(fd, &opened) == 0, opened.st_mode & S_IFMT == S_IFREG else {
            throw RefreshCoreError(.io, "\(path): error: is not a regular file")
        }
        #if os(Linux)
        guard let openedPath = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(fd)"),
            isInside(openedPath, realTree)
        else { throw outside() }
        #endif
        return try read(handle, path: path)
    }

    /// `path` with every symbolic link resolved, absolute; `nil` when it does not exist.
    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Whether the absolute, resolved `path` lies below the folder `tree`.
    static func isInside(_ path: String, _ tree: String) -> Bool {
        tree == "/" ? path.hasPrefix("/") && path != "/" : path.hasPrefix(tree + "/")
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
    /// against its folder and must stay inside `tree` (default: that folder), symbolic links
    /// included.
    /// - Throws: ``RefreshCoreError``: `io` when the file cannot be read, `invalidInput` with
    ///   every problem, each at its `file:line:column`.
    public init(contentsOf path: String, tree: String? = nil) throws(RefreshCoreError) {
        let tree = PolicyTestSource(path: path, tree: tree).tree
        try self.init(parsing: try TextFile.read(path, inside: tree), file: path, tree: tree) { (file: String) throws(RefreshCoreError) -> String in
            try TextFile.read(file, inside: tree)
        }
    }
}

extension PolicyTestSuite {
    /// Loads each test file and the policy it names from disk, each file's tree its own
    /// folder (see ``PolicyTestSource``).
    public init(loading paths: [String], policy: Policy? = nil) {
        self.init(loading: paths.map { PolicyTestSource(path: $0) }, policy: policy)
    }

    /// Loads each test file and the policy it names from disk, reading nothing outside each
    /// file's tree (``TextFile/read(_:inside:)``).
    public init(loading sources: [PolicyTestSource], policy: Policy? = nil) {
        self.init(loading: sources, policy: policy) { (path: String, tree: String) throws(RefreshCoreError) -> String in
            try TextFile.read(path, inside: tree)
        }
    }
}
