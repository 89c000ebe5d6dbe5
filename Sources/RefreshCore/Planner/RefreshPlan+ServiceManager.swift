extension RefreshPlan {
    /// The plan for a live host whose daemons `serviceManager` runs (`nil`: none does): says
    /// which it assumed, and without one, what it cannot do — a restart without a
    /// `restart-command` becomes an error (``requiringRestartCommands()``), and a service whose
    /// processes the plan partly keeps is named in a warning up front: nothing can move them out
    /// of the service's unit, so if a service manager runs it after all, its kill mode may take
    /// them along when the main process exits. With one, a service whose `then` is
    /// `leave-running` or `abort` is named in a warning: a stop through the manager cannot be
    /// taken back.
    /// A service the manager does not know (`knownUnits`) is stopped by the engine itself, so a
    /// restart of it without a `restart-command` is an error up front too.
    /// - Parameters:
    ///   - serviceManager: the manager's name (``ServiceManager/name``), `nil` for none.
    ///   - knownUnits: the units the manager knows (``Host/services``); `nil`: all of them.
    public func assuming(serviceManager: String?, knownUnits: Set<String>? = nil) -> RefreshPlan {
        var plan = self
        plan.serviceManager = serviceManager ?? "none"
        var added: [String] = []
        if let serviceManager {
            if let knownUnits {
                for index in plan.snaps.indices where plan.snaps[index].outcome == .refresh {
                    guard let service = plan.snaps[index].services.first(where: {
                        $0.action == .restart && $0.restartCommand == nil && !knownUnits.contains($0.unit)
                    }) else { continue }
                    plan.snaps[index].outcome = .error
                    plan.snaps[index].error = "cannot restart \(service.unit): \(serviceManager) does not know the unit (it is not loaded), so nothing can start it again, and the policy gives no restart-command for it; add restart-command to its rule or choose another action"
                }
            }
            // A stop through the manager cannot be taken back: its own stop timeout ends it.
            for snap in plan.snaps where snap.outcome == .refresh {
                for service in snap.services where [.restart, .shutdown].contains(service.action) {
                    guard let then = service.then, then == .leaveRunning || then == .abort else { continue }
                    added.append("\(snap.name): \(service.unit): 'then: \(then)' cannot keep it running under \(serviceManager): once it is stopped through \(serviceManager), \(serviceManager) kills what is left of it after the unit's own stop timeout (TimeoutStopSec, which snapd sets from stop-timeout; else 90s)\(then == .abort ? ", and the unit stays stopped" : "")")
                }
            }
            plan.warnings = (plan.warnings + added).sorted()
            return plan
        }
        plan = plan.requiringRestartCommands()
        for snap in plan.snaps where snap.outcome == .refresh {
            for service in snap.services where [.restart, .shutdown, .kill].contains(service.action) && !service.others.isEmpty
                && service.killMode == .controlGroup {
                let pids = service.others.map { String($0.pid) }.joined(separator: ", ")
                added.append("\(snap.name): \(service.unit): the processes the policy keeps (pid \(pids)) cannot be moved out of the unit: no service manager here can do it (--service-manager none); the engine signals only the ones it stops, but a service manager running the unit with KillMode=control-group would take them along")
            }
        }
        plan.warnings = (plan.warnings + added).sorted()
        return plan
    }

    /// The plan for a host where no service manager can start a daemon again (systemd is not
    /// PID 1): a snap whose plan restarts a service, or a daemon's process outside a service,
    /// without a `restart-command` cannot be refreshed there, so its outcome becomes `error`,
    /// saying which one and how to fix it. A service is checked once, however many processes
    /// it has.
    public func requiringRestartCommands() -> RefreshPlan {
        var plan = self
        for index in plan.snaps.indices where plan.snaps[index].outcome == .refresh {
            let snap = plan.snaps[index]
            let problem: String
            if let service = snap.services.first(where: { $0.action == .restart && $0.restartCommand == nil }) {
                let main = service.main.map { "main pid \($0.pid)" } ?? "no main process running"
                problem = "cannot restart \(service.unit) (\(main))"
            } else if let decision = snap.processes.first(where: { $0.service == nil && $0.action == .restart && $0.restartCommand == nil }) {
                problem = "cannot restart \(decision.appLabel) (pid \(decision.identity.pid))"
            } else {
                continue
            }
            plan.snaps[index].outcome = .error
            plan.snaps[index].error = "\(problem): systemd is not PID 1 here and the policy gives no restart-command for it; add restart-command to its rule or choose another action"
        }
        return plan
    }
}
