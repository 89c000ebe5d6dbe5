import Foundation
import Testing
@testable import RefreshCore
@testable import RefreshHost
import RefreshIO

/// `Examples/RefreshTable`: a tool that links the library alone prints what a refresh does.
@Suite(.timeLimit(.minutes(2))) struct EmbeddingExampleTests {
    func refreshTable(_ arguments: [String]) throws -> (code: Int32, out: [String], err: [String]) {
        let run = try runProduct("refresh-table", arguments)
        return (run.code, lines(run.out), lines(run.err))
    }

    @Test func theKioskTableShowsEveryProcessAndItsFate() throws {
        let run = try refreshTable(["--scenario", "Examples/scenarios/kiosk.yaml", "--policy", "Examples/policies/kiosk.yaml", "mpv", "web-kiosk"])
        #expect(run.code == 0)
        #expect(run.out == [
            "SNAP       PLAN      PID   APP                REV  ACTION         HOW                WHY",
            "mpv        50 -> 51  2101  mpv.mpv            50   leave-running  keeps revision 50  Examples/policies/kiosk.yaml:12: rule 1 (snap: mpv, app: mpv)",
            "web-kiosk  8 -> 9    2201  web-kiosk.browser  8    kill           SIGKILL            Examples/policies/kiosk.yaml:19: rule 2 (snap: *)",
            "web-kiosk  8 -> 9    2202  web-kiosk.browser  8    kill           SIGKILL            Examples/policies/kiosk.yaml:19: rule 2 (snap: *)",
            "warning: mpv: 1 process left running on revision 50 (pid 2101) keeps using the data in /var/snap/mpv/50 while revision 51 starts from a copy of it; what is written there after the refresh is not carried over",
            "",
        ])
    }

    @Test func badInputIsExitCode2() throws {
        let missing = try refreshTable(["--scenario", "Examples/scenarios/nope.yaml"])
        #expect(missing.code == 2)
        #expect(missing.err.first == "Examples/scenarios/nope.yaml: error: no such file; check the path")
        let usage = try refreshTable([])
        #expect(usage.code == 2)
        #expect(usage.err.first == "no scenario given")
    }
}
