import Benchmark
import RefreshCore
import SyntheticHost

/// `BindingInference.infer(_:)` over 10,000 evidence records (exe, 3 maps, a cgroup line) on a
/// host of 1,000 snaps: what binding one process costs on a live host. The records and the
/// inference (its base index) are built once, in `setup`; each iteration infers all 10,000.
let benchmarks: @Sendable () -> Void = {
    let nanosecondsPerProcess = BenchmarkMetric.custom("ns per process", polarity: .prefersSmaller, useScalingFactor: false)
    let recordCount = 10_000

    Benchmark(
        "infer/1000-snaps/10k-records",
        configuration: .init(
            metrics: [.wallClock, .cpuTotal, .mallocCountTotal, nanosecondsPerProcess],
            timeUnits: .microseconds,
            units: [nanosecondsPerProcess: .count],
            warmupIterations: 1,
            maxDuration: .seconds(3),
            maxIterations: 200
        )
    ) { (benchmark: Benchmark, fixture: Fixture) in
        let start = ContinuousClock.now
        var bound = 0
        for record in fixture.records {
            let binding = fixture.inference.infer(record)
            if binding != nil { bound += 1 }
            blackHole(binding)
        }
        let elapsed = ContinuousClock.now - start
        precondition(bound == fixture.records.count, "every synthetic record runs from a snap")
        let nanoseconds = elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000
        benchmark.measurement(nanosecondsPerProcess, Int(nanoseconds) / fixture.records.count)
    } setup: { () -> Fixture in
        let snaps = Synthetic.snaps(count: 1_000)
        let state = SystemState(snaps: snaps, processes: [])
        return Fixture(
            inference: BindingInference(snaps: state.snaps, root: "/"),
            records: Synthetic.evidence(count: recordCount, snaps: snaps))
    }
}

/// What each iteration infers from, built once.
struct Fixture: Sendable {
    var inference: BindingInference
    var records: [ProcessEvidence]
}
