extension RefreshPlan {
    /// The plan for the snap named `name`, or `nil` when the refresh does not include it.
    ///
    /// ```swift
    /// plan.snap("vlc")?.decision(for: 4242)?.action == .leaveRunning
    /// ```
    public func snap(_ name: String) -> SnapPlan? {
        snaps.first { $0.name.rawValue == name }
    }

    /// The plan for `name`, or `nil` when the refresh does not include it.
    public func snap(_ name: SnapName) -> SnapPlan? {
        snaps.first { $0.name == name }
    }

    /// The warnings about snap `name` (each warning starts with the snap it is about), sorted.
    public func warnings(about name: SnapName) -> [String] {
        warnings.filter { $0.hasPrefix("\(name): ") }
    }
}

extension SnapPlan {
    /// The decisions for the processes of an app, in PID order.
    ///
    /// - Parameter app: `APP` matches the processes of an app of that name, whichever snap it
    ///   belongs to (in a base snap's plan, the apps that run on the base); `SNAP.APP` matches
    ///   one snap's app only, such as `vlc.vlc`.
    /// - Returns: the decisions, empty when no process of the app is in this plan.
    public func decisions(forApp app: String) -> [ProcessDecision] {
        let parts = app.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        if parts.count == 2 {
            return processes.filter { $0.snap.rawValue == parts[0] && $0.app?.rawValue == String(parts[1]) }
        }
        return processes.filter { $0.app?.rawValue == app }
    }
}
