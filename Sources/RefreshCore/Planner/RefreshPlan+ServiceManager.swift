extension RefreshPlan {
    /// The plan for a host where no service manager can start a daemon again (systemd is not
    /// PID 1): a snap whose plan restarts a process that has no `restart-command` cannot be
    /// refreshed there, so its outcome becomes `error`, saying which process and how to fix it.
    public func requiringRestartCommands() -> RefreshPlan {
        var plan = self
        for index in plan.snaps.indices where plan.snaps[index].outcome == .refresh {
            let snap = plan.snaps[index]
            guard let decision = snap.processes.first(where: { $0.action == .restart && $0.restartCommand == nil }) else { continue }
            plan.snaps[index].outcome = .error
            plan.snaps[index].error = "cannot restart \(decision.appLabel) (pid \(decision.identity.pid)): systemd is not PID 1 here and the policy gives no restart-command for it; add restart-command to its rule or choose another action"
        }
        return plan
    }
}
