// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "ShopPort",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "ShopPort", targets: ["ShopPort"])
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // Both already come with Hummingbird; named here for the connection-header channel handler.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // The port's own store (opt-in with --database): SQLite, bundled by the driver.
        .package(url: "https://github.com/vapor/sqlite-nio", from: "1.13.2"),
        // GET /live's WebSocket: the upgrade channel and the echo handler.
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
    ],
    targets: [
        // Pure logic: Express-like routing, JSON reading/writing, SHA-1/ETag, the handlers themselves.
        .target(name: "ShopCore"),
        // Hummingbird adapter: turns HTTP requests into ShopCore requests and back.
        .target(
            name: "ShopApp",
            dependencies: [
                "ShopCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The rewrite's schema in an SQLite file: loaded on start, written back in order.
        .target(
            name: "ShopStore",
            dependencies: [
                "ShopCore",
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "ShopPort",
            dependencies: [
                "ShopApp", "ShopCore", "ShopStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "ShopCoreTests", dependencies: ["ShopCore"]),
        // The server's NIO handlers, on an embedded channel.
        .testTarget(
            name: "ShopAppTests",
            dependencies: [
                "ShopApp",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
