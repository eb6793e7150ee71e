import BanyanCore
import BanyanHTTP
import BanyanProxy
import Foundation
import SharedTestSupport
import Testing

/// The access log and generated request ids, through a running proxy.
@Suite("Access log and request ids")
struct ProxyAccessLogTests {
    @Test("request_id: true adds an id to the upstream request and the answer; the access log names route, mode, side")
    func requestIDsAndAccessLog() async throws {
        try await withRecordingUpstream { upstream in
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("banyan-access-\(UUID())")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let logPath = folder.appendingPathComponent("access.log").path
            var settings = ProxySettings()
            settings.accessLog = AccessLogSettings(destination: logPath, format: .json)
            let configuration = Configuration(
                legacy: upstream.base, candidate: upstream.base, listen: ListenAddress(host: "127.0.0.1", port: 0),
                admin: ListenAddress(host: "127.0.0.1", port: 0), requestID: true,
                state: "sqlite:\(folder.path)/state.sqlite",
                routes: [RouteConfig(route: "GET /users/:id", method: "GET", pattern: "/users/:id", mode: .legacy)])
            try await withProxyServer(configuration: configuration, settings: settings) { server in
                let client = HTTPClient(base: BaseURL(host: "127.0.0.1", port: server.port), timeout: 10)
                let (generated, given) = try await blocking {
                    (
                        try client.send(HTTPRequest(method: "GET", target: "/users/1")).response,
                        try client.send(
                            HTTPRequest(
                                method: "GET", target: "/elsewhere",
                                headers: HTTPHeaders([("X-Request-Id", "client-7")]))
                        ).response
                    )
                }
                let id = try #require(generated.headers["x-request-id"])
                #expect(id.count == 32)
                // The client's own id goes upstream as it was, and the answer gets nothing added.
                #expect(given.headers["x-request-id"] == nil)
                let sent = String(decoding: upstream.received, as: UTF8.self)
                #expect(sent.contains("x-request-id: \(id)\r\n"))
                #expect(sent.components(separatedBy: "X-Request-Id: client-7\r\n").count == 2)
                await server.shutdown()

                let lines = try String(contentsOfFile: logPath, encoding: .utf8).split(separator: "\n")
                #expect(lines.count == 2)
                let entries = try lines.map {
                    try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
                }
                #expect(entries.map { $0["route"] as? String } == ["GET /users/:id", nil])
                #expect(entries.map { $0["target"] as? String } == ["/users/1", "/elsewhere"])
                #expect(entries.map { $0["served"] as? String } == ["legacy", "legacy"])
                #expect(entries.map { $0["mode"] as? String } == ["legacy", "legacy"])
                #expect(entries.map { $0["status"] as? Int } == [200, 200])
                #expect(entries.map { $0["request_id"] as? String } == [id, "client-7"])
                #expect(entries.allSatisfy { ($0["bytes"] as? Int ?? 0) > 0 && $0["duration_ms"] is Double })
            }
        }
    }
}
