import Foundation
import RefreshCore
import Testing
@testable import RefreshCore
@testable import RefreshHost

#if canImport(Glibc)
import Glibc
#endif

/// The real command runner against real processes: what the child inherits, where its output
/// goes, when run() returns, and what a timeout kills.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct CommandRunnerTests {
    let runner = SubprocessCommandRunner()
    let path = ["PATH": Command.systemPath]

    func sh(_ script: String, environment: [String: String]? = nil, detached: Bool = false) -> Command {
        Command(["/bin/sh", "-c", script], environment: environment ?? path, detached: detached)
    }

    /// Whether `pid` is still a live process (not gone, not a zombie).
    func isAlive(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        return !stat[stat.index(close, offsetBy: 2)...].hasPrefix("Z")
    }

    /// Waits (at most `seconds`) until `pid` is gone or a zombie.
    func waitUntilDead(_ pid: pid_t, seconds: Int = 10) async throws -> Bool {
        for _ in 0..<(seconds * 50) {
            if !isAlive(pid) { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    /// The fields of /proc/PID/stat after the command name: state, ppid, pgrp, session.
    func groupAndSession(_ statLine: String) throws -> (pgrp: Int32, session: Int32) {
        let close = try #require(statLine.lastIndex(of: ")"))
        let fields = statLine[statLine.index(close, offsetBy: 2)...].split(separator: " ")
        return (try #require(Int32(fields[2])), try #require(Int32(fields[3])))
    }

    @Test func theChildInheritsOnlyStandardInputOutputAndError() async throws {
        // A descriptor of ours without close-on-exec, as a careless library would leave one.
        let leaked = open("/dev/null", O_RDONLY)
        try #require(leaked > 2)
        defer { close(leaked) }
        #expect(fcntl(leaked, F_GETFD) & FD_CLOEXEC == 0)
        // ls, a child of the shell, lists the shell's descriptors (its own would include the one
        // it reads the directory with).
        let result = await runner.run(sh("ls -l /proc/$$/fd/"), timeout: .seconds(30))
        #expect(result.termination == .exited(0))
        // "lrwx------ 1 root root 64 Dec  2 18:00 1 -> /memfd:..." as "1 /memfd:...".
        let lines = result.output.split(separator: "\n").filter { $0.contains(" -> ") }.map { line in
            let parts = line.components(separatedBy: " -> ")
            return "\(parts[0].split(separator: " ").last ?? "") \(parts[1])"
        }
        let descriptors = lines.compactMap { $0.split(separator: " ").first.flatMap { Int32($0) } }
        #expect(descriptors == [0, 1, 2], "the child saw: \(lines)")
        #expect(lines.contains("0 /dev/null"))
        #expect(lines.contains { $0.hasPrefix("1 /memfd:refreshcore-command-output") }, "standard output is the private file, not ours: \(lines)")
        #expect(lines.contains { $0.hasPrefix("2 /memfd:refreshcore-command-output") }, "standard error is the private file, not ours: \(lines)")
        #expect(!lines.contains { $0.hasPrefix("\(leaked) ") })
    }

    @Test func outputAndErrorAreCapturedInterleaved() async {
        let result = await runner.run(sh("echo one; echo two >&2; echo three"), timeout: .seconds(30))
        #expect(result == CommandResult(termination: .exited(0), output: "one\ntwo\nthree\n", duration: result.duration))
    }

    @Test(arguments: [false, true])
    func aCommandThatStartsADaemonIsDoneWhenItExits(detached: Bool) async throws {
        // The daemon keeps the inherited output open for 30 s; a pipe read to its end would wait.
        let result = await runner.run(sh("sleep 30 & echo $!; echo started", detached: detached), timeout: .seconds(60))
        #expect(result.termination == .exited(0))
        let lines = result.output.split(separator: "\n")
        try #require(lines.count == 2, "output: \(result.output)")
        #expect(lines[1] == "started")
        let daemon = try #require(pid_t(lines[0]))
        defer { kill(daemon, SIGKILL) }
        #expect(isAlive(daemon), "the daemon must outlive the command that started it")
        // The shell forked it; it may not have exec'd sleep yet.
        var cmdline = ""
        for _ in 0..<250 where cmdline != "sleep\u{0}30\u{0}" {
            cmdline = (try? String(contentsOfFile: "/proc/\(daemon)/cmdline", encoding: .utf8)) ?? ""
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(cmdline == "sleep\u{0}30\u{0}")
    }

    @Test(arguments: [false, true])
    func aCommandPastItsTimeoutIsKilledWithItsProcessGroup(detached: Bool) async throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("refreshcore-runner-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let result = await runner.run(sh("sleep 1000 & echo $! > \(scratch.path); echo waiting; exec sleep 1000", detached: detached), timeout: .milliseconds(500))
        #expect(result.termination == .timedOut)
        #expect(result.output == "waiting\n", "what it printed before the kill is kept")
        let member = try #require(pid_t(String(contentsOf: scratch, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        defer { kill(member, SIGKILL) }
        #expect(try await waitUntilDead(member), "the command's background child is in its group and dies with it")
    }

    @Test func concurrentCommandsDoNotDelayEachOthersTimeouts() async throws {
        let slow = Task { await runner.run(Command(["/bin/sleep", "300"]), timeout: .seconds(300)) }
        // Started after the slow one and ending while it still runs: its own timeout, then an exit.
        let stuck = await runner.run(Command(["/bin/sleep", "1000"]), timeout: .milliseconds(300))
        let quick = await runner.run(Command(["/bin/true"]), timeout: .seconds(300))
        #expect(stuck.termination == .timedOut)
        #expect(quick.termination == .exited(0))
        // The slow one was never waited for: cancelling it ends it as a timeout does.
        slow.cancel()
        #expect(await slow.value.termination == .timedOut)
    }

    @Test func aTimeoutKillsEvenWhileEverySwiftConcurrencyThreadIsBusy() async throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("refreshcore-runner-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let command = sh("echo $$ > \(scratch.path); exec sleep 1000")
        let running = Task { await runner.run(command, timeout: .milliseconds(100)) }
        var pid: pid_t?
        for _ in 0..<500 where pid == nil {
            pid = (try? String(contentsOf: scratch, encoding: .utf8)).flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            if pid == nil { try await Task.sleep(for: .milliseconds(10)) }
        }
        let child = try #require(pid)
        defer { kill(child, SIGKILL) }
        // Every thread of the pool blocked well past the timeout: the kill must not wait for one.
        let aliveAfterBlocking = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<ProcessInfo.processInfo.activeProcessorCount {
                group.addTask {
                    usleep(3_000_000)
                    return isAlive(child)
                }
            }
            return await group.reduce(false) { $0 || $1 }
        }
        #expect(!aliveAfterBlocking, "the command was killed while no concurrency thread was free")
        #expect(await running.value.termination == .timedOut)
    }

    @Test func aMissingProgramCouldNotStart() async {
        let result = await runner.run(Command(["/nonexistent/refreshcore-tool", "--flag"]), timeout: .seconds(30))
        #expect(result.termination == .couldNotStart("/nonexistent/refreshcore-tool is not an executable file (No such file or directory)"))
        #expect(result.output == "")
    }

    @Test func aFileThatIsNotAProgramCouldNotStart() async throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("refreshcore-runner-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let plain = scratch.appendingPathComponent("plain"), garbage = scratch.appendingPathComponent("garbage")
        try Data("text".utf8).write(to: plain)
        try Data([0, 1, 2, 3]).write(to: garbage)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: plain.path)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: garbage.path)
        // Root may run anything with an execute bit, so a file without one is the refusal to see.
        let notExecutable = await runner.run(Command([plain.path]), timeout: .seconds(30))
        #expect(notExecutable.termination == .couldNotStart("\(plain.path) is not an executable file (no execute permission)"))
        let directory = await runner.run(Command([scratch.path]), timeout: .seconds(30))
        #expect(directory.termination == .couldNotStart("\(scratch.path) is not an executable file (not a regular file)"))
        let notAProgram = await runner.run(Command([garbage.path]), timeout: .seconds(30))
        #expect(notAProgram.termination == .couldNotStart("\(garbage.path) could not be run (Exec format error)"))
    }

    @Test(arguments: [
        (Command(["bin/true"]), "the program 'bin/true' is not an absolute path"),
        (Command([]), "no program given"),
        (Command(["/bin/true", "a\u{0}b"]), "the argument 'a\\0b' contains a NUL byte"),
        (Command(["/bin/true"], environment: ["A=B": "c"]), "the environment variable name 'A=B' is empty or contains '=' or a NUL byte"),
        (Command(["/bin/true"], workingDirectory: "tmp"), "the working directory 'tmp' is not an absolute path"),
    ])
    func aCommandThatCannotBeRunAsGivenCouldNotStart(command: Command, why: String) async {
        #expect(await runner.run(command, timeout: .seconds(30)).termination == .couldNotStart(why))
    }

    @Test func aMissingWorkingDirectoryCouldNotStart() async {
        let result = await runner.run(Command(["/bin/true"], workingDirectory: "/nonexistent/dir"), timeout: .seconds(30))
        guard case .couldNotStart(let why) = result.termination else {
            Issue.record("expected couldNotStart, got \(result.termination)")
            return
        }
        #expect(why.contains("/nonexistent/dir"))
    }

    @Test func theEnvironmentGivenIsTheWholeEnvironment() async throws {
        setenv("REFRESHCORE_TEST_LEAK", "ours", 1)
        defer { unsetenv("REFRESHCORE_TEST_LEAK") }
        let result = await runner.run(Command(["/usr/bin/env"], environment: ["ONLY": "this one", "SECOND": "x=y"]), timeout: .seconds(30))
        #expect(result.termination == .exited(0))
        // Sorted: the order in the child's environment is not ours to choose.
        #expect(result.output.split(separator: "\n").sorted() == ["ONLY=this one", "SECOND=x=y"])
        #expect(result.output.hasSuffix("\n"))
        let empty = await runner.run(Command(["/usr/bin/env"]), timeout: .seconds(30))
        #expect(empty.output == "")
    }

    @Test func theWorkingDirectoryIsTheOneGiven() async {
        #expect(await runner.run(Command(["/bin/pwd"], workingDirectory: "/usr/share"), timeout: .seconds(30)).output == "/usr/share\n")
        #expect(await runner.run(Command(["/bin/pwd"]), timeout: .seconds(30)).output == "/\n")
    }

    @Test func exitStatusAndSignalAreReported() async {
        #expect(await runner.run(sh("echo bye; exit 3"), timeout: .seconds(30)).with(duration: nil) == CommandResult(termination: .exited(3), output: "bye\n"))
        #expect(await runner.run(sh("kill -TERM $$"), timeout: .seconds(30)).termination == .signalled(SIGTERM))
    }

    @Test func aDetachedCommandLeadsItsOwnSessionAndAnotherOnlyItsOwnGroup() async throws {
        let detached = await runner.run(sh("echo $$; cat /proc/$$/stat", detached: true), timeout: .seconds(30))
        let attached = await runner.run(sh("echo $$; cat /proc/$$/stat"), timeout: .seconds(30))
        for (result, ownSession) in [(detached, true), (attached, false)] {
            let lines = result.output.split(separator: "\n").map(String.init)
            try #require(lines.count == 2, "output: \(result.output)")
            let pid = try #require(Int32(lines[0]))
            let (group, session) = try groupAndSession(lines[1])
            #expect(group == pid, "the command leads its own process group")
            #expect(session == (ownSession ? pid : getsid(0)))
        }
    }

    @Test func longOutputKeepsItsBeginningAndEnd() async {
        let small = SubprocessCommandRunner(outputLimit: 100)
        let result = await small.run(sh("printf 'B%.0s' $(seq 100); printf 'm%.0s' $(seq 1000); printf 'E%.0s' $(seq 100)"), timeout: .seconds(30))
        #expect(result.termination == .exited(0))
        #expect(result.output == String(repeating: "B", count: 50) + "\n[... 1100 bytes dropped]\n" + String(repeating: "E", count: 50))
    }

    @Test func standardInputIsEmpty() async {
        let result = await runner.run(Command(["/bin/cat"]), timeout: .seconds(30))
        #expect(result == CommandResult(termination: .exited(0), output: "", duration: result.duration))
    }
}

extension CommandResult {
    /// This result with `duration` (or, for nil, zero): for comparing everything else.
    func with(duration: TimeSpan?) -> CommandResult {
        CommandResult(termination: termination, output: output, duration: duration ?? TimeSpan(nanoseconds: 0))
    }
}
