import BanyanCore
import NIOCore
import Testing

@testable import BanyanProxy

@Suite("The request head sent upstream")
struct UpstreamHeadTests {
    private func exchange(_ text: String, legacy: String = "http://127.0.0.1:3000") throws -> Exchange {
        let bytes = Array(text.utf8)
        guard case .complete(let head) = RequestHeadParser.parse(bytes) else {
            throw ProxyError("the test head does not parse: \(text)")
        }
        let configuration = Configuration(
            legacy: try #require(BaseURL(parsing: legacy)),
            candidate: try #require(BaseURL(parsing: "http://[::1]:4000")))
        let snapshot = try RoutingSnapshot(configuration: configuration, overrides: [:], previous: nil)
        var buffer = ByteBuffer(bytes: bytes)
        let headBytes = buffer.readSlice(length: head.leadingBytes + head.length)!
        return Exchange(
            head: head, headBytes: headBytes, route: nil, stats: RouteStats(),
            decision: RolloutDecision(primary: .legacy), clientAddress: "10.9.8.7", snapshot: snapshot,
            retainLimit: 65_536, now: .now())
    }

    private func upstream(_ exchange: Exchange, _ backend: Backend, extra: String? = nil) -> String {
        String(buffer: exchange.upstreamHead(for: backend, allocator: ByteBufferAllocator(), extra: extra))
    }

    @Test("hop-by-hop fields between kept ones are dropped; X-Forwarded-For is extended where it stands")
    func fieldsInRuns() throws {
        let exchange = try exchange(
            "\r\nGET /a?b=1 HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, X-Secret\r\nX-A: 1\r\nX-Secret: s\r\n"
                + "X-Forwarded-For: 1.2.3.4\r\nX-B: 2\r\nTE: trailers\r\nX-C: 3\r\nX-D: 4\r\n\r\n")
        #expect(
            upstream(exchange, .legacy)
                == "GET /a?b=1 HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nX-Forwarded-For: 1.2.3.4, 10.9.8.7\r\nX-B: 2\r\n"
                + "X-C: 3\r\nX-D: 4\r\nx-forwarded-proto: http\r\n\r\n")
        #expect(
            upstream(exchange, .candidate, extra: "x-banyan-shadow: 1\r\n")
                == "GET /a?b=1 HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nX-Forwarded-For: 1.2.3.4, 10.9.8.7\r\nX-B: 2\r\n"
                + "X-C: 3\r\nX-D: 4\r\nx-forwarded-proto: http\r\nx-banyan-shadow: 1\r\n\r\n")
    }

    @Test("a hop-by-hop field first or last, and an X-Forwarded-For that Connection names")
    func edges() throws {
        let exchange = try exchange(
            "POST /p HTTP/1.1\r\nKeep-Alive: timeout=5\r\nHost: h\r\nX-Forwarded-For: 1.1.1.1\r\n"
                + "Content-Length: 0\r\nConnection: X-Forwarded-For\r\n\r\n")
        #expect(
            upstream(exchange, .legacy)
                == "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\nx-forwarded-for: 10.9.8.7\r\n"
                + "x-forwarded-proto: http\r\n\r\n")
    }

    @Test("an HTTP/1.0 request without Host, and a backend with a path prefix")
    func rebuiltRequestLine() throws {
        let old = try exchange("GET /a HTTP/1.0\r\nX-A: 1\r\n\r\n")
        #expect(
            upstream(old, .legacy)
                == "GET /a HTTP/1.1\r\nX-A: 1\r\nx-forwarded-for: 10.9.8.7\r\nhost: 127.0.0.1:3000\r\n"
                + "x-forwarded-proto: http\r\n\r\n")
        let prefixed = try exchange("GET /a HTTP/1.1\r\nHost: h\r\n\r\n", legacy: "http://127.0.0.1:3000/v1")
        #expect(
            upstream(prefixed, .legacy)
                == "GET /v1/a HTTP/1.1\r\nHost: h\r\nx-forwarded-for: 10.9.8.7\r\nx-forwarded-proto: http\r\n\r\n")
        #expect(
            upstream(prefixed, .candidate)
                == "GET /a HTTP/1.1\r\nHost: h\r\nx-forwarded-for: 10.9.8.7\r\nx-forwarded-proto: http\r\n\r\n")
    }
}
