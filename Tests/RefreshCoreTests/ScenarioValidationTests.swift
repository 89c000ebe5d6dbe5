import Foundation
import Testing
@testable import RefreshCore
@testable import RefreshHost
import RefreshIO

typealias ScenarioErrorCase = InputErrorCase

private func scenarioDiagnostics(
    _ text: String, sourceLocation: Testing.SourceLocation = #_sourceLocation
) -> [Diagnostic] {
    refusal(sourceLocation: sourceLocation) { _ = try Scenario(parsing: text, file: "scenario.yaml") }
}

private func validScenario(_ text: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> Scenario {
    do {
        return try Scenario(parsing: text, file: "scenario.yaml")
    } catch {
        Issue.record("expected a valid scenario, got:\n\(error)", sourceLocation: sourceLocation)
        throw error
    }
}

private func scenarioPosition(_ diagnostic: Diagnostic) -> String {
    "\(diagnostic.location.line):\(diagnostic.location.column)"
}

/// A host with vlc (10 current, 12 staged; app vlc) and core22 (100, 101), lines 1-10;
/// cases append from line 11.
private let host = """
    version: 1
    snaps:
      - name: vlc
        current: 10
        revisions: [10, 12]
        apps:
          vlc: {}
      - name: core22
        current: 100
        revisions: [100, 101]

    """

@Suite("Scenario validation")
struct ScenarioValidationTests {
    static let fileCases: [ScenarioErrorCase] = [
        .init("unknown top-level key, with suggestion", """
            version: 1
            snap: []
            snaps: []
            """, 2, 1, "unknown key 'snap' in the scenario file; expected one of: version, now, snaps, services, processes, refresh, policy, expect, cases … (did you mean 'snaps'?)"),
        .init("version missing", "snaps: []\n", 1, 1, "the scenario file has no 'version'; add 'version: 1' at the top"),
        .init("version 2", "version: 2\nsnaps: []\n", 1, 10, "unsupported scenario version 2; this refreshctl reads 'version: 1'"),
        .init("snaps missing", "version: 1\nnow: 2026-11-27T12:00:00Z\n", 1, 1, "the scenario file has no 'snaps'; list the host's snaps under 'snaps:'"),
        .init("snaps as a mapping", "version: 1\nsnaps: {vlc: 10}\n", 2, 8, "expected snaps as a list, found a mapping"),
        .init("processes as a mapping", host + "processes: {}\n", 11, 12, "expected processes as a list, found a mapping"),
        .init("an empty file", "", 1, 1, "scenario file is empty; it needs at least 'version: 1' and 'snaps:'"),
        .init("the file is a list", "- version: 1\n", 1, 1, "expected the scenario file as a mapping of keys to values, found a list"),
        .init("an anchor", host + """
            processes:
              - &p {pid: 1, snap: vlc, revision: 10}
            """, 12, 5, "YAML anchors and aliases are not allowed"),
        .init("bad now: February 30", "version: 1\nnow: 2026-02-30T12:00:00Z\nsnaps: []\n", 2, 6,
              "invalid now '2026-02-30T12:00:00Z'; expected an RFC 3339 time such as 2026-11-27T12:00:00Z"),
        .init("bad now: a date without a time", "version: 1\nnow: 2026-11-27\nsnaps: []\n", 2, 6, "invalid now '2026-11-27'"),
        .init("bad now: month 13", "version: 1\nnow: \"2026-13-01T00:00:00Z\"\nsnaps: []\n", 2, 6, "invalid now '2026-13-01T00:00:00Z'"),
        .init("bad now: a list", "version: 1\nnow: [1]\nsnaps: []\n", 2, 6, "expected now, found a list"),
        .init("policy path empty", "version: 1\nsnaps: []\npolicy: \"\"\n", 3, 9, "policy path must not be empty"),
    ]

    static let snapCases: [ScenarioErrorCase] = [
        .init("unknown snap key, with suggestion", """
            version: 1
            snaps:
              - name: vlc
                current: 10
                aps: {}
            """, 5, 5, "unknown key 'aps' in a snap; expected one of: name, version, type, base, current, revisions, apps, postponed-since, hold (did you mean 'apps'?)"),
        .init("a snap without a name", """
            version: 1
            snaps:
              - current: 10
            """, 3, 5, "a snap has no 'name'; add name: followed by the snap's name"),
        .init("an invalid snap name", """
            version: 1
            snaps:
              - name: ../etc
                current: 1
            """, 3, 11, "invalid snap name '../etc': may only contain lowercase letters a-z, digits and hyphens"),
        .init("a snap without current", """
            version: 1
            snaps:
              - name: vlc
                revisions: [10, 12]
            """, 3, 5, "snap 'vlc' has no 'current'; add current: followed by the revision 'current' points at"),
        .init("current not among the revisions", """
            version: 1
            snaps:
              - name: mpv
                current: 3
                revisions: [1, 2]
            """, 4, 14, "current revision 3 of snap 'mpv' is not among its revisions (1, 2); add it to 'revisions'"),
        .init("current 0", """
            version: 1
            snaps:
              - name: mpv
                current: 0
            """, 4, 14, "invalid current revision '0': revision 0 does not exist; revisions start at 1"),
        .init("a revision with a leading zero", """
            version: 1
            snaps:
              - name: mpv
                current: 1
                revisions: [1, 02]
            """, 5, 20, "invalid revision '02': revision numbers have no leading zeros"),
        .init("a local revision x0", """
            version: 1
            snaps:
              - name: mpv
                current: 1
                revisions: [x0, 1]
            """, 5, 17, "invalid revision 'x0': revision 0 does not exist"),
        .init("a snap listed twice", """
            version: 1
            snaps:
              - name: vlc
                current: 10
              - name: core22
                current: 100
              - name: vlc
                current: 12
            """, 7, 11, "snap 'vlc' is listed twice; list each snap once"),
        .init("a revision listed twice", """
            version: 1
            snaps:
              - name: foo
                current: 1
                revisions: [1, 2, 1]
            """, 5, 23, "revision 1 of snap 'foo' is listed twice"),
        .init("bad postponed-since", """
            version: 1
            snaps:
              - name: firefox
                current: 1
                postponed-since: yesterday
            """, 5, 22, "invalid postponed-since 'yesterday'; expected an RFC 3339 time such as 2026-11-27T12:00:00Z"),
        .init("bad snap type", """
            version: 1
            snaps:
              - name: core22
                type: bse
                current: 1
            """, 4, 11, "unknown snap type 'bse'; expected one of: app, base, os, core, snapd, kernel, gadget (did you mean 'base'?)"),
        .init("unknown app key: strict in scenarios", """
            version: 1
            snaps:
              - name: vlc
                current: 10
                apps:
                  vlc: {comand: bin/vlc}
            """, 6, 13, "unknown key 'comand' in app 'vlc'; expected one of: command, daemon, refresh-mode, stop-mode, stop-timeout, stop-command (did you mean 'command'?)"),
        .init("refresh-mode endure on a non-daemon", """
            version: 1
            snaps:
              - name: vlc
                current: 10
                apps:
                  vlc: {command: bin/vlc, refresh-mode: endure}
            """, 6, 45, "refresh-mode 'endure' on app 'vlc', which is not a daemon; it applies to daemons only"),
        .init("ignore-running on a daemon", """
            version: 1
            snaps:
              - name: vlc
                current: 10
                apps:
                  vlcd: {daemon: simple, refresh-mode: ignore-running}
            """, 6, 44, "refresh-mode 'ignore-running' on daemon 'vlcd'"),
        .init("stop-mode on a non-daemon", """
            version: 1
            snaps:
              - name: vlc
                current: 10
                apps:
                  vlc:
                    stop-mode: sigterm
            """, 7, 20, "stop-mode on app 'vlc', which is not a daemon"),
        .init("negative stop-timeout", """
            version: 1
            snaps:
              - name: vlc
                current: 10
                apps:
                  vlcd:
                    daemon: simple
                    stop-timeout: -5s
            """, 8, 23, "stop-timeout: duration '-5s' is negative"),
        .init("an invalid app name", """
            version: 1
            snaps:
              - name: vlc
                current: 10
                apps:
                  "bad_app": {}
            """, 6, 7, "invalid app name 'bad_app': may only contain ASCII letters, digits and hyphens"),
        .init("an app that is a list", """
            version: 1
            snaps:
              - name: vlc
                current: 10
                apps:
                  vlc: [1]
            """, 6, 12, "expected app 'vlc' as a mapping of keys to values, found a list"),
    ]

    static let processCases: [ScenarioErrorCase] = [
        .init("unknown process key, with suggestion", host + """
            processes:
              - {pid: 1, snap: vlc, revision: 10, ap: vlc}
            """, 12, 39, "unknown key 'ap' in a process; expected one of: pid, start-time, ppid, snap, revision, app, role, pins, exe, maps, cwd, root, files, cgroup … (did you mean 'app'?)"),
        .init("a process without pid", host + """
            processes:
              - {snap: vlc, revision: 10}
            """, 12, 5, "a process has no 'pid'; add pid: followed by its process ID"),
        .init("pid 0", host + """
            processes:
              - {pid: 0, snap: vlc, revision: 10}
            """, 12, 11, "pid must be from 1 to 4194304, is 0"),
        .init("pid as a word", host + """
            processes:
              - {pid: init, snap: vlc, revision: 10}
            """, 12, 11, "expected pid as a whole number from 1 to 4194304, found the string 'init'"),
        .init("negative start-time", host + """
            processes:
              - {pid: 16, start-time: -1, snap: vlc, revision: 10}
            """, 12, 27, "expected start-time as clock ticks since boot (a whole number), found the number -1"),
        .init("a pid listed twice", host + """
            processes:
              - {pid: 5, snap: vlc, revision: 10}
              - {pid: 6, snap: vlc, revision: 10}
              - pid: 5
                snap: vlc
                revision: 12
            """, 14, 10, "pid 5 is listed twice (first at line 12); give each process its own pid"),
        .init("a binding to an unknown snap", host + """
            processes:
              - {pid: 6, snap: mpv, revision: 10}
            """, 12, 20, "snap 'mpv' is not in this scenario's 'snaps'; add it there or fix the name"),
        .init("a binding to a revision not installed", host + """
            processes:
              - {pid: 7, snap: vlc, revision: 11}
            """, 12, 35, "snap 'vlc' has no revision 11; its revisions are: 10, 12"),
        .init("a binding to an invalid revision", host + """
            processes:
              - {pid: 7, snap: vlc, revision: ten}
            """, 12, 35, "invalid revision 'ten': expected a store revision (a number greater than 0) or a local revision (x1, x2, ...)"),
        .init("a binding to an unknown app", host + """
            processes:
              - {pid: 8, snap: vlc, revision: 10, app: mpv}
            """, 12, 44, "snap 'vlc' has no app 'mpv'; its apps are: vlc"),
        .init("a binding to an app of a snap that lists none", host + """
            processes:
              - {pid: 8, snap: core22, revision: 100, app: sh}
            """, 12, 48, "snap 'core22' has no app 'sh'; its apps are: (none listed)"),
        .init("pins to an unknown snap", host + """
            processes:
              - {pid: 9, snap: vlc, revision: 10, pins: {core24: 100}}
            """, 12, 46, "snap 'core24' is not in this scenario's 'snaps'; add it there or fix the name"),
        .init("pins to a revision not installed", host + """
            processes:
              - {pid: 9, snap: vlc, revision: 10, pins: {core22: 99}}
            """, 12, 54, "snap 'core22' has no revision 99; its revisions are: 100, 101"),
        .init("pins as a list", host + """
            processes:
              - {pid: 9, snap: vlc, revision: 10, pins: [core22]}
            """, 12, 45, "expected pins (snap: revision) as a mapping, found a list"),
        .init("both a binding and evidence", host + """
            processes:
              - {pid: 11, snap: vlc, revision: 10, exe: /snap/vlc/10/bin/vlc}
            """, 12, 45, "process 11 gives both a binding (snap, revision) and evidence (exe); give one or the other"),
        .init("neither a binding nor evidence", host + """
            processes:
              - {pid: 12, start-time: 5}
            """, 12, 5, "process 12 says nothing about where it runs from; give snap and revision (and app), or evidence: exe, maps, cwd, root, files, cgroup"),
        .init("a binding without a revision", host + """
            processes:
              - {pid: 15, snap: vlc, app: vlc}
            """, 12, 5, "process 15 needs both 'snap' and 'revision' to be bound"),
        .init("evidence with an empty exe", host + """
            processes:
              - {pid: 15, exe: ""}
            """, 12, 20, "exe must not be empty"),
        .init("a duplicate key in a process, on one line", host + """
            processes:
              - {pid: 15, exe: /snap/vlc/10/bin/vlc, pid: 16}
            """, 12, 42, "duplicate key 'pid' (first at 12:6); each key may appear only once in a mapping"),
        .init("current with no revisions listed", """
            version: 1
            snaps:
              - name: vlc
                current: 10
                revisions: []
            """, 4, 14, "current revision 10 of snap 'vlc' is not among its revisions (none listed); add it to 'revisions'"),
        .init("a daemon's stop-command of only blanks", """
            version: 1
            snaps:
              - name: svc
                current: 1
                apps:
                  d: {daemon: simple, stop-command: " \\t "}
            """, 6, 41, "stop-command is empty (only blanks); give the command that stops the daemon"),
        .init("version as a tagged string", "version: !!str 1\nsnaps: []\n", 1, 10,
              "expected the scenario version as a number, found the string '1'; this refreshctl reads 'version: 1'"),
        .init("maps as a string", host + """
            processes:
              - {pid: 15, maps: /snap/vlc/10/lib/x.so}
            """, 12, 21, "expected maps as a list, found the string '/snap/vlc/10/lib/x.so'"),
    ]

    static let refreshCases: [ScenarioErrorCase] = [
        .init("refresh naming an unknown snap", host + "refresh: [vlc, mpv]\n", 11, 16,
              "snap 'mpv' in 'refresh' is not in this scenario's 'snaps'"),
        .init("refresh with revision 0", host + "refresh: [vlc=0]\n", 11, 11,
              "invalid revision '0' in 'vlc=0': revision 0 does not exist; revisions start at 1"),
        .init("refresh with a bad revision", host + "refresh: [core22, vlc=x]\n", 11, 19,
              "invalid revision 'x' in 'vlc=x': expected a store revision (a number greater than 0) or a local revision (x1, x2, ...)"),
        .init("refresh with an empty revision", host + "refresh: [\"vlc=\"]\n", 11, 11, "invalid revision '' in 'vlc='"),
        .init("refresh with a bad name", host + "refresh: [Vlc]\n", 11, 11,
              "invalid snap name 'Vlc' in 'Vlc': may only contain lowercase letters a-z, digits and hyphens; write NAME or NAME=REVISION, such as vlc=12"),
        .init("refresh naming a snap twice", host + "refresh: [vlc, core22, vlc=12]\n", 11, 24,
              "snap 'vlc' is named twice in 'refresh'; name each snap once"),
        .init("refresh as a mapping", host + "refresh: {vlc: 12}\n", 11, 10, "expected refresh (NAME or NAME=REV) as a list, found a mapping"),
    ]

    @Test("each error has its exact position and message", arguments: fileCases + snapCases + processCases + refreshCases)
    func singleError(_ c: ScenarioErrorCase) {
        let diagnostics = scenarioDiagnostics(c.yaml)
        let errors = diagnostics.filter { $0.severity == .error }
        #expect(errors.count == 1, "expected exactly one error, got:\n\(diagnostics.map(\.description).joined(separator: "\n"))")
        guard let error = errors.first else { return }
        #expect(error.location.file == "scenario.yaml")
        #expect(scenarioPosition(error) == "\(c.line):\(c.column)", "\(error)")
        for part in c.message.components(separatedBy: " … ") {
            #expect(error.message.contains(part), "\(error)")
        }
    }

    @Test("every independent error is reported, sorted by position")
    func severalErrors() {
        let diagnostics = scenarioDiagnostics("""
            version: 1
            colour: red
            snaps:
              - name: vlc
                revisions: [10, 12]
              - name: mpv
                current: 3
                revisions: [1, 2]
            processes:
              - {pid: 5, snap: vlc, revision: 10}
              - {pid: 5, snap: vlc, revision: 12}
              - {pid: 14, exe: /usr/bin/bash}
            refresh: [firefox]
            now: soon
            """)
        #expect(diagnostics.map(scenarioPosition) == ["2:1", "4:5", "7:14", "11:11", "12:5", "13:11", "14:6"])
        #expect(diagnostics.map(\.severity) == [.error, .error, .error, .error, .warning, .error, .error])
        let starts = ["unknown key 'colour'", "snap 'vlc' has no 'current'", "current revision 3 of snap 'mpv'",
                      "pid 5 is listed twice (first at line 10)", "process 14 runs from no snap revision",
                      "snap 'firefox' in 'refresh'", "invalid now 'soon'"]
        #expect(diagnostics.count == starts.count)
        for (diagnostic, start) in zip(diagnostics, starts) {
            #expect(diagnostic.message.hasPrefix(start), "\(diagnostic)")
        }
    }

    // MARK: - Warnings

    @Test("a process that runs from no known snap is a warning, not an error")
    func evidenceFromNoSnap() throws {
        let scenario = try validScenario(host + """
            processes:
              - {pid: 4242, snap: vlc, revision: 10, app: vlc}
              - pid: 14
                exe: /usr/bin/bash
                cwd: /home/user
            refresh: [vlc]
            """)
        #expect(scenario.warnings.count == 1)
        let warning = try #require(scenario.warnings.first)
        #expect(warning.severity == .warning)
        #expect(scenarioPosition(warning) == "13:5")
        #expect(warning.message == "process 14 runs from no snap revision this scenario knows; it is ignored")
        #expect(scenario.state.processes.map(\.pid) == [14, 4242])
        #expect(scenario.state.processes.first?.binding == nil)
        #expect(scenario.state.processes.first?.evidence.exe == "/usr/bin/bash")
    }

    @Test("evidence from a snap or revision the scenario does not list is flagged")
    func evidenceFromUnlistedRevision() throws {
        let scenario = try validScenario(host + """
            processes:
              - {pid: 100, exe: /snap/vlc/11/bin/vlc}
              - {pid: 101, exe: /snap/vlx/10/bin/vlc}
            refresh: [vlc]
            """)
        // A binding {snap: vlc, revision: 11} or {snap: vlx, ...} is an error; the same facts
        // given as evidence should at least be a warning, as the message for evidence that
        // binds to nothing says: "runs from no snap revision this scenario knows".
        #expect(scenario.warnings.map(scenarioPosition) == ["12:5", "13:5"], "\(scenario.warnings)")
        #expect(scenario.warnings.allSatisfy { $0.severity == .warning })
        #expect(scenario.warnings.map(\.message) == [
            "process 100's exe names vlc revision 11, which this scenario does not list; add it to the snap's revisions or fix the path",
            "process 101's exe names snap 'vlx', which this scenario does not list; add it to 'snaps' or fix the path",
        ])
    }

    @Test("evidence is flagged once per snap revision it names that the scenario lacks")
    func evidenceFromUnlistedRevisions() throws {
        let scenario = try validScenario(host + """
            processes:
              - pid: 100
                exe: /snap/vlc/10/bin/vlc
                maps: [/snap/core22/99/lib/libc.so.6, /snap/core22/99/lib/libm.so.6, /snap/core22/100/lib/x.so]
                cwd: /snap/vlc/current/share
              - {pid: 101, exe: /snap/vlc/10/bin/vlc, root-image: /var/lib/snapd/snaps/vlc_13.snap}
              - {pid: 102, exe: /snap/vlx/current/bin/vlc}
              - {pid: 103, exe: /snap/vlc/current/bin/vlc, maps: [/snap/core22/101/lib/libc.so.6]}
            refresh: [vlc]
            """)
        #expect(scenario.warnings.map(scenarioPosition) == ["12:5", "16:5", "17:5"], "\(scenario.warnings)")
        #expect(scenario.warnings.map(\.message) == [
            "process 100's maps entry names core22 revision 99, which this scenario does not list; add it to the snap's revisions or fix the path",
            "process 101's root-image names vlc revision 13, which this scenario does not list; add it to the snap's revisions or fix the path",
            // It binds to nothing; the specific warning says why, instead of the general one.
            "process 102's exe names snap 'vlx', which this scenario does not list; add it to 'snaps' or fix the path",
        ])
    }

    @Test("a clean scenario has no warnings")
    func noWarnings() throws {
        let scenario = try validScenario(host + "processes:\n  - {pid: 1, snap: vlc, revision: 10, app: vlc}\n")
        #expect(scenario.warnings.isEmpty)
        #expect(scenario.refresh == nil)
        #expect(scenario.now == nil)
    }

    // MARK: - Valid scenarios

    static let designExample = """
        version: 1
        now: 2026-11-27T12:00:00Z          # optional; postponement arithmetic uses it
        snaps:
          - name: vlc
            current: 10
            revisions: [8, 10, 12]         # 12 is staged, not yet current
            base: core22
            apps:
              vlc: {}
          - name: qemu-virt
            current: 5
            revisions: [5, 6]
            apps:
              qemu: {}
              qemud: {daemon: simple, refresh-mode: endure, stop-mode: sigterm, stop-timeout: 60s}
          - name: core22
            current: 100
            revisions: [100, 101]
        processes:                           # either the binding itself ...
          - {pid: 4242, snap: vlc, revision: 10, app: vlc, pins: {core22: 100}}
          - {pid: 5151, exe: /snap/qemu-virt/5/bin/qemu-system-x86_64,      # ... or the evidence,
             maps: [/snap/core22/100/usr/lib/x86_64-linux-gnu/libc.so.6],   # from which the binding
             cgroup: "/system.slice/snap.qemu-virt.qemud.service"}          # is inferred as on a host
        refresh: [vlc=12, core22]          # NAME=REV, or NAME for the newest staged revision
        expect:                              # test files only
          vlc:
            outcome: refresh                 # refresh | postponed | up-to-date | error
            processes: {4242: leave-running}
            keep: [10]
            remove: [8]
        """

    @Test("DESIGN.md's example scenario parses")
    func designExample() throws {
        let scenario = try validScenario(Self.designExample)
        #expect(scenario.file == "scenario.yaml")
        #expect(scenario.warnings.isEmpty)
        #expect(scenario.now?.description == "2026-11-27T12:00:00Z")
        #expect(scenario.state.snapNames.map(\.rawValue) == ["core22", "qemu-virt", "vlc"])
        let vlc = try #require(scenario.state.snaps[SnapName("vlc")!])
        #expect(vlc.current == Revision("10"))
        #expect(vlc.revisions.map(\.revision.description) == ["8", "10", "12"])
        #expect(vlc.staged == [Revision("12")!])
        #expect(vlc.info()?.base == SnapName("core22"))
        let qemud = try #require(scenario.state.snaps[SnapName("qemu-virt")!]?.info()?.apps[AppName("qemud")!])
        #expect(qemud.daemon == .simple)
        #expect(qemud.refreshMode == .endure)
        #expect(qemud.stopTimeout == .seconds(60))
        #expect(scenario.refresh?.items.map(\.description) == ["vlc=12", "core22"])

        #expect(scenario.state.processes.map(\.pid) == [4242, 5151])
        let bound = try #require(scenario.state.processes[0].binding)
        #expect(bound.snap.rawValue == "vlc")
        #expect(bound.revision == Revision("10"))
        #expect(bound.app == AppName("vlc"))
        #expect(bound.pins == [SnapRevision(SnapName("core22")!, Revision("100")!)])
        let inferred = try #require(scenario.state.processes[1].binding)
        #expect(inferred.snap.rawValue == "qemu-virt")
        #expect(inferred.revision == Revision("5"))
    }

    @Test("the shipped workstation scenario parses")
    func shippedExample() throws {
        var components = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        components.removeLast(3)
        let path = components.joined(separator: "/") + "/Examples/scenarios/workstation.yaml"
        let scenario = try Scenario(contentsOf: path)
        #expect(scenario.file == path)
        #expect(scenario.warnings.isEmpty)
        #expect(scenario.state.snaps.count == 6)
        #expect(scenario.state.processes.count == 8)
        #expect(scenario.state.processes.allSatisfy { $0.binding != nil })
        #expect(scenario.refresh?.items.count == 6)
    }

    @Test("refresh may be a single name; revisions may be local; current alone implies revisions")
    func refreshForms() throws {
        let scenario = try validScenario("""
            version: 1
            snaps:
              - name: tool
                current: x2
                revisions: [x1, x2, x3, 1]
              - name: other
                current: 7
            refresh: tool
            """)
        let tool = try #require(scenario.state.snaps[SnapName("tool")!])
        #expect(tool.revisions.map(\.revision.description) == ["x1", "x2", "x3", "1"])
        #expect(tool.staged.map(\.description) == ["x3", "1"])
        #expect(scenario.state.snaps[SnapName("other")!]?.revisions.map(\.revision.description) == ["7"])
        #expect(scenario.refresh == RefreshRequest([RefreshRequest.Item(snap: SnapName("tool")!)]))
    }

    @Test("now and postponed-since accept offsets")
    func timesWithOffsets() throws {
        let scenario = try validScenario("""
            version: 1
            now: 2026-11-27T14:00:00+02:00
            snaps:
              - name: firefox
                current: 1
                postponed-since: "2026-11-10T03:00:00-05:00"
            """)
        #expect(scenario.now?.description == "2026-11-27T12:00:00Z")
        #expect(scenario.state.snaps[SnapName("firefox")!]?.postponedSince?.description == "2026-11-10T08:00:00Z")
    }

    // MARK: - Revisions

    @Test("valid revisions", arguments: [("1", false, 1), ("12", false, 12), ("x1", true, 1), ("x12", true, 12), ("999999999999", false, 999_999_999_999)] as [(String, Bool, Int)])
    func validRevisions(_ text: String, _ isLocal: Bool, _ number: Int) throws {
        #expect(Revision.problem(with: text) == nil)
        let revision = try #require(Revision(text))
        #expect(revision.isLocal == isLocal)
        #expect(revision.number == number)
        #expect(revision.description == text)
    }

    @Test("invalid revisions say why", arguments: [
        ("0", "revision 0 does not exist; revisions start at 1"),
        ("x0", "revision 0 does not exist; revisions start at 1"),
        ("00", "revision 0 does not exist; revisions start at 1"),
        ("01", "revision numbers have no leading zeros"),
        ("x01", "revision numbers have no leading zeros"),
        ("-1", "expected a store revision (a number greater than 0) or a local revision (x1, x2, ...)"),
        ("+1", "expected a store revision (a number greater than 0) or a local revision (x1, x2, ...)"),
        ("1.5", "expected a store revision (a number greater than 0) or a local revision (x1, x2, ...)"),
        ("abc", "expected a store revision (a number greater than 0) or a local revision (x1, x2, ...)"),
        ("", "expected a store revision (a number greater than 0) or a local revision (x1, x2, ...)"),
        ("x", "expected a store revision (a number greater than 0) or a local revision (x1, x2, ...)"),
        ("X1", "expected a store revision (a number greater than 0) or a local revision (x1, x2, ...)"),
        ("1x", "expected a store revision (a number greater than 0) or a local revision (x1, x2, ...)"),
        (" 1", "expected a store revision (a number greater than 0) or a local revision (x1, x2, ...)"),
        ("1234567890123", "expected a store revision (a number greater than 0) or a local revision (x1, x2, ...)"),
    ])
    func invalidRevisions(_ text: String, _ problem: String) {
        #expect(Revision.problem(with: text) == problem)
        #expect(Revision(text) == nil)
    }

    @Test("revision order: local before store, each by number")
    func revisionOrder() {
        let texts = ["12", "x2", "1", "x10", "2", "x1"]
        #expect(texts.compactMap(Revision.init).sorted().map(\.description) == ["x1", "x2", "x10", "1", "2", "12"])
        #expect(Revision("x1")! < Revision("x2")!)
        #expect(Revision("x99")! < Revision("1")!)
        #expect(!(Revision("1")! < Revision("x99")!))
        #expect(Revision("2")! < Revision("10")!)
        #expect(Revision(store: 0) == nil && Revision(local: 0) == nil && Revision(store: -1) == nil)
        #expect(Revision(local: 3)?.description == "x3")
        #expect(Revision(store: 3) != Revision(local: 3))
    }

    // MARK: - Refresh requests

    @Test("refresh request items", arguments: [("vlc", "vlc", nil), ("vlc=12", "vlc", "12"), ("vlc=x1", "vlc", "x1"), ("qemu-virt=5", "qemu-virt", "5")] as [(String, String, String?)])
    func requestItems(_ text: String, _ snap: String, _ revision: String?) throws {
        let item = try RefreshRequest.Item.parse(text).get()
        #expect(item.snap.rawValue == snap)
        #expect(item.revision?.description == revision)
        #expect(item.description == text)
    }

    @Test("bad refresh request items say what is wrong", arguments: [
        ("vlc=0", "invalid revision '0' in 'vlc=0': revision 0 does not exist; revisions start at 1"),
        ("Vlc", "invalid snap name 'Vlc' in 'Vlc': may only contain lowercase letters a-z, digits and hyphens; write NAME or NAME=REVISION, such as vlc=12"),
        ("vlc=", "invalid revision '' in 'vlc=': expected a store revision"),
        ("=12", "invalid snap name '' in '=12': must be 2 to 40 characters long, is 0"),
        ("vlc=12=3", "invalid revision '12=3' in 'vlc=12=3'"),
        ("../etc=1", "invalid snap name '../etc' in '../etc=1'"),
        ("", "invalid snap name '' in '': must be 2 to 40 characters long, is 0"),
    ])
    func badRequestItems(_ text: String, _ message: String) {
        switch RefreshRequest.Item.parse(text) {
        case .success(let item): Issue.record("'\(text)' parsed as \(item)")
        case .failure(let error):
            #expect(error.code == .invalidArgument)
            #expect(error.message.hasPrefix(message), "\(error.message)")
        }
    }

    @Test("a request keeps the order given and refuses a snap named twice")
    func requests() throws {
        let request = try RefreshRequest(parsing: ["vlc=12", "core22", "firefox=x1"])
        #expect(request.items.map(\.description) == ["vlc=12", "core22", "firefox=x1"])
        #expect(try RefreshRequest(parsing: []).items.isEmpty)

        for twice in [["vlc", "vlc"], ["vlc=12", "core22", "vlc=10"]] {
            let error = #expect(throws: RefreshCoreError.self) { try RefreshRequest(parsing: twice) }
            #expect(error?.code == .invalidArgument)
            #expect(error?.message == "snap 'vlc' is named twice in the refresh request; name each snap once")
        }
        let first = #expect(throws: RefreshCoreError.self) { try RefreshRequest(parsing: ["vlc", "Bad", "vlc=0"]) }
        #expect(first?.message.hasPrefix("invalid snap name 'Bad'") == true)
    }

    // MARK: - Timestamps

    @Test("RFC 3339 times", arguments: [
        ("2026-11-27T12:00:00Z", Int64(1_795_780_800)),
        ("2026-11-27T14:00:00+02:00", 1_795_780_800),
        ("2026-11-27T07:30:00-04:30", 1_795_780_800),
        ("2026-11-27T12:00:00.999999Z", 1_795_780_800),
        ("2026-11-27t12:00:00z", 1_795_780_800),
        ("2026-11-27 12:00:00Z", 1_795_780_800),
        ("1970-01-01T00:00:00Z", 0),
        ("1970-01-01T01:00:00+01:00", 0),
        ("2024-02-29T00:00:00Z", 1_709_164_800),
        ("2000-02-29T23:59:59Z", 951_868_799),
        ("1969-07-20T20:17:40Z", -14_182_940),
    ] as [(String, Int64)])
    func timestamps(_ text: String, _ seconds: Int64) throws {
        let stamp = try #require(Timestamp(rfc3339: text))
        #expect(stamp.secondsSinceEpoch == seconds)
        #expect(Timestamp(rfc3339: stamp.description) == stamp)
    }

    @Test("invalid times are refused", arguments: [
        "2026-02-30T12:00:00Z", "2026-02-29T12:00:00Z", "2100-02-29T12:00:00Z", "2026-13-01T00:00:00Z",
        "2026-00-10T00:00:00Z", "2026-04-31T00:00:00Z", "2026-11-00T00:00:00Z", "2026-11-27T24:00:00Z",
        "2026-11-27T12:60:00Z", "2026-11-27T12:00:00", "2026-11-27", "2026-11-27T12:00:00+2:00",
        "2026-11-27T12:00:00+24:00", "2026-11-27T12:00:00+02:60", "2026-11-27T12:00:00Zjunk",
        "2026-11-27T12:00:00.Z", "2026-11-27T12:00Z", "26-11-27T12:00:00Z", "2026/11/27T12:00:00Z", "",
    ])
    func invalidTimestamps(_ text: String) {
        #expect(Timestamp(rfc3339: text) == nil)
    }

    @Test("times print in UTC with Z", arguments: [
        (Int64(1_795_780_800), "2026-11-27T12:00:00Z"),
        (0, "1970-01-01T00:00:00Z"),
        (-1, "1969-12-31T23:59:59Z"),
        (-86_400, "1969-12-31T00:00:00Z"),
        (951_868_799, "2000-02-29T23:59:59Z"),
        (253_402_300_799, "9999-12-31T23:59:59Z"),
    ] as [(Int64, String)])
    func timestampDescription(_ seconds: Int64, _ text: String) {
        #expect(Timestamp(secondsSinceEpoch: seconds).description == text)
    }

    @Test("an offset time prints as the same instant in UTC")
    func offsetDescription() throws {
        #expect(try #require(Timestamp(rfc3339: "2026-01-01T01:00:00+02:00")).description == "2025-12-31T23:00:00Z")
        let since = try #require(Timestamp(rfc3339: "2026-11-10T08:00:00Z"))
        #expect((since + .days(14)).description == "2026-11-24T08:00:00Z")
        #expect(since < since + .seconds(1))
    }
}
