import Foundation
import Testing
@testable import RefreshCore
@testable import RefreshHost
import RefreshIO

#if canImport(Glibc)
import Glibc
#endif

/// `refreshctl apply --all-staged`, what the refresh timer's service runs, on a real root with
/// squashfs revisions; its JSON report (and `status`'s after it) validate against the schemas.
@Suite(.serialized, .enabled(if: ToyHost.available, ToyHost.reason), .timeLimit(.minutes(5)))
struct AllStagedTests {
    @Test("apply --all-staged refreshes every snap with a staged revision; then there is nothing staged")
    func allStaged() throws {
        let host = try ToyHost()
        defer { host.tearDown() }
        try host.install()  // toyapp 1 (2, 3 staged), toybase 1 (2 staged)
        let run = try ToyHost.refreshctl(["apply", "--all-staged", "--format", "json", "--quiet", "--service-manager", "none", "--root", host.root])
        #expect(run.code == 0, "\(run.err)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(run.out.utf8)) as? [String: Any])
        let snaps = try #require(report["snaps"] as? [[String: Any]])
        #expect(snaps.map { $0["name"] as? String } == ["toyapp", "toybase"])
        #expect(snaps.map { $0["outcome"] as? String } == ["refreshed", "refreshed"])
        #expect(snaps.map { $0["to"] as? String } == ["3", "2"])
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: host.path("snap/toyapp/current")) == "3")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: host.path("snap/toybase/current")) == "2")

        let status = try ToyHost.refreshctl(["status", "--format", "json", "--root", host.root])
        #expect(status.code == 0, "\(status.err)")

        try SchemaTests.expectValid(run.out, against: "apply.schema.json")
        try SchemaTests.expectValid(status.out, against: "status.schema.json")

        let again = try ToyHost.refreshctl(["apply", "--all-staged", "--quiet", "--service-manager", "none", "--root", host.root])
        #expect(again.code == 0, "\(again.err)")
        #expect(again.out == "nothing staged\n")
        let json = try ToyHost.refreshctl(["apply", "--all-staged", "--format", "json", "--service-manager", "none", "--root", host.root])
        #expect(json.out == #"{"version":1,"operation":"apply","snaps":[],"processes":[],"services":[],"warnings":[],"exit-code":0}"# + "\n")
    }

    @Test("a held snap stays where it is under --all-staged; the report (held, data removed) and status validate")
    func allStagedWithAHold() throws {
        let host = try ToyHost()
        defer { host.tearDown() }
        try host.install()  // toyapp 1 (2, 3 staged; data var/snap/toyapp/1), toybase 1 (2 staged)
        // Two refreshes of toyapp leave revision 1 beyond retain 2: it and its data go.
        let first = try ToyHost.refreshctl(["apply", "--quiet", "--service-manager", "none", "--root", host.root, "toyapp=2"])
        #expect(first.code == 0, "\(first.err)")
        let hold = try ToyHost.refreshctl(["hold", "--root", host.root, "toybase"])
        #expect(hold.code == 0, "\(hold.err)")
        let run = try ToyHost.refreshctl(["apply", "--all-staged", "--format", "json", "--quiet", "--service-manager", "none", "--root", host.root])
        #expect(run.code == 3, "\(run.err)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(run.out.utf8)) as? [String: Any])
        let snaps = try #require(report["snaps"] as? [[String: Any]])
        #expect(snaps.map { $0["name"] as? String } == ["toyapp", "toybase"])
        #expect(snaps.map { $0["outcome"] as? String } == ["refreshed", "held"])
        let data = try #require(snaps.first?["data"] as? [[String: Any]], "\(run.out)")
        #expect(data.map { $0["revision"] as? String } == ["1"])
        #expect(data.first?["kept"] as? Bool == false)
        #expect(!FileManager.default.fileExists(atPath: host.path("var/snap/toyapp/1")))
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: host.path("snap/toybase/current")) == "1")

        let status = try ToyHost.refreshctl(["status", "--format", "json", "--root", host.root])
        #expect(status.code == 0, "\(status.err)")
        #expect(status.out.contains(#""hold":{"snap":"toybase""#), "\(status.out)")
        try SchemaTests.expectValid(run.out, against: "apply.schema.json")
        try SchemaTests.expectValid(status.out, against: "status.schema.json")
    }

    @Test("--all-staged and snap names do not go together")
    func allStagedWithNames() throws {
        let run = try runProduct("refreshctl", ["apply", "--all-staged", "vlc"])
        #expect(run.code == 2)
        #expect(run.err.contains("give either --all-staged or snap names, not both"), "\(run.err)")
    }
}
