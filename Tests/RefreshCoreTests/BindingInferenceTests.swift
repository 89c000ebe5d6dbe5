import Testing
@testable import RefreshCore
@testable import RefreshHost
import RefreshIO

/// Binding a process to (snap, revision, app) and its pins from what /proc shows of it.
@Suite struct BindingInferenceTests {
    static func snaps() -> [SnapName: Snap] {
        func snap(_ name: String, current: String, _ revisions: [String], type: SnapType = .app, base: String? = nil,
                  apps: [(String, String?)] = []) -> Snap {
            var info = SnapInfo(name: SnapName(name)!, type: type, base: base.flatMap(SnapName.init))
            for (app, command) in apps { info.apps[AppName(app)!] = App(name: AppName(app)!, command: command) }
            return Snap(name: SnapName(name)!, current: Revision(current),
                        revisions: revisions.map { InstalledRevision(revision: Revision($0)!, info: info) })
        }
        let list = [
            snap("core22", current: "100", ["100", "101"], type: .base),
            snap("gnome-42", current: "7", ["7"]),  // a base only because another snap names it
            snap("vlc", current: "10", ["8", "10", "12"], base: "core22",
                 apps: [("vlc", "bin/vlc"), ("cvlc", "$SNAP/bin/cvlc --intf dummy")]),
            snap("toy", current: "2", ["1", "2"], base: "gnome-42", apps: [("a", "bin/same"), ("b", "bin/same")]),
        ]
        return Dictionary(uniqueKeysWithValues: list.map { ($0.name, $0) })
    }

    let inference = BindingInference(snaps: snaps())

    @Test func exeAndCommandNameTheApp() throws {
        let b = try #require(inference.infer(ProcessEvidence(exe: "/snap/vlc/10/bin/vlc", maps: ["/snap/core22/100/lib/x86_64-linux-gnu/libc.so.6"])))
        #expect(b.snap == SnapName("vlc") && b.revision == Revision("10") && b.app == AppName("vlc"))
        #expect(b.pins == [SnapRevision(SnapName("core22")!, Revision("100")!)])
        #expect(b.evidence == ["exe /snap/vlc/10/bin/vlc", "maps /snap/core22/100/lib/x86_64-linux-gnu/libc.so.6"])
    }

    @Test func commandWithSnapVariableAndArguments() throws {
        let b = try #require(inference.infer(ProcessEvidence(exe: "/snap/vlc/8/bin/cvlc")))
        #expect(b.app == AppName("cvlc") && b.revision == Revision("8"))
    }

    @Test func deletedSuffixIsIgnored() throws {
        let b = try #require(inference.infer(ProcessEvidence(exe: "/snap/vlc/8/bin/vlc (deleted)", maps: ["/snap/core22/100/lib/libm.so.6 (deleted)"])))
        #expect(b.revision == Revision("8") && b.app == AppName("vlc"))
        #expect(b.pins.map(\.description) == ["core22=100"])
    }

    @Test func currentInAPathMeansTheCurrentRevision() throws {
        let b = try #require(inference.infer(ProcessEvidence(exe: "/snap/vlc/current/bin/vlc")))
        #expect(b.revision == Revision("10"))
    }

    static let cgroupCases: [(String, String?, String?)] = [
        ("0::/user.slice/user-1000.slice/user@1000.service/app.slice/snap.vlc.cvlc-8c0a8d2e-6f6e-4f0e-9a7e-2b1c3d4e5f60.scope", "cvlc", nil),
        ("0::/system.slice/snap.vlc.vlc.service", "vlc", nil),
        ("1:name=systemd:/system.slice/snap.vlc.vlc.service", "vlc", nil),
        ("/system.slice/snap.vlc.vlc.service/sub", "vlc", nil),
        ("0::/user.slice/snap.vlc.hook.configure-8c0a8d2e-6f6e-4f0e-9a7e-2b1c3d4e5f60.scope", nil, "configure"),
    ]

    @Test(arguments: cgroupCases)
    func cgroupNamesTheApp(line: String, app: String?, hook: String?) throws {
        // The exe says vlc; the cgroup says which app, whatever the command.
        let b = try #require(inference.infer(ProcessEvidence(exe: "/snap/vlc/10/bin/other", cgroups: [line])))
        #expect(b.snap == SnapName("vlc") && b.revision == Revision("10"))
        #expect(b.app == app.flatMap(AppName.init))
        #expect(b.hook == hook.flatMap(AppName.init))
    }

    @Test(arguments: [
        "4:memory:/system.slice/snap.vlc.vlc.service",  // v1 controller other than name=systemd
        "0::/user.slice/snap.vlc.vlc-notauuid.scope",  // not a UUID
        "0::/system.slice/snap.Vlc.vlc.service",  // not a snap name
        "0::/system.slice/snapd.service",
    ])
    func cgroupsThatNameNoSnapUnit(line: String) {
        #expect(inference.infer(ProcessEvidence(cgroups: [line])) == nil)
    }

    @Test func cgroupWithoutPathsAssumesTheCurrentRevision() throws {
        let b = try #require(inference.infer(ProcessEvidence(cgroups: ["0::/system.slice/snap.vlc.vlc.service"])))
        #expect(b.revision == Revision("10"))
        #expect(b.evidence == ["cgroup snap.vlc.vlc.service", "no path under /snap/vlc/, so the current revision 10 is assumed"])
    }

    /// Started through the base's own loader: the exe is in the base, the app is what it maps.
    @Test func loaderOfTheBaseRunningAnAppBinary() throws {
        let b = try #require(inference.infer(ProcessEvidence(
            exe: "/snap/core22/101/lib64/ld-linux-x86-64.so.2", maps: ["/snap/vlc/12/bin/vlc", "/snap/core22/101/lib/libc.so.6"])))
        #expect(b.snap == SnapName("vlc") && b.revision == Revision("12") && b.app == AppName("vlc"))
        #expect(b.pins.map(\.description) == ["core22=101"])
    }

    @Test func aSnapNamedAsBaseIsAPinNotTheOwner() throws {
        let b = try #require(inference.infer(ProcessEvidence(exe: "/snap/gnome-42/7/bin/helper", maps: ["/snap/toy/1/lib/libtoy.so"])))
        #expect(b.snap == SnapName("toy") && b.revision == Revision("1"))
        #expect(b.pins.map(\.description) == ["gnome-42=7"])
    }

    @Test func onlyABaseMeansTheBaseItself() throws {
        let b = try #require(inference.infer(ProcessEvidence(exe: "/snap/core22/100/usr/bin/bash")))
        #expect(b.snap == SnapName("core22") && b.app == nil && b.pins.isEmpty)
    }

    @Test func unknownOrAmbiguousCommandLeavesTheAppUnknown() throws {
        #expect(inference.infer(ProcessEvidence(exe: "/snap/vlc/10/bin/unknown"))?.app == nil)
        let ambiguous = try #require(inference.infer(ProcessEvidence(exe: "/snap/toy/2/bin/same")))
        #expect(ambiguous.snap == SnapName("toy") && ambiguous.app == nil)
    }

    @Test func cwdAloneBinds() throws {
        let b = try #require(inference.infer(ProcessEvidence(exe: "/usr/bin/bash", cwd: "/snap/vlc/8")))
        #expect(b.snap == SnapName("vlc") && b.revision == Revision("8") && b.app == nil)
    }

    @Test(arguments: [
        ProcessEvidence(exe: "/usr/bin/bash", maps: ["/usr/lib/libc.so.6"], cwd: "/home/me"),
        ProcessEvidence(exe: "/snap/../etc/passwd"),
        ProcessEvidence(exe: "/snap/vlc/0/bin/vlc"),
        ProcessEvidence(exe: "/snap/vlc"),
        ProcessEvidence(exe: "/snapshots/vlc/10/bin/vlc"),
        ProcessEvidence(),
    ])
    func evidenceThatBindsToNothing(evidence: ProcessEvidence) {
        #expect(inference.infer(evidence) == nil)
    }

    @Test func aRootPrefixIsHonoured() throws {
        let rooted = BindingInference(snaps: Self.snaps(), root: "/tmp/host/")
        #expect(rooted.infer(ProcessEvidence(exe: "/snap/vlc/10/bin/vlc")) == nil)
        let b = try #require(rooted.infer(ProcessEvidence(exe: "/tmp/host/snap/vlc/10/bin/vlc")))
        #expect(b.app == AppName("vlc"))
    }

    /// The same inference runs for a scenario's evidence.
    @Test func scenarioEvidenceIsInferredTheSameWay() throws {
        let scenario = try Scenario(contentsOf: packagePath("Examples/scenarios/workstation.yaml"))
        let byPid = Dictionary(uniqueKeysWithValues: scenario.state.processes.map { ($0.pid, $0.binding) })
        #expect(byPid[5151]??.app == AppName("qemu"))
        #expect(byPid[5160]??.app == AppName("qemud"))
        #expect(byPid[5001]??.revision == Revision("4"))
        #expect(byPid[6050]??.app == AppName("virsh"))
        #expect(byPid[6050]??.pins.map(\.description) == ["core22=100"])
    }
}
