import Foundation
import Testing
@testable import RefreshCore
@testable import RefreshHost
import RefreshIO

/// `refreshctl test` reads only inside the tree of each test file: the folder it was given, or
/// the folder of a test file named directly. `policy:` and `scenario:` that are absolute or
/// climb out through `..` are errors at their key; a symbolic link that leads out is refused;
/// nothing of a file outside the tree reaches the output.
@Suite(.timeLimit(.minutes(2))) struct PolicyTestTreeTests {
    /// A host whose text holds a secret, to show that it is never read or quoted.
    static let secretHost = "password: hunter2\nversion: 1\n"
    static let host = """
        version: 1
        now: 2026-11-27T12:00:00Z
        snaps:
          - {name: vlc, current: 10, revisions: [8, 10, 12], apps: {vlc: {}}}
        processes:
          - {pid: 4242, snap: vlc, revision: 10, app: vlc}
        refresh: [vlc]

        """
    static let policy = "version: 1\nrules:\n  - snap: vlc\n    on-refresh: leave-running\n"

    /// An in-memory reader that records every path it is asked for.
    final class Reads: @unchecked Sendable {
        var paths: [String] = []
        let files: [String: String]
        init(_ files: [String: String]) { self.files = files }
        func read(_ path: String) throws(RefreshCoreError) -> String {
            paths.append(path)
            guard let text = files[path] else { throw RefreshCoreError(.io, "\(path): error: no such file; check the path") }
            return text
        }
    }

    static let outside: [(String, String, Int, Int, String)] = [
        ("an absolute scenario", "scenario: /etc/host.yaml\n", 2, 11,
         "scenario path '/etc/host.yaml' is absolute; a test file names its files relative to its own folder, inside its test tree 'tests'"),
        ("a scenario above the tree", "scenario: ../host.yaml\n", 2, 11,
         "scenario path '../host.yaml' leads outside the test tree 'tests'"),
        ("a scenario that climbs out in the middle", "scenario: sub/../../../etc/host.yaml\n", 2, 11,
         "scenario path 'sub/../../../etc/host.yaml' leads outside the test tree 'tests'"),
        ("an absolute policy", "scenario: host.yaml\npolicy: /etc/policy.yaml\n", 3, 9,
         "policy path '/etc/policy.yaml' is absolute; a test file names its files relative to its own folder, inside its test tree 'tests'"),
        ("a policy above the tree", "scenario: host.yaml\npolicy: ../../policy.yaml\n", 3, 9,
         "policy path '../../policy.yaml' leads outside the test tree 'tests'"),
    ]

    /// In the library: refused at the key, and the file outside is never asked for.
    @Test("policy: and scenario: outside the tree are errors at their key, and never read", arguments: outside)
    func outsideTheTree(name: String, keys: String, line: Int, column: Int, message: String) {
        let reads = Reads(["tests/host.yaml": Self.host, "/etc/host.yaml": Self.secretHost, "host.yaml": Self.secretHost,
                           "/etc/policy.yaml": Self.policy, "../policy.yaml": Self.policy])
        let text = "version: 1\n" + keys + "expect: {vlc: {outcome: refresh}}\n"
        let suite = PolicyTestSuite(loading: [PolicyTestSource(path: "tests/t.test.yaml")], read: { path, _ throws(RefreshCoreError) in
            path == "tests/t.test.yaml" ? text : try reads.read(path)
        })
        let errors = suite.diagnostics.filter { $0.severity == .error }
        #expect(errors.count == 1, "\(suite.diagnostics.map(\.description))")
        #expect(errors.first.map { "\($0.location)" } == "tests/t.test.yaml:\(line):\(column)")
        #expect(errors.first?.message.hasPrefix(message) == true, "\(errors.first?.description ?? "")")
        #expect(reads.paths.allSatisfy { $0.hasPrefix("tests/") }, "read outside the tree: \(reads.paths)")
        #expect(!suite.diagnostics.map(\.description).joined().contains("hunter2"))
    }

    /// The tree is the folder the files were searched in: a test file in a subfolder may use
    /// `..` as long as it stays inside.
    @Test("a test file in a subfolder reaches files elsewhere in its tree")
    func subfolderInsideTheTree() throws {
        let files = ["tests/sub/t.test.yaml": "version: 1\nscenario: ../hosts/host.yaml\npolicy: ../policy.yaml\nexpect:\n  vlc: {processes: {4242: leave-running}}\n",
                     "tests/hosts/host.yaml": Self.host, "tests/policy.yaml": Self.policy]
        let reads = Reads(files)
        let inTree = PolicyTestSuite(loading: [PolicyTestSource(path: "tests/sub/t.test.yaml", tree: "tests")], read: { path, _ throws(RefreshCoreError) in try reads.read(path) })
        #expect(inTree.diagnostics.isEmpty, "\(inTree.diagnostics.map(\.description))")
        #expect(inTree.run().passed == 1)
        // Named on its own, its tree is its folder, and ../ leaves it.
        let alone = PolicyTestSuite(loading: ["tests/sub/t.test.yaml"], read: inMemory(files))
        #expect(alone.diagnostics.map(\.description) == [
            "tests/sub/t.test.yaml:2:11: error: scenario path '../hosts/host.yaml' leads outside the test tree 'tests/sub'; a test file reads only files in its tree: the folder refreshctl test searched, or the folder of a test file named directly; move the file into the tree, or run refreshctl test on a folder that holds both",
        ])
    }

    @Test("the finder gives each file the folder it was found in as its tree, the widest when found twice")
    func finderTrees() throws {
        let root = try Self.makeTree(["a.test.yaml": "", "sub/b.test.yaml": "", "sub/deeper/c.test.yaml": ""])
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(try TestFileFinder.sources(["\(root)/sub/", "\(root)/a.test.yaml"]) == [
            PolicyTestSource(path: "\(root)/a.test.yaml", tree: root),
            PolicyTestSource(path: "\(root)/sub/b.test.yaml", tree: "\(root)/sub"),
            PolicyTestSource(path: "\(root)/sub/deeper/c.test.yaml", tree: "\(root)/sub"),
        ])
        #expect(try TestFileFinder.sources(["\(root)/sub/deeper", root, "\(root)/sub/b.test.yaml"]).map(\.tree) == [root, root, root])
    }

    // MARK: - On disk, through refreshctl

    static func makeTree(_ files: [String: String], links: [String: String] = [:]) throws -> String {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("test-tree-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        for (file, text) in files {
            let path = root + "/" + file
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        }
        for (link, target) in links {
            let path = root + "/" + link
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: target)
        }
        return root
    }

    func refreshctl(_ arguments: [String], in directory: String) throws -> ProductRun {
        try runProduct("refreshctl", arguments, in: URL(fileURLWithPath: directory))
    }

    /// What the tester saw: an absolute `scenario:` made refreshctl quote another file's text.
    @Test("refreshctl test: absolute and ../ paths are refused without reading them")
    func cliAbsoluteAndParent() throws {
        let outside = try Self.makeTree(["secret.yaml": Self.secretHost])
        defer { try? FileManager.default.removeItem(atPath: outside) }
        let root = try Self.makeTree([
            "tree/a.test.yaml": "version: 1\nscenario: \(outside)/secret.yaml\nexpect: {vlc: {outcome: refresh}}\n",
            "tree/b.test.yaml": "version: 1\nscenario: ../../\((outside as NSString).lastPathComponent)/secret.yaml\nexpect: {vlc: {outcome: refresh}}\n",
        ])
        defer { try? FileManager.default.removeItem(atPath: root) }
        let run = try refreshctl(["test", "tree"], in: root)
        #expect(run.code == 2)
        #expect(run.out.isEmpty)
        #expect(run.err == """
            tree/a.test.yaml:2:11: error: scenario path '\(outside)/secret.yaml' is absolute; a test file names its files relative to its own folder, inside its test tree 'tree'
            tree/b.test.yaml:2:11: error: scenario path '../../\((outside as NSString).lastPathComponent)/secret.yaml' leads outside the test tree 'tree'; a test file reads only files in its tree: the folder refreshctl test searched, or the folder of a test file named directly; move the file into the tree, or run refreshctl test on a folder that holds both

            """)
        #expect(!run.err.contains("hunter2"))
    }

    /// A symbolic link inside the tree that leads out is refused, for `scenario:`, `policy:`
    /// and for a test file found by the search; one that stays inside is followed.
    @Test("refreshctl test: a symbolic link that leads out of the tree is refused, one that stays in is followed")
    func cliSymlinks() throws {
        let outside = try Self.makeTree(["secret.yaml": Self.secretHost, "dir/secret.yaml": Self.secretHost, "x.test.yaml": Self.secretHost])
        defer { try? FileManager.default.removeItem(atPath: outside) }
        let test = { (scenario: String, policy: String) in
            "version: 1\nscenario: \(scenario)\npolicy: \(policy)\nexpect:\n  vlc: {processes: {4242: leave-running}}\n"
        }
        let root = try Self.makeTree([
            "tree/good.test.yaml": test("hosts/linked.yaml", "policy.yaml"),
            "tree/bad-scenario.test.yaml": test("hosts/out.yaml", "policy.yaml"),
            "tree/bad-folder.test.yaml": test("outdir/secret.yaml", "policy.yaml"),
            "tree/bad-policy.test.yaml": test("hosts/real.yaml", "out-policy.yaml"),
            "tree/hosts/real.yaml": Self.host,
            "tree/policy.yaml": Self.policy,
        ], links: [
            "tree/hosts/linked.yaml": "real.yaml",
            "tree/hosts/out.yaml": "\(outside)/secret.yaml",
            "tree/outdir": "\(outside)/dir",
            "tree/out-policy.yaml": "../../\((outside as NSString).lastPathComponent)/secret.yaml",
            "tree/linked-out.test.yaml": "\(outside)/x.test.yaml",
        ])
        defer { try? FileManager.default.removeItem(atPath: root) }
        let run = try refreshctl(["test", "tree"], in: root)
        #expect(run.code == 2)
        let why = "it leads outside the test tree 'tree' through a symbolic link; a test file reads only files in its tree"
        #expect(run.err == """
            tree/bad-folder.test.yaml:2:11: error: cannot read the scenario file tree/outdir/secret.yaml: \(why)
            tree/bad-policy.test.yaml:3:9: error: cannot read the policy file tree/out-policy.yaml: \(why)
            tree/bad-scenario.test.yaml:2:11: error: cannot read the scenario file tree/hosts/out.yaml: \(why)
            tree/linked-out.test.yaml:1:1: error: cannot read the test file tree/linked-out.test.yaml: \(why)

            """)
        #expect(!run.err.contains("hunter2") && !run.out.contains("hunter2"))

        let good = try refreshctl(["test", "tree/good.test.yaml"], in: root)
        #expect(good.code == 0, "\(good.err)")
        #expect(good.out == "PASS tree/good.test.yaml:4: good\n1 passed, 0 failed\n")
    }

    /// Without a path, the current folder is the tree: a test file there cannot reach its
    /// parent folder (the fixture's `../host.yaml`).
    @Test("refreshctl test with no path: the current folder is the tree")
    func cliDefaultTree() throws {
        let run = try refreshctl(["test"], in: packagePath("\(policyTestFixtures)/malformed"))
        #expect(run.code == 2)
        #expect(run.err.hasPrefix("malformed.test.yaml:3:11: error: scenario path '../host.yaml' leads outside the test tree '.'"), "\(run.err)")
    }
}
