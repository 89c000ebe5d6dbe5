import ArgumentParser
import RefreshCore

#if canImport(Glibc)
import Glibc
#endif

/// Shell completion of what refreshctl's arguments name: files, folders, snaps.
///
/// The shells call `refreshctl ---completion ...` when the user presses TAB on a `NAME`; the
/// candidates are the snaps installed under the `--root` given on that command line (default
/// `/`): the folders of `ROOT/snap/` whose name is a valid snap name. After `NAME=` they are
/// that snap's revisions. Only directory names are read, never a file's content, and nothing
/// is written.
enum Completion {
    /// A policy file (`--policy`, `check POLICY`).
    static let policyFile = CompletionKind.file(extensions: ["yaml", "yml"])
    /// A scenario file (`--scenario`).
    static let scenarioFile = CompletionKind.file(extensions: ["yaml", "yml"])
    /// A host root (`--root`).
    static let directory = CompletionKind.directory
    /// A test file or a folder of them (`test PATH`): any file or folder.
    static let anyPath = CompletionKind.file()
    /// Installed snap names (`NAME`).
    static let snapNames = CompletionKind.custom { words, index, prefix in
        candidates(words: words, index: index, prefix: prefix, revisions: false)
    }
    /// Installed snap names, and after `NAME=` its revisions (`NAME[=REV]`).
    static let snapNamesAndRevisions = CompletionKind.custom { words, index, prefix in
        candidates(words: words, index: index, prefix: prefix, revisions: true)
    }

    /// The candidates for the word at `index` that starts with `prefix`.
    static func candidates(words: [String], index: Int, prefix: String, revisions: Bool) -> [String] {
        let root = self.root(in: words, before: index)
        let snapDirectory = root.hasSuffix("/") ? root + "snap" : root + "/snap"
        if revisions {
            // zsh and fish pass NAME=REV as one word; bash splits it at '=' (COMP_WORDBREAKS)
            // into NAME, '=' and what follows, and completes only that.
            var name: String?, typed = prefix, shown = ""
            if let equals = prefix.firstIndex(of: "=") {
                name = String(prefix[..<equals])
                typed = String(prefix[prefix.index(after: equals)...])
                shown = name! + "="
            } else if index >= 2, index <= words.count, words[index - 1] == "=" {
                name = words[index - 2]
            }
            if let name {
                guard SnapName(name) != nil else { return [] }
                return entries(of: snapDirectory + "/" + name)
                    .filter { $0 != "current" && Revision($0) != nil && $0.hasPrefix(typed) }
                    .sorted()
                    .map { shown + $0 }
            }
        }
        return entries(of: snapDirectory).filter { SnapName($0) != nil && $0.hasPrefix(prefix) }.sorted()
    }

    /// The value of the last `--root DIR` or `--root=DIR` before the word being completed,
    /// with the shell's quotes taken off; `/` without one.
    static func root(in words: [String], before index: Int) -> String {
        var root = "/"
        var position = 0
        while position < min(index, words.count) {
            let word = words[position]
            if word == "--root", position + 1 < index, position + 1 < words.count {
                // bash splits --root=DIR into --root, '=' and DIR.
                var value = position + 1
                if words[value] == "=", value + 1 < index, value + 1 < words.count { value += 1 }
                root = unquoted(words[value])
                position = value + 1
                continue
            }
            if word.hasPrefix("--root=") { root = unquoted(String(word.dropFirst("--root=".count))) }
            position += 1
        }
        return root.isEmpty ? "/" : root
    }

    /// A shell word without its surrounding quotes and backslash escapes (enough for a path).
    static func unquoted(_ word: String) -> String {
        var result = ""
        var quote: Character?
        var escaped = false
        for character in word {
            if escaped { result.append(character); escaped = false; continue }
            if character == "\\" && quote != "'" { escaped = true; continue }
            if let open = quote {
                if character == open { quote = nil } else { result.append(character) }
                continue
            }
            if character == "'" || character == "\"" { quote = character; continue }
            result.append(character)
        }
        if result.hasPrefix("~/"), let home = getenv("HOME") { result = String(cString: home) + result.dropFirst() }
        return result
    }

    /// The names of the sub-folders of `path` (hidden ones left out); none if it cannot be read.
    private static func entries(of path: String) -> [String] {
        guard let directory = opendir(path) else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            guard !name.hasPrefix(".") else { continue }
            let type = entry.pointee.d_type
            if type == UInt8(DT_DIR) || type == UInt8(DT_LNK) || type == UInt8(DT_UNKNOWN) { names.append(name) }
        }
        return names
    }
}
