import Foundation
import RefreshCore

/// Finds policy unit test files (`*.test.yaml`) under the paths `refreshctl test` is given.
///
/// File-system work only; what a test file means is ``PolicyTestFile``'s business.
public enum TestFileFinder {
    /// The name ending that marks a policy unit test file.
    public static let suffix = ".test.yaml"

    /// The test files under `paths`, sorted and without duplicates, so output is stable.
    ///
    /// - A file is taken as it is named, whatever its name ends with: the user chose it.
    /// - A folder is searched recursively for files whose name ends in ``suffix``. Hidden
    ///   entries (`.build`, `.git`, ...) are skipped, and symbolic links to folders are not
    ///   followed, so a search ends and never wanders into build products.
    /// - Paths are printed as they are joined: `Examples` gives `Examples/kiosk.test.yaml`,
    ///   and `.` gives `kiosk.test.yaml`.
    ///
    /// - Parameter paths: files and folders, as given on the command line.
    /// - Returns: the paths of the test files, sorted.
    /// - Throws: ``RefreshCoreError`` (`invalidArgument`) when a path does not exist or a folder
    ///   holds no test file: a mistyped path must not pass as "no test failed".
    public static func find(_ paths: [String]) throws(RefreshCoreError) -> [String] {
        try sources(paths).map(\.path)
    }

    /// The test files under `paths`, as ``find(_:)`` finds them, each with its tree: the
    /// folder it was found in, or its own folder when it was named directly; a file found
    /// twice gets the wider tree.
    ///
    /// - Parameter paths: files and folders, as given on the command line.
    /// - Returns: the test files with their trees, sorted by path.
    /// - Throws: as ``find(_:)``.
    public static func sources(_ paths: [String]) throws(RefreshCoreError) -> [PolicyTestSource] {
        var found: [String: PolicyTestSource] = [:]
        func add(_ source: PolicyTestSource) {
            // Both trees hold the file, so one holds the other: keep the one that does.
            if let known = found[source.path], known.treeHolds(source.tree) { return }
            found[source.path] = source
        }
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw RefreshCoreError(.invalidArgument, "\(path): error: no such file or folder; check the path")
            }
            guard isDirectory.boolValue else {
                add(PolicyTestSource(path: path))
                continue
            }
            var inFolder: [String] = []
            collect(in: path, into: &inFolder)
            if inFolder.isEmpty {
                throw RefreshCoreError(.invalidArgument, "\(path): error: no *\(suffix) file in this folder or below it; name a test file or a folder that holds some")
            }
            for file in inFolder { add(PolicyTestSource(path: file, tree: path)) }
        }
        return found.values.sorted { $0.path < $1.path }
    }

    private static func collect(in folder: String, into files: inout [String]) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        for name in names where !name.hasPrefix(".") {
            let path = join(folder, name)
            guard let type = try? FileManager.default.attributesOfItem(atPath: path)[.type] as? FileAttributeType else { continue }
            switch type {
            case .typeDirectory:
                collect(in: path, into: &files)
            case .typeRegular, .typeSymbolicLink:
                var isDirectory: ObjCBool = false
                if name.hasSuffix(suffix), FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
                    files.append(path)
                }
            default:
                break
            }
        }
    }

    private static func join(_ folder: String, _ name: String) -> String {
        if folder == "." || folder == "./" { return name }
        var trimmed = folder
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed.removeLast() }
        return trimmed == "/" ? "/" + name : trimmed + "/" + name
    }
}
