import RefreshCore
import Foundation
import CRefreshSys

#if canImport(Glibc)
import Glibc
#endif

/// Carries out the process decisions of a plan, all at once: total time is about the longest
/// timeout, not the sum. Signals go through ``PidfdSignaller`` only.
struct ProcessActions {
    let signaller = PidfdSignaller()
    let progress: @Sendable (String) -> Void
    /// Whether systemd is PID 1 (then `restart` without a restart-command uses systemctl).
    let systemd: Bool
    /// The host root: a stop command under `/snap/` names a file of the root's snap tree.
    let layout: HostLayout

    private final class Work {
        let decision: ProcessDecision
        var pidfd: Int32 = -1
        var deadline: Double = 0
        var started: Double = 0
        var command: Process?
        var done = false
        var result: ProcessResult?
        init(_ decision: ProcessDecision) { self.decision = decision }
    }

    static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    func carryOut(_ decisions: [ProcessDecision]) -> [ProcessResult] {
        var seen = Set<Int32>()
        let work = decisions.filter { seen.insert($0.identity.pid).inserted }.map(Work.init)
        let start = ProcessActions.now()
        for item in work { begin(item, at: start) }
        var lastProgress = start
        while work.contains(where: { !$0.done }) {
            PidfdSignaller.waitForAny(work.filter { !$0.done && $0.pidfd >= 0 }.map(\.pidfd), milliseconds: 100)
            let now = ProcessActions.now()
            for item in work where !item.done {
                if item.pidfd >= 0, PidfdSignaller.hasExited(item.pidfd) {
                    finishExited(item, at: now)
                } else if now >= item.deadline {
                    escalate(item, at: now)
                }
            }
            if now - lastProgress >= 1 {
                lastProgress = now
                for item in work where !item.done {
                    let left = max(0, Int((item.deadline - now).rounded(.up)))
                    progress("waiting for \(item.decision.appLabel) (pid \(item.decision.identity.pid)) to exit, \(left)s left")
                }
            }
        }
        for item in work where item.pidfd >= 0 { Syscall.close(item.pidfd) }
        return work.compactMap(\.result).sorted { $0.identity < $1.identity }
    }

    private func result(_ item: Work, _ outcome: ProcessResult.Outcome, _ detail: String, aborts: Bool = false) {
        let d = item.decision
        item.result = ProcessResult(identity: d.identity, label: d.appLabel, action: d.action, outcome: outcome, detail: detail, aborts: aborts)
        item.done = true
        if let command = item.command, command.isRunning { command.terminate() }
    }

    private func begin(_ item: Work, at now: Double) {
        let d = item.decision
        switch d.action {
        case .leaveRunning, .postpone:
            result(item, .leftRunning, "left running on revision \(d.pins.map { "\(d.snap) \(d.revision), pinning \($0)" } ?? "\(d.revision)")")
            return
        case .kill, .shutdown, .restart:
            break
        }
        switch signaller.open(d.identity) {
        case .failure(.gone):
            if d.action == .restart { restartAgain(item, detail: "gone before it was signalled") } else {
                result(item, .gone, "gone before it was signalled (it exited, or its PID now belongs to another process)")
            }
            return
        case .failure(let refusal):
            result(item, .refused, refusal.description)
            return
        case .success(let handle):
            item.pidfd = handle.reference
        }
        item.started = now
        if d.action == .kill {
            send(SIGKILL, item, label: "SIGKILL")
            item.deadline = now + 10
            return
        }
        item.deadline = now + Double(d.timeout?.nanoseconds ?? 30_000_000_000) / 1e9
        if let words = d.stopCommand {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: words[0].hasPrefix("/snap/") ? layout.root + words[0] : words[0])
            process.arguments = Array(words.dropFirst())
            process.standardInput = FileHandle.nullDevice
            do {
                try process.run()
                item.command = process
            } catch {
                progress("cannot run the stop command \(words.joined(separator: " ")) for pid \(d.identity.pid): \(error); sending SIGTERM instead")
                send(SIGTERM, item, label: "SIGTERM")
            }
        } else {
            let signal = d.signal ?? .sigterm
            send(signal.number, item, label: signal.rawValue)
        }
    }

    private func send(_ signal: Int32, _ item: Work, label: String) {
        if case .failure(let refusal) = sendRaw(signal, item.pidfd), refusal != .gone {
            result(item, .failed, "could not send \(label): \(refusal)")
        }
    }

    private func sendRaw(_ signal: Int32, _ pidfd: Int32) -> Result<Void, SignalRefusal> {
        if crs_pidfd_send_signal(pidfd, signal, 0) == 0 { return .success(()) }
        return errno == ESRCH ? .failure(.gone) : .failure(.failed("pidfd_send_signal: \(errno)"))
    }

    private func how(_ item: Work) -> String {
        let d = item.decision
        if d.action == .kill { return "sent SIGKILL" }
        if let words = d.stopCommand { return "ran \(words.joined(separator: " "))" }
        return "sent \((d.signal ?? .sigterm).rawValue)"
    }

    private func seconds(_ value: Double) -> String {
        let tenths = (value * 10).rounded() / 10
        return "\(tenths)s"
    }

    private func finishExited(_ item: Work, at now: Double) {
        let d = item.decision
        let detail = "\(how(item)), exited after \(seconds(now - item.started))"
        switch d.action {
        case .kill: result(item, .killed, "killed (\(detail))")
        case .restart: restartAgain(item, detail: detail)
        default: result(item, .exited, detail)
        }
    }

    private func escalate(_ item: Work, at now: Double) {
        let d = item.decision
        if let command = item.command, command.isRunning { command.terminate() }
        if d.action == .kill {
            result(item, .failed, "sent SIGKILL, but it had not exited after 10s")
            return
        }
        let waited = "\(how(item)), still running after \(d.timeout?.description ?? "the timeout")"
        switch d.then ?? .kill {
        case .kill:
            _ = sendRaw(SIGKILL, item.pidfd)
            let until = now + 10
            while !PidfdSignaller.hasExited(item.pidfd), ProcessActions.now() < until {
                PidfdSignaller.waitForAny([item.pidfd], milliseconds: 100)
            }
            if !PidfdSignaller.hasExited(item.pidfd) {
                result(item, .failed, "\(waited); sent SIGKILL, but it had not exited after 10s")
            } else if d.action == .restart {
                restartAgain(item, detail: "\(waited), killed")
            } else {
                result(item, .killed, "\(waited), killed")
            }
        case .leaveRunning:
            result(item, .stillRunning, "\(waited), left running")
        case .abort:
            result(item, .stillRunning, "\(waited); the refresh is aborted", aborts: true)
        case .shutdown, .restart:
            result(item, .stillRunning, "\(waited), left running")
        }
    }

    /// Starts a restarted daemon again: its restart-command, or systemd.
    private func restartAgain(_ item: Work, detail: String) {
        let d = item.decision
        let words: [String]
        if let command = d.restartCommand {
            words = command
        } else if systemd, let app = d.app {
            words = ["/usr/bin/systemctl", "restart", "snap.\(d.snap).\(app).service"]
        } else {
            result(item, .failed, "\(detail); cannot start it again: systemd is not PID 1 and the policy gives no restart-command")
            return
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: words[0])
        process.arguments = Array(words.dropFirst())
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
            process.waitUntilExit()
        } catch {
            result(item, .failed, "\(detail); cannot run \(words.joined(separator: " ")): \(error)")
            return
        }
        if process.terminationStatus == 0 {
            result(item, .restarted, "\(detail); started again with \(words.joined(separator: " "))")
        } else {
            result(item, .failed, "\(detail); \(words.joined(separator: " ")) exited with status \(process.terminationStatus)")
        }
    }
}
