import BanyanConfig
import BanyanCore
import BanyanHTTP
import BanyanProxy
import BanyanState
import Foundation
import SharedTestSupport
import Testing

@Suite("Proxy with PostgreSQL state")
struct ProxyPostgresStateTests {
    @Test("a route set on one proxy is served in its new mode by the next proxy on the same database")
    func routeSetOutlivesTheProxy() async throws {
        try await withRecordingUpstream { legacy in
            try await withRecordingUpstream { candidate in
                let cluster = try PostgresCluster.get()
                let database = try await cluster.createDatabase("proxy")
                let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
                    "banyan-pgproxy-\(UUID().uuidString)")
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                defer { try? FileManager.default.removeItem(at: folder) }
                let configPath = folder.appendingPathComponent("banyan.yaml").path
                try """
                legacy: http://127.0.0.1:\(legacy.port)
                candidate: http://127.0.0.1:\(candidate.port)
                listen: 127.0.0.1:0
                admin: 127.0.0.1:0
                state: \(cluster.urlText(database))?schema=shop
                routes:
                  - route: GET /users/:id
                    mode: legacy
                """.write(toFile: configPath, atomically: true, encoding: .utf8)
                let configuration = try ConfigurationLoader.load(path: configPath)

                try await withProxyServer(configuration: configuration, configPath: configPath) { first in
                    let firstClient = HTTPClient(base: BaseURL(host: "127.0.0.1", port: first.port), timeout: 15)
                    let admin = HTTPClient(base: BaseURL(host: "127.0.0.1", port: first.adminPort), timeout: 15)
                    let (before, set) = try await blocking {
                        let before = try firstClient.send(HTTPRequest(method: "GET", target: "/users/1")).response
                        let set = try admin.send(
                            HTTPRequest(
                                method: "POST", target: "/api/routes/mode",
                                headers: HTTPHeaders([("Content-Type", "application/json")]),
                                body: Array(#"{"route": "GET /users/:id", "mode": "new"}"#.utf8))
                        ).response
                        return (before, set)
                    }
                    #expect(before.headers["served-by"] == "legacy")
                    #expect(set.status == 200)
                }

                try await withProxyServer(configuration: configuration, configPath: configPath) { second in
                    let secondClient = HTTPClient(base: BaseURL(host: "127.0.0.1", port: second.port), timeout: 15)
                    let after = try await blocking {
                        try secondClient.send(HTTPRequest(method: "GET", target: "/users/1")).response
                    }
                    #expect(after.headers["served-by"] == "candidate")
                    let route = try #require(second.engine.snapshot.route(named: "GET /users/:id"))
                    #expect(route.mode == .new)
                    #expect(route.fileMode == .legacy)
                    #expect(route.override?.reason == "route set")
                    #expect(
                        try await second.store.events(limit: 10).map { "\($0.from) -> \($0.to)" } == ["legacy -> new"])
                }
            }
        }
    }
}
