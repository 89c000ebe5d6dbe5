import Foundation
import Testing
@testable import RefreshCore
@testable import RefreshHost

#if canImport(Glibc)
import Glibc
#endif

/// The container harness itself: a real systemd is PID 1, the shared directory is shared, PIDs
/// map both ways, the cgroup layout is the one asked for, and teardown leaves nothing behind.
@Suite(.serialized, .enabled(if: SystemdContainer.available, SystemdContainer.reason), .timeLimit(.minutes(5)), .systemdContainers())
struct SystemdContainerTests {
    @Test(arguments: SystemdContainer.Layout.allCases)
    func systemdIsPIDOneAndTheSharedDirectoryIsShared(layout: SystemdContainer.Layout) async throws {
        let container = try SystemdContainer.booted(layout)
        #expect(try await container.shell("cat /proc/1/comm") == "systemd\n")
        #expect(try await container.shell("systemctl is-system-running") == "running\n")
        // Written inside, read on the host; and the other way round.
        try await container.shell("echo inside > \"$1\"/from-inside", container.shared)
        #expect(try String(contentsOfFile: container.shared + "/from-inside", encoding: .utf8) == "inside\n")
        try "host\n".write(toFile: container.shared + "/from-host", atomically: false, encoding: .utf8)
        #expect(try await container.shell("cat \"$1\"/from-host", container.shared) == "host\n")
        // Writes elsewhere stay in the container's overlay.
        try await container.shell("echo container > /etc/refreshcore-test-marker")
        #expect(access("/etc/refreshcore-test-marker", F_OK) != 0)
    }

    @Test(arguments: SystemdContainer.Layout.allCases)
    func theCgroupLayoutIsTheOneAsked(layout: SystemdContainer.Layout) async throws {
        let container = try SystemdContainer.booted(layout)
        let type = try await container.shell("stat -f -c %T /sys/fs/cgroup")
        #expect(type == (layout == .unified ? "cgroup2fs\n" : "tmpfs\n"))
    }

    @Test(arguments: SystemdContainer.Layout.allCases)
    func aUnitsProcessesMapToHostPIDsAndCgroups(layout: SystemdContainer.Layout) async throws {
        let container = try SystemdContainer.booted(layout)
        try await container.installUnit("refreshcore-harness.service", """
            [Service]
            ExecStart=/bin/sleep 1000
            """)
        try await container.shell("systemctl start refreshcore-harness.service")
        defer { Task { _ = try? await container.shell("systemctl stop refreshcore-harness.service") } }
        let mainPID = try #require(Int32(try await container.shell("systemctl show -p MainPID --value refreshcore-harness.service")
            .trimmingCharacters(in: .whitespacesAndNewlines)))
        let host = try container.hostPID(mainPID)
        #expect(host != mainPID)
        #expect(try container.containerPID(ofHost: host) == mainPID)
        #expect(try String(contentsOfFile: "/proc/\(host)/cmdline", encoding: .utf8) == "/bin/sleep\u{0}1000\u{0}")
        #expect(try container.hostCgroup(of: mainPID) == "/\(container.name)/payload/system.slice/refreshcore-harness.service")
        #expect(container.isAlive(mainPID))
        #expect(throws: HarnessError.self) { try container.containerPID(ofHost: getpid()) }
    }

    /// Waits (at most 10 s) until `pid` is gone, or a zombie its new parent has yet to reap.
    func isGoneOrZombie(_ pid: pid_t) async throws -> Bool {
        for _ in 0..<500 {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return true }
            if stat[stat.index(close, offsetBy: 2)...].hasPrefix("Z") { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    @Test func teardownLeavesNothingAndLeftoversOfADeadRunAreCleaned() async throws {
        let locksBefore = (try? FileManager.default.contentsOfDirectory(atPath: "/run/systemd/nspawn/locks")) ?? []
        let container = try await SystemdContainer.boot()
        let leader = container.leader, name = container.name, base = container.base
        container.tearDown()
        #expect(try await isGoneOrZombie(leader))
        #expect(access(base, F_OK) != 0)
        #expect(access("\(SystemdContainer.cgroupV2Root!)/\(name)", F_OK) != 0)
        if let v1 = SystemdContainer.cgroupV1SystemdRoot { #expect(access("\(v1)/\(name)", F_OK) != 0) }
        #expect(access("/run/systemd/nspawn/propagate/\(name)", F_OK) != 0)
        let locks = (try? FileManager.default.contentsOfDirectory(atPath: "/run/systemd/nspawn/locks")) ?? []
        #expect(locks.filter { !locksBefore.contains($0) } == [], "nspawn's lock of the image is removed")
        #expect(!(try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)).contains(base))

        // What a crashed run leaves: a cgroup and a folder named for a test process that is gone.
        let dead = "\(SystemdContainer.namePrefix)\(Int32.max - 7)-1"
        let cgroup = "\(SystemdContainer.cgroupV2Root!)/\(dead)", folder = "\(SystemdContainer.directory)/\(dead)"
        #expect(mkdir(cgroup, 0o755) == 0)
        #expect(mkdir(cgroup + "/payload", 0o755) == 0)
        #expect(mkdir(folder, 0o755) == 0)
        #expect(mkdir(folder + "/root", 0o755) == 0)
        // And one of a live process (ours), which must stay.
        let live = "\(SystemdContainer.namePrefix)\(getpid())-999"
        #expect(mkdir("\(SystemdContainer.cgroupV2Root!)/\(live)", 0o755) == 0)
        defer { rmdir("\(SystemdContainer.cgroupV2Root!)/\(live)") }
        SystemdContainer.cleanLeftovers()
        #expect(access(cgroup, F_OK) != 0)
        #expect(access(folder, F_OK) != 0)
        #expect(access("\(SystemdContainer.cgroupV2Root!)/\(live)", F_OK) == 0)
    }
}
