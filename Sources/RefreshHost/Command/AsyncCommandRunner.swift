import RefreshCore
import Synchronization

/// A ``RefreshCore/CommandRunner`` that can also be awaited: `run` returns when the command has
/// ended (or been killed at its timeout). `start`, the core's non-blocking form, runs it in a
/// task and hands back a job the executor polls.
public protocol AsyncCommandRunner: CommandRunner {
    /// Runs `command` until it exits or `timeout` passes; past the timeout, the command and its
    /// process group are killed. Never throws: a command that cannot start is a result too.
    func run(_ command: Command, timeout: Duration) async -> CommandResult
}

extension AsyncCommandRunner {
    public func start(_ command: Command, timeout: TimeSpan) -> any CommandJob {
        let job = TaskCommandJob()
        Task { [self] in job.finish(await run(command, timeout: .nanoseconds(timeout.nanoseconds))) }
        return job
    }
}

/// A command running in a task: its result once the task has it.
final class TaskCommandJob: CommandJob {
    private let state = Mutex<CommandResult?>(nil)

    var result: CommandResult? { state.withLock { $0 } }

    func finish(_ result: CommandResult) { state.withLock { $0 = result } }
}
