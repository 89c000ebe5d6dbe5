/// A live host as read: the state the planner takes, and what the reading ran into.
public struct Host: Sendable {
    public var layout: HostLayout
    /// Snaps, and the processes bound to their revisions.
    public var state: SystemState
    public var listing: StoreListing
    /// PIDs that could not be inspected (permissions).
    public var uninspectable: [Int32]
    /// What the service manager reported of each service unit seen, when one was asked
    /// (``HostReader/read(serviceManager:)``); a unit it does not know is not here.
    public var services: [String: ServiceStatus] = [:]

    public init(layout: HostLayout, state: SystemState, listing: StoreListing, uninspectable: [Int32]) {
        self.layout = layout
        self.state = state
        self.listing = listing
        self.uninspectable = uninspectable
    }

    /// Lines to print on stderr about what could not be read, or nothing.
    public var notices: [String] {
        var lines = listing.problems.map { "warning: \($0)" }
        if !uninspectable.isEmpty {
            let count = uninspectable.count == 1 ? "1 process" : "\(uninspectable.count) processes"
            lines.append("warning: \(count) could not be inspected (pid \(uninspectable.map(String.init).joined(separator: ", "))); run as root to see where they run from")
        }
        return lines
    }
}

/// Reads a host: the revision store's snaps, the processes, and the bindings between them
/// through ``BindingInference`` (the same inference a scenario's evidence goes through).
public struct HostReader: Sendable {
    public let store: any RevisionStore
    public let inspector: any ProcessInspector

    public init(store: any RevisionStore, inspector: any ProcessInspector) {
        self.store = store
        self.inspector = inspector
    }

    /// - Parameter mainPIDs: systemd's `MainPID` per unit (`snap.NAME.APP.service`), where
    ///   systemd runs the services; it decides which member of a service is its main process.
    public func read(mainPIDs: [String: Int32] = [:]) -> Host {
        let listing = store.list()
        let scan = inspector.scan()
        let state = HostReader.bind(listing.snaps, scan, root: store.layout.rootPath, mainPIDs: mainPIDs)
        return Host(layout: store.layout, state: state, listing: listing, uninspectable: scan.uninspectable)
    }

    /// Reads the host as ``read(mainPIDs:)`` does, with each service's main process as
    /// `serviceManager` says (systemd's `MainPID`): every unit seen in the scan is asked once.
    /// A unit the manager knows without a main process (stopped, its members left behind) has
    /// none; a unit it does not know is left to inference (the member whose parent is not one).
    /// - Parameter serviceManager: the host's service manager; `nil` reads as ``read(mainPIDs:)``.
    public func read(serviceManager: (any ServiceManager)?) async -> Host {
        let listing = store.list()
        let scan = inspector.scan()
        let root = store.layout.rootPath
        var state = HostReader.bind(listing.snaps, scan, root: root)
        var services: [String: ServiceStatus] = [:]
        if let serviceManager {
            for unit in Set(state.processes.compactMap { $0.binding?.service }).sorted() {
                if let status = await serviceManager.status(unit) { services[unit] = status }
            }
            // `0` (no process has it) for a unit the manager knows without a main process.
            let mainPIDs = services.mapValues { $0.mainPID.flatMap { $0 > 0 ? $0 : nil } ?? 0 }
            if !mainPIDs.isEmpty { state = HostReader.bind(listing.snaps, scan, root: root, mainPIDs: mainPIDs) }
        }
        var host = Host(layout: store.layout, state: state, listing: listing, uninspectable: scan.uninspectable)
        host.services = services
        return host
    }

    /// Binds inspected processes to snaps (processes that run from no snap are left out), tells
    /// each service's main process from its members, and records the engine's own process and
    /// its ancestors (``SystemState/engineProcesses``) from the scan's ``ProcessScan/selfPID``.
    public static func bind(_ snaps: [Snap], _ scan: ProcessScan, root: String, mainPIDs: [String: Int32] = [:]) -> SystemState {
        var byName: [SnapName: Snap] = [:]
        for snap in snaps { byName[snap.name] = snap }
        let inference = BindingInference(snaps: byName, root: root)
        var bound = scan.processes.compactMap { process -> RunningProcess? in
            guard let binding = inference.infer(process.evidence) else { return nil }
            return RunningProcess(identity: process.identity, parent: process.parent, evidence: process.evidence, binding: binding)
        }
        inference.resolveServices(&bound, mainPIDs: mainPIDs)
        return SystemState(snaps: snaps, processes: bound, engineProcesses: engineProcesses(in: scan))
    }

    /// The scan's own process and all its ancestors, up to the first one the scan does not
    /// have (PID 1's parent is 0).
    static func engineProcesses(in scan: ProcessScan) -> Set<Int32> {
        guard let own = scan.selfPID else { return [] }
        var parents: [Int32: Int32] = [:]
        for process in scan.processes { parents[process.identity.pid] = process.parent }
        var found: Set<Int32> = [own]
        var pid = own
        while let parent = parents[pid], parent > 0, found.insert(parent).inserted { pid = parent }
        return found
    }
}
