// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "banyan",
    products: [
        .executable(name: "banyan", targets: ["banyan"]),
        .library(name: "BanyanCore", targets: ["BanyanCore"]),
        .library(name: "BanyanAudit", targets: ["BanyanAudit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
    ],
    targets: [
        // The core: JSON model, route patterns, rollout decisions, diff engine, policy. No I/O.
        .target(name: "BanyanCore"),
        // banyan.yaml → Configuration, with errors that name file, line and key.
        .target(name: "BanyanConfig", dependencies: ["BanyanCore", .product(name: "Yams", package: "Yams")]),
        // A small blocking HTTP/1.1 client over POSIX sockets that keeps the exact bytes on the wire.
        .target(name: "BanyanHTTP", dependencies: ["BanyanCore"]),
        // Record, verify, probe and diff: the wire contract between legacy and candidate.
        .target(name: "BanyanContract", dependencies: ["BanyanCore", "BanyanHTTP"]),
        // bench: the open-loop load generator, histograms, the /proc sampler, reports and the baseline gate.
        .target(
            name: "BanyanBench",
            dependencies: [
                "BanyanCore", "BanyanContract",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ]
        ),
        // Know what to migrate: route inventory from the Express app, dependency audit, migration plan.
        .target(name: "BanyanAudit", dependencies: ["BanyanCore"], resources: [.copy("Resources/knowledge-base.json")]),
        .executableTarget(
            name: "banyan",
            dependencies: [
                "BanyanCore", "BanyanConfig", "BanyanHTTP", "BanyanContract", "BanyanBench", "BanyanAudit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Diff engine throughput against deepdiff and jsondiff: Benchmarks/diff-throughput.sh.
        .executableTarget(
            name: "DiffThroughput", dependencies: ["BanyanCore"], path: "Benchmarks/diff-throughput/Sources"),
        // Benchmarks/loadgen: the trivial server banyan's generator and wrk are measured against.
        .executableTarget(
            name: "LoadgenServer",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Benchmarks/loadgen/Server"
        ),
        .testTarget(name: "BanyanCoreTests", dependencies: ["BanyanCore"], resources: [.copy("Resources")]),
        .testTarget(name: "BanyanConfigTests", dependencies: ["BanyanConfig"]),
        .testTarget(name: "BanyanBenchTests", dependencies: ["BanyanBench"]),
        .testTarget(name: "BanyanAuditTests", dependencies: ["BanyanAudit"], exclude: ["Data"]),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "BanyanCore", "BanyanConfig", "BanyanHTTP", "BanyanContract", "BanyanBench", "BanyanAudit",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
