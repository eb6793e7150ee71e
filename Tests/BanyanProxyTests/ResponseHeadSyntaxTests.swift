import BanyanCore
import Testing

@testable import BanyanProxy

/// The line syntax and framing repairs of upstream response heads (docs/proxy.md, "The data path"):
/// the fuzzer's findings (FuzzTesting/FailCases/) byte for byte, what else is refused, and the
/// valid heads that must still pass.
@Suite("Response head syntax")
struct ResponseHeadSyntaxTests {
    private func parse(_ bytes: [UInt8]) -> ResponseHeadParser.Result {
        ResponseHeadParser.parse(bytes, requestMethod: "GET")
    }

    private func complete(_ bytes: [UInt8]) throws -> ResponseHead {
        guard case .complete(let head) = parse(bytes) else {
            Issue.record("expected a complete head, got \(parse(bytes))")
            throw ResponseHeadSyntaxTestFailure()
        }
        return head
    }

    private func lines(_ head: ResponseHead, _ bytes: [UInt8]) -> [String] {
        head.keptLines.map { String(decoding: bytes[$0], as: UTF8.self) }
    }

    @Test("FailCases/response-field-name-with-nul: a NUL in a field name is refused")
    func fieldNameWithNUL() {
        let bytes =
            Array(
                ("HTTP/1.1 101 Switching Protocols\r\nUpgrad1: websocket\r\nConnect\u{0}\u{0}\u{0}\u{0}\u{0}"
                    + "\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}ion: upgrade\r\n\r\n").utf8) + [0x81, 0x00]
        #expect(bytes.count == 90)
        #expect(
            parse(bytes)
                == .invalid("an upstream header field name holds a byte that is not a token character (0x00)"))
    }

    @Test("FailCases/response-interim-reason-with-nul: a NUL in an interim answer's reason phrase is refused")
    func interimReasonWithNUL() {
        let bytes = Array(
            ("HTTP/1.1 100 Co\u{0}\u{0}\u{0}\u{0}ue\u{1D}\n\r\nHTTP/1.1 200 OK\r\nCBoolnt-LeDgth: 0\r\n\r\n").utf8)
        #expect(bytes.count == 63)
        #expect(parse(bytes) == .invalid("the upstream reason phrase holds a control byte (0x00)"))
    }

    @Test("FailCases/response-content-length-and-transfer-encoding: framed by chunked, the length not passed on")
    func contentLengthAndTransferEncoding() throws {
        let bytes = Array(
            "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n".utf8)
        #expect(bytes.count == 71)
        let head = try complete(bytes)
        #expect(head.status == 200)
        #expect(head.length == 66)
        #expect(head.framing == .chunked)
        #expect(!head.reusable)
        #expect(lines(head, bytes) == ["Transfer-Encoding: chunked\r\n"])
    }

    @Test(
        "FailCases/response-content-length-and-unchunked-transfer-encoding: read to the close, the length not passed on"
    )
    func contentLengthAndUnchunkedTransferEncoding() throws {
        let bytes = Array(
            ("HTTP/1.1 204 No Content: 7\r\n\r\nHTTP/1.0 200 OK\r\nContent-Length: 2\r\n"
                + "CoNnection: keepPOST / -aliHTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunke\r\n\r\n"
                + "d\r\n\r\n5\r\nhello0\r\n\r\nve\r\n\r\nCharacterok").utf8)
        #expect(bytes.count == 184)
        let noContent = try complete(bytes)
        #expect(noContent.status == 204)
        #expect(noContent.length == 30)
        let rest = Array(bytes[30...])
        let head = try complete(rest)
        #expect(head.status == 200)
        #expect(head.length == 119)
        #expect(head.framing == .untilClose)
        #expect(!head.reusable)
        #expect(
            lines(head, rest) == [
                "CoNnection: keepPOST / -aliHTTP/1.1\r\n", "Host: localhost\r\n", "Transfer-Encoding: chunke\r\n",
            ])
    }

    @Test("FailCases/response-duplicate-content-length: the same length twice goes on once")
    func duplicateContentLength() throws {
        let bytes = Array(
            ("HTTP/1.1 204 No Cont 7\r\n\r\nHTTP/1.0 200 OK\r\nContent-Length: 2\r\nConnection: keep-aliv 200 OK\r\n"
                + "Content-Length: 2\r\nConnection: keep-alive\r\n\r\nok").utf8)
        #expect(bytes.count == 139)
        let noContent = try complete(bytes)
        #expect(noContent.status == 204)
        #expect(noContent.length == 26)
        #expect(noContent.framing == BodyFraming.none)
        let rest = Array(bytes[26...])
        let head = try complete(rest)
        #expect(head.status == 200)
        #expect(head.minorVersion == 0)
        #expect(head.length == 111)
        #expect(head.framing == .length(2))
        #expect(head.reusable)
        #expect(
            lines(head, rest) == [
                "Content-Length: 2\r\n", "Connection: keep-aliv 200 OK\r\n", "Connection: keep-alive\r\n",
            ])
        #expect(
            parse(Array("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok".utf8))
                == .invalid("the upstream sent two different Content-Length values"))
    }

    @Test(
        "what else breaks the line syntax is refused, with its reason",
        arguments: [
            (
                "HTTP/1.1 200 OK\r\nX A: 1\r\n\r\n",
                "an upstream header field name holds a byte that is not a token character (0x20)"
            ),
            (
                "HTTP/1.1 200 OK\r\nX-A : 1\r\n\r\n",
                "an upstream header field name holds a byte that is not a token character (0x20)"
            ),
            (
                "HTTP/1.1 200 OK\r\nX\u{7F}: 1\r\n\r\n",
                "an upstream header field name holds a byte that is not a token character (0x7F)"
            ),
            ("HTTP/1.1 200 OK\r\nX-A: 1\u{0}\r\n\r\n", "an upstream header field value holds a control byte (0x00)"),
            ("HTTP/1.1 200 OK\r\nX-A: a\u{B}b\r\n\r\n", "an upstream header field value holds a control byte (0x0B)"),
            ("HTTP/1.1 200 OK\r\nX-A: a\u{7F}\r\n\r\n", "an upstream header field value holds a control byte (0x7F)"),
            ("HTTP/1.1 200 OK\r\nContent-Length: 1\r2\r\n\r\n", "a CR not followed by LF in the upstream head"),
            ("HTTP/1.1 200 OK\r\nX-A: 1\r \r\n\r\n", "a CR not followed by LF in the upstream head"),
            ("HTTP/1.1 200 OK\r\nX-A\r: 1\r\n\r\n", "a CR not followed by LF in the upstream head"),
            ("HTTP/1.1 200 O\rK\r\n\r\n", "a CR not followed by LF in the upstream head"),
            ("HTTP/1.1 200\rOK\r\n\r\n", "a CR not followed by LF in the upstream head"),
            ("HTTP/1.1 200 O\u{1F}K\r\n\r\n", "the upstream reason phrase holds a control byte (0x1F)"),
            ("HTTP/1.1 200 OK\u{7F}\r\n\r\n", "the upstream reason phrase holds a control byte (0x7F)"),
        ])
    func refused(head: String, reason: String) {
        #expect(parse(Array(head.utf8)) == .invalid(reason))
    }

    @Test("a CR at the end of the bytes so far waits for the next one")
    func crAtTheEnd() {
        #expect(parse(Array("HTTP/1.1 200 OK\r\nX-A: 1\r".utf8)) == .incomplete)
        #expect(parse(Array("HTTP/1.1 200 OK\r\nX-A\r".utf8)) == .incomplete)
        #expect(parse(Array("HTTP/1.1 200 OK\r".utf8)) == .incomplete)
    }

    @Test("obs-text and HTAB in a value, obs-text in the reason, an empty value and bare LF heads still pass")
    func validHeads() throws {
        let obsText =
            Array("HTTP/1.1 200 Gr".utf8) + [0xFC, 0xDF] + Array("e\r\nX-Name: caf".utf8) + [0xE9]
            + Array("\r\nX-Tab:\ta\tb\t\r\nX-Empty:\r\nX-Blank: \r\nContent-Length: 2\r\n\r\nok".utf8)
        let head = try complete(obsText)
        #expect(head.status == 200)
        #expect(head.framing == .length(2))
        #expect(head.length == obsText.count - 2)
        #expect(
            head.keptLines.map { Array(obsText[$0]) } == [
                Array("X-Name: caf".utf8) + [0xE9] + Array("\r\n".utf8), Array("X-Tab:\ta\tb\t\r\n".utf8),
                Array("X-Empty:\r\n".utf8), Array("X-Blank: \r\n".utf8), Array("Content-Length: 2\r\n".utf8),
            ])
        obsText.withUnsafeBytes { p in
            #expect(ResponseHeadScanner.line(p, at: 34) == .field(name: 34..<39, value: 41..<44, next: 47))
        }

        let bareLF = Array("HTTP/1.1 200 OK\nContent-Length: 2\nX-A: 1\n\nok".utf8)
        let lf = try complete(bareLF)
        #expect(lf.framing == .length(2))
        #expect(lf.length == bareLF.count - 2)
        #expect(lines(lf, bareLF) == ["Content-Length: 2\n", "X-A: 1\n"])
        #expect(lf.reusable)

        let mixed = Array("HTTP/1.1 204 No Content\r\nX-A: 1\n\r\n".utf8)
        let mixedHead = try complete(mixed)
        #expect(mixedHead.length == mixed.count)
        #expect(lines(mixedHead, mixed) == ["X-A: 1\n"])
    }
}

private struct ResponseHeadSyntaxTestFailure: Error {}
