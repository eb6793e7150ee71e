import Testing

@testable import BanyanProxy

@Suite("Request heads")
struct RequestHeadParserTests {
    private func parse(_ text: String) -> RequestHeadParser.Result {
        RequestHeadParser.parse(Array(text.utf8))
    }

    @Test(
        "requests that a second parser could read differently are refused with 400",
        arguments: [
            (
                "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
                "both Content-Length and Transfer-Encoding (the framing is ambiguous)"
            ),
            (
                "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
                "both Content-Length and Transfer-Encoding (the framing is ambiguous)"
            ),
            (
                "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
                "more than one Content-Length header"
            ),
            (
                "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 4\r\n\r\n",
                "Content-Length is not a decimal number"
            ),
            (
                "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n",
                "Content-Length is not a decimal number"
            ),
            (
                "GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n folded\r\n\r\n",
                "a header line is folded (obs-fold, RFC 9112 §5.2)"
            ),
            (
                "GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n\tfolded\r\n\r\n",
                "a header line is folded (obs-fold, RFC 9112 §5.2)"
            ),
            ("GET / HTTP/1.1\r\nHost: a\r\nX A: 1\r\n\r\n", "whitespace between a header name and its colon"),
            ("GET / HTTP/1.1\r\nHost: a\r\nX-A : 1\r\n\r\n", "whitespace between a header name and its colon"),
            ("GET / HTTP/1.1\r\nHost: a\r\nX(A): 1\r\n\r\n", "an invalid character in a header name"),
            ("GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\u{0}2\r\n\r\n", "an invalid character in a header value"),
            ("GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\u{7F}\r\n\r\n", "an invalid character in a header value"),
            ("GET / HTTP/1.1\r\nHost: a\nX-A: 1\r\n\r\n", "header lines end with a bare LF, not CRLF"),
            ("GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r2\r\n\r\n", "a bare CR in a header value"),
            ("GET / HTTP/1.1\r\nX-A: 1\r\n\r\n", "an HTTP/1.1 request without a Host header"),
            ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", "more than one Host header"),
            (
                "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
                "Transfer-Encoding applies chunked before another coding, or twice"
            ),
            (
                "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
                "more than one Transfer-Encoding header"
            ),
            ("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", "Transfer-Encoding in an HTTP/1.0 request"),
            ("get / HTTP/1.1\r\nHost: a\r\n\r\n", "unknown method 'get' (Node's HTTP parser refuses it too)"),
            ("BREW / HTTP/1.1\r\nHost: a\r\n\r\n", "unknown method 'BREW' (Node's HTTP parser refuses it too)"),
            ("GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", "the request line does not end with HTTP/1.1"),
            (
                "GET  / HTTP/1.1\r\nHost: a\r\n\r\n",
                "the request target is empty or holds a control character or a space"
            ),
            ("GET / HTTP/1.1\nHost: a\r\n\r\n", "the request line does not end with CRLF"),
        ])
    func rejected(text: String, reason: String) {
        #expect(parse(text) == .rejected(RequestRejection(status: 400, reason: reason)))
    }

    @Test("a head over 16 KiB gets 431, whether or not it is complete")
    func tooLarge() {
        let big = String(repeating: "a", count: 17_000)
        let expected = RequestHeadParser.Result.rejected(
            RequestRejection(status: 431, reason: "the request line and headers exceed 16 KiB"))
        #expect(parse("GET / HTTP/1.1\r\nHost: a\r\nX-Big: \(big)\r\n\r\n") == expected)
        #expect(parse("GET / HTTP/1.1\r\nHost: a\r\nX-Big: \(big)") == expected)
        #expect(
            parse("GET /\(big) HTTP/1.1\r\nHost: a\r\n\r\n")
                == .rejected(RequestRejection(status: 414, reason: "the request target exceeds 8192 bytes")))
        if case .complete = parse(
            "GET / HTTP/1.1\r\nHost: a\r\nX-Big: \(String(repeating: "a", count: 16_000))\r\n\r\n")
        {
        } else {
            Issue.record("a 16,000-byte header is within the limit")
        }
    }

    @Test("a transfer coding other than chunked gets 501")
    func otherCoding() {
        #expect(
            parse("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n")
                == .rejected(
                    RequestRejection(status: 501, reason: "Transfer-Encoding other than chunked is not supported")))
    }

    @Test("HTTP/2 and other versions get 505")
    func otherVersions() {
        #expect(
            parse("GET / HTTP/2.0\r\nHost: a\r\n\r\n")
                == .rejected(RequestRejection(status: 505, reason: "only HTTP/1.0 and HTTP/1.1 are served")))
    }

    @Test("an incomplete head asks for more bytes")
    func incomplete() {
        let full = "POST /users?x=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n"
        for end in 0..<(full.utf8.count - 1) {
            #expect(parse(String(full.utf8.prefix(end))!) == .incomplete)
        }
    }

    @Test("framing, keep-alive and hop-by-hop fields")
    func parsedHead() throws {
        let text =
            "\r\nPOST /users?x=1 HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, X-Secret\r\nX-Secret: s\r\n"
            + "Keep-Alive: timeout=5\r\nContent-Length: 5\r\nX-Forwarded-For: 10.0.0.1\r\nTE: trailers\r\n"
            + "Upgrade: websocket\r\nX-Kept:  v  \r\n\r\nhello"
        guard case .complete(let head) = parse(text) else {
            Issue.record("expected a complete head")
            return
        }
        #expect(head.method == "POST")
        #expect(head.target == "/users?x=1")
        #expect(head.path == "/users")
        #expect(head.minorVersion == 1)
        #expect(head.leadingBytes == 2)
        #expect(head.length == text.utf8.count - 2 - 5)
        #expect(head.framing == .length(5))
        #expect(head.keepAlive)
        #expect(head.forwardedFor == 5)
        let bytes = Array(text.utf8.dropFirst(2))
        func name(_ field: HeaderFieldRange) -> String {
            String(decoding: bytes[Int(field.lineStart)..<Int(field.nameEnd)], as: UTF8.self)
        }
        #expect(
            head.fields.filter(\.isHopByHop).map(name) == ["Connection", "X-Secret", "Keep-Alive", "TE", "Upgrade"])
        #expect(
            head.fields.map(\.role) == [
                .plain, .connection, .hopByHop, .hopByHop, .plain, .forwardedFor, .hopByHop, .upgrade, .plain,
            ])
        // Connection does not say upgrade: not an upgrade request.
        #expect(!head.upgrade)
        let kept = head.fields.last!
        #expect(String(decoding: bytes[Int(kept.valueStart)..<Int(kept.valueEnd)], as: UTF8.self) == "v")
    }

    @Test(
        "which requests ask to switch protocols",
        arguments: [
            ("GET /live HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n", true),
            ("GET /live HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, upgrade\r\nUpgrade: echo/1\r\n\r\n", true),
            ("GET /live HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n", false),
            ("GET /live HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\n\r\n", false),
            ("GET /live HTTP/1.0\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n", false),
            ("GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n\r\n", false),
            ("GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket, h2c\r\n\r\n", false),
        ])
    func upgrade(text: String, expected: Bool) throws {
        guard case .complete(let head) = parse(text) else {
            Issue.record("expected a complete head")
            return
        }
        #expect(head.upgrade == expected)
    }

    @Test(
        "keep-alive by version and Connection",
        arguments: [
            ("GET / HTTP/1.1\r\nHost: a\r\n\r\n", true),
            ("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", false),
            ("GET / HTTP/1.1\r\nHost: a\r\nConnection: Keep-Alive, CLOSE\r\n\r\n", false),
            ("GET / HTTP/1.0\r\n\r\n", false),
            ("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true),
        ])
    func keepAlive(text: String, expected: Bool) {
        guard case .complete(let head) = parse(text) else {
            Issue.record("expected a complete head")
            return
        }
        #expect(head.keepAlive == expected)
    }

    @Test("chunked framing, and no body without a length")
    func framing() {
        guard case .complete(let chunked) = parse("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n"),
            case .complete(let bodyless) = parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n"),
            case .complete(let get) = parse("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        else {
            Issue.record("expected complete heads")
            return
        }
        #expect(chunked.framing == .chunked)
        #expect(bodyless.framing == .none)
        #expect(get.framing == .none)
    }
}
