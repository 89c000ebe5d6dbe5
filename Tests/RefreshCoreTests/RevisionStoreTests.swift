import Foundation
import Testing
@testable import RefreshCore
@testable import RefreshHost
import RefreshIO

/// The revision store over plain directories (no mounts needed): what it reads, what it
/// reports, and the symlinks it refuses to follow.
@Suite struct RevisionStoreTests {
    final class Tree {
        let root: String
        init() {
            root = FileManager.default.temporaryDirectory.appendingPathComponent("refreshcore-store-\(UUID().uuidString)").path
        }
        deinit { try? FileManager.default.removeItem(atPath: root) }
        func write(_ relative: String, _ text: String) throws {
            let path = root + "/" + relative
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        }
        func mkdir(_ relative: String) throws {
            try FileManager.default.createDirectory(atPath: root + "/" + relative, withIntermediateDirectories: true)
        }
        func link(_ relative: String, to target: String) throws {
            try FileManager.default.createSymbolicLink(atPath: root + "/" + relative, withDestinationPath: target)
        }
    }

    @Test func readsRevisionsCurrentAndMetadata() throws {
        let tree = Tree()
        try tree.write("snap/vlc/8/meta/snap.yaml", "name: vlc\nversion: '3.0'\nbase: core22\napps:\n  vlc:\n    command: bin/vlc\n")
        try tree.write("snap/vlc/10/meta/snap.yaml", "name: vlc\nversion: '3.1'\nbase: core22\napps:\n  vlc:\n    command: bin/vlc\n")
        try tree.link("snap/vlc/current", to: "10")
        try tree.mkdir("snap/bin")  // snapd's wrapper directory, not a snap
        try tree.write("snap/README", "not a snap")
        try tree.mkdir("var/snap/vlc/10")
        try tree.write("var/lib/refreshctl/postponed/vlc", "2026-11-20T08:00:00Z\n")
        let listing = FileSystemRevisionStore(root: tree.root).list()
        #expect(listing.problems.isEmpty)
        #expect(listing.snaps.map(\.name.rawValue) == ["vlc"])
        let vlc = listing.snaps[0]
        #expect(vlc.current == Revision("10"))
        #expect(vlc.revisions.map(\.revision.description) == ["8", "10"])
        #expect(vlc.info(for: Revision("8"))?.version == "3.0")
        #expect(vlc.info()?.apps[AppName("vlc")!]?.command == "bin/vlc")
        #expect(vlc.postponedSince == Timestamp(rfc3339: "2026-11-20T08:00:00Z"))
        #expect(listing.dataDirectories == [SnapRevision(SnapName("vlc")!, Revision("10")!)])
        #expect(listing.mounted.isEmpty)
    }

    @Test func aBrokenSnapYAMLIsReportedWithItsPosition() throws {
        let tree = Tree()
        try tree.write("snap/vlc/10/meta/snap.yaml", "name: vlc\napps:\n  vlc:\n    refresh-mode: endure\n")
        try tree.link("snap/vlc/current", to: "10")
        let listing = FileSystemRevisionStore(root: tree.root).list()
        #expect(listing.problems == ["\(tree.root)/snap/vlc/10/meta/snap.yaml:4:19: error: refresh-mode 'endure' on app 'vlc', which is not a daemon; it applies to daemons only: add 'daemon: simple' (or another daemon type) or remove it"])
        // The revision is still listed (it is installed), with no apps known.
        #expect(listing.snaps.first?.revisions.map(\.revision.description) == ["10"])
        #expect(listing.snaps.first?.info()?.apps.isEmpty == true)
    }

    @Test func symlinksAreNotFollowed() throws {
        let tree = Tree()
        let outside = Tree()
        try outside.write("meta/snap.yaml", "name: evil\n")
        try tree.write("snap/vlc/10/meta/snap.yaml", "name: vlc\n")
        try tree.link("snap/vlc/11", to: outside.root)
        try tree.link("snap/vlc/current", to: "10")
        try tree.link("snap/evil", to: outside.root)
        try tree.write("snap/linked/1/placeholder", "")
        try tree.link("snap/linked/1/meta", to: outside.root + "/meta")
        try tree.link("snap/linked/current", to: "1")
        let listing = FileSystemRevisionStore(root: tree.root).list()
        #expect(listing.problems == [
            "\(tree.root)/snap/evil is a symlink; it is not followed, so nothing under it is read",
            "\(tree.root)/snap/linked/1/meta is a symlink; it is not followed, so nothing under it is read",
            "\(tree.root)/snap/vlc/11 is a symlink; revision directories must be real directories, so it is not used",
        ])
        #expect(listing.snaps.map(\.name.rawValue) == ["linked", "vlc"])
        #expect(listing.snaps[1].revisions.map(\.revision.description) == ["10"])
        #expect(listing.snaps[0].info()?.name == SnapName("linked"))
    }

    @Test func badCurrentLinksAreReported() throws {
        let tree = Tree()
        try tree.write("snap/vlc/10/meta/snap.yaml", "name: vlc\n")
        try tree.link("snap/vlc/current", to: "12")
        try tree.write("snap/mpv/3/meta/snap.yaml", "name: mpv\n")
        try tree.link("snap/mpv/current", to: "/etc")
        try tree.write("snap/nano/1/meta/snap.yaml", "name: other\n")
        try tree.link("snap/nano/current", to: "1")
        let listing = FileSystemRevisionStore(root: tree.root).list()
        #expect(listing.problems == [
            "\(tree.root)/snap/mpv/current points at '/etc', which is not a revision of this snap; it must name a revision directory such as 12",
            "\(tree.root)/snap/nano/1/meta/snap.yaml: names the snap 'other', but it is installed as 'nano'",
            "\(tree.root)/snap/vlc/current points at revision 12, which is not installed",
        ])
        #expect(listing.snaps.first { $0.name.rawValue == "vlc" }?.current == nil)
        #expect(listing.snaps.first { $0.name.rawValue == "mpv" }?.current == nil)
    }

    @Test func mountingRefusesAMissingImageAndASymlinkedTarget() throws {
        let tree = Tree()
        let outside = Tree()
        try outside.mkdir("x")
        let store = FileSystemRevisionStore(root: tree.root)
        #expect(throws: RefreshCoreError.self) { try store.mount(SnapName("vlc")!, Revision("1")!) }
        do {
            try store.mount(SnapName("vlc")!, Revision("1")!)
        } catch {
            #expect(error.code == .unsafeHost)
            #expect(error.message == "cannot mount vlc revision 1: its image \(tree.root)/var/lib/snapd/snaps/vlc_1.snap does not exist")
        }
        try tree.write("var/lib/snapd/snaps/evil_1.snap", "not really squashfs")
        try tree.mkdir("snap")
        try tree.link("snap/evil", to: outside.root + "/x")
        do {
            try store.mount(SnapName("evil")!, Revision("1")!)
            Issue.record("mounting through a symlink must fail")
        } catch {
            #expect(error.code == .unsafeHost)
            #expect(error.message == "\(tree.root)/snap/evil is a symlink or not a directory; refusing to follow it")
        }
        #expect(!FileManager.default.fileExists(atPath: outside.root + "/x/1"))
    }
}
