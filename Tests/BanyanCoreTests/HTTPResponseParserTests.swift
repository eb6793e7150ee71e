import BanyanCore
import Testing

@Suite("HTTP response parser")
struct HTTPResponseParserTests {
    @Test func readsContentLengthBodyInPieces() throws {
        let bytes = Array("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello".utf8)
        var parser = HTTPResponseParser(requestMethod: "GET")
        for byte in bytes.dropLast() {
            parser.append([byte])
            #expect(try parser.next() == nil)
        }
        parser.append([bytes.last!])
        let response = try #require(try parser.next())
        #expect(response.status == 200)
        #expect(response.reason == "OK")
        #expect(response.headers.fields.map(\.name) == ["Content-Type", "Content-Length"])
        #expect(response.bodyText == "hello")
        #expect(parser.rawBytesConsumed == bytes)
    }

    @Test func joinsChunksAndSkipsInterimResponses() throws {
        let text =
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "1\r\na\r\n3;ext=1\r\nbcd\r\n0\r\nX-Trailer: y\r\n\r\n"
        var parser = HTTPResponseParser(requestMethod: "GET")
        parser.append(Array(text.utf8))
        let response = try #require(try parser.next())
        #expect(response.status == 200)
        #expect(response.bodyText == "abcd")
    }

    @Test func headAndNoContentHaveNoBody() throws {
        var parser = HTTPResponseParser(requestMethod: "HEAD")
        parser.append(Array("HTTP/1.1 200 OK\r\nContent-Length: 42\r\n\r\n".utf8))
        #expect(try parser.next()?.body == [])
        var noContent = HTTPResponseParser(requestMethod: "DELETE")
        noContent.append(Array("HTTP/1.1 204 No Content\r\nETag: W/\"x\"\r\n\r\n".utf8))
        #expect(try noContent.next()?.status == 204)
    }

    @Test func unframedBodyEndsAtClose() throws {
        var parser = HTTPResponseParser(requestMethod: "GET")
        parser.append(Array("HTTP/1.0 200 OK\r\n\r\nuntil close".utf8))
        #expect(try parser.next() == nil)
        #expect(try parser.finish().bodyText == "until close")
    }

    @Test func rejectsMalformedResponses() {
        var conflicting = HTTPResponseParser(requestMethod: "GET")
        conflicting.append(Array("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab".utf8))
        #expect(throws: HTTPParseError("invalid content-length '1, 2'")) { try conflicting.next() }
        var garbage = HTTPResponseParser(requestMethod: "GET")
        garbage.append(Array("SSH-2.0-OpenSSH\r\n\r\n".utf8))
        #expect(throws: HTTPParseError("malformed status line 'SSH-2.0-OpenSSH'")) { try garbage.next() }
        var truncated = HTTPResponseParser(requestMethod: "GET")
        truncated.append(Array("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc".utf8))
        #expect(throws: HTTPParseError("the connection closed before the whole body arrived")) {
            try truncated.finish()
        }
    }

    @Test func serializesRequestsWithHostAndLength() {
        let request = HTTPRequest(
            method: "POST", target: "/users", headers: HTTPHeaders([("Content-Type", "application/json")]),
            body: Array(#"{"a":1}"#.utf8))
        #expect(
            String(decoding: request.serialized(host: "127.0.0.1:3000"), as: UTF8.self)
                == "POST /users HTTP/1.1\r\nHost: 127.0.0.1:3000\r\nContent-Type: application/json\r\n"
                + "Content-Length: 7\r\n\r\n{\"a\":1}")
    }
}
