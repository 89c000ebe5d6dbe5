#if canImport(Glibc)
import Glibc
#endif

/// Reads what a command wrote to its output file, bounded.
enum CommandOutput {
    /// The file's contents from its start, whatever its offset: all of it when it fits in
    /// `limit` bytes, else its first and last `limit / 2` bytes around a
    /// `[... N bytes dropped]` line. Bytes that are not UTF-8 read as U+FFFD.
    static func read(_ fd: Int32, limit: Int) -> String {
        var info = stat()
        guard fstat(fd, &info) == 0 else { return "[output unreadable: \(String(cString: strerror(errno)))]" }
        let size = Int(info.st_size)
        if size <= limit { return decode(readBytes(fd, at: 0, count: size)) }
        let head = limit / 2, tail = limit - head
        return decode(readBytes(fd, at: 0, count: head)) + "\n[... \(size - head - tail) bytes dropped]\n"
            + decode(readBytes(fd, at: size - tail, count: tail))
    }

    /// pread(2) of up to `count` bytes at `offset` (fewer where the file ends first).
    private static func readBytes(_ fd: Int32, at offset: Int, count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = bytes.withUnsafeMutableBytes { raw in
                pread(fd, raw.baseAddress! + done, count - done, off_t(offset + done))
            }
            if n > 0 { done += n; continue }
            if n < 0 && errno == EINTR { continue }
            break
        }
        return Array(bytes[..<done])
    }

    private static func decode(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
}
