/// A test file to load, and its tree: the folder whose files its `policy:` and `scenario:` may
/// name.
///
/// `refreshctl test DIR` gives every test file found under `DIR` the tree `DIR`, so test files
/// in subfolders can share a policy or a host kept elsewhere in `DIR`; a test file named
/// directly has its own folder as its tree. Nothing outside the tree is read, so a test file
/// cannot make `refreshctl test` show another file's content.
public struct PolicyTestSource: Sendable, Hashable, CustomStringConvertible {
    /// The test file, as given or found.
    public var path: String
    /// The folder its `policy:` and `scenario:` must stay inside.
    public var tree: String

    /// - Parameters:
    ///   - path: the test file.
    ///   - tree: its tree (`.` and `..` steps are taken out, as text); `nil` for the folder
    ///     that holds the test file.
    public init(path: String, tree: String? = nil) {
        self.path = path
        self.tree = tree.map(RelativePath.normalized) ?? RelativePath.folder(of: path)
    }

    /// Whether `path` lies in this source's tree, as text (symbolic links are not looked at).
    public func treeHolds(_ path: String) -> Bool {
        RelativePath.contains(tree, path)
    }

    public var description: String { "\(path) (tree \(tree))" }
}
