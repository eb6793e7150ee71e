import Testing

@testable import BanyanProxy

/// The request families of published smuggling research (docs/proxy.md, "Hardening"): each is
/// refused with the status nginx answers, or accepted when RFC 9112 says it is valid.
@Suite("Strict RFC 9112 framing")
struct StrictFramingTests {
    private func parse(_ text: String, limits: HeadLimits = HeadLimits()) -> RequestHeadParser.Result {
        RequestHeadParser.parse(Array(text.utf8), limits: limits)
    }

    private func refused(_ status: Int, _ reason: String) -> RequestHeadParser.Result {
        .rejected(RequestRejection(status: status, reason: reason))
    }

    @Test(
        "Content-Length is digits and nothing else, once",
        arguments: [
            "+5", "-1", "0x10", "1 0", "1_0", "5.0", "5e0", "1Z", "5, 5", "0, 5", "5,",
            "1234567890123456",
        ])
    func contentLengthSyntax(value: String) {
        #expect(
            parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \(value)\r\n\r\n")
                == refused(400, "Content-Length is not a decimal number"))
    }

    @Test("an empty Content-Length, or two of them, even equal, are refused")
    func contentLengthCount() {
        #expect(
            parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n")
                == refused(400, "Content-Length is not a decimal number"))
        #expect(
            parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n")
                == refused(400, "more than one Content-Length header"))
        #expect(
            parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\nContent-Length: 5\r\n\r\n")
                == refused(400, "Content-Length is not a decimal number"))
    }

    @Test("leading zeros and surrounding whitespace are a valid length")
    func contentLengthValid() throws {
        guard case .complete(let head) = parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \t005 \r\n\r\n") else {
            Issue.record("expected a complete head")
            return
        }
        #expect(head.framing == .length(5))
    }

    @Test(
        "Transfer-Encoding: exactly chunked, once; chunked not last is 400, other codings 501",
        arguments: [
            ("chunked, chunked", 400, "Transfer-Encoding applies chunked before another coding, or twice"),
            ("chunked, gzip", 400, "Transfer-Encoding applies chunked before another coding, or twice"),
            ("chunked, identity", 400, "Transfer-Encoding applies chunked before another coding, or twice"),
            ("gzip, chunked", 501, "Transfer-Encoding other than chunked is not supported"),
            ("identity, chunked", 501, "Transfer-Encoding other than chunked is not supported"),
            ("chunkedchunked", 501, "Transfer-Encoding other than chunked is not supported"),
            ("chunk", 501, "Transfer-Encoding other than chunked is not supported"),
            ("\"chunked\"", 501, "Transfer-Encoding other than chunked is not supported"),
            ("chunked\u{0B}", 400, "an invalid character in a header value"),
            ("blegh", 501, "Transfer-Encoding other than chunked is not supported"),
            ("", 400, "Transfer-Encoding is empty"),
            (",", 400, "Transfer-Encoding is empty"),
        ])
    func transferEncoding(value: String, status: Int, reason: String) {
        #expect(parse("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \(value)\r\n\r\n") == refused(status, reason))
    }

    @Test("a second Transfer-Encoding field is refused, whatever it says")
    func transferEncodingTwice() {
        #expect(
            parse("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n")
                == refused(400, "more than one Transfer-Encoding header"))
        #expect(
            parse("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-encoding: x\r\n\r\n")
                == refused(400, "more than one Transfer-Encoding header"))
    }

    @Test(
        "obfuscated field names are refused, never read as another field",
        arguments: [
            ("Transfer Encoding: chunked", "whitespace between a header name and its colon"),
            ("Transfer-Encoding : chunked", "whitespace between a header name and its colon"),
            ("Transfer\\Encoding: chunked", "an invalid character in a header name"),
            ("Transfer-Encoding\u{0B}: chunked", "an invalid character in a header name"),
            (": chunked", "a header line with an empty name"),
            ("Tra\rnsfer-Encoding: chunked", "an invalid character in a header name"),
            ("Transfer-\u{C3}\u{A9}ncoding: chunked", "an invalid character in a header name"),
            ("Transfer_Encoding: chunked", "a header named like Host, Content-Length or Transfer-Encoding with '_'"),
            ("content_length: 5", "a header named like Host, Content-Length or Transfer-Encoding with '_'"),
        ])
    func fieldNames(line: String, reason: String) {
        #expect(parse("POST / HTTP/1.1\r\nHost: a\r\n\(line)\r\n\r\n") == refused(400, reason))
    }

    @Test(
        "Host must be one host with an optional port",
        arguments: [
            "a, b", "a b", "user@a", "a/b", "a:80:80", "a:x", "[::1", "a:123456", "@a", "a?b", "a#b",
        ])
    func invalidHost(value: String) {
        #expect(
            parse("GET / HTTP/1.1\r\nHost: \(value)\r\n\r\n")
                == refused(400, "Host is not a host name or address with an optional port"))
    }

    @Test(
        "valid hosts, an IPv6 literal and an empty Host are accepted",
        arguments: ["", "a", "a.b-c_d:8080", "[::1]:80", "10.0.0.1"])
    func validHost(value: String) {
        guard case .complete = parse("GET / HTTP/1.1\r\nHost: \(value)\r\n\r\n") else {
            Issue.record("'\(value)' is a valid Host")
            return
        }
    }

    @Test(
        "request lines",
        arguments: [
            ("GET /a#b HTTP/1.1", 400, "the request target holds '#' (a fragment is never sent)"),
            ("GET * HTTP/1.1", 400, "the request target '*' is for OPTIONS only"),
            ("CONNECT a:443 HTTP/1.1", 400, "the request target is not a path ('/…') or an absolute http URL"),
            ("GET a HTTP/1.1", 400, "the request target is not a path ('/…') or an absolute http URL"),
            ("GET http://b/ HTTP/1.1", 400, "the absolute request target names another host than the Host header"),
            (
                "GET http://u@a/ HTTP/1.1", 400,
                "the authority of the absolute request target is not a host with an optional port"
            ),
            ("GET / HTTP/2.0", 505, "only HTTP/1.0 and HTTP/1.1 are served"),
            ("GET / HTTP/9.9", 505, "only HTTP/1.0 and HTTP/1.1 are served"),
            ("GET / HTTP/1.32", 400, "the request line does not end with CRLF"),
            ("GET / HTTP/1.x", 400, "the request line does not end with HTTP/1.1"),
            ("GET / http/1.1", 400, "the request line does not end with HTTP/1.1"),
            ("GET / HTTP/1.1 ", 400, "the request line does not end with CRLF"),
            ("GET\t/ HTTP/1.1", 400, "the request line is not 'METHOD target HTTP/1.1'"),
            ("GET /\u{0}/ HTTP/1.1", 400, "the request target is empty or holds a control character or a space"),
            (
                "GET /caf\u{E9} HTTP/1.1", 400,
                "the request target holds a byte outside ASCII; percent-encode it (RFC 3986)"
            ),
        ])
    func requestLines(line: String, status: Int, reason: String) {
        #expect(parse("\(line)\r\nHost: a\r\n\r\n") == refused(status, reason))
    }

    @Test("the HTTP/2 preface is refused")
    func http2Preface() {
        #expect(parse("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") == refused(505, "only HTTP/1.0 and HTTP/1.1 are served"))
    }

    @Test("absolute-form with a matching Host, and OPTIONS *, are accepted")
    func validTargets() {
        for text in [
            "GET http://a/x?y HTTP/1.1\r\nHost: a\r\n\r\n", "GET HTTPS://A:8443 HTTP/1.1\r\nHost: a:8443\r\n\r\n",
            "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
        ] {
            guard case .complete = parse(text) else {
                Issue.record("expected \(text.debugDescription) to be accepted")
                continue
            }
        }
    }

    @Test("Expect other than 100-continue gets 417")
    func expect() {
        #expect(
            parse("POST / HTTP/1.1\r\nHost: a\r\nExpect: y 100-continue\r\nContent-Length: 1\r\n\r\n")
                == refused(417, "Expect is not 100-continue"))
        #expect(
            parse("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nExpect: 100-continue\r\n\r\n")
                == refused(417, "more than one Expect header"))
        guard case .complete = parse("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\n")
        else {
            Issue.record("100-continue is a valid expectation")
            return
        }
    }

    @Test("limits: fields 431, target 414, head 431 naming the limit")
    func limits() {
        let limits = HeadLimits(headBytes: 2048, targetBytes: 64, fields: 3)
        #expect(
            parse("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", limits: limits)
                == refused(431, "more than 3 header fields"))
        #expect(
            parse("GET /\(String(repeating: "a", count: 64)) HTTP/1.1\r\nHost: a\r\n\r\n", limits: limits)
                == refused(414, "the request target exceeds 64 bytes"))
        #expect(
            parse("GET /\(String(repeating: "a", count: 64))", limits: limits)
                == refused(414, "the request target exceeds 64 bytes"))
        #expect(
            parse("GET / HTTP/1.1\r\nHost: a\r\nX: \(String(repeating: "a", count: 3000))\r\n\r\n", limits: limits)
                == refused(431, "the request line and headers exceed 2 KiB"))
        let fields = { (count: Int) in (1...count).map { "X-\($0): v\r\n" }.joined() }
        guard case .complete(let head) = parse("GET / HTTP/1.1\r\nHost: a\r\n\(fields(99))\r\n") else {
            Issue.record("100 fields are within the default limit")
            return
        }
        #expect(head.fields.count == 100)
        #expect(
            parse("GET / HTTP/1.1\r\nHost: a\r\n\(fields(100))\r\n") == refused(431, "more than 100 header fields"))
    }

    @Test("what the proxy answers each refusal with")
    func reasonPhrases() {
        #expect(
            [400, 414, 417, 431, 501, 505].map { RequestRejection(status: $0, reason: "").reasonPhrase } == [
                "Bad Request", "URI Too Long", "Expectation Failed", "Request Header Fields Too Large",
                "Not Implemented", "HTTP Version Not Supported",
            ])
    }

    // MARK: Chunked bodies

    private func scan(_ text: String) throws -> (consumed: Int, data: String, complete: Bool) {
        var scanner = ChunkedScanner()
        let bytes = Array(text.utf8)
        var data: [UInt8] = []
        let consumed = try bytes.withUnsafeBytes { p in
            try scanner.scan(p) { range in data += bytes[range] }
        }
        return (consumed, String(decoding: data, as: UTF8.self), scanner.isComplete)
    }

    @Test(
        "chunk extensions and trailers RFC 9112 allows are accepted",
        arguments: [
            "5;a\r\nhello\r\n0\r\n\r\n", "5;a=b\r\nhello\r\n0\r\n\r\n", "5;a=\"q \\\" v\"\r\nhello\r\n0\r\n\r\n",
            "5;a;b=c\r\nhello\r\n0\r\n\r\n", "5\r\nhello\r\n0;last\r\n\r\n",
            "5\r\nhello\r\n0\r\nX-Trailer: v\u{C3}\u{A9}\r\nY: \r\n\r\n", "005\r\nhello\r\n000\r\n\r\n",
        ])
    func validChunked(text: String) throws {
        let result = try scan(text)
        #expect(result.complete)
        #expect(result.consumed == text.utf8.count)
        #expect(result.data == "hello")
    }

    @Test(
        "chunked bodies that parsers read differently are refused",
        arguments: [
            ("5 \r\nhello\r\n0\r\n\r\n", "whitespace in a chunk size line"),
            ("5 ;a=b\r\nhello\r\n0\r\n\r\n", "whitespace in a chunk size line"),
            ("5\t;a=b\r\nhello\r\n0\r\n\r\n", "whitespace in a chunk size line"),
            ("5; a=b\r\nhello\r\n0\r\n\r\n", "a chunk extension without a name"),
            ("5;a =b\r\nhello\r\n0\r\n\r\n", "an invalid character in a chunk extension"),
            ("5;a= b\r\nhello\r\n0\r\n\r\n", "a chunk extension's value is neither a token nor a quoted string"),
            ("5;a=b \r\nhello\r\n0\r\n\r\n", "an invalid character in a chunk extension"),
            ("5;\r\nhello\r\n0\r\n\r\n", "a chunk extension without a name"),
            ("5;=b\r\nhello\r\n0\r\n\r\n", "a chunk extension without a name"),
            ("5;a=\r\nhello\r\n0\r\n\r\n", "a chunk extension's value is neither a token nor a quoted string"),
            ("5;a=\"b\r\nhello\r\n0\r\n\r\n", "a control character in a chunk extension's quoted value"),
            ("5;a=b\"c\"\r\nhello\r\n0\r\n\r\n", "an invalid character in a chunk extension"),
            ("5;a\u{0}\r\nhello\r\n0\r\n\r\n", "an invalid character in a chunk extension"),
            ("5;a\rb\r\nhello\r\n0\r\n\r\n", "a chunk size line does not end with CRLF"),
            ("5;a\nhello\r\n0\r\n\r\n", "an invalid character in a chunk extension"),
            ("5;a=b=c\r\nhello\r\n0\r\n\r\n", "an invalid character in a chunk extension"),
            ("0x5\r\nhello\r\n0\r\n\r\n", "a chunk size is not hexadecimal"),
            ("+5\r\nhello\r\n0\r\n\r\n", "a chunk size is not hexadecimal"),
            ("5\r\nhello\n0\r\n\r\n", "chunk data is longer than its size"),
            ("5\r\nhello\r0\r\n\r\n", "chunk data does not end with CRLF"),
            ("5\r\nhello0\r\n\r\n", "chunk data is longer than its size"),
            ("5\r\nhello\r\n0\n\r\n", "a chunk size line does not end with CRLF"),
            ("5\r\nhello\r\n0\r\n\n", "a bare LF after the last chunk"),
            ("5\r\nhello\r\n0\r\nHost: b\r\n\r\n", "a trailer carries Content-Length, Transfer-Encoding or Host"),
            (
                "5\r\nhello\r\n0\r\ncontent-LENGTH: 1\r\n\r\n",
                "a trailer carries Content-Length, Transfer-Encoding or Host"
            ),
            (
                "5\r\nhello\r\n0\r\nTransfer-Encoding: chunked\r\n\r\n",
                "a trailer carries Content-Length, Transfer-Encoding or Host"
            ),
            ("5\r\nhello\r\n0\r\n X: 1\r\n\r\n", "a trailer line does not start with a field name"),
            ("5\r\nhello\r\n0\r\nX : 1\r\n\r\n", "an invalid character in a trailer field name"),
            ("5\r\nhello\r\n0\r\nX: 1\u{0}\r\n\r\n", "a control character in a trailer field value"),
            ("5\r\nhello\r\n0\r\nX: 1\n\r\n", "a control character in a trailer field value"),
        ])
    func malformedChunked(text: String, reason: String) {
        #expect(throws: ChunkedScanner.Malformed(reason: reason)) { _ = try scan(text) }
    }

    @Test("a trailer with a longer name that starts like a forbidden one is kept")
    func trailerNamePrefix() throws {
        let result = try scan("1\r\na\r\n0\r\nHost-Name: x\r\nContent-Length-Hint: 1\r\n\r\n")
        #expect(result.complete)
        #expect(result.data == "a")
    }
}
