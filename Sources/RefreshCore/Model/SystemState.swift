/// A host as the planner sees it: the snaps and the processes that run from them.
public struct SystemState: Sendable, Hashable {
    public var snaps: [SnapName: Snap]
    /// Sorted by PID.
    public var processes: [RunningProcess]

    public init(snaps: [Snap], processes: [RunningProcess]) {
        var byName: [SnapName: Snap] = [:]
        for snap in snaps { byName[snap.name] = snap }
        self.snaps = byName
        self.processes = processes.sorted { $0.identity < $1.identity }
    }

    /// Snap names in order.
    public var snapNames: [SnapName] { snaps.keys.sorted() }
}
