/// A host as the planner sees it: the snaps and the processes that run from them.
public struct SystemState: Sendable, Hashable {
    public var snaps: [SnapName: Snap]
    /// Sorted by PID.
    public var processes: [RunningProcess]
    /// The PIDs of the engine itself and of all its ancestors (the shell that ran it, ...):
    /// never acted on, never postponing a refresh. The host reader fills it in; the pure
    /// planner cannot look at its own process.
    public var engineProcesses: Set<Int32>

    public init(snaps: [Snap], processes: [RunningProcess], engineProcesses: Set<Int32> = []) {
        var byName: [SnapName: Snap] = [:]
        for snap in snaps { byName[snap.name] = snap }
        self.snaps = byName
        self.processes = processes.sorted { $0.identity < $1.identity }
        self.engineProcesses = engineProcesses
    }

    /// Snap names in order.
    public var snapNames: [SnapName] { snaps.keys.sorted() }
}
