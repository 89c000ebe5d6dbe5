@testable import RefreshHost

/// A `/proc/PID/...` file or the mount table: the kernel writes these, but `comm`, paths and
/// mount points are chosen by whoever runs the process or mounts. The first byte picks the
/// parser (stat, maps, cgroup, mountinfo's root source, mountinfo's escaped mount points),
/// the rest is the file.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let file = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
    switch data[0] % 5 {
    case 0:
        _ = ProcParsing.stat(file)
    case 1:
        let prefix = Array("/snap/".utf8)
        let paths = ProcParsing.mappedPaths(file, prefix: prefix)
        precondition(Set(paths).count == paths.count, "a mapped path listed twice")
        for path in paths { precondition(path.utf8.starts(with: prefix) && !path.utf8.contains(10), "not a /snap/ path: \(path.debugDescription)") }
    case 2:
        for line in ProcParsing.snapCgroupLines(file) {
            precondition(line.utf8.count >= 6 && !line.utf8.contains(10), "not one line: \(line.debugDescription)")
        }
        _ = ProcParsing.lines(file)
    case 3:
        if let source = ProcParsing.rootMountSource(file) {
            precondition(!source.isEmpty && !source.contains(" "), "not one field: \(source.debugDescription)")
        }
    default:
        let bytes = Array(file)
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            for field in line.split(separator: UInt8(ascii: " ")) {
                _ = FileSystemRevisionStore.unescapeMountField(field)
            }
        }
    }
    return 0
}
