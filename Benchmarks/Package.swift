// swift-tools-version: 6.1
// Benchmarks for RefreshCore, kept out of the main package (and out of CI) so that the library
// does not depend on package-benchmark. Run with `swift package benchmark` in this folder.
import PackageDescription

let package = Package(
    name: "RefreshCoreBenchmarks",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(name: "RefreshCore", path: ".."),
        .package(url: "https://github.com/ordo-one/package-benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // Synthetic hosts, policies and evidence, built in code and shared by the suites.
        .target(
            name: "SyntheticHost",
            dependencies: [.product(name: "RefreshCore", package: "RefreshCore")],
            path: "Sources/SyntheticHost"
        ),
        .executableTarget(
            name: "PlannerBenchmarks",
            dependencies: [
                "SyntheticHost",
                .product(name: "RefreshCore", package: "RefreshCore"),
                .product(name: "Benchmark", package: "package-benchmark"),
            ],
            path: "Benchmarks/PlannerBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]
        ),
        .executableTarget(
            name: "InferenceBenchmarks",
            dependencies: [
                "SyntheticHost",
                .product(name: "RefreshCore", package: "RefreshCore"),
                .product(name: "Benchmark", package: "package-benchmark"),
            ],
            path: "Benchmarks/InferenceBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]
        ),
        // A plain driver for profiling the planner and comparing its output across a change.
        .executableTarget(
            name: "PlanProfile",
            dependencies: ["SyntheticHost", .product(name: "RefreshCore", package: "RefreshCore")],
            path: "Sources/PlanProfile"
        ),
        // `ps` evidence collection against shared/bench/procscan.c on the same crowd of processes
        // (spawned with shared/bench/spawn.c); a plain executable: it times both in one run.
        .executableTarget(
            name: "ScanCompare",
            dependencies: [
                .product(name: "RefreshCore", package: "RefreshCore"),
                .product(name: "RefreshHost", package: "RefreshCore"),
            ],
            path: "Sources/ScanCompare"
        ),
    ],
    swiftLanguageModes: [.v6]
)
