import Testing
@testable import RefreshCore
@testable import RefreshHost
import RefreshIO

/// Roles from evidence: app, main or member of a service, user; executables; engine processes.
@Suite struct RoleInferenceTests {
    let inference = BindingInference(snaps: BindingInferenceTests.snaps())
    static let service = "0::/system.slice/snap.vlc.vlc.service"

    @Test func aScopeOrAnExecutableUnderSnapIsAnApp() throws {
        let scoped = try #require(inference.infer(ProcessEvidence(
            exe: "/snap/vlc/10/bin/vlc", cgroups: ["0::/user.slice/snap.vlc.vlc-8c0a8d2e-6f6e-4f0e-9a7e-2b1c3d4e5f60.scope"])))
        #expect(scoped.role == .app && scoped.service == nil && scoped.executable == "bin/vlc")
        let bare = try #require(inference.infer(ProcessEvidence(exe: "/snap/vlc/10/bin/unknown (deleted)")))
        #expect(bare.role == .app && bare.app == nil && bare.executable == "bin/unknown")
    }

    @Test func aServiceCgroupMakesAMember() throws {
        let b = try #require(inference.infer(ProcessEvidence(exe: "/snap/vlc/10/usr/bin/helper", cgroups: [Self.service])))
        #expect(b.role == .member && b.service == "snap.vlc.vlc.service" && b.app == AppName("vlc"))
        #expect(b.executable == "usr/bin/helper")
        // v1 name=systemd hierarchy too.
        let v1 = try #require(inference.infer(ProcessEvidence(exe: "/snap/vlc/10/bin/vlc", cgroups: ["1:name=systemd:/system.slice/snap.vlc.vlc.service"])))
        #expect(v1.service == "snap.vlc.vlc.service")
    }

    /// A user may make cgroups in its own service manager's tree and name them as it likes: a
    /// `snap.NAME.APP.service` there is no system service, and its processes never join one.
    @Test func aServiceInAUsersOwnManagerIsNotASystemService() throws {
        for line in ["0::/user.slice/user-1000.slice/user@1000.service/app.slice/snap.vlc.vlc.service",
                     "1:name=systemd:/user.slice/user-1000.slice/user@1000.service/system.slice/snap.vlc.vlc.service"] {
            let b = try #require(inference.infer(ProcessEvidence(exe: "/snap/vlc/10/bin/vlc", cgroups: [line])))
            #expect(b.role == .app && b.service == nil && b.app == AppName("vlc"), "\(line)")
        }
        // Posing as the oldest process of the system's service changes nothing there.
        let fake = process(5, parent: 1, start: 1, cgroup: "0::/user.slice/user-1000.slice/user@1000.service/snap.vlc.vlc.service")
        #expect(roles([fake, process(200, parent: 1, start: 50)]) == [5: .app, 200: .main])
    }

    /// The executable is a path inside the process's own revision; through a base's loader,
    /// or in another revision, there is none.
    @Test func theExecutableIsOnlyKnownInsideItsOwnRevision() throws {
        let loader = try #require(inference.infer(ProcessEvidence(
            exe: "/snap/core22/101/lib64/ld-linux-x86-64.so.2", maps: ["/snap/vlc/12/bin/vlc"])))
        #expect(loader.snap == SnapName("vlc") && loader.role == .app && loader.executable == nil)
        let current = try #require(inference.infer(ProcessEvidence(exe: "/snap/vlc/current/bin/vlc")))
        #expect(current.executable == "bin/vlc")
        let host = try #require(inference.infer(ProcessEvidence(exe: "/bin/sleep", cgroups: [Self.service])))
        #expect(host.role == .member && host.executable == nil)
    }

    struct UserCase: Sendable, CustomTestStringConvertible {
        var name: String
        var evidence: ProcessEvidence
        var snap: String
        var revision: String
        var uses: [RevisionUse]
        var pins: [String]
        var testDescription: String { name }
    }

    static let userCases: [UserCase] = [
        .init(name: "working directory", evidence: ProcessEvidence(exe: "/usr/bin/bash", cwd: "/snap/vlc/8/share"),
              snap: "vlc", revision: "8", uses: [.workingDirectory], pins: []),
        .init(name: "root", evidence: ProcessEvidence(exe: "/usr/bin/bash", root: "/snap/vlc/10"),
              snap: "vlc", revision: "10", uses: [.root], pins: []),
        .init(name: "a mapped library, and the base it maps", evidence: ProcessEvidence(exe: "/usr/bin/python3", maps: ["/snap/core22/100/lib/libc.so.6", "/snap/vlc/10/lib/libvlc.so"]),
              snap: "vlc", revision: "10", uses: [.mappedFile], pins: ["core22=100"]),
        .init(name: "an open file", evidence: ProcessEvidence(exe: "/usr/bin/less", files: ["/snap/vlc/12/README (deleted)"]),
              snap: "vlc", revision: "12", uses: [.openFile], pins: []),
        .init(name: "only a base", evidence: ProcessEvidence(exe: "/usr/bin/bash", cwd: "/snap/core22/100/etc"),
              snap: "core22", revision: "100", uses: [.workingDirectory], pins: []),
        .init(name: "several uses of one revision, in order", evidence: ProcessEvidence(exe: "/bin/x", maps: ["/snap/vlc/10/a.so"], cwd: "/snap/vlc/10", root: "/snap/vlc/10", files: ["/snap/vlc/10/b", "/snap/vlc/8/c"]),
              snap: "vlc", revision: "10", uses: [.workingDirectory, .root, .mappedFile, .openFile], pins: ["vlc=8"]),
    ]

    /// No snap cgroup and no executable under /snap/: a user of the revision it uses.
    @Test(arguments: userCases)
    func aProcessThatOnlyUsesFilesIsAUser(_ c: UserCase) throws {
        let b = try #require(inference.infer(c.evidence))
        #expect(b.role == .user)
        #expect(b.snap == SnapName(c.snap) && b.revision == Revision(c.revision))
        #expect(b.app == nil && b.service == nil && b.executable == nil)
        #expect(b.uses == c.uses)
        #expect(b.pins.map(\.description) == c.pins)
    }

    /// A process that shows nothing under ROOT/snap/ binds to nothing, root or not.
    @Test func aRootOutsideTheSnapsBindsNothing() {
        #expect(inference.infer(ProcessEvidence(exe: "/usr/bin/bash", root: "/var/lib/machines/x")) == nil)
    }

    // MARK: Main and members

    func process(_ pid: Int32, parent: Int32?, start: UInt64? = nil, exe: String = "/snap/vlc/10/bin/vlc", cgroup: String = service) -> RunningProcess {
        let evidence = ProcessEvidence(exe: exe, cgroups: [cgroup])
        return RunningProcess(identity: ProcessIdentity(pid: pid, startTime: start), parent: parent, evidence: evidence, binding: inference.infer(evidence))
    }

    func roles(_ processes: [RunningProcess], mainPIDs: [String: Int32] = [:]) -> [Int32: ProcessRole] {
        var processes = processes
        inference.resolveServices(&processes, mainPIDs: mainPIDs)
        return Dictionary(uniqueKeysWithValues: processes.map { ($0.pid, $0.binding!.role) })
    }

    @Test func theMainProcessIsTheMemberWhoseParentIsNotOne() {
        let found = roles([process(300, parent: 200), process(200, parent: 1), process(400, parent: 300)])
        #expect(found == [200: .main, 300: .member, 400: .member])
    }

    @Test func ofSeveralParentlessMembersTheOldestIsMain() {
        // Start time first, then PID; an unknown start time counts as the newest.
        #expect(roles([process(10, parent: 1, start: 900), process(20, parent: 2, start: 100), process(5, parent: 3)]) == [10: .member, 20: .main, 5: .member])
        #expect(roles([process(30, parent: 1, start: 100), process(20, parent: 2, start: 100)]) == [30: .member, 20: .main])
        #expect(roles([process(30, parent: nil), process(20, parent: nil)]) == [30: .member, 20: .main])
        // A cycle (only on paper) still gives one main process.
        #expect(roles([process(30, parent: 20), process(20, parent: 30)]) == [30: .member, 20: .main])
    }

    @Test func systemdsMainPIDOverrides() {
        let processes = [process(200, parent: 1), process(300, parent: 200)]
        #expect(roles(processes, mainPIDs: ["snap.vlc.vlc.service": 300]) == [200: .member, 300: .main])
        // A MainPID that is not among them: no main process is running.
        #expect(roles(processes, mainPIDs: ["snap.vlc.vlc.service": 999]) == [200: .member, 300: .member])
        // Another unit's MainPID changes nothing here.
        #expect(roles(processes, mainPIDs: ["snap.vlc.other.service": 300]) == [200: .main, 300: .member])
    }

    @Test func eachServiceHasItsOwnMain() {
        let other = "0::/system.slice/snap.vlc.cvlc.service"
        let found = roles([process(200, parent: 1), process(300, parent: 200, cgroup: other), process(400, parent: 300, cgroup: other)])
        #expect(found == [200: .main, 300: .main, 400: .member])
    }

    @Test func aMemberRunningAnotherAppsCommandIsBoundToThatApp() {
        var processes = [process(200, parent: 1), process(300, parent: 200, exe: "/snap/vlc/10/bin/cvlc"), process(400, parent: 200, exe: "/snap/vlc/10/bin/vlc")]
        inference.resolveServices(&processes)
        #expect(processes.map { $0.binding!.app?.rawValue } == ["vlc", "cvlc", "vlc"])
        // The main process keeps its service's app, whatever it runs.
        var mainRunsOther = [process(200, parent: 1, exe: "/snap/vlc/10/bin/cvlc")]
        inference.resolveServices(&mainRunsOther)
        #expect(mainRunsOther[0].binding?.app == AppName("vlc") && mainRunsOther[0].binding?.role == .main)
    }

    // MARK: The engine

    @Test func theHostReaderKnowsTheEngineAndItsAncestors() {
        func inspected(_ pid: Int32, _ parent: Int32) -> InspectedProcess {
            InspectedProcess(identity: ProcessIdentity(pid: pid), parent: parent, name: "p", evidence: ProcessEvidence(exe: "/bin/sh"))
        }
        let scan = ProcessScan(processes: [inspected(1, 0), inspected(50, 1), inspected(60, 50), inspected(70, 60), inspected(80, 1)], uninspectable: [], selfPID: 70)
        #expect(HostReader.engineProcesses(in: scan) == [70, 60, 50, 1])
        #expect(HostReader.engineProcesses(in: ProcessScan(processes: scan.processes, uninspectable: [])).isEmpty)
        // A parent loop (a PID reused mid-scan) ends the walk.
        let looped = ProcessScan(processes: [inspected(5, 6), inspected(6, 5)], uninspectable: [], selfPID: 5)
        #expect(HostReader.engineProcesses(in: looped) == [5, 6])
        let state = HostReader.bind([], scan, root: "/")
        #expect(state.engineProcesses == [70, 60, 50, 1])
    }

    @Test func theHostReaderBindsParentsAndServices() throws {
        let snaps = Array(BindingInferenceTests.snaps().values)
        let scan = ProcessScan(processes: [
            InspectedProcess(identity: ProcessIdentity(pid: 200), parent: 1, name: "vlc", evidence: ProcessEvidence(exe: "/snap/vlc/10/bin/vlc", cgroups: [Self.service])),
            InspectedProcess(identity: ProcessIdentity(pid: 300), parent: 200, name: "h", evidence: ProcessEvidence(exe: "/snap/vlc/10/bin/h", cgroups: [Self.service])),
        ], uninspectable: [])
        let state = HostReader.bind(snaps, scan, root: "/")
        #expect(state.processes.map(\.parent) == [1, 200])
        #expect(state.processes.map { $0.binding!.role } == [.main, .member])
        let systemd = HostReader.bind(snaps, scan, root: "/", mainPIDs: ["snap.vlc.vlc.service": 300])
        #expect(systemd.processes.map { $0.binding!.role } == [.member, .main])
    }
}
