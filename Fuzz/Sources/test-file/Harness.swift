import FuzzSupport
@testable import RefreshCore

/// A policy the test files may name.
let policyText = """
    version: 1
    defaults: {on-refresh: shutdown, timeout: 30s, then: kill}
    rules:
      - {snap: vlc, on-refresh: leave-running}
      - {snap: my-db, app: server, on-refresh: shutdown, stop-command: [/snap/my-db/current/bin/db-ctl, stop]}
    """

/// A policy unit test file and the scenario it may name (`scenario: host.yaml`), as anyone may
/// write them into a repository: the input up to its first NUL byte is the test file, the rest
/// the scenario. Files live in memory under `tests/`; anything else is missing. Accepted files
/// are run as `refreshctl test` runs them.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let split = bytes.firstIndex(of: 0) ?? size
    let test = String(decoding: UnsafeBufferPointer(rebasing: bytes[..<split]), as: UTF8.self)
    let host = split < size ? String(decoding: UnsafeBufferPointer(rebasing: bytes[(split + 1)...]), as: UTF8.self) : ""
    let files = ["tests/t.test.yaml": test, "tests/host.yaml": host, "tests/policy.yaml": policyText]
    let read = { (path: String) throws(RefreshCoreError) -> String in
        guard let text = files[path] else { throw RefreshCoreError(.io, "\(path): error: no such file; check the path") }
        return text
    }
    let suite = PolicyTestSuite(loading: ["tests/t.test.yaml"], read: read)
    for diagnostic in suite.diagnostics {
        precondition(["tests/t.test.yaml", "tests/host.yaml", "tests/policy.yaml"].contains(diagnostic.location.file),
                     "a diagnostic names a file outside the test tree: \(diagnostic)")
        FuzzCheck.printable(diagnostic.description)
    }
    let report = suite.run()
    _ = report.text(verbose: true)
    _ = report.json()
    return 0
}
