import FuzzSupport
@testable import RefreshCore

/// `meta/snap.yaml` as a revision's publisher writes it: any bytes. Accepted files give apps
/// whose stop-command the planner can place inside the revision.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = FuzzCheck.text(data, size)
    do {
        let info = try SnapYAML.parse(text, file: "snap.yaml")
        for app in info.apps.values {
            guard let command = app.stopCommand, app.isDaemon else { continue }
            let words = Policy.stopCommandWords(command, snapRoot: "/snap/\(info.name)/1")
            precondition(words?.first?.hasPrefix("/snap/\(info.name)/1/") ?? true, "a stop-command outside its revision: \(command.debugDescription)")
        }
    } catch {
        FuzzCheck.refusal(error, files: ["snap.yaml"])
    }
    return 0
}
