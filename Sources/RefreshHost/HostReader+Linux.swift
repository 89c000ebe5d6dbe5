import RefreshCore

extension HostReader {
    /// The real host under `root`: its revision store and its `/proc`.
    public init(root: String) {
        self.init(store: FileSystemRevisionStore(root: root), inspector: ProcFileSystemInspector(root: root))
    }
}
