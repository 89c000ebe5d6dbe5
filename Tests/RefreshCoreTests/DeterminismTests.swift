import Testing
@testable import RefreshCore
@testable import RefreshHost
import RefreshIO

/// The same input gives byte-identical text and JSON, whatever order the input lists things in.
@Suite struct DeterminismTests {
    func examplePlan(reversingProcesses: Bool = false) throws -> RefreshPlan {
        var text = try TextFile.read(packagePath("Examples/scenarios/workstation.yaml"))
        if reversingProcesses {
            // Swap the order of two process entries and of the refresh list.
            text = text.replacingOccurrences(of: "refresh: [vlc, qemu-virt, libvirt, firefox, my-db, core22]",
                                             with: "refresh: [core22, my-db, firefox, libvirt, qemu-virt, vlc]")
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            let a = lines.firstIndex { $0.contains("pid: 4242") }!
            let b = lines.firstIndex { $0.contains("pid: 8001") }!
            var swapped = lines
            swapped.swapAt(a, b)
            text = swapped.joined(separator: "\n")
        }
        let scenario = try Scenario(parsing: text, file: "Examples/scenarios/workstation.yaml")
        let policy = try Policy(contentsOf: packagePath("Examples/policies/workstation.yaml"))
        return Planner.plan(state: scenario.state, request: scenario.refresh!, policy: policy, now: scenario.now!)
    }

    @Test func twoRunsGiveIdenticalBytes() throws {
        let first = try examplePlan(), second = try examplePlan()
        #expect(first.text() == second.text())
        #expect(first.json() == second.json())
    }

    @Test func inputOrderDoesNotChangeTheOutput() throws {
        let plain = try examplePlan(), shuffled = try examplePlan(reversingProcesses: true)
        #expect(plain.text() == shuffled.text())
        #expect(plain.json() == shuffled.json())
        #expect(plain.snaps.map(\.name.rawValue) == ["core22", "firefox", "libvirt", "my-db", "qemu-virt", "vlc"])
        for snap in plain.snaps {
            #expect(snap.processes.map(\.identity.pid) == snap.processes.map(\.identity.pid).sorted())
        }
    }

    /// The workstation example: qemu and vlc are left running with reasons naming the policy lines.
    @Test func workstationExampleDecisions() throws {
        let plan = try examplePlan()
        #expect(plan.exitCode == 0)
        let vlc = try #require(plan.snaps.first { $0.name.rawValue == "vlc" })
        #expect(vlc.decision(for: 4242)?.action == .leaveRunning)
        #expect(vlc.decision(for: 4242)?.reason.hasSuffix("policies/workstation.yaml:19: rule 2 (snap: vlc)") == true)
        #expect(vlc.keep.map(\.revision.description) == ["12", "10"] && vlc.remove.map(\.description) == ["8"])
        let qemu = try #require(plan.snaps.first { $0.name.rawValue == "qemu-virt" })
        for pid: Int32 in [5001, 5151, 5160] {
            #expect(qemu.decision(for: pid)?.action == .leaveRunning)
            #expect(qemu.decision(for: pid)?.reason.hasSuffix("policies/workstation.yaml:16: rule 1 (snap: qemu-*)") == true)
        }
        let libvirt = try #require(plan.snaps.first { $0.name.rawValue == "libvirt" })
        #expect(libvirt.decision(for: 6001)?.action == .restart)
        #expect(libvirt.decision(for: 6050)?.action == .shutdown)
        let db = try #require(plan.snaps.first { $0.name.rawValue == "my-db" })
        #expect(db.decision(for: 8001)?.stopCommand == ["/snap/my-db/30/bin/db-ctl", "shutdown"])
        #expect(db.decision(for: 8001)?.timeout == .minutes(2))
        let core = try #require(plan.snaps.first { $0.name.rawValue == "core22" })
        #expect(core.processes.map(\.identity.pid) == [4242, 5001, 5151, 5160, 6001, 6050, 7001, 8001])
        #expect(core.keep.map { "\($0.revision): \($0.why)" } == ["101: current after the refresh", "100: retained (retain: 2); in use by 4 processes"])
    }

    /// Every process of a refreshed snap, and every one pinning it, gets exactly one decision.
    @Test func everyProcessGetsExactlyOneDecisionPerSection() throws {
        let plan = try examplePlan()
        let scenario = try Scenario(contentsOf: packagePath("Examples/scenarios/workstation.yaml"))
        for snap in plan.snaps {
            let expected = scenario.state.processes.filter { $0.binding!.snap == snap.name || $0.binding!.pins.contains { $0.snap == snap.name } }
            #expect(snap.processes.map(\.identity.pid) == expected.map(\.pid))
            #expect(snap.processes.allSatisfy { !$0.reason.isEmpty })
        }
    }
}
