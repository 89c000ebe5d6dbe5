import RefreshCore
#if canImport(Glibc)
import Glibc
#endif

/// A failed system call: which call, on what, and the `errno` it set.
public struct SystemCallError: Error, Sendable, Hashable, CustomStringConvertible {
    public var call: String
    public var path: String?
    public var errno: Int32

    public init(_ call: String, path: String? = nil, errno: Int32) {
        self.call = call
        self.path = path
        self.errno = errno
    }

    public var description: String {
        let reason = String(cString: strerror(errno))
        return path.map { "\(call) \($0): \(reason)" } ?? "\(call): \(reason)"
    }
}
