import ArgumentParser
import RefreshCore
import RefreshHost
import RefreshIO

#if canImport(Glibc)
import Glibc
#endif

/// `refreshctl hold NAME`: keep a snap where it is until the hold ends or is lifted.
struct Hold: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Hold a snap: plan and apply leave it where it is (outcome 'held') until the hold ends.",
        discussion: """
            Recorded in ROOT/var/lib/refreshctl/held/NAME, with when, by whom and with what \
            command; 'status' shows it. Without --for or --until the hold lasts until \
            'refreshctl unhold NAME'. Holding a held snap again replaces its hold. \
            Exit codes: 0 held; 2 bad input (nothing is changed).
            """
    )

    @Option(name: .long, help: ArgumentHelp("The host root.", valueName: "DIR"), completion: Completion.directory)
    var root: String = "/"

    @Option(name: .long, help: ArgumentHelp("How long the hold lasts, such as 12h or 14d.", valueName: "DURATION"))
    var `for`: String?

    @Option(name: .long, help: ArgumentHelp("When the hold ends (RFC 3339, such as 2026-12-24T00:00:00Z).", valueName: "TIME"))
    var until: String?

    @Argument(help: ArgumentHelp("The snap to hold.", valueName: "NAME"), completion: Completion.snapNames)
    var name: String

    func validate() throws {
        if self.for != nil, until != nil {
            throw ValidationError("give either --for DURATION or --until TIME, not both")
        }
    }

    func run() throws {
        do throws(RefreshCoreError) {
            let snap = try SnapName(validating: name)
            let now = SystemClock.now()
            var end: Timestamp?
            if let text = self.for {
                switch TimeSpan.parse(text, syntax: .policy) {
                case .success(let span):
                    guard span.nanoseconds > 0 else {
                        throw RefreshCoreError(.invalidArgument, "--for \(text): a hold must last longer than 0; give a duration such as 12h or 14d")
                    }
                    end = now + span
                case .failure(let error):
                    throw RefreshCoreError(.invalidArgument, "--for: \(error.message)")
                }
            }
            if let text = until {
                guard let time = Timestamp(rfc3339: text) else {
                    throw RefreshCoreError(.invalidArgument, "--until: invalid time '\(text)'; expected RFC 3339 such as 2026-12-24T00:00:00Z")
                }
                guard now < time else {
                    throw RefreshCoreError(.invalidArgument, "--until \(text) is not in the future (it is \(now)); give a later time")
                }
                end = time
            }
            try ChangeOptions.requireRoot("hold", why: "a hold decides what root's refreshes do")
            try Hold.refuseUnderSnapd("hold", root: root)
            let layout = HostLayout(root: try HostRoot.withSnaps(root))
            try Hold.requireInstalled(snap, layout: layout)
            let hold = SnapHold(snap: snap, since: now, until: end, by: Hold.user(), command: Hold.commandLine())
            try StateRecords(layout: layout).writeHold(hold)
            print("\(snap): \(hold.summary)")
        } catch {
            throw ExitCode(Output.fail(error))
        }
    }

    /// snapd holds its own snaps (`snap refresh --hold`); a refreshctl hold on its root would
    /// change nothing that happens there.
    static func refuseUnderSnapd(_ command: String, root: String) throws(RefreshCoreError) {
        let canonical = try HostRoot.canonical(root)
        try SnapdPresence.detect(root: canonical).refuse(command, root: canonical)
    }

    /// A snap that is not installed under the root cannot be held (a typo would hold nothing).
    static func requireInstalled(_ snap: SnapName, layout: HostLayout) throws(RefreshCoreError) {
        var info = stat()
        guard lstat(layout.snapDirectory(snap), &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            throw RefreshCoreError(.invalidArgument, "snap '\(snap)' is not installed (no \(layout.snapDirectory(snap))); check the name")
        }
    }

    /// `root`, or `root (sudo by alice)`.
    static func user() -> String {
        var name = "uid \(geteuid())"
        if let entry = getpwuid(geteuid()), let pointer = entry.pointee.pw_name {
            name = String(decoding: UnsafeRawBufferPointer(start: pointer, count: strlen(pointer)), as: UTF8.self)
        }
        if let sudo = getenv("SUDO_USER") {
            name += " (sudo by \(String(decoding: UnsafeRawBufferPointer(start: sudo, count: strlen(sudo)), as: UTF8.self)))"
        }
        return name
    }

    /// The command as typed, with `refreshctl` for the program.
    static func commandLine() -> String {
        (["refreshctl"] + CommandLine.arguments.dropFirst()).joined(separator: " ")
    }
}

/// `refreshctl unhold NAME`: lift a hold.
struct Unhold: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Lift the hold on a snap, so that plan and apply refresh it again.",
        discussion: "Exit codes: 0 done (also when the snap was not held); 2 bad input."
    )

    @Option(name: .long, help: ArgumentHelp("The host root.", valueName: "DIR"), completion: Completion.directory)
    var root: String = "/"

    @Argument(help: ArgumentHelp("The snap whose hold is lifted.", valueName: "NAME"), completion: Completion.snapNames)
    var name: String

    func run() throws {
        do {
            let snap = try SnapName(validating: name)
            try ChangeOptions.requireRoot("unhold", why: "a hold decides what root's refreshes do")
            try Hold.refuseUnderSnapd("unhold", root: root)
            let layout = HostLayout(root: try HostRoot.withSnaps(root))
            let removed = try StateRecords(layout: layout).removeHold(snap)
            print(removed ? "\(snap): no longer held" : "\(snap): was not held")
        } catch {
            throw ExitCode(Output.exitCode(for: error))
        }
    }
}
