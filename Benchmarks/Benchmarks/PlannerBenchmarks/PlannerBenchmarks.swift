import Benchmark
import RefreshCore
import SyntheticHost

/// `Planner.plan(state:request:policy:now:)` on synthetic hosts of 100 and 1,000 snaps with
/// 1k, 10k and 100k processes. Only the plan is timed: each host is built once, in `setup`.
let benchmarks: @Sendable () -> Void = {
    /// Nanoseconds of one `plan` call divided by the host's process count, measured around the
    /// call itself so that the table shows the per-process cost directly.
    let nanosecondsPerProcess = BenchmarkMetric.custom("ns per process", polarity: .prefersSmaller, useScalingFactor: false)

    for snaps in [100, 1_000] {
        for processes in [1_000, 10_000, 100_000] {
            let label = processes >= 1_000 ? "\(processes / 1_000)k" : "\(processes)"
            Benchmark(
                "plan/\(snaps)-snaps/\(label)-processes",
                configuration: .init(
                    metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .peakMemoryResident, nanosecondsPerProcess],
                    timeUnits: .microseconds,
                    units: [nanosecondsPerProcess: .count],
                    warmupIterations: 1,
                    // A plan of 100k processes takes seconds: a few iterations each, so that
                    // the whole suite stays within a few minutes on 2 cores.
                    maxDuration: .seconds(processes >= 100_000 ? 12 : 3),
                    maxIterations: processes >= 100_000 ? 10 : 200
                )
            ) { (benchmark: Benchmark, host: SyntheticHost) in
                let start = ContinuousClock.now
                let plan = Planner.plan(state: host.state, request: host.request, policy: host.policy, now: host.now)
                let elapsed = ContinuousClock.now - start
                blackHole(plan)
                let nanoseconds = elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000
                benchmark.measurement(nanosecondsPerProcess, Int(nanoseconds) / host.processCount)
            } setup: {
                SyntheticHost(snaps: snaps, processes: processes)
            }
        }
    }
}
