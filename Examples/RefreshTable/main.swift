// refresh-table: a tool that embeds RefreshCore without refreshctl.
//
//   swift run refresh-table --scenario Examples/scenarios/workstation.yaml \
//                           --policy Examples/policies/workstation.yaml [NAME[=REV]...]
//
// prints a table of the processes a refresh touches and what it would do to each. It uses
// only the public API of the RefreshCore and RefreshIO library products: load a policy and a
// scenario (RefreshIO reads the files), plan,
// read the typed decisions.
import RefreshCore
import RefreshIO

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

let usage = "usage: refresh-table --scenario FILE [--policy FILE] [NAME[=REV]...]"

func fail(_ message: String, code: Int32 = 2) -> Never {
    let line = message.hasSuffix("\n") ? message : message + "\n"
    _ = line.withCString { write(2, $0, strlen($0)) }
    exit(code)
}

// Arguments: deliberately by hand, so the example needs nothing but RefreshCore.
var scenarioPath: String?
var policyPath: String?
var names: [String] = []
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    switch argument {
    case "--scenario", "--policy":
        guard let value = arguments.popFirst() else { fail("\(argument) needs a file\n\(usage)") }
        if argument == "--scenario" { scenarioPath = value } else { policyPath = value }
    case "-h", "--help":
        print(usage)
        exit(0)
    case _ where argument.hasPrefix("-"):
        fail("unknown option '\(argument)'\n\(usage)")
    default:
        names.append(argument)
    }
}
guard let scenarioPath else { fail("no scenario given\n\(usage)") }

let plan: RefreshPlan
do {
    let policy = try policyPath.map { path throws(RefreshCoreError) in try Policy(contentsOf: path) } ?? .builtIn
    let scenario = try Scenario(contentsOf: scenarioPath)
    let request = names.isEmpty ? nil : try RefreshRequest(parsing: names)
    // A scenario without `now:` is planned at the wall clock, as refreshctl does.
    plan = try scenario.plan(policy: policy, refresh: request, now: scenario.now ?? SystemClock.now())
} catch {
    fail("\(error)")
}

/// What the decision does, in a few words.
func how(_ decision: ProcessDecision) -> String {
    switch decision.action {
    case .shutdown, .restart:
        let stop = decision.stopCommand.map { "run \($0.joined(separator: " "))" } ?? decision.signal.map { "send \($0)" } ?? ""
        return "\(stop), wait \(decision.timeout?.description ?? "?"), then \(decision.then?.description ?? "?")"
    case .postpone:
        return decision.deadline.map { "until \($0), then \(decision.then?.description ?? "?")" } ?? ""
    case .kill:
        return "SIGKILL"
    case .leaveRunning:
        return "keeps revision \(decision.pins.map(\.description) ?? decision.revision.description)"
    }
}

var rows: [[String]] = [["SNAP", "PLAN", "PID", "APP", "REV", "ACTION", "HOW", "WHY"]]
for snap in plan.snaps {
    let what: String
    var note = "no process runs from it"
    switch snap.outcome {
    case .refresh: what = "\(snap.from?.description ?? "-") -> \(snap.to?.description ?? "-")"
    case .postponed: what = "postponed"
    case .held: (what, note) = ("held", snap.hold?.summary ?? "held")
    case .upToDate: (what, note) = ("up to date", "nothing to do")
    case .error: (what, note) = ("error", snap.error ?? "cannot refresh")
    }
    if snap.processes.isEmpty {
        rows.append([snap.name.rawValue, what, "-", "-", "-", "-", note, ""])
    }
    for decision in snap.processes {
        rows.append([
            snap.name.rawValue, what, "\(decision.identity.pid)", decision.appLabel, decision.revision.description,
            decision.action.rawValue, how(decision), decision.reason,
        ])
    }
}
let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
for row in rows {
    let cells = row.enumerated().map { column, cell in
        column == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[column] - cell.count)
    }
    print(cells.joined(separator: "  ").trimmingTrailingSpaces())
}
for warning in plan.warnings { print("warning: \(warning)") }
exit(plan.exitCode)

extension String {
    func trimmingTrailingSpaces() -> String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}
