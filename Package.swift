// swift-tools-version: 6.1
import PackageDescription

// The layers are targets, so the compiler keeps them apart (see DESIGN.md, "Layers"):
//
//   RefreshCore  pure: model, policy, planner, state machines, scenarios, output, the adapter
//                protocols and the executor's logic. No Glibc, no Foundation: builds anywhere.
//   RefreshIO    portable I/O on Foundation: reading policy, scenario and test files, finding
//                test files, the wall clock. Builds wherever Foundation does.
//   RefreshHost  Linux only: the real adapters (revision store over squashfs loop mounts, /proc
//                inspector, pidfd signaller, journal, lock, command runner on swift-subprocess,
//                systemd service manager) and the tiny C target for syscalls.
//   RefreshFakes test doubles of every adapter over a host kept in memory, with a clock that
//                jumps (as swift-nio's EmbeddedEventLoop): the executor tested without root.
//   refreshctl   argument parsing and printing.
let package = Package(
    name: "RefreshCore",
    // RefreshCore, RefreshIO and RefreshFakes build wherever Swift 6 and Foundation do (Swift's
    // Synchronization needs macOS 15); RefreshHost and refreshctl need Linux.
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "RefreshCore", targets: ["RefreshCore"]),
        .library(name: "RefreshIO", targets: ["RefreshIO"]),
        .library(name: "RefreshHost", targets: ["RefreshHost"]),
        .library(name: "RefreshFakes", targets: ["RefreshFakes"]),
        .executable(name: "refreshctl", targets: ["refreshctl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // SHA-256 of the policy's bytes for the journal.
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
    ],
    targets: [
        .target(
            name: "RefreshCore",
            dependencies: [.product(name: "Yams", package: "Yams")]
        ),
        .target(
            name: "RefreshIO",
            dependencies: ["RefreshCore"]
        ),
        .target(
            name: "RefreshFakes",
            dependencies: ["RefreshCore"]
        ),
        .target(
            name: "CRefreshSys",
            cSettings: [.define("_GNU_SOURCE")]
        ),
        .target(
            name: "RefreshHost",
            dependencies: [
                "RefreshCore", "RefreshIO", "CRefreshSys",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Subprocess", package: "swift-subprocess"),
            ]
        ),
        .executableTarget(
            name: "refreshctl",
            dependencies: [
                "RefreshCore", "RefreshIO", "RefreshHost",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "RefreshCoreTests",
            dependencies: ["RefreshCore", "RefreshIO", "RefreshHost", "RefreshFakes"],
            exclude: ["Fixtures"]  // data the tests read by path, not resources
        ),
        // Examples/: a tool that embeds the library without the CLI, and policy tests in Swift.
        .executableTarget(
            name: "refresh-table",
            dependencies: ["RefreshCore", "RefreshIO"],
            path: "Examples/RefreshTable"
        ),
        .testTarget(
            name: "ExamplePolicyTests",
            dependencies: ["RefreshCore", "RefreshIO"],
            path: "Examples/PolicyTests"
        ),
    ],
    swiftLanguageModes: [.v6]
)
