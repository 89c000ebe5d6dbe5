import Foundation
import Testing
@testable import RefreshCore
@testable import RefreshHost

#if canImport(Glibc)
import Glibc
#endif

/// The systemd units in `Units/`: `systemd-analyze verify` finds nothing to say about them,
/// they run what the README says, and the gc unit, started by a real systemd, collects a
/// revision when its last user exits.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct UnitFileTests {
    static let units = ["refreshctl-gc.service", "refreshctl-refresh.service", "refreshctl-refresh.timer"]
    static let analyze = "/usr/bin/systemd-analyze"
    static let systemUnits = ["/usr/lib/systemd/system", "/lib/systemd/system"].first { access("\($0)/sysinit.target", F_OK) == 0 }

    static func unit(_ name: String) throws -> String {
        try String(contentsOfFile: packagePath("Units/\(name)"), encoding: .utf8)
    }

    /// The values of `key=` in a unit's text, in order.
    static func values(_ key: String, in text: String) -> [String] {
        text.split(separator: "\n").compactMap { line in
            line.hasPrefix("\(key)=") ? String(line.dropFirst(key.count + 1)) : nil
        }
    }

    /// `systemd-analyze verify` on a root that holds the system's units, the shipped units in
    /// /etc/systemd/system and refreshctl at /usr/local/bin, where the units expect it. Any
    /// word from it (an unknown key, a bad value, a missing program) fails the test.
    @Test("systemd-analyze verify passes the shipped units without a word",
          .enabled(if: access(analyze, X_OK) == 0 && systemUnits != nil, "needs systemd-analyze and the system's unit files"))
    func verify() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("refreshcore-units-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let fm = FileManager.default
        try fm.createDirectory(atPath: "\(root)/usr/lib/systemd", withIntermediateDirectories: true)
        try fm.copyItem(atPath: try #require(Self.systemUnits), toPath: "\(root)/usr/lib/systemd/system")
        try fm.createDirectory(atPath: "\(root)/usr/local/bin", withIntermediateDirectories: true)
        try fm.copyItem(atPath: try productURL("refreshctl").path, toPath: "\(root)/usr/local/bin/refreshctl")
        try fm.createDirectory(atPath: "\(root)/etc/systemd/system", withIntermediateDirectories: true)
        for unit in Self.units {
            try fm.copyItem(atPath: packagePath("Units/\(unit)"), toPath: "\(root)/etc/systemd/system/\(unit)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.analyze)
        process.arguments = ["verify", "--man=no", "--root=\(root)"] + Self.units.map { "\(root)/etc/systemd/system/\($0)" }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(output)")
        #expect(output.isEmpty, "\(output)")
    }

    /// What each unit runs parses as a refreshctl command line: the ExecStart words, with
    /// `--help` added, print that command's help (a misspelt option would be an error, exit 2).
    @Test("each unit's ExecStart is a command line refreshctl accepts", arguments: ["refreshctl-gc.service", "refreshctl-refresh.service"])
    func execStartParses(unit: String) throws {
        let execStart = try #require(Self.values("ExecStart", in: try Self.unit(unit)).first)
        var words = execStart.split(separator: " ").map(String.init)
        #expect(words.removeFirst() == "/usr/local/bin/refreshctl")
        let run = try runProduct("refreshctl", words + ["--help"])
        #expect(run.code == 0, "\(run.err)")
        #expect(run.out.contains("USAGE: refreshctl \(words[0])"))
    }

    @Test("the gc unit runs gc --watch; the timer's service applies every staged revision, postponed being no failure")
    func whatTheyRun() throws {
        let gc = try Self.unit("refreshctl-gc.service")
        #expect(Self.values("ExecStart", in: gc) == ["/usr/local/bin/refreshctl gc --watch --policy /etc/refreshctl/policy.yaml"])
        #expect(Self.values("Type", in: gc) == ["simple"])
        #expect(Self.values("Restart", in: gc) == ["always"], "gc --watch ends when nothing is in use; the unit starts it again")
        let refresh = try Self.unit("refreshctl-refresh.service")
        #expect(Self.values("ExecStart", in: refresh) == ["/usr/local/bin/refreshctl apply --all-staged --wait --policy /etc/refreshctl/policy.yaml"])
        #expect(Self.values("Type", in: refresh) == ["oneshot"])
        #expect(Self.values("SuccessExitStatus", in: refresh) == ["3"])
        let timer = try Self.unit("refreshctl-refresh.timer")
        #expect(Self.values("OnCalendar", in: timer) == ["hourly"])
        #expect(Self.values("Persistent", in: timer) == ["yes"] || Self.values("Persistent", in: timer) == ["true"])
        // Nothing gives the engine a mount namespace of its own: its mounts must be the host's.
        for text in [gc, refresh] {
            for key in ["ProtectSystem", "ProtectHome", "PrivateTmp", "PrivateDevices", "PrivateMounts", "ReadWritePaths",
                        "ReadOnlyPaths", "InaccessiblePaths", "ProtectKernelTunables", "ProtectKernelModules",
                        "ProtectControlGroups", "ProtectClock", "TemporaryFileSystem", "BindPaths", "RootDirectory", "DevicePolicy"] {
                #expect(Self.values(key, in: text).isEmpty, "\(key)= would hide the engine's mounts from the host")
            }
        }
    }
}

/// The shipped gc unit under a real systemd (PID 1 of a container): it starts, keeps a
/// revision a process still runs from, and collects it when that process exits.
@Suite(.serialized, .enabled(if: SystemdContainer.available, SystemdContainer.reason), .timeLimit(.minutes(5)), .systemdContainers([.unified]))
struct GcUnitUnderSystemdTests {
    @Test("refreshctl-gc.service collects a revision when its last user exits")
    func collectsWhenTheLastUserExits() async throws {
        let container = try SystemdContainer.booted(.unified)
        let root = container.shared + "/gc-root"
        let fm = FileManager.default
        for revision in ["1", "2", "3"] {
            try fm.createDirectory(atPath: "\(root)/snap/gc-demo/\(revision)/meta", withIntermediateDirectories: true)
            try fm.createDirectory(atPath: "\(root)/snap/gc-demo/\(revision)/bin", withIntermediateDirectories: true)
            try "name: gc-demo\nversion: '\(revision)'\napps:\n  sleeper: {command: bin/sleep}\n"
                .write(toFile: "\(root)/snap/gc-demo/\(revision)/meta/snap.yaml", atomically: true, encoding: .utf8)
            try fm.copyItem(atPath: "/bin/sleep", toPath: "\(root)/snap/gc-demo/\(revision)/bin/sleep")
        }
        try fm.createSymbolicLink(atPath: "\(root)/snap/gc-demo/current", withDestinationPath: "3")
        let binary = container.shared + "/refreshctl"
        try fm.copyItem(atPath: try productURL("refreshctl").path, toPath: binary)
        try await container.shell("install -m 0755 \"$1\" /usr/local/bin/refreshctl && mkdir -p /etc/refreshctl", binary)
        try await container.writeFile("/etc/refreshctl/policy.yaml", "version: 1\nretain: 2\n")
        // The shipped unit as it is, with a drop-in that points it at the test root.
        try await container.installUnit("refreshctl-gc.service", try UnitFileTests.unit("refreshctl-gc.service"))
        try await container.writeFile("/run/systemd/system/refreshctl-gc.service.d/root.conf", """
            [Service]
            ExecStart=
            ExecStart=/usr/local/bin/refreshctl gc --watch --policy /etc/refreshctl/policy.yaml --root \(root)

            """)
        try await container.daemonReload()
        // A user of revision 1, which retain: 2 (3 and 2) would otherwise remove.
        let pid = try #require(Int32(try await container.shell("setsid \"$1\" 1000 >/dev/null 2>&1 < /dev/null & echo $!", "\(root)/snap/gc-demo/1/bin/sleep")
            .trimmingCharacters(in: .whitespacesAndNewlines)))
        let journal = { await container.run(["sh", "-c", "systemctl status --no-pager refreshctl-gc.service; journalctl -u refreshctl-gc.service --no-pager -o cat"]).output }
        try await container.shell("systemctl start refreshctl-gc.service")
        defer { Task { _ = try? await container.shell("systemctl stop refreshctl-gc.service") } }
        try await Task.sleep(for: .seconds(2))
        let active = await container.run(["systemctl", "is-active", "refreshctl-gc.service"]).output
        let startLog = await journal()
        try #require(active == "active\n", "\(startLog)")
        #expect(access("\(root)/snap/gc-demo/1", F_OK) == 0, "revision 1 is in use and must stay")
        try await container.shell("kill \"$1\"", String(pid))
        var gone = false
        for _ in 0..<200 where !gone {
            try await Task.sleep(for: .milliseconds(100))
            gone = access("\(root)/snap/gc-demo/1", F_OK) != 0
        }
        let log = await journal()
        #expect(gone, "revision 1 was not collected after its last user exited; the unit's journal:\n\(log)")
        #expect(access("\(root)/snap/gc-demo/2", F_OK) == 0 && access("\(root)/snap/gc-demo/3", F_OK) == 0)
        // With nothing left in use, gc --watch ends; the unit does not fail, it starts again later.
        #expect(log.contains("gc-demo revision 1: removed"), "\(log)")
        // The sandbox refuses nothing the engine or its runtime asks for.
        #expect(!log.contains("Failed") && !log.contains("error"), "\(log)")
        let state = await container.run(["systemctl", "is-failed", "refreshctl-gc.service"]).output
        #expect(state != "failed\n", "\(log)")
    }
}
