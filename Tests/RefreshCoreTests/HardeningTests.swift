import Foundation
import Testing
@testable import RefreshCore
@testable import RefreshHost
import RefreshIO

#if canImport(Glibc)
import Glibc
#endif

/// A small hostile host for issue 11's scenarios: kill-toy with revisions 1, 2, 3 and 4 staged
/// (current 3, all mounted), a policy that kills its processes and a victim running from 3.
/// `gc` under the default retain (2) would remove revision 1; `apply kill-toy` would kill the
/// victim and move current to 4.
struct HostileHost {
    let host: ToyHost
    let victim: Int32

    static let policy = "version: 1\nrules:\n  - snap: kill-toy\n    on-refresh: kill\n"

    init(revisions: [String] = ["1", "2", "3", "4"], current: String = "3", victim: Bool = true) throws {
        host = try ToyHost()
        try host.addSnap("kill-toy", revisions: revisions, current: current,
                         snapYAML: { "name: kill-toy\nversion: '\($0)'\napps:\n  k:\n    command: bin/k\n" },
                         files: ["bin/k": .copy("/bin/sleep")])
        try HostileHost.policy.write(toFile: host.path("policy.yaml"), atomically: true, encoding: .utf8)
        self.victim = victim ? try host.start(host.path("snap/kill-toy/\(current)/bin/k"), execs: "k") : 0
    }

    var root: String { host.root }
    func path(_ relative: String) -> String { host.path(relative) }

    var current: String? { try? FileManager.default.destinationOfSymbolicLink(atPath: host.path("snap/kill-toy/current")) }
    func exists(_ relative: String) -> Bool { access(host.path(relative), F_OK) == 0 }
    var journal: String { host.path("var/lib/refreshctl/journal.json") }

    static func alive(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
        return !stat[stat.range(of: ")", options: .backwards)!.upperBound...].hasPrefix(" Z")
    }

    /// Nothing changed: current still 3, the victim alive, every revision there, no journal,
    /// no data directory made for 4, 4 still mounted as before.
    func expectUnchanged(_ context: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        #expect(current == "3", "\(context)", sourceLocation: sourceLocation)
        #expect(HostileHost.alive(victim), "\(context)", sourceLocation: sourceLocation)
        for revision in ["1", "2", "3", "4"] {
            #expect(exists("snap/kill-toy/\(revision)/bin/k"), "\(context): revision \(revision)", sourceLocation: sourceLocation)
        }
        #expect(!exists("var/lib/refreshctl/journal.json"), "\(context)", sourceLocation: sourceLocation)
        #expect(!exists("var/snap/kill-toy/4"), "\(context)", sourceLocation: sourceLocation)
    }

    /// Runs refreshctl with the crash hook set to `point` (debug builds only).
    func crash(at point: String, _ arguments: [String], in directory: String? = nil) throws -> ProductRun {
        var environment = ProcessInfo.processInfo.environment
        environment["REFRESHCTL_TESTING_CRASH_AT"] = point
        return try runProduct("refreshctl", arguments, in: directory.map { URL(fileURLWithPath: $0) }, environment: environment)
    }
}

/// The commands that change a host, each with `--policy FILE`.
func changingCommands(root: String, policy: String) -> [[String]] {
    [
        ["apply", "--root", root, "--policy", policy, "kill-toy"],
        ["revert", "--root", root, "--policy", policy, "kill-toy"],
        ["recover", "--root", root, "--policy", policy],
        ["gc", "--root", root, "--policy", policy],
    ]
}

/// Issue 11 item 1: who chooses what root runs.
@Suite(.serialized, .enabled(if: ToyHost.available, ToyHost.reason), .timeLimit(.minutes(10)))
struct PolicyTrustTests {
    static let nobody: uid_t = 65534

    /// A policy someone other than root could have written, and what the refusal must say.
    enum Untrusted: String, CaseIterable, Sendable {
        case fileOwnedByNobody, groupWritableFile, worldWritableFile, directoryWritableByAll, directoryOwnedByNobody,
             writableDirectoryFurtherUp, usersDirectoryInStickyDirectory, usersFileInStickyDirectory

        /// Makes the policy; returns its path and the phrases the refusal must contain.
        func make(_ host: HostileHost) throws -> (String, [String]) {
            let dir = host.path("conf")
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            chmod(dir, 0o755)
            var file = dir + "/policy.yaml"
            func write() throws {
                try HostileHost.policy.write(toFile: file, atomically: true, encoding: .utf8)
                chmod(file, 0o644)
            }
            switch self {
            case .fileOwnedByNobody:
                try write()
                chown(file, PolicyTrustTests.nobody, PolicyTrustTests.nobody)
                return (file, ["refusing the policy \(file): it is owned by uid 65534, not root", "fix: chown root:root \(file) && chmod go-w \(file)"])
            case .groupWritableFile:
                try write()
                chmod(file, 0o664)
                return (file, ["refusing the policy \(file): its mode 0664 lets its group write it", "fix: chmod go-w \(file)"])
            case .worldWritableFile:
                try write()
                chmod(file, 0o646)
                return (file, ["refusing the policy \(file): its mode 0646 lets anyone write it", "fix: chmod go-w \(file)"])
            case .directoryWritableByAll:
                try write()
                chmod(dir, 0o777)
                return (file, ["the directory \(dir) above it has mode 0777", "fix: chmod go-w \(dir)"])
            case .directoryOwnedByNobody:
                try write()
                chown(dir, PolicyTrustTests.nobody, PolicyTrustTests.nobody)
                return (file, ["the directory \(dir) above it is owned by uid 65534, not root", "such as /etc/refreshctl"])
            case .writableDirectoryFurtherUp:
                try FileManager.default.createDirectory(atPath: dir + "/deeper", withIntermediateDirectories: true)
                chmod(dir + "/deeper", 0o755)
                file = dir + "/deeper/policy.yaml"
                try write()
                chmod(dir, 0o757)
                return (file, ["the directory \(dir) above it has mode 0757"])
            case .usersDirectoryInStickyDirectory:
                chmod(dir, 0o1777)
                try FileManager.default.createDirectory(atPath: dir + "/mine", withIntermediateDirectories: true)
                chmod(dir + "/mine", 0o755)
                chown(dir + "/mine", PolicyTrustTests.nobody, PolicyTrustTests.nobody)
                file = dir + "/mine/policy.yaml"
                try write()
                return (file, ["\(dir)/mine is owned by uid 65534 in a directory anyone may write to"])
            case .usersFileInStickyDirectory:
                chmod(dir, 0o1777)
                try write()
                chown(file, PolicyTrustTests.nobody, PolicyTrustTests.nobody)
                return (file, ["refusing the policy \(file): it is owned by uid 65534, not root"])
            }
        }
    }

    @Test(arguments: Untrusted.allCases)
    func aPolicyOthersCouldHaveWrittenIsRefusedByEveryCommandThatChangesTheHost(_ untrusted: Untrusted) throws {
        let host = try HostileHost()
        defer { host.host.tearDown() }
        let (policy, phrases) = try untrusted.make(host)
        for command in changingCommands(root: host.root, policy: policy) {
            let run = try ToyHost.refreshctl(command)
            #expect(run.code == 2, "\(command[0]): \(run.err)")
            #expect(run.out.isEmpty, "\(command[0])")
            for phrase in phrases { #expect(run.err.contains(phrase), "\(command[0]): \(run.err)") }
            host.expectUnchanged(command[0])
        }
    }

    /// A root-owned sticky directory (as /tmp) above a root-owned policy is safe: nobody else
    /// can rename or replace the entry. The refresh runs under it.
    @Test func aRootOwnedPolicyInARootOwnedStickyDirectoryIsAccepted() throws {
        let host = try HostileHost()
        defer { host.host.tearDown() }
        let dir = host.path("sticky")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        chmod(dir, 0o1777)
        try HostileHost.policy.write(toFile: dir + "/policy.yaml", atomically: true, encoding: .utf8)
        chmod(dir + "/policy.yaml", 0o644)
        let run = try ToyHost.refreshctl(["apply", "--root", host.root, "--policy", dir + "/policy.yaml", "kill-toy"])
        #expect(run.code == 0, "\(run.err)")
        #expect(run.out.contains("pid \(host.victim) kill-toy.k: kill: killed"))
        #expect(!HostileHost.alive(host.victim))
        #expect(host.current == "4")
    }

    /// `plan` and `gc --dry-run` change nothing, so they read a policy anyone could write.
    @Test func readOnlyCommandsReadAnUntrustedPolicy() throws {
        let host = try HostileHost()
        defer { host.host.tearDown() }
        let (policy, _) = try Untrusted.worldWritableFile.make(host)
        let planned = try ToyHost.refreshctl(["plan", "--root", host.root, "--policy", policy, "kill-toy"])
        #expect(planned.code == 0, "\(planned.err)")
        #expect(planned.out.contains("kill"))
        let dry = try ToyHost.refreshctl(["gc", "--dry-run", "--root", host.root, "--policy", policy])
        #expect(dry.code == 0 && dry.out == "kill-toy revision 1: would remove\n", "\(dry.err)")
        host.expectUnchanged("read-only")
    }

    /// The journal names the policy by its absolute path with a digest, so `recover` run from
    /// another directory plans with the same file — not with another `policy.yaml` there.
    @Test func recoverFromAnotherDirectoryUsesTheJournalledPolicy() throws {
        let host = try HostileHost()
        defer { host.host.tearDown() }
        let crashed = try host.crash(at: "journal:acting", ["apply", "--quiet", "--root", host.root, "--policy", "policy.yaml", "kill-toy"], in: host.root)
        #expect(!crashed.exited)
        let journal = try String(contentsOfFile: host.journal, encoding: .utf8)
        let digest = TrustedPolicy.digest(Array(HostileHost.policy.utf8))
        #expect(journal.contains("\"path\":\"\(host.root)/policy.yaml\"") || journal.contains("\"path\": \"\(host.root)/policy.yaml\""), "\(journal)")
        #expect(journal.contains(digest), "\(journal)")
        #expect(host.current == "4" && HostileHost.alive(host.victim))

        // Elsewhere, a policy.yaml that would leave the victim running.
        let elsewhere = host.path("elsewhere")
        try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
        try "version: 1\nrules:\n  - snap: kill-toy\n    on-refresh: leave-running\n".write(toFile: elsewhere + "/policy.yaml", atomically: true, encoding: .utf8)
        let wrong = try runProduct("refreshctl", ["recover", "--root", host.root, "--policy", "policy.yaml"], in: URL(fileURLWithPath: elsewhere))
        #expect(wrong.code == 2)
        #expect(wrong.err.contains("was planned with the policy \(host.root)/policy.yaml, not \(elsewhere)/policy.yaml"), "\(wrong.err)")
        #expect(HostileHost.alive(host.victim) && host.exists("var/lib/refreshctl/journal.json"))

        let recovered = try runProduct("refreshctl", ["recover", "--quiet", "--root", host.root], in: URL(fileURLWithPath: elsewhere))
        #expect(recovered.code == 0, "\(recovered.err)")
        #expect(recovered.out.contains("pid \(host.victim) kill-toy.k: kill: killed"), "\(recovered.out)")
        #expect(!HostileHost.alive(host.victim))
        #expect(!host.exists("var/lib/refreshctl/journal.json"))
        #expect(host.current == "4")
    }

    /// A policy edited (or made writable by others) since the refresh was planned is refused
    /// by `recover`: exit 2, the journal stays, the processes are not touched.
    @Test func recoverRefusesAPolicyThatChangedSince() throws {
        let host = try HostileHost()
        defer { host.host.tearDown() }
        let policy = host.path("policy.yaml")
        let crashed = try host.crash(at: "journal:acting", ["apply", "--quiet", "--root", host.root, "--policy", policy, "kill-toy"])
        #expect(!crashed.exited)
        try (HostileHost.policy + "# edited\n").write(toFile: policy, atomically: true, encoding: .utf8)
        for arguments in [["recover", "--root", host.root], ["recover", "--root", host.root, "--policy", policy]] {
            let refused = try ToyHost.refreshctl(arguments)
            #expect(refused.code == 2)
            #expect(refused.err.contains("the policy \(policy) changed since the interrupted refresh was planned"), "\(refused.err)")
            #expect(HostileHost.alive(host.victim) && host.exists("var/lib/refreshctl/journal.json"))
        }
        // Put back as it was, but writable by anyone: still refused, for the mode.
        try HostileHost.policy.write(toFile: policy, atomically: true, encoding: .utf8)
        chmod(policy, 0o666)
        let writable = try ToyHost.refreshctl(["recover", "--root", host.root])
        #expect(writable.code == 2)
        #expect(writable.err.contains("its mode 0666 lets anyone write it"), "\(writable.err)")
        #expect(HostileHost.alive(host.victim) && host.exists("var/lib/refreshctl/journal.json"))
        // As it was: recover finishes.
        chmod(policy, 0o644)
        let recovered = try ToyHost.refreshctl(["recover", "--quiet", "--root", host.root])
        #expect(recovered.code == 0, "\(recovered.err)")
        #expect(!HostileHost.alive(host.victim))
        #expect(!host.exists("var/lib/refreshctl/journal.json"))
    }
}

/// Issue 11 item 2: the root is one path, however it is spelled.
@Suite(.serialized, .enabled(if: ToyHost.available, ToyHost.reason), .timeLimit(.minutes(10)))
struct RootFormTests {
    /// Spellings of the root: (the `--root` argument, the directory to run refreshctl in).
    static func forms(_ root: String) -> [(String, String?)] {
        let parent = (root as NSString).deletingLastPathComponent
        let base = (root as NSString).lastPathComponent
        return [
            (base, parent),                                  // relative
            ("./\(base)/", parent),                          // relative, ./ and a trailing slash
            (parent + "/./" + base, nil),                    // /./
            (parent + "//" + base + "//", nil),              // //
            (root + "/snap/../", nil),                       // ..
            (root + "/alias", nil),                          // a symlink to the root
        ]
    }

    @Test func everySpellingOfTheRootSeesTheProcessesAndActsAsTheCanonicalOne() throws {
        let host = try HostileHost(revisions: ["1", "2", "3", "4"], current: "3")
        defer { host.host.tearDown() }
        try FileManager.default.createSymbolicLink(atPath: host.path("alias"), withDestinationPath: ".")
        // A process working in revision 1 keeps it from gc (retain 2 would otherwise remove it);
        // a user, not one of the snap's apps, so the refreshes leave it running.
        let holder = try host.host.start("/bin/sleep", cwd: host.path("snap/kill-toy/1"))
        var victim = host.victim
        var from = "3", to = "4"
        for (root, directory) in Self.forms(host.root) {
            let cwd = directory.map { URL(fileURLWithPath: $0) }
            let status = try runProduct("refreshctl", ["status", "--root", root, "--format", "json"], in: cwd)
            #expect(status.code == 0, "\(root): \(status.err)")
            #expect(status.out.contains("\(holder)"), "\(root): \(status.out)")
            let gc = try runProduct("refreshctl", ["gc", "--root", root], in: cwd)
            #expect(gc.code == 0, "\(root): \(gc.err)")
            // Seen as in use, not merely kept because the kernel found its mount busy.
            #expect(gc.out == "nothing to collect\n", "\(root): \(gc.out)")
            #expect(host.exists("snap/kill-toy/1/bin/k"), "\(root)")
            #expect(HostileHost.alive(holder), "\(root)")

            let applied = try runProduct("refreshctl", ["apply", "--root", root, "--policy", host.path("policy.yaml"), "kill-toy=\(to)"], in: cwd)
            #expect(applied.code == 0, "\(root): \(applied.err)")
            #expect(applied.out.contains("pid \(victim) kill-toy.k: kill: killed"), "\(root): \(applied.out)")
            #expect(!HostileHost.alive(victim), "\(root)")
            #expect(host.current == to, "\(root)")
            #expect(HostileHost.alive(holder), "\(root)")
            swap(&from, &to)
            victim = try host.host.start(host.path("snap/kill-toy/\(from)/bin/k"), execs: "k")
        }
        _ = holder
    }
}

/// Issue 11 item 3: `current` in every form snapd or a person may write.
@Suite(.serialized, .enabled(if: ToyHost.available, ToyHost.reason), .timeLimit(.minutes(10)))
struct CurrentLinkFormTests {
    @Test func gcNeverRemovesWhatCurrentNamesAndStatusReadsIt() throws {
        // Revisions 1, 2, 3; current names 1, so 2 and 3 are staged and nothing is collectable.
        // Misread, current is unknown and retain 2 would remove 1.
        let host = try HostileHost(revisions: ["1", "2", "3"], current: "1", victim: false)
        defer { host.host.tearDown() }
        let link = host.path("snap/kill-toy/current")
        let forms = ["1", "1/", "./1", "./1/", ".//1", "/snap/kill-toy/1", "/snap/kill-toy/1/", host.path("snap/kill-toy/1"), host.path("snap/kill-toy/1/")]
        for form in forms {
            unlink(link)
            try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: form)
            let status = try ToyHost.refreshctl(["status", "--root", host.root, "--format", "json"])
            #expect(status.code == 0, "\(form): \(status.err)")
            #expect(status.out.contains("\"current\":\"1\"") || status.out.contains("\"current\": \"1\""), "\(form): \(status.out)")
            let gc = try ToyHost.refreshctl(["gc", "--root", host.root])
            #expect(gc.code == 0, "\(form): \(gc.err)")
            #expect(gc.out == "nothing to collect\n", "\(form): \(gc.out)")
            #expect(host.exists("snap/kill-toy/1/bin/k"), "\(form)")
            #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == form)
        }
    }

    /// A link gc cannot read (it names another snap's revision, or nothing it knows) keeps the
    /// whole snap: nothing of it is collected.
    @Test func aCurrentLinkThatCannotBeReadKeepsEveryRevision() throws {
        let host = try HostileHost(revisions: ["1", "2", "3"], current: "1", victim: false)
        defer { host.host.tearDown() }
        let link = host.path("snap/kill-toy/current")
        for form in ["../other/1", "/snap/other/1", "/elsewhere/1", "1/..", "weird"] {
            unlink(link)
            try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: form)
            let gc = try ToyHost.refreshctl(["gc", "--root", host.root])
            #expect(!gc.out.contains("removed"), "\(form): \(gc.out)")
            for revision in ["1", "2", "3"] { #expect(host.exists("snap/kill-toy/\(revision)/bin/k"), "\(form)") }
        }
    }
}

/// Runs `executable` (a host tool) with `arguments`; output through files, as ``runProduct``.
func runTool(_ executable: String, _ arguments: [String]) throws -> ProductRun {
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("refreshcore-tool-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: scratch) }
    let outURL = scratch.appendingPathComponent("stdout"), errURL = scratch.appendingPathComponent("stderr")
    try Data().write(to: outURL)
    try Data().write(to: errURL)
    let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: "/")
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = out
    process.standardError = err
    try process.run()
    process.waitUntilExit()
    try out.close()
    try err.close()
    return ProductRun(code: process.terminationStatus, stdout: try Data(contentsOf: outURL), stderr: try Data(contentsOf: errURL),
                      exited: process.terminationReason == .exit)
}

/// Issue 11 item 4: more processes to stop than descriptors.
@Suite(.serialized, .enabled(if: ToyHost.available && ToyHost.which("prlimit") != nil, "needs the toy host and prlimit (util-linux)"),
       .timeLimit(.minutes(10)))
struct ManyProcessesTests {
    static let count = 150

    func makeHost() throws -> (HostileHost, [Int32]) {
        let host = try HostileHost()
        var pids = [host.victim]
        for _ in 1..<Self.count { pids.append(try host.host.start(host.path("snap/kill-toy/3/bin/k"), execs: "k")) }
        return (host, pids)
    }

    func outcomes(_ run: ProductRun) throws -> [Int32: String] {
        let report = try #require(try JSONSerialization.jsonObject(with: run.stdout) as? [String: Any], "\(run.out) \(run.err)")
        let processes = report["processes"] as? [[String: Any]] ?? []
        return Dictionary(uniqueKeysWithValues: processes.map { (Int32($0["pid"] as! Int), $0["outcome"] as! String) })
    }

    /// The soft limit is raised to the hard one at start: 150 processes under a soft limit of
    /// 64 are all killed.
    @Test func theSoftLimitIsRaisedToTheHardOne() throws {
        let (host, pids) = try makeHost()
        defer { host.host.tearDown() }
        let run = try runTool(ToyHost.which("prlimit")!, ["--nofile=64:4096", try productURL("refreshctl").path,
                                                            "apply", "--quiet", "--format", "json", "--root", host.root, "--policy", host.path("policy.yaml"), "kill-toy"])
        #expect(run.code == 0, "\(run.err)")
        let outcomes = try outcomes(run)
        #expect(outcomes.count == Self.count)
        #expect(Set(outcomes.values) == ["killed"], "\(Set(outcomes.values))")
        #expect(pids.allSatisfy { !HostileHost.alive($0) })
        #expect(host.current == "4")
    }

    /// With a hard limit of 64, only about 25 pidfds can be held at once for 150 processes: the
    /// shutdowns that find no descriptor wait for earlier ones to end, and all 150 are killed;
    /// none is ever reported "gone" or left behind.
    @Test func moreProcessesThanDescriptorsAreStoppedInTurn() throws {
        let (host, pids) = try makeHost()
        defer { host.host.tearDown() }
        let run = try runTool(ToyHost.which("prlimit")!, ["--nofile=64:64", try productURL("refreshctl").path,
                                                            "apply", "--quiet", "--format", "json", "--root", host.root, "--policy", host.path("policy.yaml"), "kill-toy"])
        #expect(run.code == 0, "\(run.err) \(run.out.prefix(3000))")
        let outcomes = try outcomes(run)
        #expect(outcomes.count == Self.count, "\(run.err)")
        #expect(Set(outcomes.values) == ["killed"], "\(Set(outcomes.values))")
        #expect(pids.allSatisfy { !HostileHost.alive($0) })
        #expect(host.current == "4")
        #expect(!host.exists("var/lib/refreshctl/journal.json"), "\(run.err)")
    }
}

/// Issue 11 item 6: gc keeps a plain-directory revision a process uses only through its
/// working directory, an open file, or a chroot into it. (A process that starts using a
/// revision while gc runs: EngineTests.gcRechecksEachRevisionRightBeforeRemovingIt.)
@Suite(.serialized, .enabled(if: ToyHost.available, ToyHost.reason), .timeLimit(.minutes(10)))
struct PlainRevisionUserTests {
    /// plain-toy 1, 2, 3 (current) as plain directories (no image), with a copy of sleep and the
    /// loader and libc it needs; retain 2 leaves revision 1 collectable.
    func makeHost() throws -> ToyHost {
        let host = try ToyHost()
        let fm = FileManager.default
        for revision in ["1", "2", "3"] {
            let dir = host.path("snap/plain-toy/\(revision)")
            try fm.createDirectory(atPath: dir + "/meta", withIntermediateDirectories: true)
            try "name: plain-toy\nversion: '\(revision)'\napps:\n  p:\n    command: bin/sleep\n".write(toFile: dir + "/meta/snap.yaml", atomically: true, encoding: .utf8)
            try "data\n".write(toFile: dir + "/file", atomically: true, encoding: .utf8)
            for (relative, content) in ToyHost.baseFiles {
                guard case .copy(let source) = content else { continue }
                try fm.createDirectory(atPath: ((dir + "/" + relative) as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try host.copy(source, to: dir + "/" + relative)
            }
        }
        try fm.createSymbolicLink(atPath: host.path("snap/plain-toy/current"), withDestinationPath: "3")
        return host
    }

    /// How a process outside the snap uses revision 1. A chroot into it (`unshare --root`)
    /// runs the revision's own copy of sleep, so its executable binds it too.
    enum Use: String, CaseIterable, Sendable { case workingDirectory, openFile, chroot }

    @Test(arguments: Use.allCases)
    func gcKeepsARevisionUsedOnlyThrough(_ use: Use) throws {
        let host = try makeHost()
        defer { host.tearDown() }
        let dry = try ToyHost.refreshctl(["gc", "--dry-run", "--root", host.root])
        #expect(dry.out == "plain-toy revision 1: would remove\n")
        let dryJSON = try ToyHost.refreshctl(["gc", "--dry-run", "--format", "json", "--root", host.root])
        #expect(dryJSON.out.hasPrefix(#"{"version":1,"revisions":[{"snap":"plain-toy","revision":"1","result":"would remove""#), "\(dryJSON.out)")
        try SchemaTests.expectValid(dryJSON.out, against: "gc.schema.json")
        let revision = host.path("snap/plain-toy/1")
        switch use {
        case .workingDirectory:
            try host.start("/bin/sleep", cwd: revision)
        case .openFile:
            try host.start("/bin/sh", ["-c", "exec /bin/sleep 300 3<\(revision)/file"])
        case .chroot:
            try host.start(ToyHost.which("unshare")!, ["--root=\(revision)", "/bin/sleep", "300"])
        }
        let gc = try ToyHost.refreshctl(["gc", "--root", host.root])
        #expect(gc.code == 0, "\(gc.err)")
        #expect(gc.out == "nothing to collect\n", "\(gc.out)")
        #expect(access(revision + "/file", F_OK) == 0)
    }
}

/// Issue 11 item 7: a revision whose snap.yaml does not parse, or names another snap, is never
/// made current.
@Suite(.serialized, .enabled(if: ToyHost.available, ToyHost.reason), .timeLimit(.minutes(10)))
struct BadRevisionTests {
    @Test func aBadSnapYAMLIsRefusedAsASwitchTarget() throws {
        let host = try ToyHost()
        defer { host.tearDown() }
        try host.addSnap("kill-toy", revisions: ["1", "2", "3", "4", "5", "6"], mounted: ["1", "2", "3", "6"], current: "3", snapYAML: { revision in
            switch revision {
            case "4", "6": return "name: kill-toy\nversion: [unclosed\n"
            case "5": return "name: other-toy\nversion: '5'\napps:\n  k:\n    command: bin/k\n"
            default: return "name: kill-toy\nversion: '\(revision)'\napps:\n  k:\n    command: bin/k\n"
            }
        }, files: ["bin/k": .copy("/bin/sleep")])
        try HostileHost.policy.write(toFile: host.path("policy.yaml"), atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: host.path("var/snap/kill-toy/3"), withIntermediateDirectories: true)
        let victim = try host.start(host.path("snap/kill-toy/3/bin/k"), execs: "k")
        for (revision, why, wasMounted) in [("4", "snap.yaml", false), ("5", "names the snap 'other-toy', but it is installed as 'kill-toy'", false), ("6", "snap.yaml", true)] {
            let run = try ToyHost.refreshctl(["apply", "--root", host.root, "--policy", host.path("policy.yaml"), "kill-toy=\(revision)"])
            #expect(run.code == 1, "\(revision): \(run.err)")
            #expect(run.out.contains("kill-toy: rolled back (3 -> \(revision)): refusing to switch to kill-toy revision \(revision): "), "\(run.out)")
            #expect(run.out.contains(why), "\(run.out)")
            #expect(try FileManager.default.destinationOfSymbolicLink(atPath: host.path("snap/kill-toy/current")) == "3")
            #expect(HostileHost.alive(victim))
            #expect(host.store.isMounted(SnapName("kill-toy")!, Revision(revision)!) == wasMounted, "\(revision)")
            #expect(access(host.path("var/snap/kill-toy/\(revision)"), F_OK) != 0)
            #expect(access(host.path("var/lib/refreshctl/journal.json"), F_OK) != 0)
        }
    }
}

/// Issue 11 item 8: the command line.
@Suite(.serialized, .enabled(if: ToyHost.available, ToyHost.reason), .timeLimit(.minutes(10)))
struct ChangeCommandLineTests {
    /// One bad name or revision among good ones: exit 2 and nothing changed (the good one is
    /// not refreshed first).
    @Test func applyValidatesEveryNameAndRevisionFirst() throws {
        let host = try HostileHost()
        defer { host.host.tearDown() }
        for (names, phrase) in [(["kill-toy", "nosuch"], "snap 'nosuch' is not installed"),
                                (["nosuch", "kill-toy"], "snap 'nosuch' is not installed"),
                                (["kill-toy=9"], "revision 9 of 'kill-toy' is not installed (installed: 1, 2, 3, 4)")] {
            let run = try ToyHost.refreshctl(["apply", "--root", host.root, "--policy", host.path("policy.yaml")] + names)
            #expect(run.code == 2, "\(names): \(run.out) \(run.err)")
            #expect(run.err.contains(phrase), "\(run.err)")
            #expect(run.out.isEmpty)
            host.expectUnchanged("\(names)")
        }
    }

    /// A policy file that is not there is bad input (exit 2) for every command that changes
    /// the host, as is `--policy` without a value.
    @Test func aMissingPolicyIsExit2() throws {
        let host = try HostileHost()
        defer { host.host.tearDown() }
        for command in changingCommands(root: host.root, policy: host.path("nosuch/policy.yaml")) {
            let run = try ToyHost.refreshctl(command)
            #expect(run.code == 2, "\(command[0]): \(run.err)")
            #expect(run.err.contains("\(host.path("nosuch/policy.yaml")):1:1: error: cannot read the policy"), "\(command[0]): \(run.err)")
            host.expectUnchanged(command[0])
        }
        for command in ["apply", "revert", "recover", "gc"] {
            let run = try ToyHost.refreshctl([command, "--root", host.root, "--policy"])
            #expect(run.code == 2, "\(command): \(run.err)")
            #expect(run.err.contains("--policy"), "\(command): \(run.err)")
            host.expectUnchanged(command)
        }
    }

    /// Not root: "must be run as root" before anything is read or changed, for every command
    /// that changes the host (run as nobody through setpriv).
    @Test(.enabled(if: ToyHost.which("setpriv") != nil, "needs setpriv (util-linux)"))
    func aNonRootUserIsToldToRunAsRootBeforeAnything() throws {
        let host = try HostileHost()
        defer { host.host.tearDown() }
        let binary = try productURL("refreshctl").path
        var commands = changingCommands(root: host.root, policy: host.path("policy.yaml"))
        commands.append(["apply", "--root", host.root, "kill-toy", "nosuch"])
        for command in commands {
            let run = try runTool(ToyHost.which("setpriv")!, ["--reuid=65534", "--regid=65534", "--clear-groups", binary] + command)
            #expect(run.code == 2, "\(command): \(run.err)")
            #expect(run.err == "error: refreshctl \(command[0]) must be run as root: it mounts revisions, switches links and signals processes; run it with sudo\n", "\(run.err)")
            host.expectUnchanged(command[0])
        }
    }

    /// A root without `snap/` is an error, not an empty host.
    @Test func statusOfARootWithoutSnapsIsAnError() throws {
        let host = try HostileHost(victim: false)
        defer { host.host.tearDown() }
        try FileManager.default.createDirectory(atPath: host.path("empty"), withIntermediateDirectories: true)
        for root in [host.path("typo"), host.path("empty")] {
            let run = try ToyHost.refreshctl(["status", "--root", root])
            #expect(run.code == 2, "\(root): \(run.out)")
            #expect(run.out.isEmpty)
            #expect(run.err.contains("--root \(root)"), "\(run.err)")
        }
        let good = try ToyHost.refreshctl(["status", "--root", host.root])
        #expect(good.code == 0 && good.out.hasPrefix("kill-toy\n"))
    }

    /// An interrupted refresh shows in `status`, with the command that finishes it.
    @Test func statusShowsAnInterruptedRefresh() throws {
        let host = try HostileHost()
        defer { host.host.tearDown() }
        let clean = try ToyHost.refreshctl(["status", "--root", host.root])
        #expect(!clean.out.contains("interrupted"))
        let crashed = try host.crash(at: "journal:acting", ["apply", "--quiet", "--root", host.root, "--policy", host.path("policy.yaml"), "kill-toy"])
        #expect(!crashed.exited)
        let text = try ToyHost.refreshctl(["status", "--root", host.root])
        #expect(text.code == 0)
        #expect(text.out.hasSuffix("\ninterrupted apply of kill-toy, recorded in \(host.journal): run 'refreshctl recover --root \(host.root)' to finish it\n"), "\(text.out)")
        let json = try ToyHost.refreshctl(["status", "--root", host.root, "--format", "json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as? [String: Any])
        let interrupted = try #require(object["interrupted"] as? [String: Any])
        #expect(interrupted["operation"] as? String == "apply")
        #expect(interrupted["command"] as? String == "refreshctl recover --root \(host.root)")
        #expect(interrupted["snaps"] as? [String] == ["kill-toy"])
        try SchemaTests.expectValid(json.out, against: "status.schema.json")
        // The command it names finishes the refresh.
        let recovered = try ToyHost.refreshctl(["recover", "--quiet", "--root", host.root])
        #expect(recovered.code == 0, "\(recovered.err)")
        #expect(!(try ToyHost.refreshctl(["status", "--root", host.root])).out.contains("interrupted"))
    }

    /// After `revert`, `apply NAME` does not go back to the reverted-from revision unless it
    /// is named, as snapd does; a newer revision is still refreshed to.
    @Test func applyDoesNotGoBackToARevertedFromRevision() throws {
        let host = try HostileHost(revisions: ["1", "2", "3"], current: "3", victim: false)
        defer { host.host.tearDown() }
        let policy = host.path("policy.yaml")
        let reverted = try ToyHost.refreshctl(["revert", "--root", host.root, "--policy", policy, "kill-toy"])
        #expect(reverted.code == 0, "\(reverted.err)")
        #expect(host.current == "2")
        #expect(try String(contentsOfFile: host.path("var/lib/refreshctl/reverted/kill-toy"), encoding: .utf8) == "3\n")
        let again = try ToyHost.refreshctl(["apply", "--root", host.root, "--policy", policy, "kill-toy"])
        #expect(again.code == 0, "\(again.err)")
        #expect(again.out == "kill-toy: up to date at 2 (revision 3 was reverted from, so it is not refreshed to again unless named: kill-toy=3)\n", "\(again.out)")
        #expect(host.current == "2")
        let named = try ToyHost.refreshctl(["apply", "--root", host.root, "--policy", policy, "kill-toy=3"])
        #expect(named.code == 0, "\(named.err)")
        #expect(host.current == "3")
        #expect(!host.exists("var/lib/refreshctl/reverted/kill-toy"))
    }
}
