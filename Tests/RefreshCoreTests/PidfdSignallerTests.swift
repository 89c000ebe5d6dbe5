import Foundation
import Testing
@testable import RefreshCore
@testable import RefreshHost
import RefreshIO

#if canImport(Glibc)
import Glibc
#endif

/// A signal only ever reaches the identity (PID + start time) a plan saw; PID 0, PID 1,
/// refreshctl itself and its parent never get one.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct PidfdSignallerTests {
    let signaller = PidfdSignaller()

    func startTime(_ pid: Int32) throws -> UInt64 {
        var buffer: [UInt8] = []
        let count = try Syscall.readFile("/proc/\(pid)/stat", into: &buffer).get()
        return try #require(buffer.withUnsafeBytes { ProcParsing.stat(UnsafeRawBufferPointer(rebasing: $0[..<count])) }).startTime
    }

    @Test(arguments: [Int32(0), 1])
    func pidZeroAndOneAreNeverSignalled(pid: Int32) {
        #expect(signaller.open(ProcessIdentity(pid: pid, startTime: 1)) == .failure(.protected("PID \(pid) is never signalled")))
    }

    @Test func neitherRefreshctlNorItsParent() throws {
        #expect(signaller.open(ProcessIdentity(pid: getpid(), startTime: try startTime(getpid()))) == .failure(.protected("it is refreshctl itself")))
        #expect(signaller.open(ProcessIdentity(pid: getppid(), startTime: try startTime(getppid()))) == .failure(.protected("it is refreshctl's parent")))
    }

    @Test func aReusedPIDIsGoneNotSignalled() throws {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/sleep")
        child.arguments = ["30"]
        try child.run()
        defer { child.terminate(); child.waitUntilExit() }
        let pid = child.processIdentifier
        let real = try startTime(pid)
        // Another start time: as if the PID now belonged to a newer process.
        #expect(signaller.open(ProcessIdentity(pid: pid, startTime: real + 1)) == .failure(.gone))
        #expect(signaller.open(ProcessIdentity(pid: pid)) == .failure(.protected("its start time is unknown, so a reused PID could not be told apart")))
        #expect(child.isRunning)
        // The right identity gets the signal, and the pidfd sees the exit.
        let handle = try signaller.open(ProcessIdentity(pid: pid, startTime: real)).get()
        defer { signaller.close(handle) }
        #expect(!signaller.hasExited(handle))
        #expect(throws: Never.self) { try signaller.send(.sigkill, to: handle).get() }
        child.waitUntilExit()
        #expect(child.terminationReason == .uncaughtSignal && child.terminationStatus == SIGKILL)
        #expect(signaller.hasExited(handle))
    }

    @Test func aProcessThatExitedIsGone() throws {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/true")
        try child.run()
        let pid = child.processIdentifier
        child.waitUntilExit()
        #expect(signaller.open(ProcessIdentity(pid: pid, startTime: 1)) == .failure(.gone))
    }
}
