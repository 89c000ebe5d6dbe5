/// Everything the engine acts through. The real set is `HostAdapters.linux(root:)` in
/// RefreshHost; RefreshFakes builds one over a host kept in memory.
public struct HostAdapters: Sendable {
    public var store: any RevisionStore
    public var inspector: any ProcessInspector
    public var signaller: any ProcessSignaller
    /// The host's service manager; `nil` where none runs (then the engine signals a service's
    /// processes itself and starts it again with the policy's `restart-command`).
    public var serviceManager: (any ServiceManager)?
    public var commands: any CommandRunner
    public var clock: any EngineClock
    public var journal: any JournalStore
    public var lock: any RefreshLock
    public var records: any RefreshRecords

    public init(
        store: any RevisionStore, inspector: any ProcessInspector, signaller: any ProcessSignaller,
        serviceManager: (any ServiceManager)?, commands: any CommandRunner, clock: any EngineClock,
        journal: any JournalStore, lock: any RefreshLock, records: any RefreshRecords
    ) {
        self.store = store
        self.inspector = inspector
        self.signaller = signaller
        self.serviceManager = serviceManager
        self.commands = commands
        self.clock = clock
        self.journal = journal
        self.lock = lock
        self.records = records
    }

    /// Reads the host now: snaps, processes and their bindings (a service's main process
    /// inferred: the member whose parent is not one). For what needs no roles.
    public func readHost() -> Host {
        HostReader(store: store, inspector: inspector).read()
    }

    /// Reads the host now, each service's main process as the service manager says (systemd's
    /// `MainPID`) where one runs: what plans are made from.
    public func readHostAndServices() async -> Host {
        await HostReader(store: store, inspector: inspector).read(serviceManager: serviceManager)
    }

    /// The name of the service manager the engine acts through (`systemd`), or `none`.
    public var serviceManagerName: String { serviceManager?.name ?? "none" }
}
