import Foundation
import Testing
@testable import RefreshCore

#if canImport(Glibc)
import Glibc
#endif

/// The release binary built with `--static-swift-stdlib` (README, "Install") runs on a host
/// without the Swift toolchain: it links no Swift library dynamically, and it works in a mount
/// namespace where the toolchain's folder is hidden under an empty tmpfs — where the debug
/// binary, linked against the toolchain's libraries, cannot even start.
///
/// `REFRESHCTL_STATIC_BINARY` names the binary (`.ci/run` builds it and sets it); the test is
/// skipped without it, and fails in CI (`REFRESHCORE_CI`) without it.
@Suite(.serialized, .timeLimit(.minutes(2))) struct StaticBinaryTests {
    static let binary = ProcessInfo.processInfo.environment["REFRESHCTL_STATIC_BINARY"]
    static let canHide = getuid() == 0 && access("/usr/bin/unshare", X_OK) == 0

    /// What `ldd` says of `binary`.
    static func ldd(_ binary: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/ldd")
        process.arguments = [binary]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        return output
    }

    /// The toolchain's root (`/opt/swift` for `/opt/swift/usr/lib/swift/linux/libswiftCore.so`),
    /// from where the debug build finds the Swift runtime.
    static func toolchainRoot() throws -> String {
        let output = try ldd(try productURL("refreshctl").path)
        let line = try #require(output.split(separator: "\n").first { $0.contains("libswiftCore.so => ") })
        let path = String(line[line.range(of: "=> ")!.upperBound...])
        let marker = try #require(path.range(of: "/usr/lib/swift/"))
        return String(path[..<marker.lowerBound])
    }

    /// Runs `command` with `arguments` in a new mount namespace where `hidden` is an empty tmpfs.
    static func runHiding(_ hidden: String, _ command: String, _ arguments: [String]) throws -> (code: Int32, out: String, err: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        process.arguments = ["--mount", "--propagation", "private", "--", "/bin/sh", "-c",
                             "mount -t tmpfs refreshcore-hide \"$1\" && shift && exec \"$@\"", "sh", hidden, command] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: packagePath(""))
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
    }

    @Test("CI builds the static binary, so these tests run there")
    func presentInCI() {
        if ProcessInfo.processInfo.environment["REFRESHCORE_CI"] != nil {
            #expect(Self.binary != nil, "REFRESHCORE_CI is set but REFRESHCTL_STATIC_BINARY is not; .ci/run builds it")
        }
    }

    @Test("the static binary links no Swift library", .enabled(if: binary != nil, "set REFRESHCTL_STATIC_BINARY to the --static-swift-stdlib build"))
    func noSwiftLibraries() throws {
        let output = try Self.ldd(try #require(Self.binary))
        #expect(output.contains("libc.so.6"), "\(output)")
        #expect(!output.contains("libswift") && !output.contains("libFoundation") && !output.contains("lib_FoundationICU"), "\(output)")
        #expect(!output.contains(try Self.toolchainRoot()), "\(output)")
    }

    @Test("with the toolchain hidden, the static binary checks a policy and the debug one cannot start",
          .enabled(if: binary != nil && canHide, "needs REFRESHCTL_STATIC_BINARY, root and unshare"))
    func runsWithoutTheToolchain() throws {
        let toolchain = try Self.toolchainRoot()
        let policy = "Examples/policies/workstation.yaml"
        let run = try Self.runHiding(toolchain, try #require(Self.binary), ["check", policy])
        #expect(run.code == 0, "\(run.err)")
        #expect(run.out.hasPrefix("\(policy): OK"), "\(run.out)")
        let plan = try Self.runHiding(toolchain, try #require(Self.binary),
                                      ["plan", "--format", "json", "--scenario", "Examples/scenarios/workstation.yaml", "--policy", policy])
        #expect(plan.out.hasPrefix("{\"version\":1,"), "\(plan.err)")
        // The hiding works: the debug build, linked against the toolchain, does not start.
        let debug = try Self.runHiding(toolchain, try productURL("refreshctl").path, ["check", policy])
        #expect(debug.code != 0)
        #expect(debug.err.contains("libswift"), "\(debug.err)")
    }
}
