/// A process as `/proc` shows it.
public struct InspectedProcess: Sendable, Hashable {
    public var identity: ProcessIdentity
    public var parent: Int32
    /// The command name (`comm`), which may hold spaces and parentheses.
    public var name: String
    public var evidence: ProcessEvidence

    public init(identity: ProcessIdentity, parent: Int32, name: String, evidence: ProcessEvidence) {
        self.identity = identity
        self.parent = parent
        self.name = name
        self.evidence = evidence
    }
}

/// One pass over the processes of a host.
public struct ProcessScan: Sendable, Hashable {
    /// Sorted by PID.
    public var processes: [InspectedProcess]
    /// PIDs whose evidence could not be read (permissions), so their bindings are unknown.
    public var uninspectable: [Int32]
    /// The PID of the process that scanned (the engine), when it is one of the host's: it and
    /// its ancestors are never acted on.
    public var selfPID: Int32?

    public init(processes: [InspectedProcess], uninspectable: [Int32], selfPID: Int32? = nil) {
        self.processes = processes
        self.uninspectable = uninspectable
        self.selfPID = selfPID
    }
}

/// Lists processes with the evidence of where they run from.
public protocol ProcessInspector: Sendable {
    func scan() -> ProcessScan
}
