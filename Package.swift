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
        .package(url: "https://github.com/vapor/sqlite-nio", from: "1.13.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
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
        // contract gen: Rust (serde), Swift (Codable) and OpenAPI 3.1 from an inferred wire contract.
        .target(name: "BanyanCodegen", dependencies: ["BanyanCore"]),
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
        // Route state and shadow difference aggregates: an embedded SQLite file, or PostgreSQL for a fleet.
        .target(
            name: "BanyanState",
            dependencies: [
                "BanyanCore",
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                // Its error type, which PostgresClient throws as it is.
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The system calls of the proxy's direct socket I/O that Swift's libc module does not declare.
        .target(name: "CBanyanSocket"),
        // The strangler-fig proxy: SwiftNIO data plane, shadow dispatch, fallback, admin API, metrics.
        .target(
            name: "BanyanProxy",
            dependencies: [
                "BanyanCore", "BanyanConfig", "BanyanState", "CBanyanSocket",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // Move the data: SQLite and PostgreSQL connections, backfill, reconcile, phases.
        .target(
            name: "BanyanData",
            dependencies: [
                "BanyanCore",
                .product(name: "Yams", package: "Yams"),
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Child processes started with posix_spawn and awaited with waitpid: the demo's services and the tests' tools.
        .target(name: "BanyanProcess"),
        // banyan demo: the example services and the proxy in one scope that stops them, and the demo's script.
        .target(
            name: "BanyanDemo",
            dependencies: [
                "BanyanCore", "BanyanConfig", "BanyanHTTP", "BanyanContract", "BanyanProxy", "BanyanState",
                "BanyanProcess", .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "banyan",
            dependencies: [
                "BanyanCore", "BanyanConfig", "BanyanHTTP", "BanyanContract", "BanyanProxy", "BanyanState",
                "BanyanBench", "BanyanAudit", "BanyanData", "BanyanCodegen", "BanyanDemo", "BanyanProcess",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // Diff engine throughput against deepdiff and jsondiff: Benchmarks/diff-throughput.sh.
        .executableTarget(
            name: "DiffThroughput", dependencies: ["BanyanCore"], path: "Benchmarks/diff-throughput/Sources"),
        // Contract inference at scale against GenSON: Benchmarks/contract-infer.sh.
        .executableTarget(
            name: "ContractInferBench", dependencies: ["BanyanCore", "BanyanContract"],
            path: "Benchmarks/contract-infer/Sources"),
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
        .testTarget(name: "BanyanCodegenTests", dependencies: ["BanyanCodegen", "BanyanCore"]),
        .testTarget(name: "BanyanBenchTests", dependencies: ["BanyanBench"]),
        .testTarget(name: "BanyanAuditTests", dependencies: ["BanyanAudit"], exclude: ["Data"]),
        .testTarget(
            name: "BanyanProxyTests",
            dependencies: [
                "BanyanProxy", "BanyanCore", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        // What several test targets share: a throwaway PostgreSQL cluster for the tests that need a
        // real server, running the built `banyan` executable, in-process test servers started in
        // scopes, and the ledger that fails the test process if one of them or a child is left.
        .target(
            name: "SharedTestSupport",
            dependencies: [
                "BanyanProcess", "BanyanCore",
                .product(name: "PostgresNIO", package: "postgres-nio"), .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            path: "Tests/SharedTestSupport"
        ),
        .testTarget(name: "BanyanHTTPTests", dependencies: ["BanyanHTTP", "BanyanCore", "SharedTestSupport"]),
        .testTarget(
            name: "BanyanContractTests",
            dependencies: ["BanyanContract", "BanyanCore", "BanyanHTTP", "SharedTestSupport"]
        ),
        .testTarget(
            name: "BanyanStateTests",
            dependencies: [
                "BanyanState", "BanyanCore", "BanyanHTTP", "SharedTestSupport",
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
            ]
        ),
        .testTarget(
            name: "BanyanDataTests",
            dependencies: [
                "BanyanCore", "BanyanData", "BanyanHTTP", "SharedTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "BanyanCore", "BanyanConfig", "BanyanHTTP", "BanyanContract", "BanyanBench", "BanyanAudit",
                "BanyanProxy", "BanyanState", "BanyanCodegen", "BanyanDemo", "SharedTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
