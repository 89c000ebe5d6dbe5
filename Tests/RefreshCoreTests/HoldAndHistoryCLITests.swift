import Foundation
import Testing
@testable import RefreshCore
@testable import RefreshHost

#if canImport(Glibc)
import Glibc
#endif

/// `refreshctl hold`, `unhold` and `history` on a real root: the records under
/// `ROOT/var/lib/refreshctl/`, what `status` and `plan` make of them, and bad input.
@Suite(.enabled(if: geteuid() == 0, "hold and unhold are root-only, like apply"))
struct HoldAndHistoryCLITests {
    /// A root with `vlc` 10 (current) and 12 (staged), as plain directories.
    final class Root {
        let path: String
        init() throws {
            var template = Array("/tmp/refreshcore-hold-XXXXXX".utf8CString)
            guard let made = mkdtemp(&template) else { throw SystemCallError("mkdtemp", errno: errno) }
            path = String(cString: made)
            for revision in ["10", "12"] {
                try FileManager.default.createDirectory(atPath: "\(path)/snap/vlc/\(revision)/meta", withIntermediateDirectories: true)
                try "name: vlc\nversion: '1'\napps:\n  vlc: {command: bin/vlc}\n".write(toFile: "\(path)/snap/vlc/\(revision)/meta/snap.yaml", atomically: true, encoding: .utf8)
            }
            try FileManager.default.createSymbolicLink(atPath: "\(path)/snap/vlc/current", withDestinationPath: "10")
        }
        deinit { try? FileManager.default.removeItem(atPath: path) }
        var held: String { path + "/var/lib/refreshctl/held/vlc" }
        func files(_ directory: String) -> [String] { (try? FileManager.default.contentsOfDirectory(atPath: path + "/" + directory).sorted()) ?? [] }
    }

    func run(_ arguments: [String]) throws -> (code: Int32, out: String, err: String) {
        let run = try runProduct("refreshctl", arguments)
        return (run.code, run.out, run.err)
    }

    @Test func holdIsRecordedShownByStatusAndRespectedByPlanUntilUnheld() throws {
        let root = try Root()
        let held = try run(["hold", "--root", root.path, "--for", "2d", "vlc"])
        #expect(held.code == 0, "\(held.err)")
        // The record, written atomically: no temporary file is left beside it.
        #expect(root.files("var/lib/refreshctl/held") == ["vlc"])
        let record = try SnapHold(decoding: try String(contentsOfFile: root.held, encoding: .utf8), file: root.held)
        #expect(record.snap.rawValue == "vlc")
        #expect(record.until == record.since + .days(2))
        #expect(record.command == "refreshctl hold --root \(root.path) --for 2d vlc")
        #expect(record.by.hasPrefix("root"))
        #expect(held.out == "vlc: \(record.summary)\n")

        let status = try run(["status", "--root", root.path])
        #expect(status.out.hasPrefix("vlc\n  held until \(record.until!), since \(record.since) by "))
        let statusJSON = try run(["status", "--root", root.path, "--format", "json"])
        #expect(statusJSON.out.contains(#""hold":{"snap":"vlc","since":"\#(record.since)","until":"\#(record.until!)""#))

        let plan = try run(["plan", "--root", root.path, "--service-manager", "none", "vlc"])
        #expect(plan.code == 3)
        #expect(plan.out.hasPrefix("vlc: held (10 -> 12)\n  held until \(record.until!)"))
        let planJSON = try run(["plan", "--root", root.path, "--service-manager", "none", "--format", "json", "vlc"])
        #expect(planJSON.out.contains(#""outcome":"held","hold":{"snap":"vlc""#))

        // Holding again replaces the hold; --until sets its end.
        let again = try run(["hold", "--root", root.path, "--until", "2099-01-01T00:00:00Z", "vlc"])
        #expect(again.code == 0)
        #expect(try String(contentsOfFile: root.held, encoding: .utf8).contains(#""until":"2099-01-01T00:00:00Z""#))

        let unheld = try run(["unhold", "--root", root.path, "vlc"])
        #expect(unheld.code == 0 && unheld.out == "vlc: no longer held\n")
        #expect(!FileManager.default.fileExists(atPath: root.held))
        #expect(try run(["plan", "--root", root.path, "--service-manager", "none", "vlc"]).out.hasPrefix("vlc: refresh 10 -> 12\n"))
        let twice = try run(["unhold", "--root", root.path, "vlc"])
        #expect(twice.code == 0 && twice.out == "vlc: was not held\n")
    }

    @Test(arguments: [
        (["--for", "2x", "vlc"], "--for: unknown unit 'x' in duration '2x'"),
        (["--for", "0s", "vlc"], "a hold must last longer than 0"),
        (["--until", "tomorrow", "vlc"], "--until: invalid time 'tomorrow'; expected RFC 3339"),
        (["--until", "2020-01-01T00:00:00Z", "vlc"], "--until 2020-01-01T00:00:00Z is not in the future"),
        (["--for", "1d", "--until", "2099-01-01T00:00:00Z", "vlc"], "give either --for DURATION or --until TIME, not both"),
        (["firefox"], "snap 'firefox' is not installed"),
        (["../vlc"], "'../vlc'"),
    ])
    func badHoldsExit2AndChangeNothing(arguments: [String], message: String) throws {
        let root = try Root()
        let result = try run(["hold", "--root", root.path] + arguments)
        #expect(result.code == 2)
        #expect(result.out.isEmpty)
        #expect(result.err.contains(message), "\(result.err)")
        #expect(!FileManager.default.fileExists(atPath: root.path + "/var/lib/refreshctl"))
    }

    @Test(.enabled(if: access("/usr/bin/setpriv", X_OK) == 0, "needs setpriv (util-linux) to run refreshctl as nobody"))
    func holdAndUnholdAreRootOnly() throws {
        let root = try Root()
        try StateRecords(layout: HostLayout(root: root.path)).writeHold(SnapHold(snap: SnapName("vlc")!, since: Timestamp(secondsSinceEpoch: 0), until: nil, by: "root", command: "refreshctl hold vlc"))
        let before = try String(contentsOfFile: root.held, encoding: .utf8)
        let binary = try productURL("refreshctl").path
        for arguments in [["hold", "--root", root.path, "--for", "1d", "vlc"], ["unhold", "--root", root.path, "vlc"]] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            process.arguments = ["--reuid=65534", "--regid=65534", "--clear-groups", binary] + arguments
            let errors = Pipe()
            process.standardError = errors
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            let err = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 2)
            #expect(err.contains("refreshctl \(arguments[0]) must be run as root: a hold decides what root's refreshes do; run it with sudo"), "\(err)")
            #expect(try String(contentsOfFile: root.held, encoding: .utf8) == before)
        }
    }

    @Test func anExpiredHoldIsNotShownAndNotApplied() throws {
        let root = try Root()
        let hold = SnapHold(snap: SnapName("vlc")!, since: Timestamp(rfc3339: "2020-01-01T00:00:00Z")!, until: Timestamp(rfc3339: "2020-01-02T00:00:00Z")!, by: "root", command: "refreshctl hold vlc --for 1d")
        try StateRecords(layout: HostLayout(root: root.path)).writeHold(hold)
        #expect(!(try run(["status", "--root", root.path])).out.contains("held"))
        let plan = try run(["plan", "--root", root.path, "--service-manager", "none", "vlc"])
        #expect(plan.code == 0 && plan.out.hasPrefix("vlc: refresh 10 -> 12\n"))
    }

    @Test func aBrokenHoldRecordIsReportedWithItsPosition() throws {
        let root = try Root()
        try FileManager.default.createDirectory(atPath: root.path + "/var/lib/refreshctl/held", withIntermediateDirectories: true)
        try #"{"version":1,"snap":"vlc","since":"2020-01-01T00:00:00Z","by":"root","command":"x","colour":"red"}"#.write(toFile: root.held, atomically: true, encoding: .utf8)
        let status = try run(["status", "--root", root.path])
        #expect(status.err.contains("\(root.held):1:"))
        #expect(status.err.contains("colour"))
        #expect(status.err.contains("refreshctl unhold vlc"))
    }

    @Test func historyListsRecordedRefreshesAsTextAndJSON() throws {
        let root = try Root()
        let records = StateRecords(layout: HostLayout(root: root.path))
        func entry(_ snap: String, _ second: Int64, _ from: String, _ to: String) -> RefreshHistory.Entry {
            RefreshHistory.Entry(
                snap: SnapName(snap)!, operation: "apply", started: Timestamp(secondsSinceEpoch: 1_795_000_000 + second),
                finished: Timestamp(secondsSinceEpoch: 1_795_000_001 + second), from: Revision(from)!, to: Revision(to)!, outcome: .refreshed,
                results: [.init(subject: "pid 42 \(snap).\(snap)", pid: 42, action: .kill, outcome: .killed, detail: "sent SIGKILL")])
        }
        try records.recordHistory(entry("vlc", 0, "8", "10"))
        try records.recordHistory(entry("db", 10, "1", "2"))
        try records.recordHistory(entry("vlc", 20, "10", "12"))
        // Each snap's file, written atomically: no temporary file is left.
        #expect(root.files("var/lib/refreshctl/history") == ["db.json", "vlc.json"])

        let all = try run(["history", "--root", root.path])
        #expect(all.code == 0)
        #expect(all.out == """
            2026-11-18T11:06:41Z vlc apply 8 -> 10: refreshed
              pid 42 vlc.vlc: kill: killed: sent SIGKILL
            2026-11-18T11:06:51Z db apply 1 -> 2: refreshed
              pid 42 db.db: kill: killed: sent SIGKILL
            2026-11-18T11:07:01Z vlc apply 10 -> 12: refreshed
              pid 42 vlc.vlc: kill: killed: sent SIGKILL

            """)
        #expect(try run(["history", "--root", root.path]).out == all.out)
        // Named, in any order and even twice: the same entries, once each.
        #expect(try run(["history", "--root", root.path, "vlc", "db", "vlc"]).out == all.out)
        let vlc = try run(["history", "--root", root.path, "--format", "json", "vlc"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(vlc.out.utf8)) as? [String: Any])
        #expect(object["limit"] as? Int == 20)
        let entries = try #require(object["entries"] as? [[String: Any]])
        #expect(entries.map { "\($0["from"]!)->\($0["to"]!)" } == ["8->10", "10->12"])
        #expect((entries.first?["results"] as? [[String: Any]])?.first?["outcome"] as? String == "killed")
        try SchemaTests.expectValid(vlc.out, against: "history.schema.json")
        try SchemaTests.expectValid(try run(["history", "--root", root.path, "--format", "json"]).out, against: "history.schema.json")

        #expect(try run(["history", "--root", root.path, "firefox"]).out == "no refreshes recorded\n")
        let bad = try run(["history", "--root", root.path, "Not_A_Snap"])
        #expect(bad.code == 2 && bad.out.isEmpty)
        // A damaged history is an error with its position, not a guess.
        try #"{"version":1,"entries":[{"snap":"vlc"}]}"#.write(toFile: root.path + "/var/lib/refreshctl/history/vlc.json", atomically: true, encoding: .utf8)
        let damaged = try run(["history", "--root", root.path, "vlc"])
        #expect(damaged.code == 2)
        #expect(damaged.err.contains("vlc.json:1:"))
    }
}
