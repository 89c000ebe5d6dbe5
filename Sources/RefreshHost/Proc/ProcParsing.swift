import RefreshCore

/// Byte-level parsers for `/proc` files: no Foundation, no intermediate strings for what is
/// skipped. Pure, so they are unit-tested on hand-written input.
enum ProcParsing {
    /// What `/proc/PID/stat` says that the inspector needs.
    struct Stat: Equatable {
        var comm: String
        var state: UInt8
        var ppid: Int32
        var flags: UInt64
        var startTime: UInt64

        /// `PF_KTHREAD`: a kernel thread, which runs from no file.
        var isKernelThread: Bool { flags & 0x0020_0000 != 0 }
    }

    /// Parses `/proc/PID/stat`. `comm` may hold spaces and parentheses, so the fields are
    /// counted from the last `)`.
    static func stat(_ bytes: UnsafeRawBufferPointer) -> Stat? {
        guard let open = bytes.firstIndex(of: UInt8(ascii: "(")),
            let close = bytes.lastIndex(of: UInt8(ascii: ")")), close > open
        else { return nil }
        let comm = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[(open + 1)..<close]), as: UTF8.self)
        // Fields after comm: 3 state, 4 ppid, ... 9 flags, ... 22 starttime.
        var field = 2
        var i = close + 1
        var state: UInt8 = 0
        var ppid: Int32 = 0
        var flags: UInt64 = 0
        while i < bytes.count {
            while i < bytes.count, bytes[i] == UInt8(ascii: " ") { i += 1 }
            guard i < bytes.count else { break }
            field += 1
            let start = i
            var value: UInt64 = 0
            var negative = false
            while i < bytes.count, bytes[i] != UInt8(ascii: " "), bytes[i] != UInt8(ascii: "\n") {
                let b = bytes[i]
                if b >= 48 && b <= 57 { value = value &* 10 &+ UInt64(b - 48) } else if b == UInt8(ascii: "-") { negative = true }
                i += 1
            }
            switch field {
            case 3: state = bytes[start]
            case 4: ppid = negative ? -1 : Int32(truncatingIfNeeded: value)
            case 9: flags = value
            case 22: return Stat(comm: comm, state: state, ppid: ppid, flags: flags, startTime: value)
            default: break
            }
            if i < bytes.count, bytes[i] == UInt8(ascii: "\n") { break }
        }
        return nil
    }

    /// The distinct paths in `/proc/PID/maps` that start with `prefix`, in order.
    static func mappedPaths(_ bytes: UnsafeRawBufferPointer, prefix: [UInt8]) -> [String] {
        var paths: [String] = []
        var lineStart = 0
        let count = bytes.count
        while lineStart < count {
            var lineEnd = lineStart
            var slash = -1
            while lineEnd < count, bytes[lineEnd] != UInt8(ascii: "\n") {
                if slash < 0, bytes[lineEnd] == UInt8(ascii: "/") { slash = lineEnd }
                lineEnd += 1
            }
            if slash >= 0, lineEnd - slash >= prefix.count {
                var matches = true
                for k in 0..<prefix.count where bytes[slash + k] != prefix[k] {
                    matches = false
                    break
                }
                if matches {
                    let path = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[slash..<lineEnd]), as: UTF8.self)
                    if paths.last != path && !paths.contains(path) { paths.append(path) }
                }
            }
            lineStart = lineEnd + 1
        }
        return paths
    }

    /// The lines of a small text file such as `/proc/PID/cgroup`, without empty ones.
    static func lines(_ bytes: UnsafeRawBufferPointer) -> [String] {
        bytes.split(separator: UInt8(ascii: "\n")).map { String(decoding: UnsafeRawBufferPointer(rebasing: $0), as: UTF8.self) }
    }

    /// The lines of `/proc/PID/cgroup` that name a snap unit (`.../snap.NAME....`): the only
    /// ones binding inference reads, so the others cost no strings.
    static func snapCgroupLines(_ bytes: UnsafeRawBufferPointer) -> [String] {
        var result: [String] = []
        let needle = Array("/snap.".utf8)
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            let count = line.count
            guard count >= needle.count else { continue }
            var i = line.startIndex
            let last = line.endIndex - needle.count
            while i <= last {
                if line[i] == needle[0] && line[i + 1] == needle[1] && line[i + 2] == needle[2]
                    && line[i + 3] == needle[3] && line[i + 4] == needle[4] && line[i + 5] == needle[5] {
                    result.append(String(decoding: UnsafeRawBufferPointer(rebasing: line), as: UTF8.self))
                    break
                }
                i += 1
            }
        }
        return result
    }

    /// The source device of the mount at `/` in `/proc/PID/mountinfo` (the last one, as later
    /// mounts cover earlier ones), e.g. `/dev/loop3`.
    static func rootMountSource(_ bytes: UnsafeRawBufferPointer) -> String? {
        var result: String?
        for line in lines(bytes) {
            // id parent major:minor root mount-point options [optional...] - fstype source superoptions
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 5, fields[4] == "/", let dash = fields.firstIndex(of: "-"),
                dash + 2 < fields.count
            else { continue }
            result = String(fields[dash + 2])
        }
        return result
    }
}
