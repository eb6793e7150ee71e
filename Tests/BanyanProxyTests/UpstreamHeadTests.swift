import BanyanCore
import NIOCore
import Testing

@testable import BanyanProxy

@Suite("The request head sent upstream")
struct UpstreamHeadTests {
    private func exchange(
        _ text: String, legacy: String = "http://127.0.0.1:3000", forwarded: ForwardedHeaders = ForwardedHeaders(),
        client: String = "10.9.8.7"
    ) throws -> Exchange {
        let bytes = Array(text.utf8)
        guard case .complete(let head) = RequestHeadParser.parse(bytes) else {
            throw ProxyError(.usage, "the test head does not parse: \(text)")
        }
        let configuration = Configuration(
            legacy: try #require(BaseURL(parsing: legacy)),
            candidate: try #require(BaseURL(parsing: "http://[::1]:4000")), forwarded: forwarded)
        let snapshot = try RoutingSnapshot(configuration: configuration, overrides: [:], previous: nil)
        var buffer = ByteBuffer(bytes: bytes)
        let headBytes = buffer.readSlice(length: head.leadingBytes + head.length)!
        return Exchange(
            head: head, headBytes: headBytes, route: nil, stats: RouteStats(),
            decision: RolloutDecision(primary: .legacy), clientAddress: client,
            peerTrusted: forwarded.trusts(client), snapshot: snapshot, retainLimit: 65_536, now: .now())
    }

    private func upstream(_ exchange: Exchange, _ backend: Backend, extra: String? = nil) -> String {
        String(buffer: exchange.upstreamHead(for: backend, allocator: ByteBufferAllocator(), extra: extra))
    }

    @Test("hop-by-hop fields between kept ones are dropped; a trusted peer's X-Forwarded-For is kept")
    func fieldsInRuns() throws {
        let exchange = try exchange(
            "\r\nGET /a?b=1 HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, X-Secret\r\nX-A: 1\r\nX-Secret: s\r\n"
                + "X-Forwarded-For: 1.2.3.4\r\nX-B: 2\r\nTE: trailers\r\nX-C: 3\r\nX-D: 4\r\n\r\n")
        #expect(
            upstream(exchange, .legacy)
                == "GET /a?b=1 HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nX-Forwarded-For: 1.2.3.4\r\nX-B: 2\r\n"
                + "X-C: 3\r\nX-D: 4\r\nx-forwarded-host: h\r\nx-forwarded-proto: http\r\n\r\n")
        #expect(
            upstream(exchange, .candidate, extra: "x-banyan-shadow: 1\r\n")
                == "GET /a?b=1 HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nX-Forwarded-For: 1.2.3.4\r\nX-B: 2\r\n"
                + "X-C: 3\r\nX-D: 4\r\nx-forwarded-host: h\r\nx-forwarded-proto: http\r\nx-banyan-shadow: 1\r\n\r\n")
    }

    @Test("a hop-by-hop field first or last, and an X-Forwarded-For that Connection names")
    func edges() throws {
        let exchange = try exchange(
            "POST /p HTTP/1.1\r\nKeep-Alive: timeout=5\r\nHost: h\r\nX-Forwarded-For: 1.1.1.1\r\n"
                + "Content-Length: 0\r\nConnection: X-Forwarded-For\r\n\r\n")
        #expect(
            upstream(exchange, .legacy)
                == "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\nx-forwarded-for: 10.9.8.7\r\n"
                + "x-forwarded-host: h\r\nx-forwarded-proto: http\r\n\r\n")
    }

    @Test("an HTTP/1.0 request without Host, and a backend with a path prefix")
    func rebuiltRequestLine() throws {
        let old = try exchange("GET /a HTTP/1.0\r\nX-A: 1\r\n\r\n")
        // HTTP/1.0 without keep-alive: the upstream is told to close, as the client expects.
        #expect(
            upstream(old, .legacy)
                == "GET /a HTTP/1.1\r\nX-A: 1\r\nconnection: close\r\nx-forwarded-for: 10.9.8.7\r\n"
                + "host: 127.0.0.1:3000\r\nx-forwarded-proto: http\r\n\r\n")
        let prefixed = try exchange("GET /a HTTP/1.1\r\nHost: h\r\n\r\n", legacy: "http://127.0.0.1:3000/v1")
        #expect(
            upstream(prefixed, .legacy)
                == "GET /v1/a HTTP/1.1\r\nHost: h\r\nx-forwarded-for: 10.9.8.7\r\nx-forwarded-host: h\r\n"
                + "x-forwarded-proto: http\r\n\r\n")
        #expect(
            upstream(prefixed, .candidate)
                == "GET /a HTTP/1.1\r\nHost: h\r\nx-forwarded-for: 10.9.8.7\r\nx-forwarded-host: h\r\n"
                + "x-forwarded-proto: http\r\n\r\n")
    }

    static let behindLoadBalancer =
        "GET /a HTTP/1.1\r\nHost: internal\r\nX-Forwarded-For: 198.51.100.7\r\nX-Forwarded-Proto: https\r\n"
        + "X-Forwarded-Host: shop.example\r\nForwarded: for=198.51.100.7;proto=https\r\nVia: 1.1 lb\r\n\r\n"

    @Test(
        "each forwarded: choice, from a trusted and an untrusted peer",
        arguments: [
            (
                ForwardedHeaders(), "10.0.0.2",
                "X-Forwarded-For: 198.51.100.7\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: shop.example\r\n"
                    + "Forwarded: for=198.51.100.7;proto=https\r\nVia: 1.1 lb\r\n"
            ),
            (
                ForwardedHeaders(forwardedFor: .append), "10.0.0.2",
                "X-Forwarded-For: 198.51.100.7, 10.0.0.2\r\nX-Forwarded-Proto: https\r\n"
                    + "X-Forwarded-Host: shop.example\r\nForwarded: for=198.51.100.7;proto=https\r\nVia: 1.1 lb\r\n"
            ),
            (
                ForwardedHeaders(proto: .set, host: .set), "10.0.0.2",
                "X-Forwarded-For: 198.51.100.7\r\nForwarded: for=198.51.100.7;proto=https\r\nVia: 1.1 lb\r\n"
                    + "x-forwarded-host: internal\r\nx-forwarded-proto: http\r\n"
            ),
            (
                // A client outside `trusted` cannot spoof: its X-Forwarded-* are replaced.
                ForwardedHeaders(), "203.0.113.50",
                "Forwarded: for=198.51.100.7;proto=https\r\nVia: 1.1 lb\r\nx-forwarded-for: 203.0.113.50\r\n"
                    + "x-forwarded-host: internal\r\nx-forwarded-proto: http\r\n"
            ),
            (
                ForwardedHeaders(forwardedFor: .append), "203.0.113.50",
                "Forwarded: for=198.51.100.7;proto=https\r\nVia: 1.1 lb\r\nx-forwarded-for: 203.0.113.50\r\n"
                    + "x-forwarded-host: internal\r\nx-forwarded-proto: http\r\n"
            ),
            (
                // transparent: exactly as received, from anyone, nothing added.
                ForwardedHeaders.passThrough, "203.0.113.50",
                "X-Forwarded-For: 198.51.100.7\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: shop.example\r\n"
                    + "Forwarded: for=198.51.100.7;proto=https\r\nVia: 1.1 lb\r\n"
            ),
        ])
    func forwardedChoices(forwarded: ForwardedHeaders, client: String, fields: String) throws {
        let exchange = try exchange(Self.behindLoadBalancer, forwarded: forwarded, client: client)
        #expect(upstream(exchange, .legacy) == "GET /a HTTP/1.1\r\nHost: internal\r\n" + fields + "\r\n")
    }

    @Test("two X-Forwarded-For lines: append extends the last, as nginx joins them")
    func appendToTheLastLine() throws {
        let exchange = try exchange(
            "GET /a HTTP/1.1\r\nX-Forwarded-For: 1.1.1.1\r\nHost: h\r\nX-Forwarded-For: 2.2.2.2\r\n\r\n",
            forwarded: ForwardedHeaders(forwardedFor: .append))
        #expect(
            upstream(exchange, .legacy)
                == "GET /a HTTP/1.1\r\nX-Forwarded-For: 1.1.1.1\r\nHost: h\r\nX-Forwarded-For: 2.2.2.2, 10.9.8.7\r\n"
                + "x-forwarded-host: h\r\nx-forwarded-proto: http\r\n\r\n")
    }

    @Test("an upgrade request keeps Connection and Upgrade; a client's Connection: close goes upstream, not on copies")
    func connectionFields() throws {
        let upgrade = try exchange(
            "GET /live HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nX-A: 1\r\n\r\n",
            forwarded: .passThrough)
        #expect(
            upstream(upgrade, .legacy)
                == "GET /live HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nX-A: 1\r\n\r\n")
        let closing = try exchange(
            "GET /a HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", forwarded: .passThrough)
        #expect(upstream(closing, .legacy) == "GET /a HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
        #expect(
            String(
                buffer: closing.upstreamHead(
                    for: .candidate, allocator: ByteBufferAllocator(), extra: "x-banyan-shadow: 1\r\n", shadowCopy: true
                ))
                == "GET /a HTTP/1.1\r\nHost: h\r\nx-banyan-shadow: 1\r\n\r\n")
    }
}
