// swift-tools-version: 6.1
import PackageDescription

// libFuzzer harnesses for the parsers of RefreshCore (see README.md here). A package of its own,
// so the main package never carries unsafe flags or fuzzing products; build and run it through
// run.sh, which instruments every module for libFuzzer and AddressSanitizer.
//
// The harnesses reach internal parsers (`ProcParsing`, `SnapPath`) through `@testable import`:
// run.sh compiles every module with `-enable-testing`. (`package` access would not reach them:
// it is visible only inside the package that declares it, and this is another package.)
let harnesses = ["policy", "scenario", "snap-yaml", "test-file", "proc", "snap-path"]

func targetName(_ harness: String) -> String {
    "fuzz-" + harness
}

let package = Package(
    name: "RefreshCoreFuzz",
    dependencies: [.package(name: "RefreshCore", path: "..")],
    targets: [
        .target(
            name: "FuzzSupport",
            dependencies: [.product(name: "RefreshCore", package: "RefreshCore")]
        ),
    ] + harnesses.map { harness in
        .executableTarget(
            name: targetName(harness),
            dependencies: [
                "FuzzSupport",
                .product(name: "RefreshCore", package: "RefreshCore"),
                .product(name: "RefreshHost", package: "RefreshCore"),
            ],
            path: "Sources/\(harness)",
            // libFuzzer supplies main(); the harness only defines LLVMFuzzerTestOneInput.
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        )
    },
    swiftLanguageModes: [.v6]
)
