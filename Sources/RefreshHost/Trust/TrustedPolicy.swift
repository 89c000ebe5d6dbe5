import Crypto
import RefreshCore
#if canImport(Glibc)
import Glibc
#endif

/// Reads the policy a command that changes the host runs under, and refuses one that someone
/// other than root could have written — as sudo, cron and systemd refuse such configuration:
/// the file must be root's and writable by root alone, and so must every directory above it,
/// except that a root-owned sticky directory (such as `/tmp`) is fine above a root-owned entry,
/// since no one else can rename or replace that entry.
///
/// The path is made absolute and canonical first, and the walk opens each directory from `/`
/// without following symlinks, so what is checked is what is read. The policy's digest goes into
/// the journal, so `recover` plans with the same bytes or refuses.
public enum TrustedPolicy {
    /// Reads and checks the policy at `path`.
    /// - Parameters:
    ///   - path: the policy file, as given (diagnostics and reasons name it so).
    ///   - requireTrust: whether to refuse a policy others could have written; `false` only for
    ///     commands that change nothing.
    /// - Throws: ``RefreshCoreError`` (`invalidInput`, exit 2): the file cannot be read, someone
    ///   other than root could have written it (naming the file or directory, its owner or mode,
    ///   and the fix), or it is not a valid policy.
    public static func load(_ path: String, requireTrust: Bool) throws(RefreshCoreError) -> LoadedPolicy {
        let start = SourceLocation(file: path, line: 1, column: 1)
        func refuse(_ message: String) -> RefreshCoreError { .invalidInput([.error(at: start, message)]) }
        guard let canonical = realPath(path) else {
            throw refuse("cannot read the policy: \(SystemCallError("realpath", errno: errno)); check the path")
        }
        // Walk from `/`, checking each directory as it is opened.
        let components = canonical.split(separator: "/").map(String.init)
        guard let fileName = components.last else { throw refuse("the policy path names a directory, not a file") }
        var directory: Int32
        switch Syscall.open("/", O_RDONLY | O_DIRECTORY) {
        case .success(let fd): directory = fd
        case .failure(let error): throw refuse("cannot open /: \(error)")
        }
        defer { Syscall.close(directory) }
        var shown = ""
        var parentIsSticky = false
        var info = stat()
        for component in components.dropLast() {
            if requireTrust, let problem = writableByOthers(directory, shown.isEmpty ? "/" : shown, parentIsSticky: false, info: &info) {
                throw refuse(problem)
            }
            parentIsSticky = info.st_mode & S_ISVTX != 0
            shown += "/" + component
            switch Syscall.open(component, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, at: directory) {
            case .success(let fd):
                Syscall.close(directory)
                directory = fd
            case .failure(let error):
                throw refuse("cannot open \(shown): \(error)")
            }
            if requireTrust, parentIsSticky, let problem = notRoots(directory, shown) { throw refuse(problem) }
        }
        if requireTrust, let problem = writableByOthers(directory, shown.isEmpty ? "/" : shown, parentIsSticky: false, info: &info) {
            throw refuse(problem)
        }
        parentIsSticky = info.st_mode & S_ISVTX != 0
        let file: Int32
        switch Syscall.open(fileName, O_RDONLY | O_NOFOLLOW | O_NONBLOCK, at: directory) {
        case .success(let fd): file = fd
        case .failure(let error): throw refuse("cannot read the policy: \(error); check the path")
        }
        defer { Syscall.close(file) }
        guard fstat(file, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            throw refuse("\(canonical) is not a regular file; a policy is a YAML file")
        }
        if requireTrust {
            if info.st_uid != 0 {
                throw refuse("refusing the policy \(canonical): it is owned by uid \(info.st_uid), not root, so someone other than root chooses what root runs; fix: chown root:root \(canonical) && chmod go-w \(canonical)")
            }
            if info.st_mode & 0o022 != 0 {
                throw refuse("refusing the policy \(canonical): its mode \(octal(info.st_mode & 0o7777)) lets \(info.st_mode & 0o002 != 0 ? "anyone" : "its group") write it, so someone other than root chooses what root runs; fix: chmod go-w \(canonical)")
            }
        }
        guard info.st_size <= Int64(YAMLDocument.maximumSize) else {
            throw refuse("file is larger than the 1 MiB (\(YAMLDocument.maximumSize) bytes) allowed; split it or remove what is not needed")
        }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size) + 1)
        var count = 0
        while count < bytes.count {
            let n = bytes.withUnsafeMutableBytes { read(file, $0.baseAddress! + count, $0.count - count) }
            if n < 0 { if errno == EINTR { continue }; throw refuse("cannot read the policy: \(SystemCallError("read", errno: errno))") }
            if n == 0 { break }
            count += n
        }
        guard count <= YAMLDocument.maximumSize else {
            throw refuse("file is larger than the 1 MiB (\(YAMLDocument.maximumSize) bytes) allowed; split it or remove what is not needed")
        }
        let content = Array(bytes[..<count])
        guard let text = String(validating: content, as: UTF8.self) else { throw refuse("file is not UTF-8 text") }
        let policy = try Policy(parsing: text, file: path)
        return LoadedPolicy(policy: policy, source: PolicySource(path: canonical, digest: digest(content)))
    }

    /// `sha256:HEX` of `bytes`.
    public static func digest(_ bytes: [UInt8]) -> String {
        "sha256:" + SHA256.hash(data: bytes).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    /// Why the open directory `fd` lets someone other than root change what is in it, or `nil`.
    /// A root-owned sticky directory is fine: only an entry's owner may rename or remove it, and
    /// the caller checks that the entry below is root's.
    private static func writableByOthers(_ fd: Int32, _ path: String, parentIsSticky: Bool, info: inout stat) -> String? {
        guard fstat(fd, &info) == 0 else { return "cannot check \(path): \(SystemCallError("stat", errno: errno))" }
        if info.st_uid != 0 {
            return "refusing the policy: the directory \(path) above it is owned by uid \(info.st_uid), not root, so someone other than root could replace the policy; keep policies in a directory only root can write, such as /etc/refreshctl"
        }
        if info.st_mode & 0o022 != 0 && info.st_mode & S_ISVTX == 0 {
            return "refusing the policy: the directory \(path) above it has mode \(octal(info.st_mode & 0o7777)), so someone other than root could replace the policy; fix: chmod go-w \(path), or keep policies in a directory only root can write, such as /etc/refreshctl"
        }
        return nil
    }

    /// Why an entry of a sticky directory is not root's (so its owner could swap it), or `nil`.
    private static func notRoots(_ fd: Int32, _ path: String) -> String? {
        var info = stat()
        guard fstat(fd, &info) == 0 else { return "cannot check \(path): \(SystemCallError("stat", errno: errno))" }
        if info.st_uid != 0 {
            return "refusing the policy: \(path) is owned by uid \(info.st_uid) in a directory anyone may write to, so someone other than root could replace the policy; keep policies in a directory only root can write, such as /etc/refreshctl"
        }
        return nil
    }

    private static func octal(_ mode: mode_t) -> String {
        let digits = String(mode, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    /// realpath(3).
    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
