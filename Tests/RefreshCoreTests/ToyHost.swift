import Foundation
import Testing
@testable import RefreshCore
@testable import RefreshHost
import RefreshIO

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

    /// A file to put in a revision: a copy of a host file, or text (with its mode).
    enum Content {
        case copy(String)
        case text(String, mode: Int = 0o644)
    }

    /// Builds `NAME_REV.snap` images under `var/lib/snapd/snaps` from `files(revision)` plus
    /// `meta/snap.yaml`, mounts the `mounted` revisions (the others get an empty directory, as
    /// a staged revision whose image is not mounted yet), and points `current` at `current`.
    func addSnap(
        _ name: String, revisions: [String], mounted: [String]? = nil, current: String,
        snapYAML: (String) -> String, files: [String: Content]
    ) throws {
        let fm = FileManager.default
        let images = path("var/lib/snapd/snaps")
        try fm.createDirectory(atPath: images, withIntermediateDirectories: true)
        for revision in revisions {
            let tree = path("staging/\(name)_\(revision)")
            try fm.createDirectory(atPath: tree + "/meta", withIntermediateDirectories: true)
            try snapYAML(revision).write(toFile: tree + "/meta/snap.yaml", atomically: true, encoding: .utf8)
            for (relative, content) in files {
                let target = tree + "/" + relative
                try fm.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                switch content {
                case .copy(let source): try copy(source, to: target)
                case .text(let text, let mode):
                    try text.write(toFile: target, atomically: true, encoding: .utf8)
                    chmod(target, mode_t(mode))
                }
            }
            try run("/usr/bin/mksquashfs", [tree, "\(images)/\(name)_\(revision).snap", "-quiet", "-noappend", "-no-progress"])
            try fm.removeItem(atPath: tree)
        }
        for revision in revisions {
            if (mounted ?? revisions).contains(revision) {
                try mount(SnapName(name)!, Revision(revision)!)
            } else {
                try fm.createDirectory(atPath: path("snap/\(name)/\(revision)"), withIntermediateDirectories: true)
            }
        }
        try fm.createSymbolicLink(atPath: path("snap/\(name)/current"), withDestinationPath: current)
    }

    /// Builds images `toybase_1/2.snap` and `toyapp_1/2/3.snap`, mounts all but toyapp 3
    /// (staged, mounted on demand), and points `current` at toyapp 1 and toybase 1.
    func install() throws {
        try addSnap("toybase", revisions: ["1", "2"], current: "1",
                    snapYAML: { "name: toybase\nversion: '\($0).0'\ntype: base\n" }, files: ToyHost.baseFiles)
        try addSnap("toyapp", revisions: ["1", "2", "3"], mounted: ["1", "2"], current: "1", snapYAML: { revision in
            """
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
        }, files: ["bin/sleep": .copy("/bin/sleep"), "bin/sleepd": .copy("/bin/sleep"), "bin/sh": .copy("/bin/sh")])
        for dir in ["var/snap/toyapp/1", "var/snap/toyapp/common"] {
            try FileManager.default.createDirectory(atPath: path(dir), withIntermediateDirectories: true)
        }
    }

    /// A base with the host's dynamic loader, libc and sleep, so processes can run on it.
    static let baseFiles: [String: Content] = [
        "lib64/ld-linux-x86-64.so.2": .copy("/lib64/ld-linux-x86-64.so.2"),
        "lib/x86_64-linux-gnu/libc.so.6": .copy("/lib/x86_64-linux-gnu/libc.so.6"),
        "bin/sleep": .copy("/bin/sleep"),
    ]

    /// Starts `program` of a revision through `base`'s own loader and libc, so it pins the base.
    @discardableResult
    func startOnBase(_ base: String, _ baseRevision: String, program: String, _ arguments: [String] = ["300"]) throws -> Int32 {
        try start(path("snap/\(base)/\(baseRevision)/lib64/ld-linux-x86-64.so.2"),
                  ["--library-path", path("snap/\(base)/\(baseRevision)/lib/x86_64-linux-gnu"), program] + arguments,
                  execs: "ld-linux-x86-64.so.2")
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
        try ToyHost.runUnblocked(process)
        processes.append(process)
        waitUntilRunning(process.processIdentifier, execs: final)
        return process.processIdentifier
    }

    /// Starts `process` with no signal blocked, as a login shell or a service manager would
    /// start it. Foundation's `Process` passes the calling thread's signal mask on, and the test
    /// runner's threads block most signals (SIGTERM, SIGINT, SIGHUP, SIGCHLD, ...): a sleeper
    /// started from them would sit out a SIGTERM, and a shell would never see its children exit.
    static func runUnblocked(_ process: Process) throws {
        var empty = sigset_t(), saved = sigset_t()
        sigemptyset(&empty)
        pthread_sigmask(SIG_SETMASK, &empty, &saved)
        defer { pthread_sigmask(SIG_SETMASK, &saved, nil) }
        try process.run()
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
        moveToCgroup(pid, named: name, in: ToyHost.unified)
    }

    static let unified = "/sys/fs/cgroup/unified"
    /// systemd's cgroup v1 hierarchy (`name=systemd`), where a host still has one.
    static let systemdV1 = "/sys/fs/cgroup/systemd"

    /// Whether `hierarchy` is mounted here and writable.
    static func canWrite(_ hierarchy: String) -> Bool { access(hierarchy, W_OK) == 0 }

    /// Moves `pid` into the group `name` of `hierarchy` (made if need be, removed by ``tearDown()``).
    func moveToCgroup(_ pid: Int32, named name: String, in hierarchy: String) -> Bool {
        let dir = "\(hierarchy)/\(name)"
        guard access(hierarchy, W_OK) == 0, mkdir(dir, 0o755) == 0 || errno == EEXIST else { return false }
        if !cgroups.contains(dir) { cgroups.append(dir) }
        return (try? "\(pid)\n".write(toFile: "\(dir)/cgroup.procs", atomically: false, encoding: .utf8)) != nil
    }

    /// Makes the group `name` of `hierarchy` (removed by ``tearDown()``) for processes to join
    /// on their own; returns its directory, or `nil` when the hierarchy is not writable.
    func makeCgroup(named name: String, in hierarchy: String = ToyHost.unified) -> String? {
        let dir = "\(hierarchy)/\(name)"
        guard access(hierarchy, W_OK) == 0, mkdir(dir, 0o755) == 0 || errno == EEXIST else { return nil }
        if !cgroups.contains(dir) { cgroups.append(dir) }
        return dir
    }

    /// A snap name no other test (of this run or of another worker's) uses, so its units'
    /// cgroups are this test's alone: `prefix-` and 8 random lowercase letters and digits.
    static func uniqueSnapName(_ prefix: String) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        return prefix + "-" + String((0..<8).map { _ in alphabet.randomElement()! })
    }

    /// Processes not started through ``start(_:_:cwd:execs:)`` (children those started) that
    /// ``tearDown()`` kills too.
    private var strays: [Int32] = []

    func track(_ pid: Int32) { strays.append(pid) }

    func stop(_ pid: Int32) {
        guard let process = processes.first(where: { $0.processIdentifier == pid }) else { return }
        kill(pid, SIGKILL)
        process.waitUntilExit()
    }

    func tearDown() {
        // Strays first: a child that inherited Foundation's termination pipe of the process
        // that started it would keep waitUntilExit() waiting.
        for pid in strays where pid > 1 { kill(pid, SIGKILL) }
        for pid in strays where pid > 1 {
            for _ in 0..<200 where access("/proc/\(pid)/exe", F_OK) == 0 { usleep(10_000) }
        }
        strays.removeAll()
        for process in processes where process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        processes.removeAll()
        for dir in cgroups.reversed() {
            // A group with processes cannot go: give them back to the root group first.
            let procs = (try? String(contentsOfFile: "\(dir)/cgroup.procs", encoding: .utf8)) ?? ""
            let parent = (dir as NSString).deletingLastPathComponent
            for pid in procs.split(separator: "\n") { try? "\(pid)\n".write(toFile: "\(parent)/cgroup.procs", atomically: false, encoding: .utf8) }
            rmdir(dir)
        }
        cgroups.removeAll()
        // Everything mounted under the root, also what a refresh mounted.
        var buffer: [UInt8] = []
        let count = (try? Syscall.readFile("/proc/self/mountinfo", into: &buffer).get()) ?? 0
        let points = String(decoding: buffer[..<count], as: UTF8.self)
            .split(separator: "\n").compactMap { line -> String? in
                let fields = line.split(separator: " ")
                return fields.count > 4 && fields[4].hasPrefix(root + "/") ? String(fields[4]) : nil
            }
        for point in points.reversed() {
            for _ in 0..<50 {
                if umount2(point, 0) == 0 || errno == EINVAL || errno == ENOENT { break }
                usleep(20_000)
            }
        }
        mounted.removeAll()
        // Only remove the tree once nothing is mounted in it, so no image content is touched.
        var after: [UInt8] = []
        let afterCount = (try? Syscall.readFile("/proc/self/mountinfo", into: &after).get()) ?? 0
        let table = String(decoding: after[..<afterCount], as: UTF8.self)
        if !root.isEmpty, root.hasPrefix("/tmp/refreshcore-host-"), !table.contains(root) {
            try? FileManager.default.removeItem(atPath: root)
        }
    }

    func copy(_ from: String, to: String) throws {
        try FileManager.default.copyItem(atPath: URL(fileURLWithPath: from).resolvingSymlinksInPath().path, toPath: to)
    }

    func run(_ tool: String, _ arguments: [String]) throws {
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
        let run = try runProduct("refreshctl", arguments)
        return (run.code, run.out, run.err)
    }
}
