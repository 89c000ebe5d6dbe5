@testable import RefreshCore

/// Paths and cgroup lines as a process shows them (its owner chooses them): each line of the
/// input is tried as a cgroup line, a path under /snap/ and a snap image path.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
        if let unit = SnapPath.unit(inCgroup: line) {
            precondition(unit.unitName.hasPrefix("snap.\(unit.snap)."), "unit \(unit.unitName) is not of snap \(unit.snap)")
            precondition((unit.app == nil) != (unit.hook == nil), "a unit is of an app or a hook: \(unit)")
            precondition(line.contains(unit.unitName), "unit \(unit.unitName) is not in \(line.debugDescription)")
        }
        if let (name, revision, inner) = SnapPath.split(line, under: "/snap/") {
            let path = SnapPath.strippingDeleted(line)
            precondition(!revision.isEmpty && !revision.contains("/"), "revision \(revision.debugDescription)")
            let head = "/snap/\(name)/\(revision)"
            precondition(path == head || path == head + "/" + inner, "\(path.debugDescription) is not \(head) + \(inner.debugDescription)")
        }
        if let found = SnapPath.imageRevision(line, under: "/var/lib/snapd/snaps/") {
            precondition(SnapPath.strippingDeleted(line) == "/var/lib/snapd/snaps/\(found.snap)_\(found.revision).snap", "image \(found) from \(line.debugDescription)")
        }
    }
    return 0
}
