import Foundation
import RefreshCore
import RefreshHost

#if canImport(Glibc)
import Glibc
#endif

/// `refreshctl ps` evidence collection against the reference C scanner, on the same crowd of
/// processes in the same run.
///
/// For each crowd size it builds a root with two revisions of a demo snap, starts N sleepers
/// alternating between them with `shared/bench/spawn.c`, then times, interleaved, R scans by
/// `shared/bench/procscan.c` (stat, exe, cgroup, maps: `procscan PREFIX cgroup maps repeat=R`)
/// and R scans by ``ProcFileSystemInspector`` (stat, exe, cwd, root, cgroup, maps, fd) followed by the
/// binding of every process, and prints the medians per process and their ratio.
///
/// Usage: `swift run -c release ScanCompare [N...] [--repeat R] [--shared DIR]` (root not needed).
@main
struct ScanCompare {
    static func main() throws {
        var sizes: [Int] = []
        var repeats = 31
        var shared = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../../../shared/bench").standardized.path
        var arguments = CommandLine.arguments.dropFirst()
        while let argument = arguments.popFirst() {
            switch argument {
            case "--repeat": repeats = Int(arguments.popFirst() ?? "") ?? repeats
            case "--shared": shared = arguments.popFirst() ?? shared
            default: if let n = Int(argument) { sizes.append(n) }
            }
        }
        if sizes.isEmpty { sizes = [1000, 5000] }
        var template = Array("/tmp/scancompare-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw CocoaError(.fileWriteUnknown) }
        let work = String(cString: made)
        defer { try? FileManager.default.removeItem(atPath: work) }
        try run("/usr/bin/gcc", ["-O2", "-o", "\(work)/procscan", "\(shared)/procscan.c"])
        try run("/usr/bin/gcc", ["-O2", "-o", "\(work)/spawn", "\(shared)/spawn.c"])
        let root = "\(work)/root"
        for revision in ["1", "2"] {
            let dir = "\(root)/snap/demo/\(revision)"
            try FileManager.default.createDirectory(atPath: "\(dir)/bin", withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: "\(dir)/meta", withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: "/bin/sleep", toPath: "\(dir)/bin/sleep")
            try "name: demo\napps:\n  sleep:\n    command: bin/sleep\n".write(toFile: "\(dir)/meta/snap.yaml", atomically: true, encoding: .utf8)
        }
        try FileManager.default.createSymbolicLink(atPath: "\(root)/snap/demo/current", withDestinationPath: "2")
        let store = FileSystemRevisionStore(root: root)
        let inspector = ProcFileSystemInspector(root: root)

        print("processes  C ns/proc  Swift ns/proc  ratio  (median of \(repeats) scans each; all /proc processes counted)")
        for size in sizes {
            let pids = "\(work)/pids-\(size).txt"
            try run("\(work)/spawn", ["\(size)", pids, "\(root)/snap/demo/1/bin/sleep", "\(root)/snap/demo/2/bin/sleep"])
            defer {
                for line in ((try? String(contentsOfFile: pids, encoding: .utf8)) ?? "").split(separator: "\n") {
                    if let pid = Int32(line) { kill(pid, SIGKILL) }
                }
                usleep(300_000)
            }
            usleep(300_000)
            let snaps = store.list().snaps
            var swiftTimes: [Double] = []
            var cTimes: [Double] = []
            var scanned = 0
            for _ in 0..<3 {  // interleave, so drift hits both alike
                let c = try capture("\(work)/procscan", ["\(root)/snap/", "cgroup", "maps", "repeat=\(repeats / 3)"])
                if let field = c.split(whereSeparator: { $0 == " " || $0 == "\n" }).first(where: { $0.hasPrefix("median_ns_per_proc=") }),
                    let value = Double(field.dropFirst("median_ns_per_proc=".count)) {
                    cTimes.append(value)
                }
                for _ in 0..<(repeats / 3) {
                    let start = DispatchTime.now().uptimeNanoseconds
                    let scan = inspector.scan()
                    let state = HostReader.bind(snaps, scan, root: root)
                    let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start)
                    scanned = scan.processes.count + scan.uninspectable.count
                    precondition(state.processes.count >= size, "only \(state.processes.count) of \(size) bound")
                    swiftTimes.append(elapsed / Double(max(scanned, 1)))
                }
            }
            let swiftMedian = swiftTimes.sorted()[swiftTimes.count / 2]
            let cMedian = cTimes.sorted()[cTimes.count / 2]
            print(String(format: "%9d  %9.0f  %13.0f  %5.2f   (%d scanned)", size, cMedian, swiftMedian, swiftMedian / cMedian, scanned))
        }
    }

    /// posix_spawn + waitpid: Foundation's Process is not used, as `spawn` leaves children
    /// behind that it must not wait for.
    static func run(_ tool: String, _ arguments: [String]) throws {
        var pid: pid_t = 0
        let argv = ([tool] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        guard posix_spawn(&pid, tool, nil, nil, argv, environ) == 0 else { throw CocoaError(.executableLoad) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        guard status == 0 else { throw CocoaError(.executableLoad) }
    }

    static func capture(_ tool: String, _ arguments: [String]) throws -> String {
        guard let pipe = popen(([tool] + arguments).joined(separator: " "), "r") else { throw CocoaError(.executableLoad) }
        var output = ""
        var buffer = [CChar](repeating: 0, count: 4096)
        while fgets(&buffer, Int32(buffer.count), pipe) != nil { output += String(cString: buffer) }
        pclose(pipe)
        return output
    }
}
