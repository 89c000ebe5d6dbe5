import CRefreshSys
import RefreshCore
import Subprocess

#if canImport(Glibc)
import Glibc
#endif

/// Runs commands on this machine through swift-subprocess.
///
/// What the child gets, and nothing else:
/// - descriptors 0, 1 and 2 only: `/dev/null`, then one private output file as both standard
///   output and standard error (swift-subprocess closes every other descriptor in the child,
///   with `posix_spawn_file_actions_addclosefrom_np` or `close_range`);
/// - the command's environment and working directory, whole;
/// - a process group of its own (a session of its own when ``Command/detached``), so a timeout
///   kills what it started along with it, and a terminal signal to our group never reaches it.
///
/// Output goes to an anonymous memory file (`memfd_create`), not a pipe: the command is done
/// when it exits, even when a daemon it started keeps the inherited output open — a pipe read
/// to its end would wait for the daemon. The file is read (bounded by ``outputLimit``) after
/// the exit; what a survivor writes later is never read and is freed when it closes the file.
/// A daemon should send its output elsewhere (a log of its own).
///
/// The exit is watched through the child's pidfd (swift-subprocess monitors it with epoll; this
/// runner waits on a duplicate of it for its timeout), so concurrent commands never delay each
/// other and a PID reused after the exit is never signalled: the process group is killed only
/// before the child is reaped, while its PID (and so its group's ID) cannot be reused.
/// Cancelling the calling task ends the command as its timeout would.
public struct SubprocessCommandRunner: AsyncCommandRunner {
    /// The most output kept, in bytes: the beginning and the end of a longer output, half each.
    public var outputLimit: Int

    public init(outputLimit: Int = 64 * 1024) {
        self.outputLimit = max(outputLimit, 64)
    }

    public func run(_ command: Command, timeout: Duration) async -> CommandResult {
        let clock = ContinuousClock()
        let start = clock.now
        func result(_ termination: CommandResult.Termination, _ output: String = "") -> CommandResult {
            let (seconds, attoseconds) = start.duration(to: clock.now).components
            return CommandResult(termination: termination, output: output,
                                 duration: TimeSpan(nanoseconds: seconds * 1_000_000_000 + attoseconds / 1_000_000_000))
        }
        if let problem = command.problem { return result(.couldNotStart(problem)) }

        let outputFile = crs_memfd_create_cloexec("refreshcore-command-output")
        if outputFile < 0 {
            return result(.couldNotStart("cannot create the file for its output: \(String(cString: strerror(errno)))"))
        }
        defer { Syscall.close(outputFile) }

        var options = PlatformOptions()
        if command.detached {
            options.createSession = true  // setsid(): the child leads a new session and group
        } else {
            options.processGroupID = 0  // setpgid(0, 0): the child leads a new group
        }
        // Not `.custom([[UInt8]])`: swift-subprocess 1.0.2 strdup()s those arrays without a
        // terminating NUL, so the child's last variable would get whatever bytes follow.
        var environment: [Environment.Key: String] = [:]
        for (key, value) in command.environment { environment[Environment.Key(rawValue: key)!] = value }
        let configuration = Configuration(
            executable: .path(.init(command.arguments[0])),
            arguments: Arguments(Array(command.arguments.dropFirst())),
            environment: .custom(environment),
            workingDirectory: .init(command.workingDirectory),
            platformOptions: options
        )
        do {
            let execution = try await Subprocess.run(
                configuration,
                input: .none,
                output: .fileDescriptor(.init(rawValue: outputFile), closeAfterSpawningProcess: false),
                error: .combinedWithOutput
            ) { execution in
                // swift-subprocess reaps the child only after this closure returns, so the kill
                // at the timeout cannot reach a process that took over its PID or group ID.
                await ProcessExitWait.exitOrKill(
                    pid: execution.processIdentifier.value, pidfd: execution.processIdentifier.processDescriptor, timeout: timeout)
            }
            let output = CommandOutput.read(outputFile, limit: outputLimit)
            if execution.closureResult == .killed { return result(.timedOut, output) }
            switch execution.terminationStatus {
            case .exited(let status): return result(.exited(status), output)
            case .signaled(let signal): return result(.signalled(signal), output)
            }
        } catch let error as SubprocessError {
            return result(.couldNotStart(Self.describe(error, command)))
        } catch {
            return result(.couldNotStart("\(error)"))
        }
    }

    /// What went wrong, in our words, with the system's reason.
    static func describe(_ error: SubprocessError, _ command: Command) -> String {
        let reason = error.underlyingError.map { " (\(String(cString: strerror($0.rawValue))))" } ?? ""
        switch error.code {
        case .executableNotFound:
            // swift-subprocess reports ENOENT whatever its own access(X_OK) check found.
            var info = stat()
            let program = command.arguments[0]
            if stat(program, &info) != 0 { return "\(program) is not an executable file (\(String(cString: strerror(errno))))" }
            if info.st_mode & S_IFMT != S_IFREG { return "\(program) is not an executable file (not a regular file)" }
            if info.st_mode & 0o111 == 0 { return "\(program) is not an executable file (no execute permission)" }
            return "\(program) is not an executable file\(reason)"
        case .failedToChangeWorkingDirectory:
            return "cannot change to the working directory \(command.workingDirectory)\(reason)"
        case .spawnFailed where error.underlyingError != nil:
            return "\(command.arguments[0]) could not be run\(reason)"
        default:
            return "\(error)"
        }
    }
}
