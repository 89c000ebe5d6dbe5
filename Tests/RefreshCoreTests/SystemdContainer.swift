import Foundation
import Synchronization
import Testing
@testable import RefreshCore
@testable import RefreshHost

#if canImport(Glibc)
import Glibc
#endif

/// A real systemd, PID 1 of a `systemd-nspawn` container, for tests of what the engine asks of
/// systemd.
///
/// The container boots the host's own system (its systemd, its unit files) from a writable
/// overlay of the host's `/` whose upper layer is a tmpfs, so nothing it writes reaches the
/// host — except ``shared``, a host directory bind-mounted at the same path inside (test roots,
/// scripts, logs). It boots `basic.target` only (no host services such as databases), without
/// a network (`--private-network`), from cgroups of its own (`refreshcore-test-PID-N` in each
/// hierarchy) so it is not registered with or kept by a service manager of the host
/// (`--register=no --keep-unit`: this host's PID 1 is not systemd).
///
/// Commands run inside through `nsenter --target LEADER --all` (``runner``); they join the
/// container's namespaces but not its cgroups, and die with it (its PID namespace ends with
/// its PID 1). ``tearDown()`` kills everything through the container's cgroup and removes
/// its cgroups, mounts and directories; ``cleanLeftovers()`` does the same for the containers
/// of test processes that no longer exist (a crash, a kill), and runs before the first boot.
final class SystemdContainer: Sendable {
    /// The cgroup layout inside the container.
    enum Layout: String, Sendable, Hashable, CaseIterable, CustomTestStringConvertible {
        /// systemd's default here: cgroup v1 hierarchies with the v2 one at `/sys/fs/cgroup/unified`.
        case hybrid
        /// cgroup v2 only (`SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1`), as on current distributions.
        case unified

        var testDescription: String { rawValue }
    }

    /// Where the containers' directories are made, each in a folder named after it.
    static let directory = "/tmp/refreshcore-nspawn"
    static let namePrefix = "refreshcore-test-"
    static let nspawn = "/usr/bin/systemd-nspawn"
    static let nsenter = "/usr/bin/nsenter"

    /// Whether containers can be booted here: root, `systemd-nspawn` and `nsenter`, and a
    /// writable cgroup v2 hierarchy.
    static let available: Bool = getuid() == 0 && access(nspawn, X_OK) == 0 && access(nsenter, X_OK) == 0 && cgroupV2Root != nil
    static let reason: Comment = "needs root, systemd-nspawn (apt-get install systemd-container) and nsenter (util-linux), and cgroups v2"

    /// The cgroup v2 hierarchy of the host: `/sys/fs/cgroup/unified` on a hybrid host, else
    /// `/sys/fs/cgroup` when it is v2 itself.
    static let cgroupV2Root: String? = {
        // Only a cgroup v2 hierarchy has cgroup.controllers at its root.
        ["/sys/fs/cgroup/unified", "/sys/fs/cgroup"].first { path in
            access(path + "/cgroup.procs", W_OK) == 0 && access(path + "/cgroup.controllers", F_OK) == 0
        }
    }()

    /// The v1 `name=systemd` hierarchy of a hybrid host, which systemd in the container also needs
    /// a cgroup of its own in.
    static let cgroupV1SystemdRoot: String? = {
        let path = "/sys/fs/cgroup/systemd"
        // A v1 hierarchy has tasks files and no cgroup.controllers.
        return access(path + "/tasks", W_OK) == 0 && access(path + "/cgroup.controllers", F_OK) != 0 ? path : nil
    }()

    let name: String
    let layout: Layout
    /// The container's folder on the host: `root` (the overlay), `layers` (its tmpfs),
    /// `shared`, `console.log`.
    let base: String
    /// A host directory that is at the same path inside the container.
    let shared: String
    /// The host PID of the container's PID 1 (systemd).
    let leader: pid_t
    /// The host PID of `systemd-nspawn`.
    let supervisor: pid_t
    /// Runs commands inside the container.
    let runner: NsenterCommandRunner
    /// From the first mount to systemd reporting the boot finished.
    let bootDuration: Duration

    private let tornDown = Mutex(false)

    private init(name: String, layout: Layout, leader: pid_t, supervisor: pid_t, bootDuration: Duration) {
        self.name = name
        self.layout = layout
        self.base = Self.directory + "/" + name
        self.shared = base + "/shared"
        self.leader = leader
        self.supervisor = supervisor
        self.runner = NsenterCommandRunner(leader: leader)
        self.bootDuration = bootDuration
    }

    deinit { tearDown() }

    // MARK: - Boot

    private static let counter = Mutex(0)
    private static let leftoversCleaned = Mutex(false)

    /// Boots a container and waits until its systemd has finished booting.
    static func boot(layout: Layout = .hybrid) async throws -> SystemdContainer {
        cleanLeftoversOnce()
        let number = counter.withLock { value in
            value += 1
            return value
        }
        let name = "\(namePrefix)\(getpid())-\(number)"
        let base = directory + "/" + name
        let clock = ContinuousClock()
        let start = clock.now
        do {
            let (supervisor, leader) = try await launch(name: name, base: base, layout: layout)
            try await waitUntilBooted(NsenterCommandRunner(leader: leader), name: name, base: base, supervisor: supervisor,
                                      deadline: start.advanced(by: .seconds(90)))
            return SystemdContainer(name: name, layout: layout, leader: leader, supervisor: supervisor, bootDuration: start.duration(to: clock.now))
        } catch {
            destroy(name: name)
            throw error
        }
    }

    private static func launch(name: String, base: String, layout: Layout) async throws -> (supervisor: pid_t, leader: pid_t) {
        guard let v2 = cgroupV2Root else { throw HarnessError("no writable cgroup v2 hierarchy") }
        for directory in [Self.directory, base, base + "/layers", base + "/root", base + "/shared"] {
            try check(mkdir(directory, 0o755) == 0 || errno == EEXIST, "mkdir \(directory)")
        }
        try check(mount("tmpfs", base + "/layers", "tmpfs", 0, "mode=0755") == 0, "mount tmpfs on \(base)/layers")
        for directory in [base + "/layers/upper", base + "/layers/work"] {
            try check(mkdir(directory, 0o755) == 0, "mkdir \(directory)")
        }
        let options = "lowerdir=/,upperdir=\(base)/layers/upper,workdir=\(base)/layers/work"
        try check(mount("overlay", base + "/root", "overlay", 0, options) == 0, "mount overlay on \(base)/root")
        var cgroups = [v2 + "/" + name]
        if let v1 = cgroupV1SystemdRoot, v1 != v2 { cgroups.append(v1 + "/" + name) }
        for cgroup in cgroups { try check(mkdir(cgroup, 0o755) == 0, "mkdir \(cgroup)") }

        // The shell joins the container's cgroups, so nspawn, forked from it, starts there.
        let nspawnArguments = [
            nspawn, "--quiet", "--directory=\(base)/root", "--boot", "--register=no", "--keep-unit",
            "--private-network", "--bind=\(base)/shared", "--machine=\(name)", "systemd.unit=basic.target",
        ]
        let join = cgroups.map { "echo $$ > \($0)/cgroup.procs" }.joined(separator: " && ")
        let script = "\(join) && { \(Command(nspawnArguments).shellWords) > \(base)/console.log 2>&1 < /dev/null & echo $!; }"
        var environment = ["PATH": Command.systemPath]
        if layout == .unified { environment["SYSTEMD_NSPAWN_UNIFIED_HIERARCHY"] = "1" }
        let started = await SubprocessCommandRunner().run(Command(["/bin/sh", "-c", script], environment: environment, detached: true), timeout: .seconds(30))
        guard started.succeeded, let supervisor = pid_t(started.output.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw HarnessError("starting systemd-nspawn \(started.summary): \(started.output)")
        }
        // The container's PID 1 is the child of nspawn that is PID 1 in its own PID namespace
        // (an intermediate child comes and goes first).
        for _ in 0..<3000 {
            for child in children(of: supervisor) where namespacePIDs(of: child).map({ $0.count >= 2 && $0.last == 1 }) == true {
                return (supervisor, child)
            }
            guard kill(supervisor, 0) == 0 else { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw HarnessError("systemd-nspawn started no container: \(consoleTail(base))")
    }

    private static func waitUntilBooted(_ runner: NsenterCommandRunner, name: String, base: String, supervisor: pid_t,
                                        deadline: ContinuousClock.Instant) async throws {
        var last = CommandResult(termination: .couldNotStart("not tried"))
        while ContinuousClock.now < deadline {
            // Fails at once ("Failed to connect to bus") until systemd listens.
            last = await runner.run(Command(["/usr/bin/systemctl", "is-system-running", "--wait"], environment: ["PATH": Command.systemPath]),
                                    timeout: .seconds(60))
            let state = last.output.trimmingCharacters(in: .whitespacesAndNewlines)
            if state == "running" || state == "degraded" { return }
            guard kill(supervisor, 0) == 0 else { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw HarnessError("systemd in \(name) did not finish booting (\(last.summary): \(last.output)); console: \(consoleTail(base))")
    }

    // MARK: - Inside

    /// Runs `arguments` inside the container (environment: the system `PATH` only).
    func run(_ arguments: [String], timeout: Duration = .seconds(60)) async -> CommandResult {
        await runner.run(Command(arguments, environment: ["PATH": Command.systemPath, "LC_ALL": "C"]), timeout: timeout)
    }

    /// Runs `script` with `/bin/sh -c` inside the container; its output, or an error when it
    /// does not exit 0.
    @discardableResult
    func shell(_ script: String, _ arguments: String..., timeout: Duration = .seconds(60)) async throws -> String {
        let result = await run(["/bin/sh", "-c", script, "sh"] + arguments, timeout: timeout)
        guard result.succeeded else { throw HarnessError("in \(name): sh -c '\(script)' \(result.summary): \(result.output)") }
        return result.output
    }

    /// Writes `contents` to `path` inside the container (its directory made as needed).
    func writeFile(_ path: String, _ contents: String, mode: String = "0644") async throws {
        try await shell("mkdir -p \"$(dirname \"$2\")\" && printf %s \"$1\" > \"$2\" && chmod \"$3\" \"$2\"", contents, path, mode)
    }

    /// Writes the unit file `name` into `directory` (default: the runtime units in
    /// `/run/systemd/system`, gone with the container) and reloads systemd.
    func installUnit(_ name: String, _ contents: String, directory: String = "/run/systemd/system") async throws {
        try await writeFile(directory + "/" + name, contents)
        try await daemonReload()
    }

    func daemonReload() async throws {
        try await shell("systemctl daemon-reload")
    }

    // MARK: - PIDs

    /// The host PID of the container's process `pid`.
    func hostPID(_ pid: Int32) throws -> pid_t {
        let namespace = try Self.pidNamespace(of: leader)
        for candidate in Self.allPIDs() {
            guard let pids = Self.namespacePIDs(of: candidate), pids.count >= 2, pids.last == pid,
                (try? Self.pidNamespace(of: candidate)) == namespace
            else { continue }
            return candidate
        }
        throw HarnessError("no process \(pid) in \(name)")
    }

    /// The container's PID of the host process `pid`.
    func containerPID(ofHost pid: pid_t) throws -> Int32 {
        guard (try? Self.pidNamespace(of: pid)) == (try Self.pidNamespace(of: leader)),
            let pids = Self.namespacePIDs(of: pid), let inside = pids.last, pids.count >= 2
        else { throw HarnessError("host process \(pid) is not in \(name)") }
        return inside
    }

    /// Whether the container's process `pid` lives (exists and is not a zombie).
    func isAlive(_ pid: Int32) -> Bool {
        guard let host = try? hostPID(pid), let stat = try? String(contentsOfFile: "/proc/\(host)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        return !stat[stat.index(close, offsetBy: 2)...].hasPrefix("Z")
    }

    /// The cgroup (v2 line, as the host sees it) of the container's process `pid`.
    func hostCgroup(of pid: Int32) throws -> String {
        let text = try String(contentsOfFile: "/proc/\(try hostPID(pid))/cgroup", encoding: .utf8)
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("0::") }) else {
            throw HarnessError("process \(pid) of \(name) has no cgroup v2 line")
        }
        return String(line.dropFirst(3))
    }

    // MARK: - Teardown

    /// Kills everything in the container and removes what it left; idempotent.
    func tearDown() {
        guard tornDown.withLock({ done in
            defer { done = true }
            return !done
        }) else { return }
        Self.destroy(name: name)
    }

    /// Removes every container of this harness whose test process is gone.
    static func cleanLeftovers() {
        var names = Set<String>()
        for parent in [cgroupV2Root, cgroupV1SystemdRoot, directory].compactMap({ $0 }) {
            for entry in (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? [] where entry.hasPrefix(namePrefix) {
                names.insert(entry)
            }
        }
        for name in names.sorted() {
            let owner = name.dropFirst(namePrefix.count).split(separator: "-").first.flatMap { pid_t($0) }
            if let owner, owner == getpid() || kill(owner, 0) == 0 { continue }  // alive: not a leftover
            destroy(name: name)
        }
    }

    private static func cleanLeftoversOnce() {
        let first = leftoversCleaned.withLock { done in
            defer { done = true }
            return !done
        }
        if first { cleanLeftovers() }
    }

    /// Kills the container `name` through its cgroup, then removes its cgroups, nspawn's runtime
    /// files for it, its mounts, and its folder. Never recurses into a mount point.
    static func destroy(name: String) {
        let base = directory + "/" + name
        let cgroups = [cgroupV2Root, cgroupV1SystemdRoot].compactMap { $0.map { $0 + "/" + name } }
        if let v2 = cgroups.first, access(v2, F_OK) == 0 {
            for _ in 0..<1000 {
                let members = cgroupMembers(v2)
                if members.isEmpty { break }
                // cgroup.kill (Linux 5.14) kills the whole subtree at once, racing no fork.
                if !writeFile(v2 + "/cgroup.kill", "1") { members.forEach { _ = kill($0, SIGKILL) } }
                usleep(10_000)
            }
        }
        for cgroup in cgroups { removeCgroupTree(cgroup) }
        try? FileManager.default.removeItem(atPath: "/run/systemd/nspawn/propagate/\(name)")
        // nspawn's lock for the image directory is named after its device and inode.
        var info = stat()
        if stat(base + "/root", &info) == 0, isMountPoint(base + "/root") {
            unlink("/run/systemd/nspawn/locks/inode-\(info.st_dev):\(info.st_ino)")
        }
        // Not decided from /proc/self/mountinfo: a read of it can miss lines while other tests
        // mount and unmount. umount2 of what is not a mount point just fails.
        for mountPoint in [base + "/root", base + "/layers"] { _ = umount2(mountPoint, Int32(MNT_DETACH)) }
        for mountPoint in [base + "/root", base + "/layers"] where !isMountPoint(mountPoint) { rmdir(mountPoint) }
        if access(base + "/root", F_OK) != 0 && access(base + "/layers", F_OK) != 0 {
            // Both mount points are gone, so nothing below `base` leads into another file system.
            try? FileManager.default.removeItem(atPath: base + "/shared")
            unlink(base + "/console.log")
            unlink(base + "/.#root.lck")  // nspawn's lock beside the image directory
            rmdir(base)
        }
    }

    // MARK: - Helpers

    private static func check(_ ok: Bool, _ what: String) throws {
        if !ok { throw HarnessError("\(what): \(String(cString: strerror(errno)))") }
    }

    private static func consoleTail(_ base: String) -> String {
        let text = (try? String(contentsOfFile: base + "/console.log", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(15).joined(separator: "\n")
    }

    private static func writeFile(_ path: String, _ text: String) -> Bool {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return write(fd, text, text.utf8.count) == text.utf8.count
    }

    /// The processes in `cgroup` and every cgroup below it.
    private static func cgroupMembers(_ cgroup: String) -> [pid_t] {
        guard let enumerator = FileManager.default.enumerator(atPath: cgroup) else { return [] }
        var files = [cgroup + "/cgroup.procs"]
        while let entry = enumerator.nextObject() as? String {
            if entry.hasSuffix("/cgroup.procs") { files.append(cgroup + "/" + entry) }
        }
        return files.flatMap { file in
            ((try? String(contentsOfFile: file, encoding: .utf8)) ?? "").split(separator: "\n").compactMap { pid_t($0) }
        }
    }

    /// rmdir(2) of `cgroup` and the cgroups below it, deepest first (cgroup files go with them).
    private static func removeCgroupTree(_ cgroup: String) {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: cgroup) else { return }
        for entry in entries {
            var info = stat()
            let path = cgroup + "/" + entry
            if lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR { removeCgroupTree(path) }
        }
        rmdir(cgroup)
    }

    /// Whether `path` is a mount point: on another device than its parent directory.
    private static func isMountPoint(_ path: String) -> Bool {
        var own = stat(), parent = stat()
        guard lstat(path, &own) == 0, lstat(path + "/..", &parent) == 0 else { return false }
        return own.st_dev != parent.st_dev
    }

    private static func children(of pid: pid_t) -> [pid_t] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return tasks.flatMap { task in
            ((try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/children", encoding: .utf8)) ?? "")
                .split(separator: " ").compactMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
    }

    /// The `NSpid:` line of /proc/PID/status: the PID in each namespace, outermost first.
    static func namespacePIDs(of pid: pid_t) -> [Int32]? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("NSpid:") })
        else { return nil }
        return line.dropFirst("NSpid:".count).split(whereSeparator: { $0 == " " || $0 == "\t" }).compactMap { Int32($0) }
    }

    private static func pidNamespace(of pid: pid_t) throws -> String {
        try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/pid")
    }

    private static func allPIDs() -> [pid_t] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { pid_t($0) }
    }
}

/// A failure of the harness itself (not of the code under test).
struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Runs commands inside a container: `nsenter --target LEADER --all -- ARGUMENTS`, with the
/// command's environment (nsenter passes its own on) and session; a working directory other
/// than `/` (where entering the mount namespace leaves it) through `env --chdir`.
struct NsenterCommandRunner: AsyncCommandRunner {
    let leader: pid_t
    let host = SubprocessCommandRunner()

    func run(_ command: Command, timeout: Duration) async -> CommandResult {
        var arguments = [SystemdContainer.nsenter, "--target", String(leader), "--all", "--"]
        if command.workingDirectory != "/" { arguments += ["/usr/bin/env", "--chdir=\(command.workingDirectory)", "--"] }
        return await host.run(
            Command(arguments + command.arguments, environment: command.environment, detached: command.detached), timeout: timeout)
    }
}

/// Boots one container per layout for a whole suite and tears them down after its last test,
/// whether it passed or not. Tests reach them through ``SystemdContainer/booted(_:)``.
struct SystemdContainerTrait: SuiteTrait, TestScoping {
    let layouts: [SystemdContainer.Layout]

    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        var containers: [SystemdContainer.Layout: SystemdContainer] = [:]
        let timings = ProcessInfo.processInfo.environment["REFRESHCORE_TEST_TIMINGS"] != nil
        defer {
            for container in containers.values {
                let clock = ContinuousClock(), start = clock.now
                container.tearDown()
                if timings { print("[timing] \(container.name) (\(container.layout)) torn down in \(start.duration(to: clock.now))") }
            }
        }
        try await withThrowingTaskGroup(of: SystemdContainer.self) { group in
            for layout in layouts { group.addTask { try await SystemdContainer.boot(layout: layout) } }
            for try await container in group { containers[container.layout] = container }
        }
        if timings {
            for container in containers.values.sorted(by: { $0.layout.rawValue < $1.layout.rawValue }) {
                print("[timing] \(container.name) (\(container.layout)) booted in \(container.bootDuration)")
            }
        }
        try await SystemdContainer.$current.withValue(containers) { try await function() }
    }
}

extension Trait where Self == SystemdContainerTrait {
    /// One systemd container per layout for the suite (booted in parallel).
    static func systemdContainers(_ layouts: [SystemdContainer.Layout] = SystemdContainer.Layout.allCases) -> Self {
        SystemdContainerTrait(layouts: layouts)
    }
}

extension SystemdContainer {
    @TaskLocal static var current: [Layout: SystemdContainer] = [:]

    /// The suite's container of `layout` (see ``SystemdContainerTrait``).
    static func booted(_ layout: Layout) throws -> SystemdContainer {
        guard let container = current[layout] else { throw HarnessError("no \(layout) container: add .systemdContainers() to the suite") }
        return container
    }
}
