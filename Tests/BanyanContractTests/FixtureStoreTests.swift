import BanyanContract
import BanyanCore
import Foundation
import Testing

@Suite("fixture folders")
struct FixtureStoreTests {
    @Test(
        "a route's folder name",
        arguments: [
            ("GET /users/:id", "get-users-id"), ("POST /orders", "post-orders"), ("ALL /*", "all"),
            ("GET /price/:symbol.json", "get-price-symbol-json"),
        ])
    func folderName(route: String, folder: String) {
        #expect(FixtureStore.folderName(route: route) == folder)
    }

    @Test("a request no route matched goes to unrouted")
    func unrouted() {
        #expect(FixtureStore.folderName(route: nil) == "unrouted")
    }

    static func fixture(route: String?, method: String, target: String, body: String) -> Fixture {
        Fixture(
            route: route, name: nil, recorded: nil, noiseHeaders: [], noisePaths: [],
            request: HTTPRequest(method: method, target: target),
            response: HTTPResponse(
                status: 200, reason: "OK", headers: HTTPHeaders([("Content-Type", "application/json")]),
                body: Array(body.utf8)))
    }

    @Test("fixtures are written one file each, numbered in recording order by route, and read back the same")
    func roundTrip() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("banyan-store-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let fixtures = [
            Self.fixture(route: "GET /users/:id", method: "GET", target: "/users/1", body: #"{"id":1}"#),
            Self.fixture(route: nil, method: "GET", target: "/health", body: #"{"ok":true}"#),
            Self.fixture(route: "GET /users/:id", method: "GET", target: "/users/2?full=1", body: #"{"id":2}"#),
        ]
        let paths = try FixtureStore.write(fixtures, to: folder)
        #expect(
            paths == [
                "\(folder)/get-users-id/001-get-users-1.fixture", "\(folder)/unrouted/002-get-health.fixture",
                "\(folder)/get-users-id/003-get-users-2.fixture",
            ])
        let read = try FixtureStore.read(folder)
        #expect(read.map(\.path) == paths)
        #expect(read.map(\.fixture) == fixtures)
        // Writing again replaces what was recorded before.
        let written = try FixtureStore.write([fixtures[1]], to: folder)
        #expect(try FixtureStore.read(folder).map(\.path) == written)
    }
}
