/// The paths a test file names (`policy:`, `scenario:`), resolved against the test file's own
/// folder and kept inside its test tree, as text: no file-system access (symbolic links are
/// `RefreshIO`'s business).
enum RelativePath {
    /// Why a path a test file names is not read.
    enum Refusal: Error, Equatable {
        /// `/etc/passwd`: a test file names its files relative to itself.
        case absolute
        /// `../x.yaml` (or `a/../../x.yaml`): it climbs out of the tree.
        case outside
    }

    /// `relative` as seen from the folder of `file`, if it is relative and stays inside `tree`.
    static func resolve(_ relative: String, from file: String, inside tree: String) -> Result<String, Refusal> {
        if relative.hasPrefix("/") { return .failure(.absolute) }
        let path = resolve(relative, from: file)
        return contains(tree, path) ? .success(path) : .failure(.outside)
    }

    /// Whether `path` lies in the folder `tree` or below it, as text (both normalized).
    static func contains(_ tree: String, _ path: String) -> Bool {
        let tree = normalized(tree), path = normalized(path)
        switch tree {
        case ".": return !path.hasPrefix("/") && path != ".." && !path.hasPrefix("../")
        case "/": return path.hasPrefix("/")
        default: return path == tree || path.hasPrefix(tree + "/")
        }
    }

    /// The tree of a test file named on its own: its folder (`.` for a bare name).
    static func folder(of file: String) -> String {
        let folder = directory(of: file)
        return folder.isEmpty ? "." : normalized(folder)
    }

    /// `relative` as seen from the folder of `file`, with `.` and `folder/..` steps taken out
    /// (as text: a `..` after a symbolic link is taken lexically, as a shell's `cd` does).
    static func resolve(_ relative: String, from file: String) -> String {
        if relative.hasPrefix("/") { return normalized(relative) }
        let folder = directory(of: file)
        return normalized(folder.isEmpty ? relative : (folder == "/" ? "/" + relative : folder + "/" + relative))
    }

    /// The folder part of `file`: `Examples` for `Examples/kiosk.test.yaml`, empty for a bare name.
    static func directory(of file: String) -> String {
        guard let slash = file.lastIndex(of: "/") else { return "" }
        if slash == file.startIndex { return "/" }
        return String(file[..<slash])
    }

    /// `a/./b/../c` → `a/c`; a leading `..` that has nothing to cancel stays.
    static func normalized(_ path: String) -> String {
        let absolute = path.hasPrefix("/")
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == "..", let last = parts.last, last != ".." {
                parts.removeLast()
            } else if part == "..", absolute, parts.isEmpty {
                continue
            } else {
                parts.append(part)
            }
        }
        let body = parts.joined(separator: "/")
        if absolute { return "/" + body }
        return body.isEmpty ? "." : body
    }

    /// The name a single-case test file gives its case: `kiosk` for `Examples/kiosk.test.yaml`.
    static func stem(of file: String) -> String {
        let name = file.split(separator: "/").last.map(String.init) ?? file
        for ending in [".test.yaml", ".test.yml", ".yaml", ".yml"] where name.hasSuffix(ending) && name.count > ending.count {
            return String(name.dropLast(ending.count))
        }
        return name
    }
}
