/// Runs commands on the host the engine acts on, each bounded by a timeout.
///
/// The real runner (``SubprocessCommandRunner``) spawns the command with nothing inherited but
/// `/dev/null` as standard input and a private output file as standard output and error; the
/// systemd adapter runs `systemctl` and `busctl` through one, and tests run them in a container
/// through another.
public protocol CommandRunner: Sendable {
    /// Runs `command` until it exits or `timeout` passes; past the timeout, the command and its
    /// process group are killed. Never throws: a command that cannot start is a result too.
    func run(_ command: Command, timeout: Duration) async -> CommandResult
}
