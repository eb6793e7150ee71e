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
        // Know what to migrate: route inventory from the Express app, dependency audit, migration plan.
        .target(name: "BanyanAudit", dependencies: ["BanyanCore"], resources: [.copy("Resources/knowledge-base.json")]),
        .executableTarget(
            name: "banyan",
            dependencies: [
                "BanyanCore", "BanyanConfig", "BanyanHTTP", "BanyanContract", "BanyanAudit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "BanyanCoreTests", dependencies: ["BanyanCore"], resources: [.copy("Resources")]),
        .testTarget(name: "BanyanConfigTests", dependencies: ["BanyanConfig"]),
        .testTarget(name: "BanyanAuditTests", dependencies: ["BanyanAudit"], exclude: ["Data"]),
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["BanyanCore", "BanyanConfig", "BanyanHTTP", "BanyanContract", "BanyanAudit"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
