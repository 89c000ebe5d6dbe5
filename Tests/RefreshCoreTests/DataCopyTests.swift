import Foundation
import Testing
@testable import RefreshCore
@testable import RefreshHost

#if canImport(Glibc)
import Glibc
#endif

/// The data copy against `cp -a` on a real file system, a source that changes under the copy,
/// data directories that are symlinks, and removal that must not cross into another file system.
/// Everything runs as root on /tmp (ext4 with user xattrs and ACLs here).
@Suite(.serialized, .enabled(if: geteuid() == 0, "needs root: sets owners, makes device nodes, file capabilities and mounts"), .timeLimit(.minutes(2)))
struct DataCopyTests {
    // MARK: The tree and its comparison

    /// Builds a tree with everything `cp -a` keeps under `root` (which must exist).
    static func makeRichTree(_ root: String) throws {
        func file(_ relative: String, _ text: String, mode: mode_t = 0o644, owner: (uid_t, gid_t) = (0, 0)) throws {
            let path = root + "/" + relative
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            try check(chown(path, owner.0, owner.1), "chown", path)
            try check(chmod(path, mode), "chmod", path)
        }
        func dir(_ relative: String, mode: mode_t = 0o755, owner: (uid_t, gid_t) = (0, 0)) throws {
            let path = root + "/" + relative
            try check(mkdir(path, 0o700), "mkdir", path)
            try check(chown(path, owner.0, owner.1), "chown", path)
            try check(chmod(path, mode), "chmod", path)
        }
        func node(_ relative: String, _ mode: mode_t, device: dev_t = 0, owner: (uid_t, gid_t) = (0, 0)) throws {
            let path = root + "/" + relative
            try check(mknod(path, mode, device), "mknod", path)
            try check(lchown(path, owner.0, owner.1), "chown", path)
            try check(chmod(path, mode & 0o7777), "chmod", path)
        }
        try file("plain", "hello\n", owner: (1000, 1000))
        try file("empty", "", mode: 0o600)
        try file("setuid-tool", "#!/bin/sh\n", mode: 0o4755, owner: (1000, 1000))
        try file("setgid-tool", "#!/bin/sh\n", mode: 0o2711, owner: (0, 1000))
        // A file capability: owner first, as chown clears it.
        try file("capable", "binary\n", mode: 0o755, owner: (1000, 1000))
        try Xattr.set(root + "/capable", "security.capability", capability(bit: 10))
        try file("acl-file", "shared\n", mode: 0o640, owner: (1000, 1000))
        try Xattr.set(root + "/acl-file", "system.posix_acl_access", acl(named: 1234, perm: 4, mask: 6))
        try Xattr.set(root + "/acl-file", "user.note", Array("kept by cp -a".utf8))
        try dir("acl-dir", mode: 0o750, owner: (1000, 1000))
        try Xattr.set(root + "/acl-dir", "system.posix_acl_access", acl(named: 1234, perm: 5, mask: 5))
        try Xattr.set(root + "/acl-dir", "system.posix_acl_default", acl(named: 1234, perm: 7, mask: 7))
        try Xattr.set(root + "/acl-dir", "user.dir-note", [0, 1, 2, 255])
        // Sparse: 64 MiB with three 4 KiB islands of data.
        let sparse = root + "/sparse"
        let fd = open(sparse, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        try check(fd, "open", sparse)
        try check(ftruncate(fd, 64 << 20), "truncate", sparse)
        for offset in [0, 32 << 20, (64 << 20) - 4096] {
            let block = [UInt8](repeating: UInt8(truncatingIfNeeded: offset >> 20) &+ 1, count: 4096)
            try check(block.withUnsafeBytes { pwrite(fd, $0.baseAddress, 4096, off_t(offset)) } == 4096 ? 0 : -1, "write", sparse)
        }
        close(fd)
        // Hard links: a file with three names in two directories, a symlink with two.
        try dir("links")
        try dir("other")
        try file("links/a", "linked\n", owner: (1000, 1000))
        try check(link(root + "/links/a", root + "/links/b"), "link", "links/b")
        try check(link(root + "/links/a", root + "/other/c"), "link", "other/c")
        try check(symlink("a", root + "/links/sl1"), "symlink", "links/sl1")
        try check(linkat(AT_FDCWD, root + "/links/sl1", AT_FDCWD, root + "/links/sl2", 0), "link", "links/sl2")
        // Special files.
        try node("fifo", S_IFIFO | 0o620, owner: (1000, 1000))
        try node("socket", S_IFSOCK | 0o755, owner: (1000, 0))
        try node("null", S_IFCHR | 0o666, device: 1 << 8 | 3)
        try node("loop", S_IFBLK | 0o660, device: 7 << 8 | 200, owner: (0, 6))
        // A symlink with its own owner, times and a trusted xattr.
        try check(symlink("plain", root + "/link-to-plain"), "symlink", "link-to-plain")
        try check(lchown(root + "/link-to-plain", 1001, 1002), "lchown", "link-to-plain")
        try Xattr.set(root + "/link-to-plain", "trusted.origin", Array("symlink".utf8))
        try check(symlink("/nowhere/at/all", root + "/dangling"), "symlink", "dangling")
        // Directories with odd modes, nested.
        try dir("odd")
        try dir("odd/sticky", mode: 0o1777)
        try dir("odd/setgid", mode: 0o2770, owner: (0, 1000))
        try dir("odd/private", mode: 0o700, owner: (1000, 1000))
        try dir("odd/readonly", mode: 0o755)
        try file("odd/readonly/inside", "read-only dir\n", mode: 0o444)
        try check(chmod(root + "/odd/readonly", 0o555), "chmod", "odd/readonly")
        try dir("deep")
        try dir("deep/a", mode: 0o711)
        try dir("deep/a/b", mode: 0o750, owner: (1000, 1000))
        try file("deep/a/b/leaf", "deep\n", mode: 0o640, owner: (1000, 1000))

        // Times last, deepest first, so making entries does not change them afterwards.
        var second = 1_600_000_000
        for relative in try Walk.paths(root).reversed() {
            second += 1
            let times = [timespec(tv_sec: second - 500_000, tv_nsec: 250_000_000), timespec(tv_sec: second, tv_nsec: 123_456_789)]
            try check(utimensat(AT_FDCWD, relative.isEmpty ? root : root + "/" + relative, times, AT_SYMLINK_NOFOLLOW), "utimensat", relative)
        }
    }

    /// An ACL (acl(5)) as the kernel stores it: owner rw, user `named` with `perm`, group r,
    /// the mask, others nothing.
    static func acl(named: UInt32, perm: UInt16, mask: UInt16) -> [UInt8] {
        func entry(_ tag: UInt16, _ perm: UInt16, _ id: UInt32 = 0xFFFF_FFFF) -> [UInt8] { le(tag) + le(perm) + le(id) }
        return le(UInt32(2)) + entry(0x01, 6) + entry(0x02, perm, named) + entry(0x04, 4) + entry(0x10, mask) + entry(0x20, 0)
    }

    /// A version 2 file capability (capabilities(7)) with one permitted, effective bit.
    static func capability(bit: Int) -> [UInt8] {
        le(UInt32(0x0200_0001)) + le(UInt32(1) << bit) + le(UInt32(0)) + le(UInt32(0)) + le(UInt32(0))
    }

    static func le<T: FixedWidthInteger>(_ value: T) -> [UInt8] { withUnsafeBytes(of: value.littleEndian) { Array($0) } }

    static func check(_ result: Int32, _ call: String, _ path: String) throws {
        if result < 0 { throw SystemCallError(call, path: path, errno: errno) }
    }

    /// Runs a tool, expecting it to succeed.
    static func run(_ tool: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        try process.run()
        process.waitUntilExit()
        if process.terminationStatus != 0 { throw SystemCallError("\(tool) \(arguments.joined(separator: " ")) exited \(process.terminationStatus)", errno: 0) }
    }

    static func temporaryDirectory(_ label: String) throws -> String {
        var template = Array("/tmp/refreshcore-\(label)-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw SystemCallError("mkdtemp", errno: errno) }
        return String(cString: made)
    }

    static func removeTree(_ path: String) { try? FileManager.default.removeItem(atPath: path) }

    /// Why a removal stopped, or `nil` when it did not.
    static func removalFailure(_ path: String) -> FileTree.Failure? {
        if case .failure(let error) = FileTree.remove(path, path: path) { return error }
        return nil
    }

    static func type(_ path: String) -> mode_t? {
        var info = stat()
        return lstat(path, &info) == 0 ? info.st_mode & S_IFMT : nil
    }

    // MARK: cp -a fidelity

    @Test func theCopyKeepsWhatCpAKeeps() throws {
        let work = try Self.temporaryDirectory("fidelity")
        defer { Self.removeTree(work) }
        let source = work + "/source"
        try Self.check(mkdir(source, 0o755), "mkdir", source)
        try Self.makeRichTree(source)
        let original = try Walk(source)

        let report = try FileTree.copy(source, to: work + "/ours").get()
        #expect(report.vanished.isEmpty)
        try Self.run("/usr/bin/cp", ["-a", source, work + "/theirs"])
        let ours = try Walk(work + "/ours"), theirs = try Walk(work + "/theirs")

        // Attribute by attribute: type, mode, owner, size, mtime, device, link target, xattrs.
        #expect(Set(ours.entries.keys) == Set(original.entries.keys))
        for (path, expected) in original.entries.sorted(by: { $0.key < $1.key }) {
            #expect(ours.entries[path] == expected, "\(path): the copy differs from the source")
            #expect(ours.entries[path] == theirs.entries[path], "\(path): the copy differs from cp -a's")
        }
        #expect(ours.linkGroups == original.linkGroups)
        #expect(ours.linkGroups == theirs.linkGroups)
        #expect(ours.linkGroups == [["links/a", "links/b", "other/c"], ["links/sl1", "links/sl2"]])
        // Holes: allocated blocks as cp -a's (within 64 KiB), and the sparse file stays small.
        for (path, blocks) in theirs.blocks {
            #expect(abs((ours.blocks[path] ?? -1) - blocks) <= 128, "\(path): \(ours.blocks[path] ?? -1) blocks allocated, cp -a: \(blocks)")
        }
        #expect((ours.blocks["sparse"] ?? .max) * 512 < 1 << 20)
        #expect(ours.entries["sparse"]?.size == 64 << 20)
        #expect(try Data(contentsOf: URL(fileURLWithPath: work + "/ours/sparse")) == Data(contentsOf: URL(fileURLWithPath: source + "/sparse")))
        // The things a user notices first, spelled out.
        #expect(ours.entries["capable"]?.xattrs["security.capability"] == Self.capability(bit: 10))
        #expect(ours.entries["acl-file"]?.xattrs["system.posix_acl_access"] == Self.acl(named: 1234, perm: 4, mask: 6))
        #expect(ours.entries["acl-dir"]?.xattrs["system.posix_acl_default"] == Self.acl(named: 1234, perm: 7, mask: 7))
        #expect(ours.entries["setuid-tool"]?.mode == S_IFREG | 0o4755)
        #expect(ours.entries["fifo"]?.mode == S_IFIFO | 0o620)
        #expect(ours.entries["socket"]?.mode == S_IFSOCK | 0o755)
        #expect(ours.entries["null"]?.device == dev_t(0x103))
        #expect(ours.entries["link-to-plain"]?.owner == "1001:1002")
        #expect(ours.entries["link-to-plain"]?.xattrs["trusted.origin"] == Array("symlink".utf8))
    }

    @Test func accessAndModificationTimesAreKeptForFilesDirectoriesAndSymlinks() throws {
        let work = try Self.temporaryDirectory("times")
        defer { Self.removeTree(work) }
        let source = work + "/source"
        try Self.check(mkdir(source, 0o755), "mkdir", source)
        try Self.check(mkdir(source + "/dir", 0o755), "mkdir", "dir")
        try Data("x".utf8).write(to: URL(fileURLWithPath: source + "/dir/file"))
        try Self.check(symlink("file", source + "/dir/link"), "symlink", "link")
        let stamps: [String: (Int, Int)] = ["dir/file": (1_400_000_001, 1_500_000_001), "dir/link": (1_400_000_002, 1_500_000_002), "dir": (1_400_000_003, 1_500_000_003), "": (1_400_000_004, 1_500_000_004)]
        for (relative, (access, modification)) in stamps.sorted(by: { $0.key > $1.key }) {
            let times = [timespec(tv_sec: access, tv_nsec: 7), timespec(tv_sec: modification, tv_nsec: 9)]
            try Self.check(utimensat(AT_FDCWD, relative.isEmpty ? source : source + "/" + relative, times, AT_SYMLINK_NOFOLLOW), "utimensat", relative)
        }
        _ = try FileTree.copy(source, to: work + "/copy").get()
        for (relative, (access, modification)) in stamps {
            var info = stat()
            try Self.check(lstat(relative.isEmpty ? work + "/copy" : work + "/copy/" + relative, &info), "lstat", relative)
            #expect(info.st_atim.tv_sec == access && info.st_atim.tv_nsec == 7, "\(relative): access time")
            #expect(info.st_mtim.tv_sec == modification && info.st_mtim.tv_nsec == 9, "\(relative): modification time")
        }
    }

    @Test func anInheritedDefaultACLDoesNotLeakIntoTheCopy() throws {
        let work = try Self.temporaryDirectory("inherit")
        defer { Self.removeTree(work) }
        try Self.check(mkdir(work + "/source", 0o755), "mkdir", "source")
        try Data("private\n".utf8).write(to: URL(fileURLWithPath: work + "/source/secret"))
        try Self.check(chmod(work + "/source/secret", 0o600), "chmod", "secret")
        // The destination's parent hands user 1234 rwx on everything made in it.
        try Self.check(mkdir(work + "/parent", 0o755), "mkdir", "parent")
        try Xattr.set(work + "/parent", "system.posix_acl_default", Self.acl(named: 1234, perm: 7, mask: 7))
        _ = try FileTree.copy(work + "/source", to: work + "/parent/copy").get()
        #expect(try Xattr.names(work + "/parent/copy/secret").isEmpty)
        #expect(try Xattr.names(work + "/parent/copy").isEmpty)
        #expect(try Walk(work + "/parent/copy").entries["secret"]?.mode == S_IFREG | 0o600)
    }

    @Test func aFileOnAnotherFileSystemIsCopiedByReadingWhenCopyFileRangeCannot() throws {
        let work = try Self.temporaryDirectory("crossfs")
        defer { Self.removeTree(work) }
        let mountPoint = work + "/tmpfs"
        try Self.check(mkdir(mountPoint, 0o755), "mkdir", mountPoint)
        try Self.check(mount("tmpfs", mountPoint, "tmpfs", 0, "size=4m"), "mount", mountPoint)
        defer { umount2(mountPoint, Int32(MNT_DETACH)) }
        let text = String(repeating: "tmpfs to ext4\n", count: 10_000)
        try Data(text.utf8).write(to: URL(fileURLWithPath: mountPoint + "/file"))
        _ = try FileTree.copy(mountPoint, to: work + "/copy").get()
        #expect(try String(contentsOfFile: work + "/copy/file", encoding: .utf8) == text)
    }

    // MARK: A source that changes under the copy

    @Test func aFIFOSwappedInDuringTheCopyIsMadeAnewNeverOpened() throws {
        let work = try Self.temporaryDirectory("fifo-swap")
        defer { Self.removeTree(work) }
        let source = work + "/source"
        try Self.check(mkdir(source, 0o755), "mkdir", source)
        try Data("regular when listed\n".utf8).write(to: URL(fileURLWithPath: source + "/data.bin"))
        try Data("after\n".utf8).write(to: URL(fileURLWithPath: source + "/later"))
        let fifo = source + "/data.bin"
        let writerDone = DispatchSemaphore(value: 0)
        // Between looking at data.bin (a regular file) and opening it, it becomes a FIFO with a
        // writer waiting for a reader: a copy that opened it would read from the writer (and
        // without the writer, block forever).
        let report = try FileTree.copy(source, to: work + "/copy", beforeOpening: { relative in
            guard relative == "data.bin", Self.type(fifo) == S_IFREG else { return }
            unlink(fifo)
            mkfifo(fifo, 0o640)
            Thread.detachNewThread {
                let fd = open(fifo, O_WRONLY)
                if fd >= 0 { close(fd) }
                writerDone.signal()
            }
        }).get()
        // Release the writer if the copy never opened the FIFO (it must not have).
        let reader = open(fifo, O_RDONLY | O_NONBLOCK)
        writerDone.wait()
        close(reader)
        #expect(Self.type(work + "/copy/data.bin") == S_IFIFO)
        #expect(try String(contentsOfFile: work + "/copy/later", encoding: .utf8) == "after\n")
        #expect(report.vanished.isEmpty)
    }

    @Test func filesThatVanishDuringTheCopyAreLeftOutAndReported() throws {
        let work = try Self.temporaryDirectory("vanish")
        defer { Self.removeTree(work) }
        let source = work + "/source"
        for directory in ["", "/cache", "/tmp", "/tmp/sub"] {
            try Self.check(mkdir(source + directory, 0o755), "mkdir", directory)
        }
        for name in ["a-first", "b-gone-before-open", "c-gone-before-stat", "keep", "tmp/sub/x", "cache/y"] {
            try Data(name.utf8).write(to: URL(fileURLWithPath: source + "/" + name))
        }
        try Self.check(symlink("keep", source + "/d-link-gone"), "symlink", "d-link-gone")
        let report = try FileTree.copy(source, to: work + "/copy", beforeOpening: { relative in
            switch relative {
            case "a-first": unlink(source + "/c-gone-before-stat")  // listed, gone before lstat
            case "b-gone-before-open": unlink(source + "/b-gone-before-open")  // gone after lstat
            case "d-link-gone": unlink(source + "/d-link-gone")
            case "tmp": Self.removeTree(source + "/tmp")  // a whole directory
            default: break
            }
        }).get()
        #expect(report.vanished == ["b-gone-before-open", "c-gone-before-stat", "d-link-gone", "tmp"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: work + "/copy").sorted() == ["a-first", "cache", "keep"])
        #expect(try String(contentsOfFile: work + "/copy/cache/y", encoding: .utf8) == "cache/y")
    }

    @Test func aFileReplacedBetweenLookingAndOpeningIsCopiedAsItIsNow() throws {
        let work = try Self.temporaryDirectory("replace")
        defer { Self.removeTree(work) }
        let source = work + "/source"
        try Self.check(mkdir(source, 0o755), "mkdir", source)
        try Data("old\n".utf8).write(to: URL(fileURLWithPath: source + "/config"))
        var replaced = false
        _ = try FileTree.copy(source, to: work + "/copy", beforeOpening: { relative in
            guard relative == "config", !replaced else { return }
            replaced = true  // an app saving its config: write a new file, rename it over the old
            try? Data("new\n".utf8).write(to: URL(fileURLWithPath: source + "/config.tmp"))
            rename(source + "/config.tmp", source + "/config")
        }).get()
        #expect(try String(contentsOfFile: work + "/copy/config", encoding: .utf8) == "new\n")
    }

    @Test func aFileThatNeverStopsChangingStopsTheCopyWithAClearError() throws {
        let work = try Self.temporaryDirectory("churn")
        defer { Self.removeTree(work) }
        let source = work + "/source"
        try Self.check(mkdir(source, 0o755), "mkdir", source)
        try Data("0".utf8).write(to: URL(fileURLWithPath: source + "/busy"))
        let result = FileTree.copy(source, to: work + "/copy", beforeOpening: { _ in
            try? Data("n".utf8).write(to: URL(fileURLWithPath: source + "/busy.tmp"))
            rename(source + "/busy.tmp", source + "/busy")
        })
        #expect(result.map { _ in "" } == .failure(.keptChanging(source + "/busy")))
        if case .failure(let error) = result {
            #expect(error.description == "\(source)/busy was replaced by another file each of the 8 times it was about to be copied")
        }
    }

    @Test func aWriteDuringTheCopyDropsSetuidAndCapabilitiesFromTheCopyAsFromTheSource() throws {
        let work = try Self.temporaryDirectory("privileges")
        defer { Self.removeTree(work) }
        let source = work + "/source"
        try Self.check(chmod(work, 0o755), "chmod", work)
        try Self.check(mkdir(source, 0o755), "mkdir", source)
        // A setuid program its owner can write to, and a program with a file capability.
        try Data("#!/bin/sh\n".utf8).write(to: URL(fileURLWithPath: source + "/setuid-tool"))
        try Self.check(chown(source + "/setuid-tool", 65534, 65534), "chown", "setuid-tool")
        try Self.check(chmod(source + "/setuid-tool", 0o4755), "chmod", "setuid-tool")
        try Data("binary\n".utf8).write(to: URL(fileURLWithPath: source + "/capable"))
        try Xattr.set(source + "/capable", "security.capability", Self.capability(bit: 10))
        // Right after the copy read their data, each is written to: by its owner (the kernel
        // clears setuid), and by root (the kernel removes the capability).
        _ = try FileTree.copy(source, to: work + "/copy", afterReadingData: { relative in
            switch relative {
            case "setuid-tool":
                do {
                    try Self.run("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "/bin/sh", "-c", "echo 'id -u' >> \(source)/setuid-tool"])
                } catch {
                    Issue.record(error)
                }
            case "capable":
                let fd = open(source + "/capable", O_WRONLY | O_APPEND)
                _ = write(fd, "x", 1)
                close(fd)
            default: break
            }
        }).get()
        #expect(try Walk(source).entries["setuid-tool"]?.mode == S_IFREG | 0o755, "the kernel clears setuid on the source")
        #expect(try Walk(work + "/copy").entries["setuid-tool"]?.mode == S_IFREG | 0o755)
        #expect(try Xattr.names(source + "/capable").isEmpty, "the kernel removes the capability from the source")
        #expect(try Xattr.names(work + "/copy/capable").isEmpty)
    }

    // MARK: copyData and switchCurrent on a host

    /// A host with `demo` at revision 1 (current) and 2, both plain directories, data for 1.
    static func makeHost(_ root: String) throws -> FileSystemRevisionStore {
        for directory in ["snap/demo/1/meta", "snap/demo/2/meta", "var/snap/demo/1/sub", "var/snap/demo/common"] {
            try FileManager.default.createDirectory(atPath: root + "/" + directory, withIntermediateDirectories: true)
        }
        for revision in ["1", "2"] {
            try Data("name: demo\nversion: '\(revision)'\n".utf8).write(to: URL(fileURLWithPath: "\(root)/snap/demo/\(revision)/meta/snap.yaml"))
        }
        try Data("state\n".utf8).write(to: URL(fileURLWithPath: root + "/var/snap/demo/1/sub/state"))
        try check(symlink("1", root + "/snap/demo/current"), "symlink", "current")
        try check(symlink("1", root + "/var/snap/demo/current"), "symlink", "current")
        return FileSystemRevisionStore(root: root)
    }

    static let demo = SnapName("demo")!
    static let one = Revision("1")!
    static let two = Revision("2")!

    static func readLink(_ path: String) -> String? { try? FileManager.default.destinationOfSymbolicLink(atPath: path) }

    @Test func copyDataPutsAFullCopyInPlaceAndReportsWhatVanished() throws {
        let root = try Self.temporaryDirectory("host")
        defer { Self.removeTree(root) }
        let store = try Self.makeHost(root)
        try Self.makeRichTree(root + "/var/snap/demo/1/sub")
        let copy = try store.copyData(Self.demo, from: Self.one, to: Self.two)
        #expect(copy == DataCopyOutcome(created: true, vanished: []))
        let original = try Walk(root + "/var/snap/demo/1"), copied = try Walk(root + "/var/snap/demo/2")
        #expect(copied.entries == original.entries)
        #expect(copied.linkGroups == original.linkGroups)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/var/snap/demo").sorted() == ["1", "2", "common", "current"])
        // A second call never overwrites what is there.
        try Data("written by the new revision\n".utf8).write(to: URL(fileURLWithPath: root + "/var/snap/demo/2/new"))
        #expect(try store.copyData(Self.demo, from: Self.one, to: Self.two).created == false)
        #expect(FileManager.default.fileExists(atPath: root + "/var/snap/demo/2/new"))
    }

    @Test(arguments: [
        ("var/snap/demo/1", "demo revision 1"),
        ("var/snap/demo/2", "demo revision 2"),
        ("var/snap/demo", "demo"),
    ])
    func aSymlinkedDataDirectoryIsRefusedAndNothingChanges(linked: String, owner: String) throws {
        let root = try Self.temporaryDirectory("linked-data")
        defer { Self.removeTree(root) }
        let store = try Self.makeHost(root)
        let elsewhere = root + "/elsewhere"
        if linked == "var/snap/demo/2" {
            try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
        } else {
            try Self.check(rename(root + "/" + linked, elsewhere), "rename", linked)
        }
        try Self.check(symlink(elsewhere, root + "/" + linked), "symlink", linked)
        let before = try Walk(root)
        let refusal = "\(root)/\(linked) is a symlink (to \(elsewhere)); the data of \(owner) must be a real directory, as refreshctl never follows symlinks in snap data: replace the link with the directory it points at (rm \(root)/\(linked) && mv \(elsewhere) \(root)/\(linked)), then try again; nothing was changed"
        for (call, attempt) in [("checkData", { () throws(RefreshCoreError) in try store.checkData(Self.demo, from: Self.one, to: Self.two) }),
                                ("copyData", { () throws(RefreshCoreError) in _ = try store.copyData(Self.demo, from: Self.one, to: Self.two) })] {
            do {
                try attempt()
                Issue.record("\(call) must refuse \(linked) as a symlink")
            } catch {
                #expect(error.code == .unsafeHost)
                #expect(error.message == refusal, "\(call)")
            }
        }
        #expect(try Walk(root).entries == before.entries)
    }

    @Test func aRelativeSymlinkIsShownWithTheDirectoryItPointsAt() throws {
        let root = try Self.temporaryDirectory("relative-link")
        defer { Self.removeTree(root) }
        let store = try Self.makeHost(root)
        try Self.check(rename(root + "/var/snap/demo/1", root + "/var/snap/demo/1-real"), "rename", "1")
        try Self.check(symlink("1-real", root + "/var/snap/demo/1"), "symlink", "1")
        do {
            _ = try store.copyData(Self.demo, from: Self.one, to: Self.two)
            Issue.record("a symlinked data directory must be refused")
        } catch {
            #expect(error.message.contains("(rm \(root)/var/snap/demo/1 && mv \(root)/var/snap/demo/1-real \(root)/var/snap/demo/1)"))
        }
    }

    @Test func switchCurrentRefusesASymlinkedDataRootAndLeavesBothLinksAgreeing() throws {
        let root = try Self.temporaryDirectory("linked-root")
        defer { Self.removeTree(root) }
        let store = try Self.makeHost(root)
        try FileManager.default.createDirectory(atPath: root + "/var/snap/demo/2", withIntermediateDirectories: true)
        try Self.check(rename(root + "/var/snap/demo", root + "/elsewhere"), "rename", "var/snap/demo")
        try Self.check(symlink(root + "/elsewhere", root + "/var/snap/demo"), "symlink", "var/snap/demo")
        #expect(throws: RefreshCoreError.self) { try store.switchCurrent(Self.demo, to: Self.two) }
        #expect(Self.readLink(root + "/snap/demo/current") == "1")
        #expect(Self.readLink(root + "/elsewhere/current") == "1")
    }

    @Test func switchCurrentMakesBothNewLinksBeforeSwitchingEither() throws {
        let root = try Self.temporaryDirectory("switch-order")
        defer { Self.removeTree(root) }
        let store = try Self.makeHost(root)
        // The data root cannot take a new link: its temporary name is taken by a directory.
        try FileManager.default.createDirectory(atPath: root + "/var/snap/demo/current.refreshctl-new/x", withIntermediateDirectories: true)
        #expect(throws: RefreshCoreError.self) { try store.switchCurrent(Self.demo, to: Self.two) }
        #expect(Self.readLink(root + "/snap/demo/current") == "1")
        #expect(Self.readLink(root + "/var/snap/demo/current") == "1")
        #expect(Self.type(root + "/snap/demo/current.refreshctl-new") == nil)
        // A data root whose current is a directory is refused before anything is switched.
        try FileManager.default.removeItem(atPath: root + "/var/snap/demo/current.refreshctl-new")
        try FileManager.default.removeItem(atPath: root + "/var/snap/demo/current")
        try FileManager.default.createDirectory(atPath: root + "/var/snap/demo/current", withIntermediateDirectories: true)
        do {
            try store.switchCurrent(Self.demo, to: Self.two)
            Issue.record("a directory named current must be refused")
        } catch {
            #expect(error.message == "\(root)/var/snap/demo/current is not a symlink; it must be a link to a revision: move it away, then try again")
        }
        #expect(Self.readLink(root + "/snap/demo/current") == "1")
        // With both in order, both switch.
        try FileManager.default.removeItem(atPath: root + "/var/snap/demo/current")
        try store.switchCurrent(Self.demo, to: Self.two)
        #expect(Self.readLink(root + "/snap/demo/current") == "2")
        #expect(Self.readLink(root + "/var/snap/demo/current") == "2")
    }

    @Test func undoingACopyNeverRemovesThroughASymlinkedDataRoot() throws {
        let root = try Self.temporaryDirectory("undo-linked")
        defer { Self.removeTree(root) }
        let store = try Self.makeHost(root)
        try FileManager.default.createDirectory(atPath: root + "/elsewhere/2", withIntermediateDirectories: true)
        try Data("not ours\n".utf8).write(to: URL(fileURLWithPath: root + "/elsewhere/2/file"))
        try FileManager.default.removeItem(atPath: root + "/var/snap/demo")
        try Self.check(symlink(root + "/elsewhere", root + "/var/snap/demo"), "symlink", "var/snap/demo")
        try store.removeCreatedData(Self.demo, Self.two, system: true, userDataExisted: [])
        #expect(FileManager.default.fileExists(atPath: root + "/elsewhere/2/file"))
        // Nor a data directory that is a symlink: this refresh never made one.
        try FileManager.default.removeItem(atPath: root + "/var/snap/demo")
        try FileManager.default.createDirectory(atPath: root + "/var/snap/demo", withIntermediateDirectories: true)
        try Self.check(symlink(root + "/elsewhere/2", root + "/var/snap/demo/2"), "symlink", "var/snap/demo/2")
        try store.removeCreatedData(Self.demo, Self.two, system: true, userDataExisted: [])
        #expect(Self.type(root + "/var/snap/demo/2") == S_IFLNK)
        // What it did make goes.
        try FileManager.default.removeItem(atPath: root + "/var/snap/demo/2")
        try FileManager.default.createDirectory(atPath: root + "/var/snap/demo/2/sub", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/var/snap/demo/2.refreshctl-partial/sub", withIntermediateDirectories: true)
        try store.removeCreatedData(Self.demo, Self.two, system: true, userDataExisted: [])
        #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/var/snap/demo") == [])
    }

    // MARK: Removal stays on its file system

    @Test func removalStopsAtAMountPointAndLeavesItsFilesAlone() throws {
        let work = try Self.temporaryDirectory("remove-mount")
        defer { Self.removeTree(work) }
        let tree = work + "/tree"
        for directory in ["", "/a", "/mnt", "/z"] { try Self.check(mkdir(tree + directory, 0o755), "mkdir", directory) }
        try Self.check(mount("tmpfs", tree + "/mnt", "tmpfs", 0, "size=1m"), "mount", "mnt")
        defer { umount2(tree + "/mnt", Int32(MNT_DETACH)) }
        try Data("on another file system\n".utf8).write(to: URL(fileURLWithPath: tree + "/mnt/guest.img"))
        #expect(Self.removalFailure(tree) == (.mountPoint(tree + "/mnt")))
        #expect(FileManager.default.fileExists(atPath: tree + "/mnt/guest.img"))
        // The mount point as the top: nothing goes either.
        #expect(Self.removalFailure(tree + "/mnt") == (.mountPoint(tree + "/mnt")))
        #expect(FileManager.default.fileExists(atPath: tree + "/mnt/guest.img"))
    }

    @Test func removalStopsAtABindMountOfTheSameFileSystem() throws {
        let work = try Self.temporaryDirectory("remove-bind")
        defer { Self.removeTree(work) }
        for directory in ["/tree", "/tree/bound", "/precious"] { try Self.check(mkdir(work + directory, 0o755), "mkdir", directory) }
        try Data("the original\n".utf8).write(to: URL(fileURLWithPath: work + "/precious/file"))
        try Self.check(mount(work + "/precious", work + "/tree/bound", nil, UInt(MS_BIND), nil), "mount", "bound")
        defer { umount2(work + "/tree/bound", Int32(MNT_DETACH)) }
        #expect(Self.removalFailure(work + "/tree") == (.mountPoint(work + "/tree/bound")))
        #expect(FileManager.default.fileExists(atPath: work + "/precious/file"))
    }

    /// The store itself looks once more, after moving a plain-directory revision aside where
    /// no new process can reach it by path: a process that took hold of it after the engine's
    /// re-check (here: one whose working directory is in it, unknown to the engine) keeps it,
    /// put back where it was; once that process is gone the revision goes, nothing left aside.
    @Test func removalLooksForAUserAfterMovingThePlainRevisionAside() throws {
        let root = try Self.temporaryDirectory("aside")
        defer { Self.removeTree(root) }
        let store = try Self.makeHost(root)
        try Self.check(unlink(root + "/snap/demo/current"), "unlink", "current")
        try Self.check(symlink("2", root + "/snap/demo/current"), "symlink", "current")
        let user = Process()
        user.executableURL = URL(fileURLWithPath: "/bin/sleep")
        user.arguments = ["300"]
        user.currentDirectoryURL = URL(fileURLWithPath: root + "/snap/demo/1")
        try user.run()
        // SIGKILL: the test runner's blocked SIGTERM is inherited by its children.
        defer { if user.isRunning { kill(user.processIdentifier, SIGKILL); user.waitUntilExit() } }
        // Wait until the kernel shows its working directory.
        for _ in 0..<200 where (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(user.processIdentifier)/cwd")) != root + "/snap/demo/1" {
            usleep(10_000)
        }
        do {
            try store.removeRevision(Self.demo, Self.one)
            Issue.record("a revision a process uses must not be removed")
        } catch {
            #expect(error.code == .inUse)
            #expect(error.message == "pid \(user.processIdentifier) started using it while gc ran", "\(error)")
        }
        #expect(Self.type(root + "/snap/demo/1/meta/snap.yaml") == S_IFREG)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/snap/demo").sorted() == ["1", "2", "current"])
        kill(user.processIdentifier, SIGKILL)
        user.waitUntilExit()
        try store.removeRevision(Self.demo, Self.one)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/snap/demo").sorted() == ["2", "current"])
    }

    /// A revision whose directory is gone already (removed by hand): its image still goes.
    @Test func removingARevisionWithoutItsDirectoryRemovesItsImage() throws {
        let root = try Self.temporaryDirectory("no-dir")
        defer { Self.removeTree(root) }
        let store = try Self.makeHost(root)
        try Self.check(unlink(root + "/snap/demo/current"), "unlink", "current")
        try Self.check(symlink("2", root + "/snap/demo/current"), "symlink", "current")
        Self.removeTree(root + "/snap/demo/1")
        let image = HostLayout(root: root).image(Self.demo, Self.one)
        try FileManager.default.createDirectory(atPath: (image as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data("hsqs".utf8).write(to: URL(fileURLWithPath: image))
        try store.removeRevision(Self.demo, Self.one)
        #expect(Self.type(image) == nil)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/snap/demo").sorted() == ["2", "current"])
    }

    @Test func gcKeepsARevisionWithAFileSystemMountedInsideAndSaysWhy() throws {
        let root = try Self.temporaryDirectory("gc-mount")
        defer { Self.removeTree(root) }
        _ = try Self.makeHost(root)
        try Self.check(unlink(root + "/snap/demo/current"), "unlink", "current")
        try Self.check(symlink("2", root + "/snap/demo/current"), "symlink", "current")
        let mountPoint = root + "/snap/demo/1/mnt"
        try Self.check(mkdir(mountPoint, 0o755), "mkdir", mountPoint)
        try Self.check(mount("tmpfs", mountPoint, "tmpfs", 0, "size=1m"), "mount", mountPoint)
        defer { umount2(mountPoint, Int32(MNT_DETACH)) }
        try Data("kept\n".utf8).write(to: URL(fileURLWithPath: mountPoint + "/file"))
        let engine = RefreshEngine(adapters: .linux(root: root, serviceManager: .none))
        let report = try engine.collectGarbage(retain: 1, dryRun: false, wait: false)
        #expect(report.text() == "demo revision 1: kept (cannot remove demo revision 1: \(mountPoint) is a mount point inside it (another file system is mounted there), and removal never crosses into another file system; nothing below \(mountPoint) was removed: unmount it (umount \(mountPoint)), then run gc again)\n")
        #expect(FileManager.default.fileExists(atPath: mountPoint + "/file"))
        #expect(FileManager.default.fileExists(atPath: root + "/snap/demo/1/meta/snap.yaml"))
        // Unmounted, it goes.
        try Self.check(umount2(mountPoint, 0), "umount", mountPoint)
        // Its data goes with it; when it stopped being current was not recorded (no refresh switched it).
        #expect(try engine.collectGarbage(retain: 1, dryRun: false, wait: false).text() == "demo revision 1: removed\n  data removed: \(root)/var/snap/demo/1\n  when revision 1 stopped being current is not recorded, so what was written there since cannot be told\n")
        #expect(Self.type(root + "/snap/demo/1") == nil)
        #expect(Self.type(root + "/var/snap/demo/1") == nil)
        #expect(Self.type(root + "/var/snap/demo/common") == S_IFDIR)
    }
}

/// Extended attributes through libc directly (Glibc does not export them to Swift), so the
/// tests set and read them without the code under test.
enum Xattr {
    private typealias SetFunction = @convention(c) (UnsafePointer<CChar>, UnsafePointer<CChar>, UnsafeRawPointer?, Int, Int32) -> Int32
    private typealias GetFunction = @convention(c) (UnsafePointer<CChar>, UnsafePointer<CChar>, UnsafeMutableRawPointer?, Int) -> Int
    private typealias ListFunction = @convention(c) (UnsafePointer<CChar>, UnsafeMutablePointer<CChar>?, Int) -> Int
    private static func function<T>(_ name: String, as type: T.Type) -> T {
        guard let symbol = dlsym(nil, name) else { fatalError("libc has no \(name)") }
        return unsafeBitCast(symbol, to: type)
    }
    private static let lset = function("lsetxattr", as: SetFunction.self)
    private static let lget = function("lgetxattr", as: GetFunction.self)
    private static let llist = function("llistxattr", as: ListFunction.self)

    static func set(_ path: String, _ name: String, _ value: [UInt8]) throws {
        let result = value.withUnsafeBytes { lset(path, name, $0.baseAddress, $0.count, 0) }
        if result != 0 { throw SystemCallError("lsetxattr \(name)", path: path, errno: errno) }
    }

    static func names(_ path: String) throws -> [String] {
        let size = llist(path, nil, 0)
        if size < 0 { throw SystemCallError("llistxattr", path: path, errno: errno) }
        var buffer = [CChar](repeating: 0, count: size + 1)
        let n = llist(path, &buffer, size)
        if n < 0 { throw SystemCallError("llistxattr", path: path, errno: errno) }
        return buffer[..<n].split(separator: 0).map { String(decoding: $0.map { UInt8(bitPattern: $0) }, as: UTF8.self) }.sorted()
    }

    static func get(_ path: String, _ name: String) throws -> [UInt8] {
        let size = lget(path, name, nil, 0)
        if size < 0 { throw SystemCallError("lgetxattr \(name)", path: path, errno: errno) }
        var buffer = [UInt8](repeating: 0, count: size)
        let n = buffer.withUnsafeMutableBytes { lget(path, name, $0.baseAddress, size) }
        if n < 0 { throw SystemCallError("lgetxattr \(name)", path: path, errno: errno) }
        return Array(buffer[..<n])
    }
}

/// A tree as `cp -a` sees it: each entry's attributes by relative path (`""` is the top), the
/// blocks each regular file has allocated, and the groups of paths that are one inode.
struct Walk {
    struct Entry: Hashable, CustomStringConvertible {
        var mode: mode_t
        var owner: String
        var size: Int?
        var mtime: String
        var device: dev_t?
        var target: String?
        var xattrs: [String: [UInt8]]

        var description: String {
            let attributes = xattrs.keys.sorted().map { "\($0)=\(xattrs[$0]!.count)B" }.joined(separator: ",")
            return "mode \(String(mode, radix: 8)) owner \(owner) size \(size.map(String.init) ?? "-") mtime \(mtime) dev \(device.map { String($0) } ?? "-") target \(target ?? "-") xattrs [\(attributes)]"
        }
    }

    var entries: [String: Entry] = [:]
    var blocks: [String: Int] = [:]
    var linkGroups: Set<[String]> = []

    init(_ root: String) throws {
        var inodes: [UInt64: [String]] = [:]
        for relative in try Walk.paths(root) {
            let path = relative.isEmpty ? root : root + "/" + relative
            var info = stat()
            guard lstat(path, &info) == 0 else { throw SystemCallError("lstat", path: path, errno: errno) }
            let kind = info.st_mode & S_IFMT
            var xattrs: [String: [UInt8]] = [:]
            for name in try Xattr.names(path) { xattrs[name] = try Xattr.get(path, name) }
            entries[relative] = Entry(
                mode: info.st_mode, owner: "\(info.st_uid):\(info.st_gid)",
                size: kind == S_IFREG || kind == S_IFLNK ? Int(info.st_size) : nil,
                mtime: "\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)",
                device: kind == S_IFCHR || kind == S_IFBLK ? info.st_rdev : nil,
                target: kind == S_IFLNK ? try FileManager.default.destinationOfSymbolicLink(atPath: path) : nil,
                xattrs: xattrs)
            if kind == S_IFREG { blocks[relative] = Int(info.st_blocks) }
            if kind != S_IFDIR && info.st_nlink > 1 { inodes[UInt64(info.st_ino), default: []].append(relative) }
        }
        linkGroups = Set(inodes.values.filter { $0.count > 1 }.map { $0.sorted() })
    }

    /// Every path under `root`, relative, sorted, the top (`""`) first; symlinks not followed.
    static func paths(_ root: String) throws -> [String] {
        var found = [""]
        func visit(_ relative: String) throws {
            let path = relative.isEmpty ? root : root + "/" + relative
            for name in try FileManager.default.contentsOfDirectory(atPath: path).sorted() {
                let child = relative.isEmpty ? name : relative + "/" + name
                found.append(child)
                var info = stat()
                if lstat(root + "/" + child, &info) == 0, info.st_mode & S_IFMT == S_IFDIR { try visit(child) }
            }
        }
        try visit("")
        return found
    }
}
