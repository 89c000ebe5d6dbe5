import RefreshCore
#if canImport(Glibc)
import Glibc
#endif

/// The root of the host the engine acts on, made one path once: absolute, without `.`, `..`,
/// `//` or symlinks. Every path the engine builds, and every path `/proc` shows, is compared
/// against this one spelling, so `--root ./r`, `--root /x/../r` or a symlink to `r` behave
/// exactly as `--root /abs/r`.
public enum HostRoot {
    /// The canonical form of `root`.
    /// - Throws: `invalidArgument` (exit 2) when it does not exist or is not a directory.
    public static func canonical(_ root: String) throws(RefreshCoreError) -> String {
        guard let resolved = TrustedPolicy.realPath(root) else {
            throw RefreshCoreError(.invalidArgument, "--root \(root): \(SystemCallError("realpath", errno: errno)); give the directory that holds the host's snap/")
        }
        guard case .success(let info) = Syscall.lstat(resolved), info.st_mode & S_IFMT == S_IFDIR else {
            throw RefreshCoreError(.invalidArgument, "--root \(root) is not a directory; give the directory that holds the host's snap/")
        }
        return resolved
    }

    /// The canonical root, which must hold `snap/` (a host with snaps): a typo in `--root` is an
    /// error, not an empty host.
    public static func withSnaps(_ root: String) throws(RefreshCoreError) -> String {
        let resolved = try canonical(root)
        let snaps = HostLayout(root: resolved).snapsDirectory
        guard case .success(let info) = Syscall.lstat(snaps), info.st_mode & S_IFMT == S_IFDIR else {
            throw RefreshCoreError(.invalidArgument, "--root \(root) has no snap/ directory (\(snaps)), so it is not a host with snaps; check the path")
        }
        return resolved
    }
}
