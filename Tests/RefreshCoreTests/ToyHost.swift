import Foundation
import Testing
@testable import RefreshCore

#if canImport(Glibc)
import Glibc
#endif

/// A real host under a temporary root: squashfs images of a toy app snap (three revisions)
/// and a toy base snap (two), loop-mounted on their revision directories, with real processes
/// started from them. Everything is torn down by ``tearDown()``, also after a failed test.
final class ToyHost: @unchecked Sendable {
    /// Whether this machine can run the host tests: root, loop devices, squashfs, mksquashfs.
    static let available: Bool = {
        geteuid() == 0 && access("/dev/loop-control", R_OK | W_OK) == 0
            && ToyHost.which("mksquashfs") != nil
            && ((try? String(contentsOfFile: "/proc/filesystems", encoding: .utf8))?.contains("squashfs") ?? false)
    }()

    static let reason: Comment = "needs root, /dev/loop-control, squashfs in the kernel and mksquashfs (apt-get install squashfs-tools)"

    static func which(_ tool: String) -> String? {
        for dir in ["/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/local/bin"] where access("\(dir)/\(tool)", X_OK) == 0 {
            return "\(dir)/\(tool)"
        }
        return nil
    }

    let root: String
    let store: FileSystemRevisionStore
    private(set) var processes: [Process] = []
    private var mounted: [(SnapName, Revision)] = []
    private var cgroups: [String] = []

    static let app = SnapName("toyapp")!
    static let base = SnapName("toybase")!

    init() throws {
        var template = Array("/tmp/refreshcore-host-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw SystemCallError("mkdtemp", errno: errno) }
        root = String(cString: made)
        store = FileSystemRevisionStore(root: root)
    }

    deinit { tearDown() }

    func path(_ relative: String) -> String { root + "/" + relative }

    /// Builds images `toybase_1/2.snap` and `toyapp_1/2/3.snap`, mounts all but toyapp 3
    /// (staged, mounted on demand), and points `current` at toyapp 1 and toybase 1.
    func install() throws {
        let fm = FileManager.default
        let images = path("var/lib/snapd/snaps")
        try fm.createDirectory(atPath: images, withIntermediateDirectories: true)
        let staging = path("staging")
        for revision in ["1", "2"] {
            let tree = "\(staging)/toybase_\(revision)"
            for dir in ["meta", "lib64", "lib/x86_64-linux-gnu", "bin"] {
                try fm.createDirectory(atPath: "\(tree)/\(dir)", withIntermediateDirectories: true)
            }
            try copy("/lib64/ld-linux-x86-64.so.2", to: "\(tree)/lib64/ld-linux-x86-64.so.2")
            try copy("/lib/x86_64-linux-gnu/libc.so.6", to: "\(tree)/lib/x86_64-linux-gnu/libc.so.6")
            try copy("/bin/sleep", to: "\(tree)/bin/sleep")
            try "name: toybase\nversion: '\(revision).0'\ntype: base\n".write(toFile: "\(tree)/meta/snap.yaml", atomically: true, encoding: .utf8)
            try run("/usr/bin/mksquashfs", [tree, "\(images)/toybase_\(revision).snap", "-quiet", "-noappend", "-no-progress"])
        }
        for revision in ["1", "2", "3"] {
            let tree = "\(staging)/toyapp_\(revision)"
            for dir in ["meta", "bin"] { try fm.createDirectory(atPath: "\(tree)/\(dir)", withIntermediateDirectories: true) }
            try copy("/bin/sleep", to: "\(tree)/bin/sleep")
            try copy("/bin/sleep", to: "\(tree)/bin/sleepd")
            let yaml = """
                name: toyapp
                version: '\(revision).0'
                base: toybase
                summary: a toy
                plugs: [network]
                apps:
                  sleeper:
                    command: bin/sleep
                    plugs: [home]
                  sleepd:
                    command: bin/sleepd
                    daemon: simple
                    stop-timeout: 5s

                """
            try yaml.write(toFile: "\(tree)/meta/snap.yaml", atomically: true, encoding: .utf8)
            try run("/usr/bin/mksquashfs", [tree, "\(images)/toyapp_\(revision).snap", "-quiet", "-noappend", "-no-progress"])
        }
        try fm.removeItem(atPath: staging)
        for (snap, revision) in [(ToyHost.base, "1"), (ToyHost.base, "2"), (ToyHost.app, "1"), (ToyHost.app, "2")] {
            try mount(snap, Revision(revision)!)
        }
        // toyapp 3 is staged: its directory exists, its image is not mounted yet.
        try fm.createDirectory(atPath: path("snap/toyapp/3"), withIntermediateDirectories: true)
        try fm.createSymbolicLink(atPath: path("snap/toyapp/current"), withDestinationPath: "1")
        try fm.createSymbolicLink(atPath: path("snap/toybase/current"), withDestinationPath: "1")
        for dir in ["var/snap/toyapp/1", "var/snap/toyapp/common"] {
            try fm.createDirectory(atPath: path(dir), withIntermediateDirectories: true)
        }
    }

    func mount(_ snap: SnapName, _ revision: Revision) throws {
        try store.mount(snap, revision)
        mounted.append((snap, revision))
    }

    /// Starts a long sleeper; returns its PID.
    @discardableResult
    func start(_ executable: String, _ arguments: [String] = ["300"], cwd: String? = nil, execs final: String = "sleep") throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let cwd { process.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        processes.append(process)
        waitUntilRunning(process.processIdentifier, execs: final)
        return process.processIdentifier
    }

    /// Waits (10 s at most) until the child runs `final` with libc mapped, so /proc shows it
    /// as it will stay.
    private func waitUntilRunning(_ pid: Int32, execs final: String) {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe"), exe.hasSuffix("/" + final),
                let maps = try? String(contentsOfFile: "/proc/\(pid)/maps", encoding: .utf8), maps.contains("libc.so") {
                return
            }
            usleep(10_000)
        }
    }

    /// Moves `pid` into a cgroup v2 group named `name`; `false` when the hierarchy is not writable.
    func moveToCgroup(_ pid: Int32, named name: String) -> Bool {
        let base = "/sys/fs/cgroup/unified"
        let dir = "\(base)/\(name)"
        guard access(base, W_OK) == 0, mkdir(dir, 0o755) == 0 || errno == EEXIST else { return false }
        cgroups.append(dir)
        return (try? "\(pid)\n".write(toFile: "\(dir)/cgroup.procs", atomically: false, encoding: .utf8)) != nil
    }

    func stop(_ pid: Int32) {
        guard let process = processes.first(where: { $0.processIdentifier == pid }) else { return }
        kill(pid, SIGKILL)
        process.waitUntilExit()
    }

    func tearDown() {
        for process in processes where process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        processes.removeAll()
        for dir in cgroups.reversed() { rmdir(dir) }
        cgroups.removeAll()
        for (snap, revision) in mounted.reversed() {
            for _ in 0..<50 {
                if (try? store.unmount(snap, revision)) != nil { break }
                usleep(20_000)
            }
        }
        mounted.removeAll()
        // Only remove the tree once nothing is mounted in it, so no image content is touched.
        let table = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        if !root.isEmpty, root.hasPrefix("/tmp/refreshcore-host-"), !table.contains(root) {
            try? FileManager.default.removeItem(atPath: root)
        }
    }

    private func copy(_ from: String, to: String) throws {
        try FileManager.default.copyItem(atPath: URL(fileURLWithPath: from).resolvingSymlinksInPath().path, toPath: to)
    }

    private func run(_ tool: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw RefreshCoreError(.io, "\(tool) \(arguments.joined(separator: " ")) exited \(process.terminationStatus)")
        }
    }

    /// Runs the built refreshctl; returns exit code, stdout, stderr.
    static func refreshctl(_ arguments: [String]) throws -> (code: Int32, out: String, err: String) {
        let exe = (try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") as NSString).deletingLastPathComponent
        let process = Process()
        process.executableURL = URL(fileURLWithPath: exe + "/refreshctl")
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
    }
}
