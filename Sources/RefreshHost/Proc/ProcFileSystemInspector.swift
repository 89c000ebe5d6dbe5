import RefreshCore
#if canImport(Glibc)
import Glibc
#endif

/// The real ``ProcessInspector``: reads `/proc` with direct system calls and byte parsing.
///
/// For every process: identity from `stat` (PID + start time) and its parent PID, `exe`,
/// `cwd`, `root` (when it is not `/` and lies under `ROOT/snap/`), the `maps` paths under
/// `ROOT/snap/`, the `cgroup` lines that name a snap unit, for a process that runs no snap's
/// app (no snap cgroup, no executable under `ROOT/snap/`) the open files (`fd/*`) under
/// `ROOT/snap/`, and — for a
/// process in a snap cgroup whose mount namespace is not ours, as snap-confine makes them — the
/// squashfs image behind its root mount (`mountinfo` → loop device →
/// `/sys/block/loopN/loop/backing_file`). Kernel threads are skipped; a process that vanishes
/// mid-scan is skipped silently; one whose files cannot be read is counted in
/// ``ProcessScan/uninspectable``. The scan names its own PID (``ProcessScan/selfPID``), so
/// the engine and its ancestors are never acted on.
public struct ProcFileSystemInspector: ProcessInspector {
    public let root: String
    public let proc: String
    public let sys: String

    /// - Parameters:
    ///   - root: the host root whose `snap/` paths are evidence.
    ///   - proc: where procfs is mounted.
    ///   - sys: where sysfs is mounted (for loop devices' backing files).
    public init(root: String = "/", proc: String = "/proc", sys: String = "/sys") {
        self.root = root
        self.proc = proc
        self.sys = sys
    }

    public func scan() -> ProcessScan {
        var trimmedRoot = root
        while trimmedRoot.hasSuffix("/") { trimmedRoot.removeLast() }
        let prefix = Array((trimmedRoot + "/snap/").utf8)
        guard case .success(let procFD) = Syscall.open(proc, O_RDONLY | O_DIRECTORY),
            case .success(let names) = Syscall.directoryEntries(procFD, path: proc)
        else { return ProcessScan(processes: [], uninspectable: []) }
        defer { Syscall.close(procFD) }
        let ownNamespace = try? Syscall.readLink("self/ns/mnt", at: procFD).get()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        var link = [CChar](repeating: 0, count: 4097)
        var processes: [InspectedProcess] = []
        var uninspectable: [Int32] = []

        func readLink(_ name: String, _ dirfd: Int32) -> (String?, Int32) {
            let n = readlinkat(dirfd, name, &link, 4096)
            if n < 0 { return (nil, errno) }
            return (link.withUnsafeBytes { String(decoding: UnsafeRawBufferPointer(rebasing: $0[..<n]), as: UTF8.self) }, 0)
        }

        for name in names {
            guard let first = name.utf8.first, first >= 48, first <= 57, let pid = Int32(name) else { continue }
            guard case .success(let pidFD) = Syscall.open(name, O_RDONLY | O_DIRECTORY, at: procFD) else { continue }
            defer { Syscall.close(pidFD) }
            guard case .success(let statCount) = Syscall.readFile("stat", at: pidFD, into: &buffer),
                let stat = buffer.withUnsafeBytes({ ProcParsing.stat(UnsafeRawBufferPointer(rebasing: $0[..<statCount])) })
            else { continue }  // gone
            if stat.isKernelThread || stat.state == UInt8(ascii: "Z") { continue }
            var evidence = ProcessEvidence()
            let (exeLink, exeError) = readLink("exe", pidFD)
            guard let exe = exeLink else {
                if exeError == EACCES || exeError == EPERM { uninspectable.append(pid) }
                continue  // ENOENT: gone, or exited but not reaped
            }
            evidence.exe = exe
            evidence.cwd = readLink("cwd", pidFD).0
            if let root = readLink("root", pidFD).0, root != "/", root.utf8.starts(with: prefix) {
                evidence.root = root
            }
            if case .success(let count) = Syscall.readFile("maps", at: pidFD, into: &buffer) {
                evidence.maps = buffer.withUnsafeBytes { ProcParsing.mappedPaths(UnsafeRawBufferPointer(rebasing: $0[..<count]), prefix: prefix) }
            } else {
                uninspectable.append(pid)
            }
            if case .success(let count) = Syscall.readFile("cgroup", at: pidFD, into: &buffer) {
                evidence.cgroups = buffer.withUnsafeBytes { ProcParsing.snapCgroupLines(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
            }
            // Open files make a process that runs no snap's app a user of a revision. A process in
            // a snap cgroup or with its executable under ROOT/snap/ is bound by those, so its
            // descriptors (a readlink each, about 5 µs) are not read.
            if evidence.cgroups.isEmpty, !exe.utf8.starts(with: prefix) {
                evidence.files = openFiles(pidFD, prefix: prefix, link: &link)
            }
            if !evidence.cgroups.isEmpty,
                let namespace = readLink("ns/mnt", pidFD).0, namespace != ownNamespace,
                case .success(let count) = Syscall.readFile("mountinfo", at: pidFD, into: &buffer),
                let source = buffer.withUnsafeBytes({ ProcParsing.rootMountSource(UnsafeRawBufferPointer(rebasing: $0[..<count])) }) {
                evidence.rootImage = backingFile(of: source, buffer: &buffer)
            }
            processes.append(InspectedProcess(
                identity: ProcessIdentity(pid: pid, startTime: stat.startTime), parent: stat.ppid, name: stat.comm,
                evidence: evidence))
        }
        processes.sort { $0.identity < $1.identity }
        return ProcessScan(processes: processes, uninspectable: uninspectable.sorted(), selfPID: getpid())
    }

    /// The distinct targets of `/proc/PID/fd/*` that lie under `prefix`, in descriptor order
    /// as the kernel lists them. Only those become strings; an unreadable `fd` directory
    /// (permissions, or gone) gives none.
    private func openFiles(_ pidFD: Int32, prefix: [UInt8], link: inout [CChar]) -> [String] {
        guard case .success(let fdDirectory) = Syscall.open("fd", O_RDONLY | O_DIRECTORY, at: pidFD) else { return [] }
        guard let directory = fdopendir(fdDirectory) else {
            Syscall.close(fdDirectory)
            return []
        }
        defer { closedir(directory) }
        var files: [String] = []
        while let entry = readdir(directory) {
            let count = withUnsafePointer(to: &entry.pointee.d_name) { name in
                name.withMemoryRebound(to: CChar.self, capacity: 256) { name -> Int in
                    name[0] == CChar(UInt8(ascii: ".")) ? -1 : readlinkat(fdDirectory, name, &link, 4096)
                }
            }
            guard count >= prefix.count else { continue }
            let matches = link.withUnsafeBufferPointer { buffer in
                prefix.indices.allSatisfy { UInt8(bitPattern: buffer[$0]) == prefix[$0] }
            }
            guard matches else { continue }
            let path = link.withUnsafeBufferPointer { buffer in
                String(decoding: UnsafeRawBufferPointer(start: buffer.baseAddress, count: count), as: UTF8.self)
            }
            if !files.contains(path) { files.append(path) }
        }
        return files
    }

    /// `/dev/loop3` → the file behind it, from sysfs.
    private func backingFile(of device: String, buffer: inout [UInt8]) -> String? {
        guard device.hasPrefix("/dev/loop") else { return nil }
        let name = device.dropFirst("/dev/".count)
        guard case .success(let count) = Syscall.readFile("\(sys)/block/\(name)/loop/backing_file", into: &buffer) else { return nil }
        return buffer.withUnsafeBytes { ProcParsing.lines(UnsafeRawBufferPointer(rebasing: $0[..<count])).first }
    }
}
