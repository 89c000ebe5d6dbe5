import Testing
@testable import RefreshCore

/// The shutdown machine on its own: each escalation path as the sequence of actions it asks
/// for, and the events it refuses.
@Suite struct ShutdownMachineTests {
    typealias Machine = ShutdownMachine
    let main = ProcessIdentity(pid: 10, startTime: 1)
    let worker = ProcessIdentity(pid: 11, startTime: 1)
    let guest = ProcessIdentity(pid: 12, startTime: 1)
    let t0 = MonotonicInstant(nanoseconds: 0)

    func at(_ seconds: Int64) -> MonotonicInstant { t0 + .seconds(seconds) }

    @Test func aSignalThenBothExit() throws {
        var machine = Machine(plan: .init(stop: .signal(.sigint), processes: [main, worker], timeout: .seconds(30), then: .kill))
        #expect(try machine.handle(.start(now: t0, gone: [])) == .signal(.sigint, [main, worker]))
        #expect(machine.deadline == at(30))
        #expect(try machine.handle(.exited(worker)) == .wait)
        #expect(try machine.handle(.tick(now: at(29))) == .wait)
        #expect(try machine.handle(.exited(main)) == .finish(.exited))
        #expect(machine.isDone && machine.deadline == nil)
    }

    @Test func aTimeoutEscalatesToSIGKILLForWhatIsLeftOnly() throws {
        var machine = Machine(plan: .init(stop: .signal(.sigterm), processes: [main, worker], timeout: .seconds(5), then: .kill))
        _ = try machine.handle(.start(now: t0, gone: []))
        _ = try machine.handle(.exited(worker))
        #expect(try machine.handle(.tick(now: at(5))) == .signal(.sigkill, [main]))
        #expect(machine.deadline == at(5) + ShutdownMachine.killGrace)
        #expect(try machine.handle(.exited(main)) == .finish(.killed))
        #expect(machine.escalated)
    }

    @Test func sigkillThatDoesNotWorkIsAFailureAfterTheGrace() throws {
        var machine = Machine(plan: .init(stop: .kill, processes: [main], timeout: .seconds(5), then: .kill))
        #expect(try machine.handle(.start(now: t0, gone: [])) == .signal(.sigkill, [main]))
        #expect(try machine.handle(.tick(now: at(9))) == .wait)
        #expect(try machine.handle(.tick(now: at(10))) == .finish(.failed("still running 10s after SIGKILL (pids 10)")))
    }

    @Test(arguments: [(Escalation.abort, ShutdownMachine.Outcome.aborted), (.leaveRunning, .leftRunning)])
    func aTimeoutFollowsThen(then: Escalation, outcome: ShutdownMachine.Outcome) throws {
        var machine = Machine(plan: .init(stop: .signal(.sigterm), processes: [main], timeout: .seconds(5), then: then))
        _ = try machine.handle(.start(now: t0, gone: []))
        #expect(try machine.handle(.tick(now: at(6))) == .finish(outcome))
    }

    @Test func aStopCommandRunsOnceAndItsProcessesAreWaitedFor() throws {
        var machine = Machine(plan: .init(stop: .command(["/bin/stop"]), processes: [main, worker], timeout: .seconds(10), then: .kill))
        #expect(try machine.handle(.start(now: t0, gone: [])) == .runCommand(["/bin/stop"]))
        #expect(try machine.handle(.commandEnded(CommandResult(termination: .exited(0), output: "bye"))) == .wait)
        #expect(try machine.handle(.exited(main)) == .wait)
        #expect(try machine.handle(.exited(worker)) == .finish(.exited))
        #expect(machine.notes == ["the stop-command exited with status 0; it printed: bye"])
    }

    @Test func aStopCommandThatCannotStartFallsBackToSIGTERM() throws {
        var machine = Machine(plan: .init(stop: .command(["/nope"]), processes: [main], timeout: .seconds(10), then: .kill))
        _ = try machine.handle(.start(now: t0, gone: []))
        #expect(try machine.handle(.commandEnded(CommandResult(termination: .couldNotStart("no such file")))) == .signal(.sigterm, [main]))
    }

    @Test func aRestartStartsAgainOnceStopped() throws {
        var machine = Machine(plan: .init(stop: .signal(.sigterm), processes: [main], timeout: .seconds(10), then: .kill, restart: .command(["/bin/start"])))
        _ = try machine.handle(.start(now: t0, gone: []))
        #expect(try machine.handle(.exited(main)) == .restart(.command(["/bin/start"])))
        #expect(machine.deadline == nil)
        #expect(try machine.handle(.restartEnded(failure: nil)) == .finish(.restarted))
    }

    @Test func aRestartOfAServiceWhoseProcessesAreGoneStillStartsIt() throws {
        var machine = Machine(plan: .init(stop: .signal(.sigterm), processes: [main], timeout: .seconds(10), then: .kill, restart: .command(["/bin/start"])))
        #expect(try machine.handle(.start(now: t0, gone: [main])) == .restart(.command(["/bin/start"])))
    }

    @Test func aShutdownOfProcessesThatAreGoneSendsNothing() throws {
        var machine = Machine(plan: .init(stop: .signal(.sigterm), processes: [main], timeout: .seconds(10), then: .kill))
        #expect(try machine.handle(.start(now: t0, gone: [main])) == .finish(.gone))
    }

    @Test func underAServiceManagerSurvivorsAreMovedOutBeforeTheStop() throws {
        var machine = Machine(plan: .init(
            stop: .serviceManager, processes: [main], timeout: .seconds(30), then: .kill, killThroughServiceManager: true,
            moveOut: [guest], restart: .serviceManager))
        #expect(try machine.handle(.start(now: t0, gone: [])) == .moveOut([guest]))
        #expect(try machine.handle(.movedOut(failure: nil)) == .stopUnit)
        // The unit is inactive only when its job ends: the main process's exit alone is not enough.
        #expect(try machine.handle(.exited(main)) == .wait)
        #expect(try machine.handle(.jobEnded(.done("stopped"))) == .restart(.serviceManager))
        #expect(try machine.handle(.restartEnded(failure: nil)) == .finish(.restarted))
    }

    @Test func whenSurvivorsCannotBeMovedOutTheServiceIsNotStopped() throws {
        var machine = Machine(plan: .init(
            stop: .serviceManager, processes: [main], timeout: .seconds(30), then: .kill, killThroughServiceManager: true,
            moveOut: [guest], restart: .serviceManager))
        _ = try machine.handle(.start(now: t0, gone: []))
        let action = try machine.handle(.movedOut(failure: "access denied"))
        #expect(action == .finish(.failed("could not keep its survivors out of the stop (access denied); the service was not stopped")))
    }

    @Test func membersTheUnitSparesGetTheMembersSignalOnceItStopped() throws {
        var machine = Machine(plan: .init(
            stop: .serviceManager, processes: [main, worker], timeout: .seconds(30), then: .kill, killThroughServiceManager: true,
            restart: .serviceManager, membersSignal: .sigint))
        #expect(try machine.handle(.start(now: t0, gone: [])) == .stopUnit)
        #expect(try machine.handle(.exited(main)) == .wait)
        #expect(try machine.handle(.jobEnded(.done("stopped"))) == .signal(.sigint, [worker]))
        #expect(machine.notes.last == "the unit's stop left pid 11; sent SIGINT")
        #expect(try machine.handle(.exited(worker)) == .restart(.serviceManager))
        // Without a members signal, the member is waited for until the timeout, as before.
        var plain = Machine(plan: .init(stop: .serviceManager, processes: [main, worker], timeout: .seconds(30), then: .kill, killThroughServiceManager: true))
        _ = try plain.handle(.start(now: t0, gone: []))
        _ = try plain.handle(.exited(main))
        #expect(try plain.handle(.jobEnded(.done("stopped"))) == .wait)
        #expect(try plain.handle(.tick(now: at(30))) == .killUnit)
    }

    @Test func escalationThroughTheServiceManagerKillsTheUnit() throws {
        var machine = Machine(plan: .init(stop: .serviceManager, processes: [main], timeout: .seconds(5), then: .kill, killThroughServiceManager: true))
        #expect(try machine.handle(.start(now: t0, gone: [])) == .stopUnit)
        #expect(try machine.handle(.jobEnded(.timedOut)) == .wait)
        #expect(try machine.handle(.tick(now: at(5))) == .killUnit)
        #expect(try machine.handle(.exited(main)) == .wait)
        #expect(try machine.handle(.jobEnded(.done("killed"))) == .finish(.killed))
    }

    @Test func processesThatCannotBeSignalledAreNotedAndAFailureWhenNoneCould() throws {
        var machine = Machine(plan: .init(stop: .signal(.sigterm), processes: [main], timeout: .seconds(5), then: .kill))
        _ = try machine.handle(.start(now: t0, gone: []))
        #expect(try machine.handle(.unreachable(main, "not signalled: it is refreshctl's parent")) == .finish(.failed("no process of it could be signalled")))
        #expect(machine.notes == ["pid 10: not signalled: it is refreshctl's parent"])
    }

    @Test func eventsThatMakeNoSenseAreRefusedAndChangeNothing() throws {
        var machine = Machine(plan: .init(stop: .signal(.sigterm), processes: [main], timeout: .seconds(5), then: .kill))
        #expect(throws: IllegalTransition(machine: "shutdown", state: "idle", event: "exited")) { try machine.handle(.exited(main)) }
        _ = try machine.handle(.start(now: t0, gone: []))
        #expect(throws: IllegalTransition(machine: "shutdown", state: "stopping", event: "start")) { try machine.handle(.start(now: t0, gone: [])) }
        #expect(throws: IllegalTransition(machine: "shutdown", state: "stopping", event: "restart-ended")) { try machine.handle(.restartEnded(failure: nil)) }
        _ = try machine.handle(.exited(main))
        #expect(throws: IllegalTransition(machine: "shutdown", state: "done", event: "tick")) { try machine.handle(.tick(now: at(1))) }
        #expect(machine.state == .done(.exited))
    }
}
