import Foundation
import Testing
@testable import RefreshCore
@testable import RefreshHost
import RefreshIO

/// Finding `*.test.yaml` files: recursive, sorted, hidden folders skipped, mistakes reported.
@Suite struct PolicyTestFinderTests {
    /// A fresh folder tree; `files` are created empty, `links` as symbolic links.
    func tree(_ files: [String], links: [String: String] = [:]) throws -> String {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("finder-\(UUID().uuidString)").path
        for file in files {
            let path = root + "/" + file
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            #expect(FileManager.default.createFile(atPath: path, contents: Data("version: 1\n".utf8)))
        }
        for (link, target) in links {
            try FileManager.default.createSymbolicLink(atPath: root + "/" + link, withDestinationPath: target)
        }
        return root
    }

    @Test func foldersAreSearchedRecursivelyAndSorted() throws {
        let root = try tree(["z.test.yaml", "sub/b.test.yaml", "sub/deeper/a.test.yaml", "a.test.yaml",
                             "notes.yaml", "sub/c.test.yml", ".build/x.test.yaml", "sub/.hidden.test.yaml"])
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(try TestFileFinder.find([root]) == [
            "\(root)/a.test.yaml", "\(root)/sub/b.test.yaml", "\(root)/sub/deeper/a.test.yaml", "\(root)/z.test.yaml",
        ])
        // A trailing slash gives the same paths; a folder and a file in it are found once.
        #expect(try TestFileFinder.find(["\(root)/sub/", "\(root)/sub/b.test.yaml"]) == ["\(root)/sub/b.test.yaml", "\(root)/sub/deeper/a.test.yaml"])
    }

    @Test func aFileIsTakenAsNamedWhateverItsName() throws {
        let root = try tree(["cases.yaml", "a.test.yaml"])
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(try TestFileFinder.find(["\(root)/cases.yaml", "\(root)/a.test.yaml"]) == ["\(root)/a.test.yaml", "\(root)/cases.yaml"])
    }

    /// A link to a folder is not followed (a loop would never end); a link to a file counts.
    @Test func linksToFoldersAreNotFollowed() throws {
        let root = try tree(["sub/a.test.yaml", "other/b.test.yaml"], links: ["sub/loop": "..", "sub/c.test.yaml": "../other/b.test.yaml"])
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(try TestFileFinder.find(["\(root)/sub"]) == ["\(root)/sub/a.test.yaml", "\(root)/sub/c.test.yaml"])
    }

    @Test func aMissingPathOrAFolderWithoutTestsIsAnError() throws {
        let root = try tree(["notes.yaml"])
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(throws: RefreshCoreError.self) { try TestFileFinder.find(["\(root)/nope"]) }
        do {
            _ = try TestFileFinder.find([root])
            Issue.record("a folder without test files was accepted")
        } catch {
            #expect(error.code == .invalidArgument)
            #expect(error.message == "\(root): error: no *.test.yaml file in this folder or below it; name a test file or a folder that holds some")
        }
    }
}
