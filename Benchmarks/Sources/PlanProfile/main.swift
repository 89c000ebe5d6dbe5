import RefreshCore
import SyntheticHost

#if canImport(Glibc)
import Glibc
#endif

/// A small driver for profiling the planner (`valgrind --tool=callgrind`, `perf record`) and
/// checking that a change keeps its output: plans the synthetic host of `SNAPS` snaps and
/// `PROCESSES` processes `REPEAT` times, prints the best and median nanoseconds per process,
/// and with `--out FILE` writes the plan's text and JSON to FILE (compare them byte for byte
/// across a change).
///
/// Usage: `swift build -c release --product PlanProfile && .build/release/PlanProfile SNAPS PROCESSES [REPEAT] [--out FILE]`
/// This thread's CPU time: less disturbed than the wall clock by other work on the machine.
func threadCPUNanoseconds() -> Int {
    var time = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
    return time.tv_sec * 1_000_000_000 + time.tv_nsec
}

@main
struct PlanProfile {
    static func main() {
        var numbers: [Int] = []
        var out: String?
        var arguments = CommandLine.arguments.dropFirst()
        while let argument = arguments.popFirst() {
            if argument == "--out" { out = arguments.popFirst() } else if let number = Int(argument) { numbers.append(number) }
        }
        guard numbers.count >= 2 else {
            print("usage: PlanProfile SNAPS PROCESSES [REPEAT] [--out FILE]")
            exit(2)
        }
        let host = SyntheticHost(snaps: numbers[0], processes: numbers[1])
        let repeats = numbers.count > 2 ? max(numbers[2], 1) : 5
        var perProcess: [Int] = []
        var cpuPerProcess: [Int] = []
        var plan: RefreshPlan?
        for _ in 0..<repeats {
            let cpuStart = threadCPUNanoseconds()
            let start = ContinuousClock.now
            let made = Planner.plan(state: host.state, request: host.request, policy: host.policy, now: host.now)
            let elapsed = ContinuousClock.now - start
            let cpu = threadCPUNanoseconds() - cpuStart
            let nanoseconds = elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000
            perProcess.append(Int(nanoseconds) / host.processCount)
            cpuPerProcess.append(cpu / host.processCount)
            plan = made
        }
        perProcess.sort()
        cpuPerProcess.sort()
        print("plan \(host.snapCount) snaps, \(host.processCount) processes (\(repeats) runs): wall best \(perProcess[0]), median \(perProcess[perProcess.count / 2]); thread CPU best \(cpuPerProcess[0]), median \(cpuPerProcess[cpuPerProcess.count / 2]) ns/process")
        if let out, let plan {
            let text = plan.text() + "\n----\n" + plan.json()
            guard let file = fopen(out, "w") else { exit(1) }
            fputs(text, file)
            fclose(file)
        }
    }
}
