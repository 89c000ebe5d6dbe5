import Testing
@testable import RefreshCore
@testable import RefreshHost

/// `systemctl show` parsed strictly, systemd's time spans, and unit names that systemctl can
/// neither mangle nor read as options.
struct SystemdUnitStatusParsingTests {
    /// As systemd 252 prints it for a running snap daemon (its own order, not ours).
    static let running = """
        TimeoutStopUSec=1min 30.500000s
        MainPID=161
        Result=success
        ExecMainCode=0
        ExecMainStatus=0
        ControlGroup=/system.slice/snap.demo.daemon.service
        KillMode=process
        Id=snap.demo.daemon.service
        LoadState=loaded
        ActiveState=active
        SubState=running
        Job=
        InvocationID=86362ee199284c33bac93ecfc1d7ec82

        """

    @Test func aRunningUnit() throws {
        #expect(try SystemdUnitStatus.parse(show: Self.running) == SystemdUnitStatus(
            unit: "snap.demo.daemon.service", loadState: "loaded", activeState: .active, subState: "running", mainPID: 161,
            killMode: .process, controlGroup: "/system.slice/snap.demo.daemon.service", timeoutStop: .milliseconds(90_500),
            mainExit: nil, result: "success", job: nil, invocationID: "86362ee199284c33bac93ecfc1d7ec82"))
    }

    @Test func aUnitThatDoesNotExist() throws {
        let text = """
            Id=nonexistent.service
            LoadState=not-found
            ActiveState=inactive
            SubState=dead
            MainPID=0
            KillMode=control-group
            ControlGroup=
            TimeoutStopUSec=infinity
            ExecMainCode=0
            ExecMainStatus=0
            Result=success
            Job=
            InvocationID=
            """
        let status = try SystemdUnitStatus.parse(show: text)
        #expect(status == SystemdUnitStatus(unit: "nonexistent.service", loadState: "not-found", activeState: .inactive, subState: "dead",
                                        mainPID: nil, killMode: .controlGroup, controlGroup: nil, timeoutStop: nil))
        #expect(!status.isLoaded)
    }

    @Test(arguments: [
        ("0", "0", nil), ("1", "0", .exited(0)), ("1", "3", SystemdUnitStatus.MainExit.exited(3)), ("2", "9", .killed(signal: 9)), ("3", "11", .dumped(signal: 11)),
    ] as [(String, String, SystemdUnitStatus.MainExit?)])
    func howTheMainProcessEnded(code: String, status: String, exit: SystemdUnitStatus.MainExit?) throws {
        let text = Self.running.replacingLine("ExecMainCode", with: code).replacingLine("ExecMainStatus", with: status)
        #expect(try SystemdUnitStatus.parse(show: text).mainExit == exit)
    }

    @Test func aScopeHasNoMainProcess() throws {
        let text = """
            TimeoutStopUSec=1min 30s
            Result=success
            ControlGroup=/system.slice/refreshctl-survivor-demo.daemon-42.scope
            KillMode=control-group
            Id=refreshctl-survivor-demo.daemon-42.scope
            LoadState=loaded
            ActiveState=active
            SubState=running
            Job=
            InvocationID=
            """
        #expect(try SystemdUnitStatus.parse(show: text, kind: .scope) == SystemdUnitStatus(
            unit: "refreshctl-survivor-demo.daemon-42.scope", activeState: .active, subState: "running",
            controlGroup: "/system.slice/refreshctl-survivor-demo.daemon-42.scope"))
        // Strict both ways: a service's status needs them, a scope's must not have them.
        #expect(throws: RefreshCoreError.self) { try SystemdUnitStatus.parse(show: text, kind: .service) }
        #expect(throws: RefreshCoreError.self) { try SystemdUnitStatus.parse(show: Self.running, kind: .scope) }
    }

    @Test func aStopInProgress() throws {
        let text = Self.running.replacingLine("ActiveState", with: "deactivating").replacingLine("SubState", with: "stop-sigterm")
            .replacingLine("Job", with: "205")
        let status = try SystemdUnitStatus.parse(show: text)
        #expect(status.activeState == .deactivating && status.subState == "stop-sigterm" && status.job == 205)
    }

    @Test(arguments: [
        ("0", Duration.zero), ("100ms", .milliseconds(100)), ("30s", .seconds(30)), ("1.500000s", .milliseconds(1500)),
        ("1min 30.500000s", .milliseconds(90_500)), ("1h", .seconds(3600)), ("1d", .seconds(86_400)), ("1w", .seconds(604_800)),
        ("1month", .seconds(2_629_800)), ("11month 4w 2d 4h 30min", .seconds(31_536_000)), ("1y 1us", .microseconds(31_557_600_000_001)),
        ("2min 3s 4ms 5us", .microseconds(123_004_005)),
    ])
    func timeSpans(text: String, duration: Duration) {
        #expect(SystemdTimespan.parse(text) == duration)
    }

    @Test(arguments: ["", "infinity", "5 min", "1s 1min", "1min 1min", "1.5min 3s", "s", "1.s", "-1s", "01s", "1x", "1s ", " 1s", "1.1234567890s",
                      "99999999999999y"])
    func notTimeSpans(text: String) {
        #expect(SystemdTimespan.parse(text) == nil)
    }

    @Test(arguments: [
        (Self.running.replacingLine("KillMode", with: nil), "systemctl show: the property KillMode is missing"),
        (Self.running + "KillMode=process\n", "systemctl show: line 14: KillMode appears twice"),
        (Self.running + "ExecStart=/bin/true\n", "systemctl show: line 14: unexpected property ExecStart"),
        ("Warning: something\n" + Self.running, "systemctl show: line 1 is not Key=Value: 'Warning: something'"),
        (Self.running.replacingLine("ActiveState", with: "running"),
         "systemctl show: ActiveState 'running' is none of: active, reloading, inactive, failed, activating, deactivating, maintenance, refreshing"),
        (Self.running.replacingLine("KillMode", with: "all"), "systemctl show: KillMode 'all' is none of: control-group, process, mixed, none"),
        (Self.running.replacingLine("MainPID", with: "-1"), "systemctl show: MainPID '-1' is not a number from 0 to 2147483647"),
        (Self.running.replacingLine("MainPID", with: "0161"), "systemctl show: MainPID '0161' is not a number from 0 to 2147483647"),
        (Self.running.replacingLine("MainPID", with: "4294967295"), "systemctl show: MainPID '4294967295' is not a number from 0 to 2147483647"),
        (Self.running.replacingLine("ExecMainCode", with: "4"), "systemctl show: ExecMainCode 4 is not how a process ends (1 exited, 2 killed, 3 dumped)"),
        (Self.running.replacingLine("TimeoutStopUSec", with: "90 s"), "systemctl show: TimeoutStopUSec '90 s' is not a systemd time span"),
        (Self.running.replacingLine("ControlGroup", with: "system.slice/x.service"),
         "systemctl show: ControlGroup 'system.slice/x.service' is not an absolute cgroup path"),
        (Self.running.replacingLine("InvocationID", with: "xyz"), "systemctl show: InvocationID 'xyz' is not 32 hexadecimal digits"),
        (Self.running.replacingLine("SubState", with: "Running Fine"), "systemctl show: SubState 'Running Fine' is not a lowercase word"),
        (Self.running.replacingLine("Id", with: ""), "systemctl show: Id is empty"),
        (Self.running.replacingLine("Job", with: "x"), "systemctl show: Job 'x' is not a number from 0 to 4294967295"),
    ])
    func malformedOutputIsRefused(text: String, message: String) {
        let error = #expect(throws: RefreshCoreError.self) { try SystemdUnitStatus.parse(show: text) }
        #expect(error?.message == message)
        #expect(error?.code == .io)
    }

    @Test(arguments: ["snap.demo.daemon.service", "refreshctl-survivor-demo.daemon-42.scope", "getty@tty1.service", "a\\x2db.service"])
    func unitNames(name: String) throws {
        #expect(try SystemdUnitName(name).rawValue == name)
    }

    @Test(arguments: [
        ("snap.demo.daemon", "it must end in .service or .scope"),
        ("demo.socket", "it must end in .service or .scope"),
        (".service", "the part before .service is empty"),
        ("-H.service", "it must not start with '-' or '.'"),
        ("a b.service", "only letters, digits and : - _ . \\ @ may appear in it"),
        ("a/b.service", "only letters, digits and : - _ . \\ @ may appear in it"),
        (String(repeating: "a", count: 250) + ".service", "it is longer than 255 bytes"),
    ])
    func notUnitNames(name: String, problem: String) {
        let error = #expect(throws: RefreshCoreError.self) { try SystemdUnitName(name) }
        #expect(error?.message == "'\(name)' is not a systemd unit name: \(problem)")
        #expect(error?.code == .invalidArgument)
    }

    @Test func theUnitsOfASnap() throws {
        let snap = try #require(SnapName("my-db")), app = try #require(AppName("db-ctl"))
        #expect(SystemdUnitName.snapService(snap: snap, app: app).rawValue == "snap.my-db.db-ctl.service")
        let scope = SystemdUnitName.survivorScope(snap: snap, app: app, pid: 4242)
        #expect(scope.rawValue == "refreshctl-survivor-my-db.db-ctl-4242.scope")
        #expect(scope.kind == .scope)
        #expect(try SystemdUnitName(scope.rawValue) == scope)
        // It must never read as a snap's own unit, whose processes the engine would act on.
        #expect(!scope.rawValue.hasPrefix("snap."))
    }

    @Test func objectPathsNameTheirUnits() {
        #expect(SystemdServiceManager.unitName(fromObjectPath: "/org/freedesktop/systemd1/unit/snap_2edemo_2ddb_2edaemon_2eservice")
            == "snap.demo-db.daemon.service")
        #expect(SystemdServiceManager.unitName(fromObjectPath: "/org/freedesktop/systemd1/unit/init_2escope") == "init.scope")
    }

    @Test func withoutSystemctlNothingRuns() async {
        let manager = SystemdServiceManager(runner: SubprocessCommandRunner(), systemctl: "/nonexistent/systemctl")
        let unit = SystemdUnitName.snapService(snap: SnapName("demo")!, app: AppName("daemon")!)
        #expect(await manager.stop(unit, timeout: .seconds(10))
            == .couldNotRun("systemctl stop snap.demo.daemon.service: /nonexistent/systemctl is not an executable file (No such file or directory)"))
        await #expect(throws: RefreshCoreError.self) { try await manager.status(unit) }
    }
}

extension String {
    /// These `Key=Value` lines with `key`'s value replaced (or, for nil, its line removed).
    func replacingLine(_ key: String, with value: String?) -> String {
        split(separator: "\n", omittingEmptySubsequences: false).compactMap { line -> String? in
            guard line.hasPrefix(key + "=") else { return String(line) }
            return value.map { "\(key)=\($0)" }
        }.joined(separator: "\n")
    }
}
