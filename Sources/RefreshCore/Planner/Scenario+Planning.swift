extension Scenario {
    /// Plans this scenario's refresh: the shortest way from a host on paper to a plan.
    ///
    /// ```swift
    /// let policy = try Policy(contentsOf: "policies/workstation.yaml")
    /// let scenario = try Scenario(contentsOf: "scenarios/workstation.yaml")
    /// let plan = try scenario.plan(policy: policy)
    /// ```
    ///
    /// - Parameters:
    ///   - policy: the policy to plan under; the built-in defaults when not given.
    ///   - refresh: what to refresh; the scenario's `refresh:` when `nil`.
    ///   - now: the time to plan at; the scenario's `now:` when `nil`. A library never reads
    ///     the clock behind its caller's back: pass `SystemClock.now()` for the wall clock.
    /// - Returns: the plan, as ``Planner/plan(state:request:policy:now:)`` makes it.
    /// - Throws: ``RefreshCoreError`` (`invalidArgument`) when neither the scenario nor the
    ///   arguments say what to refresh, or at what time.
    public func plan(policy: Policy = .builtIn, refresh: RefreshRequest? = nil, now: Timestamp? = nil) throws(RefreshCoreError) -> RefreshPlan {
        guard let request = refresh ?? self.refresh else {
            throw RefreshCoreError(.invalidArgument, "nothing to refresh: \(file) has no 'refresh:'; pass refresh: RefreshRequest(parsing: [\"NAME\"]) or add 'refresh:' to the scenario")
        }
        guard let time = now ?? self.now else {
            throw RefreshCoreError(.invalidArgument, "no time to plan at: \(file) has no 'now:'; pass now: (SystemClock.now() for the wall clock) or add 'now:' to the scenario")
        }
        return Planner.plan(state: state, request: request, policy: policy, now: time)
    }
}
