// swift-tools-version:6.1
// The libFuzzer target over Banyan's HTTP/1 parsers, kept out of the main package so that its
// build and CI stay as they are (swift-nio-http2's FuzzTesting/ layout). scripts/fuzz.sh builds
// and runs it; docs/proxy.md, "Fuzzing", says what it checks.
import PackageDescription

let package = Package(
    name: "banyan-fuzz",
    dependencies: [
        .package(name: "banyan", path: ".."),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        // BanyanProxy's HTTP/1 parsers themselves (Sources/BanyanHTTP1 links to
        // ../Sources/BanyanProxy/HTTP1): they need only BanyanCore, so the fuzzer builds them
        // without the rest of the proxy's dependencies.
        .target(name: "BanyanHTTP1", dependencies: [.product(name: "BanyanCore", package: "banyan")]),
        .executableTarget(
            name: "FuzzHTTP1",
            dependencies: [
                "BanyanHTTP1",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
