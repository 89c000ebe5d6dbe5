import Testing
@testable import RefreshCore
@testable import RefreshHost
import RefreshIO

typealias SnapYAMLErrorCase = InputErrorCase

private func snapYAMLDiagnostics(
    _ text: String, sourceLocation: Testing.SourceLocation = #_sourceLocation
) -> [Diagnostic] {
    refusal(sourceLocation: sourceLocation) { _ = try SnapYAML.parse(text, file: "snap.yaml") }
}

private func snapYAMLPosition(_ diagnostic: Diagnostic) -> String {
    "\(diagnostic.location.line):\(diagnostic.location.column)"
}

@Suite("snap.yaml")
struct SnapYAMLTests {
    static let realistic = """
        name: vlc
        version: 3.0.20-1-g2617de71b6
        summary: The ultimate media player
        description: |
          VLC is the VideoLAN project's media player.
          Completely open source and privacy-friendly, it plays every kind of media.
        base: core22
        grade: stable
        confinement: strict
        architectures:
          - amd64
        assumes: [snapd2.55]
        environment:
          LD_LIBRARY_PATH: $SNAP/usr/lib:$SNAP/usr/lib/x86_64-linux-gnu
          DISABLE_WAYLAND: "1"
        plugs:
          desktop: null
          shmem:
            interface: shared-memory
            private: true
          gnome-42-2204:
            interface: content
            target: $SNAP/gnome-platform
            default-provider: gnome-42-2204
        slots:
          mpris:
            interface: mpris
            name: vlc
        layout:
          /usr/share/vlc:
            bind: $SNAP/usr/share/vlc
        hooks:
          configure:
            plugs: [network]
        apps:
          vlc:
            command: bin/vlc
            command-chain: [snap/command-chain/desktop-launch]
            desktop: usr/share/applications/vlc.desktop
            common-id: org.videolan.vlc
            plugs: [desktop, x11, wayland, audio-playback, network]
            environment:
              VLC_PLUGIN_PATH: $SNAP/usr/lib/vlc/plugins
            refresh-mode: ignore-running
          vlc-daemon:
            command: bin/vlcd --daemon
            daemon: simple
            restart-condition: always
            refresh-mode: endure
            stop-mode: sigterm-all
            stop-timeout: 1m30s
            stop-command: bin/vlcd-stop
            install-mode: disable
            before: [vlc]
            sockets:
              sock:
                listen-stream: $SNAP_DATA/vlc.sock
          cvlc:
            command: bin/cvlc
          Helper-2: ~
        """

    @Test("a realistic snap.yaml with many unknown keys parses")
    func realisticSnapYAML() throws {
        let info = try SnapYAML.parse(Self.realistic, file: "snap.yaml")
        #expect(info.name == SnapName("vlc"))
        #expect(info.version == "3.0.20-1-g2617de71b6")
        #expect(info.type == .app)
        #expect(info.base == SnapName("core22"))
        #expect(info.apps.keys.map(\.rawValue).sorted() == ["Helper-2", "cvlc", "vlc", "vlc-daemon"])

        let vlc = try #require(info.apps[AppName("vlc")!])
        #expect(vlc.command == "bin/vlc")
        #expect(vlc.commandPath == "bin/vlc")
        #expect(!vlc.isDaemon)
        #expect(vlc.refreshMode == .ignoreRunning)
        #expect(vlc.stopMode == nil && vlc.stopTimeout == nil && vlc.stopCommand == nil)

        let daemon = try #require(info.apps[AppName("vlc-daemon")!])
        #expect(daemon.daemon == .simple)
        #expect(daemon.commandPath == "bin/vlcd")
        #expect(daemon.refreshMode == .endure)
        #expect(daemon.stopMode?.signal == .sigterm)
        #expect(daemon.stopMode?.allProcesses == true)
        #expect(daemon.stopMode?.description == "sigterm-all")
        #expect(daemon.stopTimeout == .seconds(90))
        #expect(daemon.stopCommand == "bin/vlcd-stop")

        #expect(info.apps[AppName("cvlc")!] == App(name: AppName("cvlc")!, command: "bin/cvlc"))
        #expect(info.apps[AppName("Helper-2")!] == App(name: AppName("Helper-2")!))
    }

    @Test("a minimal snap.yaml: a name and nothing else")
    func minimal() throws {
        let info = try SnapYAML.parse("name: hello-world\n", file: "snap.yaml")
        #expect(info.name.rawValue == "hello-world")
        #expect(info.version == nil)
        #expect(info.type == .app)
        #expect(info.base == nil)
        #expect(info.apps.isEmpty)
    }

    @Test("snap types", arguments: SnapType.allCases)
    func snapTypes(_ type: SnapType) throws {
        let info = try SnapYAML.parse("name: core22\ntype: \(type.rawValue)\napps:\n", file: "snap.yaml")
        #expect(info.type == type)
    }

    @Test("every daemon kind and stop-mode is accepted on a daemon", arguments: App.DaemonKind.allCases)
    func daemonKinds(_ kind: App.DaemonKind) throws {
        for mode in App.StopMode.spellings {
            let info = try SnapYAML.parse("""
                name: svc
                apps:
                  d:
                    daemon: \(kind.rawValue)
                    stop-mode: \(mode)
                    refresh-mode: restart
                """, file: "snap.yaml")
            let app = try #require(info.apps[AppName("d")!])
            #expect(app.daemon == kind)
            #expect(app.refreshMode == .restart)
            #expect(app.stopMode?.description == mode)
            #expect(app.stopMode?.allProcesses == mode.hasSuffix("-all"))
        }
    }

    static let errorCases: [SnapYAMLErrorCase] = [
        .init("bad daemon type", """
            name: vlc
            apps:
              vlcd:
                daemon: fancy
            """, 4, 13, "unknown daemon type 'fancy'; expected one of: simple, forking, oneshot, dbus, notify"),
        .init("refresh-mode endure on a non-daemon", """
            name: vlc
            apps:
              vlc:
                command: bin/vlc
                refresh-mode: endure
            """, 5, 19, "refresh-mode 'endure' on app 'vlc', which is not a daemon; it applies to daemons only: add 'daemon: simple' (or another daemon type) or remove it"),
        .init("refresh-mode restart on a non-daemon", """
            name: vlc
            apps:
              vlc: {refresh-mode: restart}
            """, 3, 23, "refresh-mode 'restart' on app 'vlc', which is not a daemon"),
        .init("refresh-mode ignore-running on a daemon", """
            name: vlc
            apps:
              vlcd:
                daemon: simple
                refresh-mode: ignore-running
            """, 5, 19, "refresh-mode 'ignore-running' on daemon 'vlcd'; it applies to non-daemon apps only: use 'endure' to keep a daemon running"),
        .init("unknown refresh-mode", """
            name: vlc
            apps:
              vlcd:
                daemon: simple
                refresh-mode: sometimes
            """, 5, 19, "unknown refresh-mode 'sometimes'; expected one of: endure, restart, ignore-running"),
        .init("unknown stop-mode", """
            name: vlc
            apps:
              vlcd:
                daemon: simple
                stop-mode: sigkill
            """, 5, 16, "unknown stop-mode 'sigkill'; expected one of: sigterm, sigterm-all, sighup, sighup-all, sigusr1, sigusr1-all, sigusr2, sigusr2-all, sigint, sigint-all"),
        .init("uppercase stop-mode", """
            name: vlc
            apps:
              vlcd:
                daemon: simple
                stop-mode: SIGTERM
            """, 5, 16, "unknown stop-mode 'SIGTERM'"),
        .init("stop-mode on a non-daemon", """
            name: vlc
            apps:
              vlc:
                stop-mode: sigterm
            """, 4, 16, "stop-mode on app 'vlc', which is not a daemon; it applies to daemons only"),
        .init("negative stop-timeout", """
            name: vlc
            apps:
              vlcd:
                daemon: simple
                stop-timeout: -5s
            """, 5, 19, "stop-timeout: duration '-5s' is negative; expected a duration such as 30s, 2m or 1m30s (units: ns, us, µs, ms, s, m, h)"),
        .init("stop-timeout without a unit", """
            name: vlc
            apps:
              vlcd:
                daemon: simple
                stop-timeout: 5
            """, 5, 19, "stop-timeout: duration '5' has no unit"),
        .init("stop-timeout in days (Go has no d)", """
            name: vlc
            apps:
              vlcd:
                daemon: simple
                stop-timeout: 1d
            """, 5, 19, "stop-timeout: unknown unit 'd' in duration '1d'"),
        .init("stop-timeout that is a list", """
            name: vlc
            apps:
              vlcd:
                daemon: simple
                stop-timeout: [5s]
            """, 5, 19, "expected stop-timeout as a duration such as 30s, found a list"),
        .init("stop-timeout on a non-daemon", """
            name: vlc
            apps:
              vlc:
                stop-timeout: 10s
            """, 4, 19, "stop-timeout on app 'vlc', which is not a daemon"),
        .init("stop-command on a non-daemon", """
            name: vlc
            apps:
              vlc:
                stop-command: bin/stop
            """, 4, 19, "stop-command on app 'vlc', which is not a daemon"),
        .init("empty stop-command on a daemon", """
            name: vlc
            apps:
              vlcd:
                daemon: simple
                stop-command: ""
            """, 5, 19, "stop-command must not be empty"),
        .init("empty command", """
            name: vlc
            apps:
              vlc:
                command: ""
            """, 4, 14, "command must not be empty"),
        .init("invalid snap name ../etc", "name: ../etc\n", 1, 7,
              "invalid snap name '../etc': may only contain lowercase letters a-z, digits and hyphens"),
        .init("invalid snap name Vlc", "name: Vlc\n", 1, 7,
              "invalid snap name 'Vlc': may only contain lowercase letters a-z, digits and hyphens"),
        .init("invalid snap name a", "name: a\n", 1, 7,
              "invalid snap name 'a': must be 2 to 40 characters long, is 1"),
        .init("invalid snap name -vlc", "name: -vlc\n", 1, 7,
              "invalid snap name '-vlc': must not start or end with a hyphen"),
        .init("invalid snap name vl--c", "name: vl--c\n", 1, 7,
              "invalid snap name 'vl--c': must not contain two hyphens in a row"),
        .init("invalid snap name of 41 characters", "name: \(String(repeating: "a", count: 41))\n", 1, 7,
              "must be 2 to 40 characters long, is 41"),
        .init("invalid snap name 123", "name: 123\n", 1, 7,
              "invalid snap name '123': must contain at least one letter"),
        .init("snap name that is null", "version: 1\nname: ~\n", 2, 7, "expected snap name, found nothing (null)"),
        .init("snap name that is a list", "name: [vlc]\n", 1, 7, "expected snap name, found a list"),
        .init("missing name", """
            version: 1.0
            apps:
              vlc: {}
            """, 1, 1, "snap.yaml has no 'name'; add name: followed by the snap's name"),
        .init("missing name, after comments", """
            # generated by snapcraft
            version: 1.0
            """, 2, 1, "snap.yaml has no 'name'"),
        .init("invalid app name with an underscore", """
            name: vlc
            apps:
              vlc_player: {}
            """, 3, 3, "invalid app name 'vlc_player': may only contain ASCII letters, digits and hyphens"),
        .init("invalid app name with a leading hyphen", """
            name: vlc
            apps:
              -vlc: {}
            """, 3, 3, "invalid app name '-vlc': must not start or end with a hyphen"),
        .init("invalid app name with two hyphens", """
            name: vlc
            apps:
              vlc: {}
              my--app: {}
            """, 4, 3, "invalid app name 'my--app': must not contain two hyphens in a row"),
        .init("an app name that is null", """
            name: vlc
            apps:
              ~: {}
            """, 3, 3, "expected a name as key in apps, found nothing (null)"),
        .init("unknown snap type", """
            name: vlc
            type: application
            """, 2, 7, "unknown snap type 'application'; expected one of: app, base, os, core, snapd, kernel, gadget"),
        .init("invalid base", """
            name: vlc
            base: Core22
            """, 2, 7, "invalid base snap name 'Core22': may only contain lowercase letters a-z, digits and hyphens"),
        .init("apps as a list", """
            name: vlc
            apps: [vlc]
            """, 2, 7, "expected apps as a mapping, found a list"),
        .init("an app that is a list", """
            name: vlc
            apps:
              vlc: [bin/vlc]
            """, 3, 8, "expected app 'vlc' as a mapping of keys to values, found a list"),
        .init("the file is a list", "- name: vlc\n", 1, 1, "expected snap.yaml as a mapping of keys to values, found a list"),
        .init("an empty file", "", 1, 1, "snap.yaml is empty; it needs at least 'name'"),
        .init("an anchor", """
            name: vlc
            apps:
              vlc: &app {command: bin/vlc}
              cvlc: *app
            """, 3, 8, "YAML anchors and aliases are not allowed"),
    ]

    @Test("each error has its exact position and message", arguments: errorCases)
    func singleError(_ c: SnapYAMLErrorCase) {
        let diagnostics = snapYAMLDiagnostics(c.yaml)
        #expect(diagnostics.count == 1, "expected exactly one error, got:\n\(diagnostics.map(\.description).joined(separator: "\n"))")
        guard let error = diagnostics.first else { return }
        #expect(error.severity == .error)
        #expect(error.location.file == "snap.yaml")
        #expect(snapYAMLPosition(error) == "\(c.line):\(c.column)", "\(error)")
        #expect(error.message.contains(c.message), "\(error)")
    }

    @Test("every problem of every app is reported, sorted by position")
    func severalErrors() {
        let diagnostics = snapYAMLDiagnostics("""
            name: vlc
            type: bogus
            apps:
              zz:
                stop-timeout: 5s
                refresh-mode: endure
              aa:
                daemon: simple
                refresh-mode: ignore-running
                stop-mode: sigterm-none
              bad_name: {}
            """)
        #expect(diagnostics.map(snapYAMLPosition) == ["2:7", "5:19", "6:19", "9:19", "10:16", "11:3"])
        let starts = ["unknown snap type 'bogus'", "stop-timeout on app 'zz'", "refresh-mode 'endure' on app 'zz'",
                      "refresh-mode 'ignore-running' on daemon 'aa'", "unknown stop-mode 'sigterm-none'", "invalid app name 'bad_name'"]
        #expect(diagnostics.count == starts.count)
        for (diagnostic, start) in zip(diagnostics, starts) {
            #expect(diagnostic.message.hasPrefix(start), "\(diagnostic)")
        }
    }

    @Test("a blank stop-command is refused like an empty one")
    func blankStopCommand() {
        let text = """
            name: svc
            apps:
              d:
                daemon: simple
                stop-command: "   "
            """
        let result = Result { try SnapYAML.parse(text, file: "snap.yaml") }
        guard case .failure(let error) = result else {
            Issue.record("a stop-command of only spaces was accepted")
            return
        }
        let diagnostics = (error as? RefreshCoreError)?.diagnostics ?? []
        #expect(diagnostics.map(snapYAMLPosition) == ["5:19"])
        #expect(diagnostics.first?.message.hasPrefix("stop-command is empty") == true, "\(diagnostics)")
    }

    @Test("a stop-command of other blanks is refused too; an empty one says so", arguments: [
        ("\"\\t \\t\"", "stop-command is empty (only blanks)"),
        ("\"\"", "stop-command must not be empty"),
    ])
    func emptyStopCommands(_ value: String, _ message: String) {
        let diagnostics = snapYAMLDiagnostics("name: svc\napps:\n  d:\n    daemon: simple\n    stop-command: \(value)\n")
        #expect(diagnostics.map(snapYAMLPosition) == ["5:19"])
        #expect(diagnostics.first?.message.hasPrefix(message) == true, "\(diagnostics)")
    }

    @Test("resolution never trusts a stop-command to have words: a blank one falls through to stop-mode")
    func blankStopCommandResolution() throws {
        var app = App(name: try #require(AppName("d")))
        app.daemon = .simple
        app.stopCommand = "  \t "
        app.stopMode = App.StopMode("sigint")
        let settings = Policy.builtIn.resolve(snap: try #require(SnapName("svc")), appName: app.name, app: app, snapRoot: "/snap/svc/1")
        guard case .signal(let signal) = settings.stop.value else {
            Issue.record("expected a signal, got \(settings.stop.value)")
            return
        }
        #expect(signal == .sigint)
        #expect(Policy.stopCommandWords(" ", snapRoot: "/snap/svc/1") == nil)
        #expect(Policy.stopCommandWords("$SNAP/bin/stop\t--now  fast", snapRoot: "/snap/svc/1") == ["/snap/svc/1/bin/stop", "--now", "fast"])
    }

    @Test("unknown keys are ignored in snap.yaml, at the top and in apps")
    func unknownKeysIgnored() throws {
        let info = try SnapYAML.parse("""
            name: vlc
            nme: typo-is-ignored
            apps:
              vlc:
                comand: bin/vlc
            """, file: "snap.yaml")
        #expect(info.apps[AppName("vlc")!]?.command == nil)
    }

    // MARK: - Go durations (stop-timeout)

    @Test("Go durations are accepted", arguments: [
        ("30s", Int64(30_000_000_000)),
        ("2m", 120_000_000_000),
        ("1m30s", 90_000_000_000),
        ("1.5s", 1_500_000_000),
        ("500ms", 500_000_000),
        ("1h", 3_600_000_000_000),
        ("0", 0),
        ("0s", 0),
        ("1h2m3.5s", 3_723_500_000_000),
        ("100us", 100_000),
        ("100\u{B5}s", 100_000),
        ("100\u{3BC}s", 100_000),
        ("10ns", 10),
        ("+5s", 5_000_000_000),
        (".5s", 500_000_000),
        ("1.5h", 5_400_000_000_000),
    ] as [(String, Int64)])
    func goDurations(_ text: String, _ nanoseconds: Int64) throws {
        #expect(try TimeSpan.parse(text, syntax: .go).get().nanoseconds == nanoseconds)
        let info = try SnapYAML.parse("name: svc\napps:\n  d: {daemon: simple, stop-timeout: \"\(text)\"}\n", file: "snap.yaml")
        #expect(info.apps[AppName("d")!]?.stopTimeout?.nanoseconds == nanoseconds)
    }

    @Test("bad Go durations are refused", arguments: [
        ("30", "duration '30' has no unit"),
        ("1d", "unknown unit 'd' in duration '1d'"),
        ("-5s", "duration '-5s' is negative"),
        ("", "empty duration"),
        ("s", "invalid duration 's'"),
        ("1.2.3s", "invalid duration '1.2.3s'"),
        ("5 s", "unknown unit ' s' in duration '5 s'"),
        ("1e3s", "unknown unit 'e' in duration '1e3s'"),
        ("3000000h", "duration '3000000h' is too long"),
    ])
    func badGoDurations(_ text: String, _ message: String) {
        switch TimeSpan.parse(text, syntax: .go) {
        case .success(let span): Issue.record("'\(text)' parsed as \(span)")
        case .failure(let failure): #expect(failure.message.hasPrefix(message), "\(failure.message)")
        }
    }

    @Test("policy durations: days, no sub-millisecond units, no bare 0", arguments: [
        ("30s", 30), ("2m", 120), ("1m30s", 90), ("1h", 3600), ("14d", 1_209_600), ("1d12h", 129_600),
    ] as [(String, Int64)])
    func policyDurations(_ text: String, _ seconds: Int64) throws {
        let span = try TimeSpan.parse(text, syntax: .policy).get()
        #expect(span == .seconds(seconds))
        #expect(span.seconds == seconds)
    }

    @Test("policy syntax refuses what only Go accepts", arguments: ["0", "100us", "10ns", "1\u{B5}s"])
    func policyRefusesGoOnly(_ text: String) {
        #expect(throws: TimeSpan.ParseError.self) { try TimeSpan.parse(text, syntax: .policy).get() }
    }

    @Test("durations print in their shortest spelling and parse back", arguments: [
        (TimeSpan.seconds(90), "1m30s"),
        (TimeSpan.days(14), "14d"),
        (TimeSpan.seconds(0), "0s"),
        (TimeSpan(nanoseconds: 1_500_000_000), "1s500ms"),
        (TimeSpan.seconds(25 * 3600), "1d1h"),
        (TimeSpan.minutes(2), "2m"),
        (TimeSpan(nanoseconds: 500_000_000), "500ms"),
        (TimeSpan.seconds(129_661), "1d12h1m1s"),
    ] as [(TimeSpan, String)])
    func durationDescription(_ span: TimeSpan, _ text: String) throws {
        #expect(span.description == text)
        #expect(try TimeSpan.parse(text, syntax: .policy).get() == span)
    }

    @Test("a spelling parses to the same span as its canonical form", arguments: ["90s", "60m", "0.5s", "24h", "1m90s"])
    func durationRoundTrip(_ text: String) throws {
        let span = try TimeSpan.parse(text, syntax: .policy).get()
        #expect(try TimeSpan.parse(span.description, syntax: .policy).get() == span)
        #expect(try TimeSpan.parse("90s", syntax: .policy).get().description == "1m30s")
    }

    // MARK: - Names

    @Test("valid snap names", arguments: [
        "vlc", "ab", "a1", "1a", "qemu-virt", "core22", "a-b-c", "0ad", "x-1", String(repeating: "a", count: 40),
        "a" + String(repeating: "-b", count: 19) + "c",
    ])
    func validSnapNames(_ name: String) throws {
        #expect(SnapName.problem(with: name) == nil)
        #expect(SnapName(name)?.rawValue == name)
        #expect(try SnapName(validating: name).description == name)
    }

    @Test("invalid snap names say why", arguments: [
        ("../etc", "may only contain lowercase letters a-z, digits and hyphens"),
        ("/etc", "may only contain lowercase letters a-z, digits and hyphens"),
        ("", "must be 2 to 40 characters long, is 0"),
        ("a", "must be 2 to 40 characters long, is 1"),
        (String(repeating: "a", count: 41), "must be 2 to 40 characters long, is 41"),
        ("Vlc", "may only contain lowercase letters a-z, digits and hyphens"),
        ("vlc_player", "may only contain lowercase letters a-z, digits and hyphens"),
        ("vlc.app", "may only contain lowercase letters a-z, digits and hyphens"),
        ("vlc player", "may only contain lowercase letters a-z, digits and hyphens"),
        ("véc", "may only contain lowercase letters a-z, digits and hyphens"),
        ("-vlc", "must not start or end with a hyphen"),
        ("vlc-", "must not start or end with a hyphen"),
        ("vl--c", "must not contain two hyphens in a row"),
        ("123", "must contain at least one letter"),
        ("12", "must contain at least one letter"),
        ("1-2", "must contain at least one letter"),
    ])
    func invalidSnapNames(_ name: String, _ problem: String) {
        #expect(SnapName.problem(with: name) == problem)
        #expect(SnapName(name) == nil)
        let error = #expect(throws: RefreshCoreError.self) { try SnapName(validating: name) }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message == "invalid snap name '\(name)': \(problem)")
    }

    @Test("a long non-ASCII name is not called too long by its character count")
    func nonASCIILengthMessage() {
        // 21 characters, 42 bytes: the length check counts bytes, the message characters.
        let name = String(repeating: "é", count: 21)
        #expect(SnapName(name) == nil)
        #expect(SnapName.problem(with: name) == "may only contain lowercase letters a-z, digits and hyphens")
    }

    @Test("valid app names", arguments: ["vlc", "VLC", "a", "x1", "my-app", "A-1", "9", String(repeating: "a", count: 100)])
    func validAppNames(_ name: String) {
        #expect(AppName.problem(with: name) == nil)
        #expect(AppName(name)?.rawValue == name)
    }

    @Test("invalid app names say why", arguments: [
        ("", "must not be empty"),
        ("-a", "must not start or end with a hyphen"),
        ("a-", "must not start or end with a hyphen"),
        ("a--b", "must not contain two hyphens in a row"),
        ("a_b", "may only contain ASCII letters, digits and hyphens"),
        ("a.b", "may only contain ASCII letters, digits and hyphens"),
        ("a b", "may only contain ASCII letters, digits and hyphens"),
        ("../x", "may only contain ASCII letters, digits and hyphens"),
        ("é", "may only contain ASCII letters, digits and hyphens"),
    ])
    func invalidAppNames(_ name: String, _ problem: String) {
        #expect(AppName.problem(with: name) == problem)
        #expect(AppName(name) == nil)
    }

    @Test("names sort by their text")
    func nameOrder() {
        #expect(SnapName("core22")! < SnapName("vlc")!)
        #expect(AppName("B")! < AppName("a")!)
    }
}
