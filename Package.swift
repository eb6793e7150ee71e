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
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/vapor/sqlite-nio", from: "1.13.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
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
        // Route state and shadow difference aggregates: an embedded SQLite file (a protocol for other stores).
        .target(
            name: "BanyanState",
            dependencies: ["BanyanCore", .product(name: "SQLiteNIO", package: "sqlite-nio")]
        ),
        // The strangler-fig proxy: SwiftNIO data plane, shadow dispatch, fallback, admin API, metrics.
        .target(
            name: "BanyanProxy",
            dependencies: [
                "BanyanCore", "BanyanConfig", "BanyanState",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "banyan",
            dependencies: [
                "BanyanCore", "BanyanConfig", "BanyanHTTP", "BanyanContract", "BanyanProxy", "BanyanState",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "BanyanCoreTests", dependencies: ["BanyanCore"], resources: [.copy("Resources")]),
        .testTarget(name: "BanyanConfigTests", dependencies: ["BanyanConfig"]),
        .testTarget(name: "BanyanProxyTests", dependencies: ["BanyanProxy", "BanyanCore"]),
        .testTarget(name: "BanyanStateTests", dependencies: ["BanyanState", "BanyanCore"]),
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["BanyanCore", "BanyanConfig", "BanyanHTTP", "BanyanContract", "BanyanProxy", "BanyanState"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
