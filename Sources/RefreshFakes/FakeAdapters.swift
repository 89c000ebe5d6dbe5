import RefreshCore

/// ``RevisionStore`` over a ``FakeHost``.
public struct FakeRevisionStore: RevisionStore {
    let host: FakeHost

    public var layout: HostLayout { host.layout }

    public func list() -> StoreListing {
        host.with { world in
            var listing = StoreListing(snaps: [])
            for record in world.snaps.values.sorted(by: { $0.name < $1.name }) {
                listing.snaps.append(Snap(
                    name: record.name, current: record.current,
                    revisions: record.revisions.map { InstalledRevision(revision: $0.key, info: $0.value) },
                    postponedSince: record.postponedSince, hold: record.hold))
                for revision in record.mounted { listing.mounted.insert(SnapRevision(record.name, revision)) }
                for revision in record.data { listing.dataDirectories.insert(SnapRevision(record.name, revision)) }
            }
            return listing
        }
    }

    public func mount(_ snap: SnapName, _ revision: Revision) throws(RefreshCoreError) {
        try host.with { world throws(RefreshCoreError) in
            guard world.snaps[snap]?.revisions[revision] != nil else {
                throw RefreshCoreError(.unsafeHost, "cannot mount \(snap) revision \(revision): it is not installed")
            }
            if world.snaps[snap]?.mounted.insert(revision).inserted == true { world.log.append("mount \(snap) \(revision)") }
        }
    }

    public func unmount(_ snap: SnapName, _ revision: Revision) throws(RefreshCoreError) {
        try host.with { world throws(RefreshCoreError) in
            guard world.snaps[snap]?.mounted.contains(revision) == true else { return }
            let prefix = "/snap/\(snap)/\(revision)/"
            if world.processes.values.contains(where: { process in
                world.isRunning(process.identity.pid)
                    && ([process.evidence.exe, process.evidence.cwd].compactMap { $0 } + process.evidence.maps + process.evidence.files)
                        .contains { $0.hasPrefix(prefix) || $0 == String(prefix.dropLast()) }
            }) {
                throw RefreshCoreError(.inUse, "\(snap) revision \(revision) is still in use, so it stays mounted")
            }
            world.snaps[snap]?.mounted.remove(revision)
            world.log.append("unmount \(snap) \(revision)")
        }
    }

    public func isMounted(_ snap: SnapName, _ revision: Revision) -> Bool {
        host.with { $0.snaps[snap]?.mounted.contains(revision) ?? false }
    }

    public func hasImage(_ snap: SnapName, _ revision: Revision) -> Bool {
        host.with { $0.snaps[snap]?.images.contains(revision) ?? false }
    }

    public func hasData(_ snap: SnapName, _ revision: Revision) -> Bool {
        host.with { $0.snaps[snap]?.data.contains(revision) ?? false }
    }

    public func checkData(_ snap: SnapName, from: Revision, to: Revision) throws(RefreshCoreError) {}

    public func checkRevision(_ snap: SnapName, _ revision: Revision) throws(RefreshCoreError) {
        let info = host.with { $0.snaps[snap]?.revisions[revision] }
        guard let info else { throw RefreshCoreError(.unsafeHost, "\(snap) revision \(revision) is not installed") }
        if info.name != snap {
            throw RefreshCoreError(.unsafeHost, "refusing to switch to \(snap) revision \(revision): its snap.yaml names the snap '\(info.name)'")
        }
    }

    public func copyData(_ snap: SnapName, from: Revision, to: Revision) throws(RefreshCoreError) -> DataCopyOutcome {
        try host.with { world throws(RefreshCoreError) in
            if world.failCopy.contains(snap) {
                throw RefreshCoreError(.io, "cannot copy /var/snap/\(snap)/\(from) to /var/snap/\(snap)/\(to): No space left on device")
            }
            guard world.snaps[snap]?.data.contains(to) == false else { return DataCopyOutcome(created: false) }
            world.snaps[snap]?.data.insert(to)
            world.log.append("copy \(snap) \(from) \(to)")
            return DataCopyOutcome(created: true)
        }
    }

    public func userDataHomes(_ snap: SnapName, _ revision: Revision) -> [String] { [] }

    public func dataLeftBehind(_ snap: SnapName) -> [Revision] {
        host.with { world in
            guard let record = world.snaps[snap] else { return [] }
            return record.data.filter { record.revisions[$0] == nil && !record.images.contains($0) }.sorted()
        }
    }

    public func removeData(_ snap: SnapName, _ revision: Revision, writtenSince: Timestamp?, dryRun: Bool) -> DataRemoval {
        host.with { world in
            guard let record = world.snaps[snap], record.data.contains(revision) else { return DataRemoval() }
            let late = writtenSince.map { since in
                (record.dataWrites[revision] ?? [:]).filter { $0.value >= since }.keys.map { "/var/snap/\(snap)/\(revision)/\($0)" }.sorted()
            } ?? []
            if !dryRun {
                world.snaps[snap]?.data.remove(revision)
                world.snaps[snap]?.dataWrites[revision] = nil
                world.log.append("remove data \(snap) \(revision)")
            }
            return DataRemoval(
                directories: ["/var/snap/\(snap)/\(revision)"], lateWrites: Array(late.prefix(DataRemoval.listLimit)), lateWriteCount: late.count)
        }
    }

    public func removeCreatedData(_ snap: SnapName, _ revision: Revision, system: Bool, userDataExisted: [String]) throws(RefreshCoreError) {
        guard system else { return }
        host.with { world in
            if world.snaps[snap]?.data.remove(revision) != nil { world.log.append("remove data \(snap) \(revision)") }
        }
    }

    @discardableResult
    public func switchCurrent(_ snap: SnapName, to revision: Revision) throws(RefreshCoreError) -> [String] {
        try host.with { world throws(RefreshCoreError) -> [String] in
            if world.failSwitch.contains(snap) {
                throw RefreshCoreError(.io, "cannot switch /snap/\(snap)/current: Input/output error")
            }
            guard world.snaps[snap]?.revisions[revision] != nil else {
                throw RefreshCoreError(.unsafeHost, "cannot switch \(snap) to revision \(revision): it is not installed")
            }
            world.snaps[snap]?.current = revision
            world.log.append("switch \(snap) \(revision)")
            return []
        }
    }

    public func removeRevision(_ snap: SnapName, _ revision: Revision) throws(RefreshCoreError) {
        try unmount(snap, revision)
        try host.with { world throws(RefreshCoreError) in
            guard world.snaps[snap]?.current != revision else {
                throw RefreshCoreError(.unsafeHost, "refusing to remove \(snap) revision \(revision): it is current")
            }
            world.snaps[snap]?.revisions[revision] = nil
            world.snaps[snap]?.images.remove(revision)
            world.log.append("remove \(snap) \(revision)")
        }
    }
}

/// ``ProcessInspector`` over a ``FakeHost``: the processes running now.
public struct FakeProcessInspector: ProcessInspector {
    let host: FakeHost

    public func scan() -> ProcessScan {
        host.with { world in
            world.scans += 1
            world.beforeScan?(world.scans, &world)
            world.settle()
            let running = world.processes.values.filter { world.isRunning($0.identity.pid) }.sorted { $0.identity < $1.identity }
            return ProcessScan(
                processes: running.map { InspectedProcess(identity: $0.identity, parent: $0.parent, name: $0.name, evidence: $0.evidence) },
                uninspectable: [])
        }
    }
}

/// ``ProcessSignaller`` over a ``FakeHost``: refuses PID 0 and 1 and unknown start times, as
/// the real one does; a signal makes a process exit as its behaviour says.
public struct FakeSignaller: ProcessSignaller {
    let host: FakeHost

    public func open(_ identity: ProcessIdentity) -> Result<ProcessHandle, SignalRefusal> {
        if identity.pid <= 1 { return .failure(.protected("PID \(identity.pid) is never signalled")) }
        guard identity.startTime != nil else {
            return .failure(.protected("its start time is unknown, so a reused PID could not be told apart"))
        }
        return host.with { world in
            world.settle()
            guard let process = world.processes[identity.pid], process.identity == identity, world.isRunning(identity.pid) else {
                return .failure(.gone)
            }
            if let limit = world.handleLimit, world.handles.count >= limit {
                return .failure(.exhausted("no descriptor is free for it (\(limit) held)"))
            }
            let reference = world.nextHandle
            world.nextHandle += 1
            world.handles[reference] = identity
            return .success(ProcessHandle(identity: identity, reference: reference))
        }
    }

    public func send(_ signal: Signal, to handle: ProcessHandle) -> Result<Void, SignalRefusal> {
        host.with { world in
            world.settle()
            let pid = handle.identity.pid
            guard world.handles[handle.reference] == handle.identity, world.isRunning(pid), var process = world.processes[pid] else {
                return .failure(.gone)
            }
            process.signals.append(signal)
            world.log.append("signal \(signal) \(pid)")
            let delay: TimeSpan? = signal == .sigkill ? (process.unkillable ? nil : TimeSpan(nanoseconds: 0)) : process.exitAfter[signal]
            if let delay {
                let at = world.now + delay.nanoseconds
                process.exitsAt = min(process.exitsAt ?? at, at)
            }
            world.processes[pid] = process
            return .success(())
        }
    }

    public func hasExited(_ handle: ProcessHandle) -> Bool {
        host.with { world in
            world.settle()
            return !world.isRunning(handle.identity.pid)
        }
    }

    public func close(_ handle: ProcessHandle) {
        host.with { _ = $0.handles.removeValue(forKey: handle.reference) }
    }
}

/// ``EngineClock`` over a ``FakeHost``: waiting moves time straight to the deadline or to the
/// next thing that happens, whichever comes first.
public struct FakeClock: EngineClock {
    let host: FakeHost

    public func now() -> MonotonicInstant {
        host.with { MonotonicInstant(nanoseconds: $0.now) }
    }

    public func wallTime() -> Timestamp {
        host.with { world in
            Timestamp(secondsSinceEpoch: world.wallTime.secondsSinceEpoch + (world.now - 1_000_000_000) / 1_000_000_000)
        }
    }

    public func wait(until deadline: MonotonicInstant, orExitOf processes: [ProcessHandle]) async {
        host.with { world in
            world.settle()
            world.lockHeldWhileWaiting.append(world.lockHeld)
            if processes.contains(where: { !world.isRunning($0.identity.pid) }) { return }
            let next = min(deadline.nanoseconds, world.nextEvent() ?? deadline.nanoseconds)
            if next > world.now { world.now = next }
            world.settle()
        }
    }
}

/// ``CommandRunner`` over a ``FakeHost``: a command takes the time and has the effect its
/// ``FakeHost/CommandScript`` says (by default it ends at once with status 0).
public struct FakeCommandRunner: CommandRunner {
    let host: FakeHost

    struct Job: CommandJob {
        let host: FakeHost
        let key: Int

        var result: CommandResult? {
            host.with { world in
                world.settle()
                guard let job = world.jobs[key], job.ended else { return nil }
                return job.result
            }
        }
    }

    public func start(_ command: Command, timeout: TimeSpan) -> any CommandJob {
        host.with { world in
            world.settle()
            world.commandsRun.append(command)
            world.log.append("run \(command)")
            let script = world.commands[command.arguments.first ?? ""] ?? FakeHost.CommandScript()
            let key = world.nextJob
            world.nextJob += 1
            var result = CommandResult(termination: script.termination, output: script.output, duration: script.duration)
            var effect = script.effect
            var ends = world.now + script.duration.nanoseconds
            if script.duration > timeout {
                result = CommandResult(termination: .timedOut, output: script.output, duration: timeout)
                effect = { _ in }
                ends = world.now + timeout.nanoseconds
            }
            if case .couldNotStart = script.termination { ends = world.now; effect = { _ in } }
            world.jobs[key] = FakeHost.World.Job(endsAt: ends, result: result, effect: effect)
            return Job(host: host, key: key)
        }
    }
}

/// ``JournalStore`` over a ``FakeHost``: the journal's text in memory, encoded and decoded as
/// the real one is.
public struct FakeJournal: JournalStore {
    let host: FakeHost

    public var location: String { host.layout.stateDirectory + "/journal.json" }

    public func read() throws(RefreshCoreError) -> JournalRecord? {
        guard let text = host.with({ $0.journal }) else { return nil }
        return try JournalRecord(decoding: text, file: location)
    }

    public func write(_ record: JournalRecord) throws(RefreshCoreError) {
        try host.with { world throws(RefreshCoreError) in
            if world.failJournalWrites {
                throw RefreshCoreError(.io, "cannot write the journal \(location).new: write: No space left on device")
            }
            world.journal = record.encoded()
            world.journalWrites += 1
        }
    }

    public func remove() throws(RefreshCoreError) {
        host.with { $0.journal = nil }
    }
}

/// ``RefreshLock`` over a ``FakeHost``.
public struct FakeLock: RefreshLock {
    let host: FakeHost

    final class Hold: LockHold {
        let host: FakeHost
        init(host: FakeHost) { self.host = host }
        func release() { host.with { $0.lockHeld = false } }
    }

    public func acquire(wait: Bool) throws(RefreshCoreError) -> any LockHold {
        try host.with { world throws(RefreshCoreError) in
            if world.lockHeld {
                throw RefreshCoreError(.locked, "another refresh holds the lock \(host.layout.stateDirectory)/lock: refreshctl pid 999; wait for it or run again with --wait")
            }
            world.lockHeld = true
        }
        return Hold(host: host)
    }
}

/// ``RefreshRecords`` over a ``FakeHost``: postponements on the snaps.
public struct FakeRecords: RefreshRecords {
    let host: FakeHost

    public func recordPostponement(_ snap: SnapName, since: Timestamp) throws(RefreshCoreError) {
        host.with { world in
            if world.snaps[snap]?.postponedSince == nil { world.snaps[snap]?.postponedSince = since }
        }
    }

    public func clearPostponement(_ snap: SnapName) {
        host.with { $0.snaps[snap]?.postponedSince = nil }
    }

    public func revertedFrom(_ snap: SnapName) -> [Revision] {
        host.with { $0.revertedFrom[snap] ?? [] }
    }

    public func recordRevert(_ snap: SnapName, from revision: Revision) throws(RefreshCoreError) {
        host.with { world in
            if !(world.revertedFrom[snap] ?? []).contains(revision) { world.revertedFrom[snap, default: []].append(revision) }
        }
    }

    public func clearReverts(_ snap: SnapName) {
        host.with { $0.revertedFrom[snap] = nil }
    }

    public func recordLeaving(_ snap: SnapName, _ revision: Revision, at time: Timestamp) throws(RefreshCoreError) {
        host.with { $0.snaps[snap]?.leftAt[revision] = time }
    }

    public func leftAt(_ snap: SnapName, _ revision: Revision) -> Timestamp? {
        host.with { $0.snaps[snap]?.leftAt[revision] }
    }

    public func forgetLeaving(_ snap: SnapName, _ revision: Revision) {
        host.with { _ = $0.snaps[snap]?.leftAt.removeValue(forKey: revision) }
    }

    public func recordHistory(_ entry: RefreshHistory.Entry) throws(RefreshCoreError) {
        try host.with { world throws(RefreshCoreError) in
            if world.historyFails { throw RefreshCoreError(.io, "cannot record the history of \(entry.snap): no space left on device") }
            world.history[entry.snap] = (world.history[entry.snap] ?? RefreshHistory(entries: [])).appending(entry)
        }
    }
}
