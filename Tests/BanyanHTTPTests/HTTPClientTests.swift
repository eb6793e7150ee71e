import BanyanCore
import BanyanHTTP
import Testing

@Suite("HTTP client")
struct HTTPClientTests {
    @Test func refusedConnectionIsAClearError() throws {
        let port = try #require(findFreePort())
        do {
            _ = try HTTPClient(base: BaseURL(host: "127.0.0.1", port: port), timeout: 2)
                .send(HTTPRequest(method: "GET", target: "/"))
            Issue.record("expected a connection error")
        } catch {
            #expect(error.isConnectFailure)
            #expect(error.message == "cannot connect to 127.0.0.1:\(port): Connection refused")
        }
    }
}
