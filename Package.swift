// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "banyan",
    products: [
        .executable(name: "banyan", targets: ["banyan"]),
        .library(name: "BanyanCore", targets: ["BanyanCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/vapor/sqlite-nio", from: "1.13.2"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
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
        .executableTarget(
            name: "banyan",
            dependencies: [
                "BanyanCore", "BanyanConfig", "BanyanHTTP", "BanyanContract", "BanyanData",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Diff engine throughput against deepdiff and jsondiff: Benchmarks/diff-throughput.sh.
        .executableTarget(
            name: "DiffThroughput", dependencies: ["BanyanCore"], path: "Benchmarks/diff-throughput/Sources"),
        .testTarget(name: "BanyanCoreTests", dependencies: ["BanyanCore"], resources: [.copy("Resources")]),
        .testTarget(name: "BanyanConfigTests", dependencies: ["BanyanConfig"]),
        .testTarget(
            name: "BanyanDataTests",
            dependencies: ["BanyanCore", "BanyanData", "BanyanHTTP", .product(name: "NIOCore", package: "swift-nio")]
        ),
        .testTarget(
            name: "IntegrationTests", dependencies: ["BanyanCore", "BanyanConfig", "BanyanHTTP", "BanyanContract"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
