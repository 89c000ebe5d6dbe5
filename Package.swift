// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "RefreshCore",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "RefreshCore", targets: ["RefreshCore"]),
        .executable(name: "refreshctl", targets: ["refreshctl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
    ],
    targets: [
        .target(
            name: "CRefreshSys",
            cSettings: [.define("_GNU_SOURCE")]
        ),
        .target(
            name: "RefreshCore",
            dependencies: [
                "CRefreshSys",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Subprocess", package: "swift-subprocess"),
            ]
        ),
        .executableTarget(
            name: "refreshctl",
            dependencies: [
                "RefreshCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "RefreshCoreTests",
            dependencies: ["RefreshCore"],
            exclude: ["Fixtures"]  // data the tests read by path, not resources
        ),
        // Examples/: a tool that embeds the library without the CLI, and policy tests in Swift.
        .executableTarget(
            name: "refresh-table",
            dependencies: ["RefreshCore"],
            path: "Examples/RefreshTable"
        ),
        .testTarget(
            name: "ExamplePolicyTests",
            dependencies: ["RefreshCore"],
            path: "Examples/PolicyTests"
        ),
    ],
    swiftLanguageModes: [.v6]
)
