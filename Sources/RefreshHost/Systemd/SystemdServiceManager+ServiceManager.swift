import RefreshCore
import Synchronization

/// The engine's view of systemd: the core's ``RefreshCore/ServiceManager``, each request run in
/// a task whose result the executor polls.
extension SystemdServiceManager: RefreshCore.ServiceManager {
    public var name: String { "systemd" }

    /// The unit's status, or `nil` when systemd does not have it loaded (or it cannot be read).
    public func status(_ unit: String) async -> ServiceStatus? {
        guard let name = try? SystemdUnitName(unit), let status = try? await status(name), status.isLoaded else { return nil }
        return ServiceStatus(unit: status.unit, activeState: status.activeState.rawValue, mainPID: status.mainPID,
                             killMode: status.killMode.rawValue)
    }

    public func stop(_ unit: String, timeout: TimeSpan) -> any ServiceJob {
        job(unit) { manager, name in await manager.stop(name, timeout: .nanoseconds(timeout.nanoseconds)) }
    }

    public func start(_ unit: String, timeout: TimeSpan) -> any ServiceJob {
        job(unit) { manager, name in await manager.start(name, timeout: .nanoseconds(timeout.nanoseconds)) }
    }

    public func kill(_ unit: String, signal: Signal, mainOnly: Bool) -> any ServiceJob {
        job(unit) { manager, name in await manager.kill(name, signal: signal.number, whom: mainOnly ? .main : .all) }
    }

    /// Moves the processes into the scope; systemd checks that each PID is the unit's at the time
    /// (the start times are not checked here: the PIDs are those of the host systemd runs).
    public func moveOut(_ processes: [ProcessIdentity], of unit: String, into scope: String) -> any ServiceJob {
        guard let scopeName = try? SystemdUnitName(scope) else {
            return FinishedServiceJob(result: .failed("'\(scope)' is not a systemd scope name"))
        }
        return job(unit) { manager, name in
            await manager.moveOut(pids: processes.map(\.pid), of: name, into: scopeName, timeout: manager.queryTimeout)
        }
    }

    private func job(_ unit: String, _ work: @escaping @Sendable (SystemdServiceManager, SystemdUnitName) async -> ServiceOutcome) -> any ServiceJob {
        let name: SystemdUnitName
        do throws(RefreshCoreError) { name = try SystemdUnitName(unit) } catch { return FinishedServiceJob(result: .failed(error.message)) }
        let job = TaskServiceJob()
        Task { [self] in job.finish(Self.jobResult(await work(self, name))) }
        return job
    }

    /// The core's result of an outcome: what systemd did, in words.
    static func jobResult(_ outcome: ServiceOutcome) -> ServiceJobResult {
        switch outcome {
        case .done(let status): return .done("systemd reports \(status)")
        case .failed(let why, _): return .failed(why)
        case .timedOut: return .timedOut
        case .couldNotRun(let why): return .failed(why)
        }
    }
}

/// A service manager request running in a task: its result once the task has it.
final class TaskServiceJob: ServiceJob {
    private let state = Mutex<ServiceJobResult?>(nil)
    var result: ServiceJobResult? { state.withLock { $0 } }
    func finish(_ result: ServiceJobResult) { state.withLock { $0 = result } }
}

/// A request refused before it reached systemd.
struct FinishedServiceJob: ServiceJob {
    let result: ServiceJobResult?
    init(result: ServiceJobResult) { self.result = result }
}
