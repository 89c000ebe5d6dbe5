import FuzzSupport
@testable import RefreshCore

/// A scenario to plan accepted policies on: daemons and apps, one with a snap.yaml stop-command.
let host = try! Scenario(parsing: """
    version: 1
    now: 2026-11-27T12:00:00Z
    snaps:
      - {name: vlc, current: 10, revisions: [8, 10, 12], base: core22, apps: {vlc: {}}}
      - {name: my-db, current: 30, revisions: [30, 31], apps: {server: {daemon: simple, stop-command: bin/db-ctl stop}, cli: {}}}
      - {name: qemu-virt, current: 5, revisions: [5, 6], apps: {qemud: {daemon: notify, refresh-mode: endure}}}
      - {name: core22, current: 100, revisions: [100, 101]}
    processes:
      - {pid: 100, snap: vlc, revision: 10, app: vlc, pins: {core22: 100}}
      - {pid: 200, snap: my-db, revision: 30, app: server}
      - {pid: 201, snap: my-db, revision: 30, app: cli}
      - {pid: 300, snap: qemu-virt, revision: 5, app: qemud}
    refresh: [vlc, my-db, qemu-virt, core22]
    """, file: "host.yaml")

/// A policy file as anyone may hand to `refreshctl check`: any bytes. Accepted policies are
/// planned with, and their plans printed.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = FuzzCheck.text(data, size)
    do {
        let policy = try Policy(parsing: text, file: "policy.yaml")
        for warning in policy.warnings { FuzzCheck.printable(warning.description) }
        let plan = try host.plan(policy: policy)
        _ = plan.text()
        _ = plan.text(explain: true)
        _ = plan.json()
    } catch {
        FuzzCheck.refusal(error, files: ["policy.yaml"])
    }
    return 0
}
