import Testing
@testable import RefreshCore
@testable import RefreshHost
import RefreshIO

/// The byte parsers behind the /proc inspector, on hand-written input.
@Suite struct ProcParsingTests {
    func stat(_ text: String) -> ProcParsing.Stat? {
        Array(text.utf8).withUnsafeBytes { ProcParsing.stat($0) }
    }

    static let tail = "S 1 4242 4242 0 -1 4194560 297 0 0 0 1 2 0 0 20 0 1 0 812345 5918720 230 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n"

    @Test(arguments: ["sleep", "my app", "a) b (c", ")", "(", "x y) S 1 2"])
    func commMayHoldSpacesAndParentheses(comm: String) throws {
        let parsed = try #require(stat("4242 (\(comm)) " + Self.tail))
        #expect(parsed.comm == comm)
        #expect(parsed.state == UInt8(ascii: "S"))
        #expect(parsed.ppid == 1)
        #expect(parsed.startTime == 812_345)
        #expect(!parsed.isKernelThread)
    }

    @Test func kernelThreadsAreRecognisedByTheirFlag() throws {
        let parsed = try #require(stat("2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 3 0 0 18446744073709551615 0 0 0 0 0 0 0 2147483647 0 0 0 0 17 0 0 0 0 0 0\n"))
        #expect(parsed.isKernelThread)
        #expect(parsed.startTime == 3)
    }

    @Test(arguments: ["", "4242 sleep S 1", "4242 (sleep) S 1 2 3"])
    func truncatedStatIsRejected(text: String) {
        #expect(stat(text) == nil)
    }

    @Test func mapsKeepDistinctPathsUnderThePrefix() {
        let maps = """
            55d0c8a00000-55d0c8a02000 r--p 00000000 07:03 12 /snap/vlc/10/bin/vlc
            55d0c8a02000-55d0c8a06000 r-xp 00002000 07:03 12 /snap/vlc/10/bin/vlc
            7f1b2c000000-7f1b2c021000 rw-p 00000000 00:00 0
            7f1b2d000000-7f1b2d028000 r--p 00000000 07:01 40 /snap/core22/100/usr/lib/x86_64-linux-gnu/libc.so.6
            7f1b2e000000-7f1b2e001000 r--p 00000000 fe:00 99 /usr/lib/locale/C.utf8/LC_CTYPE
            7f1b2f000000-7f1b2f001000 r--p 00000000 07:02 41 /snap/vlc/8/lib/old.so (deleted)
            7ffc1a000000-7ffc1a021000 rw-p 00000000 00:00 0                          [stack]
            7ffc1b000000-7ffc1b002000 r-xp 00000000 00:00 0                          [vdso]
            """
        let paths = Array(maps.utf8).withUnsafeBytes { ProcParsing.mappedPaths($0, prefix: Array("/snap/".utf8)) }
        #expect(paths == ["/snap/vlc/10/bin/vlc", "/snap/core22/100/usr/lib/x86_64-linux-gnu/libc.so.6", "/snap/vlc/8/lib/old.so (deleted)"])
    }

    @Test func rootMountSourceIsTheLastMountOnSlash() {
        let mountinfo = """
            1870 1869 7:3 / / ro,nodev,relatime master:1 - squashfs /dev/loop3 ro,errors=continue
            1871 1870 0:5 / /dev rw,nosuid - devtmpfs udev rw
            1900 1870 7:9 / / ro - squashfs /dev/loop9 ro
            1902 1870 7:4 / /snap/vlc/10 ro shared:9 - squashfs /dev/loop4 ro

            """
        let source = Array(mountinfo.utf8).withUnsafeBytes { ProcParsing.rootMountSource($0) }
        #expect(source == "/dev/loop9")
        let none = Array("1871 1869 0:5 / /dev rw - devtmpfs udev rw\n".utf8).withUnsafeBytes { ProcParsing.rootMountSource($0) }
        #expect(none == nil)
    }

    @Test func onlyCgroupLinesNamingASnapUnitAreKept() {
        let cgroup = "12:pids:/user.slice\n9:name=systemd:/system.slice/snap.vlc.vlc.service\n1:cpu:/\n0::/system.slice/snap.vlc.vlc.service\n0::/snapd.service\n"
        let lines = Array(cgroup.utf8).withUnsafeBytes { ProcParsing.snapCgroupLines($0) }
        #expect(lines == ["9:name=systemd:/system.slice/snap.vlc.vlc.service", "0::/system.slice/snap.vlc.vlc.service"])
    }

    @Test func mountPointEscapesAreDecoded() {
        #expect(FileSystemRevisionStore.unescapeMountField(ArraySlice(Array("/tmp/a\\040b/snap".utf8))) == "/tmp/a b/snap")
        #expect(FileSystemRevisionStore.unescapeMountField(ArraySlice(Array("/plain".utf8))) == "/plain")
    }
}
