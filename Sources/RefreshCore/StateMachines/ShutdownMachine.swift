/// The shutdown of one service or one process: stop it (a signal, a stop-command, or the
/// service manager), wait up to the timeout for the processes it must take to exit, then follow
/// `then` (kill, leave running, abort); finally start a restarted service again.
///
/// A pure state machine in the style of swift-nio: the executor feeds it what happened
/// (``Event``) and carries out the ``Action`` it returns; the escalation sequence is data
/// (``Plan``), so it is tested without a process and journalled by its state's name.
public struct ShutdownMachine: Sendable, Hashable {
    /// How the stop is carried out.
    public enum Stop: Sendable, Hashable {
        /// Send this signal to every process the stop takes.
        case signal(Signal)
        /// Run this stop-command once; the processes are then waited for.
        case command([String])
        /// Ask the service manager to stop the unit.
        case serviceManager
        /// SIGKILL at once (`on-refresh: kill`).
        case kill
    }

    /// How a restarted service is started again.
    public enum Restart: Sendable, Hashable {
        /// Run this restart-command (detached).
        case command([String])
        /// Ask the service manager to start the unit.
        case serviceManager
    }

    /// Everything the machine needs to know, decided by the plan.
    public struct Plan: Sendable, Hashable {
        public var stop: Stop
        /// The processes that must exit: the process, or a service's main process and the
        /// members that go with it.
        public var processes: [ProcessIdentity]
        /// How long to wait for them.
        public var timeout: TimeSpan
        /// What follows when they have not exited in time.
        public var then: Escalation
        /// Whether escalation to SIGKILL goes through the service manager (a unit) or signals.
        public var killThroughServiceManager: Bool
        /// Processes to move out of the unit before it is stopped (service manager only).
        public var moveOut: [ProcessIdentity]
        /// Set for a restart: how the service starts again once stopped.
        public var restart: Restart?
        /// Service manager only: the signal for the members the plan stops that are left once
        /// the unit has stopped (its own kill mode spares them, the policy's does not).
        public var membersSignal: Signal?

        public init(
            stop: Stop, processes: [ProcessIdentity], timeout: TimeSpan, then: Escalation,
            killThroughServiceManager: Bool = false, moveOut: [ProcessIdentity] = [], restart: Restart? = nil,
            membersSignal: Signal? = nil
        ) {
            self.membersSignal = membersSignal
            self.stop = stop
            self.processes = processes
            self.timeout = timeout
            self.then = then
            self.killThroughServiceManager = killThroughServiceManager
            self.moveOut = moveOut
            self.restart = restart
        }
    }

    /// How the shutdown ended.
    public enum Outcome: Sendable, Hashable {
        /// Every process exited after the stop.
        case exited
        /// SIGKILL was needed (or asked for) and they exited.
        case killed
        /// They had exited already, before anything was sent.
        case gone
        /// Stopped and started again.
        case restarted
        /// Timed out; `then: leave-running` leaves them.
        case leftRunning
        /// Timed out; `then: abort` gives the refresh up.
        case aborted
        /// It could not be done; why. Nothing more is tried.
        case failed(String)
    }

    /// Where the shutdown stands. ``name`` is what the journal records.
    public enum State: Sendable, Hashable {
        case idle
        /// Moving survivors out of the unit.
        case movingOut
        /// Stop sent (or command running); waiting until the deadline.
        case stopping(deadline: MonotonicInstant)
        /// SIGKILL sent; waiting a grace period for the kernel.
        case killing(deadline: MonotonicInstant)
        /// Starting the service again.
        case restarting
        case done(Outcome)

        /// `idle`, `moving-out`, `stopping`, `killing`, `restarting`, `done`.
        public var name: String {
            switch self {
            case .idle: "idle"
            case .movingOut: "moving-out"
            case .stopping: "stopping"
            case .killing: "killing"
            case .restarting: "restarting"
            case .done: "done"
            }
        }
    }

    /// What happened.
    public enum Event: Sendable, Hashable {
        /// Begin, at `now`. `gone` are the processes that had exited already.
        case start(now: MonotonicInstant, gone: [ProcessIdentity])
        /// The survivors were moved out of the unit, or could not be (why).
        case movedOut(failure: String?)
        /// One of the processes exited.
        case exited(ProcessIdentity)
        /// A process could not be signalled (protected, or the system refused): why.
        case unreachable(ProcessIdentity, String)
        /// The stop-command ended.
        case commandEnded(CommandResult)
        /// The service manager's stop (or kill) job ended.
        case jobEnded(ServiceJobResult)
        /// Time passed; `now` is the time.
        case tick(now: MonotonicInstant)
        /// The restart ended: `nil` when it worked, else why not.
        case restartEnded(failure: String?)
    }

    /// What the executor must do.
    public enum Action: Sendable, Hashable {
        /// Nothing now; keep waiting (until ``deadline``, if any).
        case wait
        /// Move these processes out of the unit.
        case moveOut([ProcessIdentity])
        /// Send `signal` to these processes.
        case signal(Signal, [ProcessIdentity])
        /// Run the stop-command.
        case runCommand([String])
        /// Ask the service manager to stop the unit.
        case stopUnit
        /// Ask the service manager to SIGKILL what is left of the unit.
        case killUnit
        /// Start the service again.
        case restart(Restart)
        /// Finished.
        case finish(Outcome)
    }

    public let plan: Plan
    public private(set) var state: State
    /// The processes still to exit.
    public private(set) var remaining: Set<ProcessIdentity>
    /// Notes for the report: what was sent, what the command printed, what could not be reached.
    public private(set) var notes: [String] = []
    /// When the stop began.
    public private(set) var started: MonotonicInstant?
    /// Whether the stop timed out and `then: kill` sent SIGKILL (or the action was `kill`).
    public private(set) var escalated = false

    public init(plan: Plan) {
        self.plan = plan
        self.state = .idle
        self.remaining = Set(plan.processes)
    }

    /// The time by which the machine wants a ``Event/tick(now:)``, if it is waiting for one.
    public var deadline: MonotonicInstant? {
        switch state {
        case .stopping(let deadline), .killing(let deadline): deadline
        case .idle, .movingOut, .restarting, .done: nil
        }
    }

    public var isDone: Bool {
        if case .done = state { return true }
        return false
    }

    /// The grace period after SIGKILL before a process that is still there is a failure.
    public static let killGrace = TimeSpan.seconds(10)

    /// Moves the machine on by `event`.
    /// - Returns: what the executor must do next.
    /// - Throws: ``IllegalTransition`` when `event` makes no sense now; the state is unchanged.
    public mutating func handle(_ event: Event) throws(IllegalTransition) -> Action {
        switch (state, event) {
        case (.idle, .start(let now, let gone)):
            started = now
            for identity in gone { remaining.remove(identity) }
            if !plan.moveOut.isEmpty {
                state = .movingOut
                return .moveOut(plan.moveOut)
            }
            return beginStop(now: now, allGone: remaining.isEmpty && !plan.processes.isEmpty)

        case (.movingOut, .movedOut(let failure)):
            if let failure {
                // Stopping now would take the processes the plan keeps: stop nothing.
                return finish(.failed("could not keep its survivors out of the stop (\(failure)); the service was not stopped"))
            }
            return beginStop(now: started ?? MonotonicInstant(nanoseconds: 0), allGone: remaining.isEmpty && !plan.processes.isEmpty)

        case (.stopping, .exited(let identity)), (.killing, .exited(let identity)):
            remaining.remove(identity)
            return remaining.isEmpty && !awaitingJob ? afterStop() : .wait

        case (.stopping, .unreachable(let identity, let why)), (.killing, .unreachable(let identity, let why)):
            remaining.remove(identity)
            notes.append("pid \(identity.pid): \(why)")
            if remaining.isEmpty && !plan.processes.isEmpty && notes.count >= plan.processes.count {
                return finish(.failed("no process of it could be signalled"))
            }
            return remaining.isEmpty && !awaitingJob ? afterStop() : .wait

        case (.movingOut, .exited(let identity)):
            remaining.remove(identity)
            return .wait

        case (.stopping, .commandEnded(let result)):
            if case .couldNotStart(let why) = result.termination {
                notes.append("the stop-command could not start (\(why)); sent SIGTERM instead")
                return .signal(.sigterm, remaining.sorted())
            }
            notes.append(ShutdownMachine.describe(result))
            return remaining.isEmpty && !awaitingJob ? afterStop() : .wait

        case (.killing, .commandEnded(let result)), (.restarting, .commandEnded(let result)), (.done, .commandEnded(let result)):
            // The stop-command ended after the machine moved on: only the report wants it.
            notes.append(ShutdownMachine.describe(result))
            return .wait

        case (.stopping, .jobEnded(let result)), (.killing, .jobEnded(let result)):
            awaitingJob = false
            switch result {
            case .done(let what): notes.append(what)
            case .timedOut: notes.append("\(plan.stop == .serviceManager ? "the stop job" : "the job") did not finish in time")
            case .failed(let why): notes.append(why)
            }
            if case .stopping = state, case .done = result, let signal = plan.membersSignal, !remaining.isEmpty, !membersSignalled {
                // The unit stopped without them (its kill mode spares members): as the policy says.
                membersSignalled = true
                let left = remaining.sorted()
                notes.append("the unit's stop left pid \(left.map { String($0.pid) }.joined(separator: ", ")); sent \(signal)")
                return .signal(signal, left)
            }
            return remaining.isEmpty ? afterStop() : .wait

        case (.stopping(let deadline), .tick(let now)):
            guard now >= deadline else { return .wait }
            return escalate(now: now)

        case (.killing(let deadline), .tick(let now)):
            guard now >= deadline else { return .wait }
            return finish(.failed("still running \(ShutdownMachine.killGrace) after SIGKILL (pids \(remaining.map { "\($0.pid)" }.sorted().joined(separator: ", ")))"))

        case (.restarting, .restartEnded(let failure)):
            if let failure { return finish(.failed(failure)) }
            return finish(.restarted)

        default:
            throw IllegalTransition(machine: "shutdown", state: state.name, event: Self.name(of: event))
        }
    }

    /// Whether a service manager job (a unit stop or kill) is still running.
    private var awaitingJob = false
    /// Whether ``Plan/membersSignal`` was sent.
    private var membersSignalled = false

    private mutating func beginStop(now: MonotonicInstant, allGone: Bool) -> Action {
        if allGone && plan.stop != .serviceManager {
            // Nothing left to stop: a restart still starts the service again.
            notes.append("gone before anything was sent")
            if let restart = plan.restart {
                state = .restarting
                return .restart(restart)
            }
            return finish(.gone)
        }
        switch plan.stop {
        case .kill:
            escalated = true
            state = .killing(deadline: now + ShutdownMachine.killGrace)
            return plan.killThroughServiceManager ? startJob(.killUnit) : .signal(.sigkill, remaining.sorted())
        case .signal(let signal):
            state = .stopping(deadline: now + plan.timeout)
            return .signal(signal, remaining.sorted())
        case .command(let words):
            state = .stopping(deadline: now + plan.timeout)
            return .runCommand(words)
        case .serviceManager:
            state = .stopping(deadline: now + plan.timeout)
            return startJob(.stopUnit)
        }
    }

    private mutating func startJob(_ action: Action) -> Action {
        awaitingJob = true
        return action
    }

    private mutating func escalate(now: MonotonicInstant) -> Action {
        switch plan.then {
        case .kill:
            escalated = true
            state = .killing(deadline: now + ShutdownMachine.killGrace)
            return plan.killThroughServiceManager ? startJob(.killUnit) : .signal(.sigkill, remaining.sorted())
        case .abort:
            return finish(.aborted)
        case .leaveRunning, .shutdown, .restart:
            return finish(.leftRunning)
        }
    }

    private mutating func afterStop() -> Action {
        if let restart = plan.restart {
            state = .restarting
            return .restart(restart)
        }
        return finish(escalated ? .killed : .exited)
    }

    private mutating func finish(_ outcome: Outcome) -> Action {
        state = .done(outcome)
        return .finish(outcome)
    }

    /// `the stop-command exited with status 0; it printed: ...`.
    static func describe(_ result: CommandResult) -> String {
        "the stop-command \(result.summary)" + (result.output.isEmpty ? "" : "; it printed: \(result.output)")
    }

    private static func name(of event: Event) -> String {
        switch event {
        case .start: "start"
        case .movedOut: "moved-out"
        case .exited: "exited"
        case .unreachable: "unreachable"
        case .commandEnded: "command-ended"
        case .jobEnded: "job-ended"
        case .tick: "tick"
        case .restartEnded: "restart-ended"
        }
    }
}
