extension RefreshPlan {
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
