/// The library's version, as `refreshctl --version` prints it.
public enum RefreshCoreVersion {
    public static let current = "0.1.0"
}
