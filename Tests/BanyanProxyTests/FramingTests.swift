import BanyanCore
import Testing

@testable import BanyanProxy

@Suite("Body framing")
struct FramingTests {
    private let body = Array("5\r\nhello\r\n1;ext=1\r\n \r\n0\r\nTrailer: x\r\n\r\nNEXT".utf8)

    @Test("a chunked body ends after its trailers, whatever the read sizes")
    func chunkedEnd() throws {
        for split in 1...body.count {
            var scanner = ChunkedScanner()
            var consumed = 0
            var data: [UInt8] = []
            var index = 0
            while index < body.count && !scanner.isComplete {
                let end = min(index + split, body.count)
                let part = Array(body[index..<end])
                let count = try part.withUnsafeBytes { p in
                    try scanner.scan(p) { range in data += part[range] }
                }
                consumed += count
                index = end
            }
            #expect(scanner.isComplete)
            #expect(consumed == body.count - 4)
            #expect(String(decoding: data, as: UTF8.self) == "hello ")
        }
    }

    @Test(
        "malformed chunked bodies are refused",
        arguments: [
            ("zz\r\n", "a chunk size is not hexadecimal"),
            ("5\r\nhello!\r\n", "chunk data is longer than its size"),
            ("5\nhello\r\n", "a chunk size line does not end with CRLF"),
            ("1000000000000000\r\n", "a chunk size is too large"),
        ])
    func malformed(text: String, reason: String) {
        var scanner = ChunkedScanner()
        #expect(throws: ChunkedScanner.Malformed(reason: reason)) {
            _ = try Array(text.utf8).withUnsafeBytes { try scanner.scan($0) }
        }
    }

    private func response(_ text: String, method: String = "GET") -> ResponseHead? {
        if case .complete(let head) = ResponseHeadParser.parse(Array(text.utf8), requestMethod: method) { return head }
        return nil
    }

    @Test("response framing follows RFC 9112 §6.3")
    func responseFraming() {
        #expect(response("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n")?.framing == .length(5))
        #expect(response("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", method: "HEAD")?.framing == BodyFraming.none)
        #expect(response("HTTP/1.1 204 No Content\r\n\r\n")?.framing == BodyFraming.none)
        #expect(response("HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n")?.framing == BodyFraming.none)
        #expect(response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")?.framing == .chunked)
        #expect(response("HTTP/1.1 200 OK\r\n\r\n")?.framing == .untilClose)
        #expect(response("HTTP/1.1 200 OK\r\n\r\n")?.reusable == false)
        #expect(response("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")?.reusable == true)
        #expect(response("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")?.reusable == false)
        #expect(response("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n")?.reusable == false)
        #expect(
            response("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n")?.reusable == true)
        #expect(response("HTTP/1.1 100 Continue\r\n\r\n")?.isInterim == true)
    }

    @Test("hop-by-hop response fields are not passed on; Connection and Keep-Alive are, marked")
    func keptLines() throws {
        let text =
            "HTTP/1.1 200 OK\r\nX-Powered-By: Express\r\nConnection: keep-alive, X-Hop\r\nKeep-Alive: timeout=5\r\n"
            + "X-Hop: 1\r\nUpgrade: h2\r\nContent-Length: 2\r\n\r\nok"
        let head = try #require(response(text))
        let bytes = Array(text.utf8)
        let kept = head.keptLines.map { String(decoding: bytes[$0], as: UTF8.self) }
        #expect(
            kept == [
                "X-Powered-By: Express\r\n", "Connection: keep-alive, X-Hop\r\n", "Keep-Alive: timeout=5\r\n",
                "Content-Length: 2\r\n",
            ])
        #expect(
            head.connectionLine.map { String(decoding: bytes[$0], as: UTF8.self) }
                == "Connection: keep-alive, X-Hop\r\n")
        #expect(head.keepAliveLine.map { String(decoding: bytes[$0], as: UTF8.self) } == "Keep-Alive: timeout=5\r\n")
        #expect(head.saysKeepAlive)
        #expect(!head.saysClose)
        #expect(head.status == 200)
        #expect(head.length == text.utf8.count - 2)
    }

    @Test("an answer with both Content-Length and chunked is framed by chunked, its Content-Length not passed on")
    func bothFramingFields() throws {
        let text =
            "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nX-A: 1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
        let head = try #require(response(text))
        let bytes = Array(text.utf8)
        #expect(head.framing == .chunked)
        #expect(head.reusable == false)
        #expect(
            head.keptLines.map { String(decoding: bytes[$0], as: UTF8.self) } == [
                "X-A: 1\r\n", "Transfer-Encoding: chunked\r\n",
            ])
    }

    @Test("a 101 passes Connection and Upgrade on and has no body")
    func switchingProtocols() throws {
        let text =
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n\u{81}\u{02}hi"
        let head = try #require(response(text))
        let bytes = Array(text.utf8)
        #expect(
            head.keptLines.map { String(decoding: bytes[$0], as: UTF8.self) } == [
                "Upgrade: websocket\r\n", "Connection: Upgrade\r\n",
                "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n",
            ])
        #expect(head.framing == .none)
        #expect(!head.isInterim)
        #expect(head.connectionLine == nil && head.keepAliveLine == nil)
    }

    @Test("an upstream that does not speak HTTP/1.x is refused")
    func invalid() {
        #expect(
            ResponseHeadParser.parse(Array("SSH-2.0-OpenSSH\r\n\r\n".utf8), requestMethod: "GET")
                == .invalid("the upstream answer does not start with HTTP/1.x"))
        #expect(ResponseHeadParser.parse(Array("HTTP/1.1 200 OK\r\nContent".utf8), requestMethod: "GET") == .incomplete)
    }

    @Test("latency percentiles are within one sub-bucket of the exact value")
    func histogram() {
        var histogram = RouteLatencyHistogram()
        for value in 1...1000 { histogram.record(microseconds: UInt64(value)) }
        #expect(histogram.count == 1000)
        let p50 = histogram.value(atQuantile: 0.5)
        let p99 = histogram.value(atQuantile: 0.99)
        #expect(p50 >= 500 && p50 <= 531)
        #expect(p99 >= 990 && p99 <= 1000)
        #expect(histogram.value(atQuantile: 1) == 1000)
        #expect(RouteLatencyHistogram().value(atQuantile: 0.5) == 0)
    }
}
