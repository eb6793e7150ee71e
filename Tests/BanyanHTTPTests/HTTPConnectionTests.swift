import BanyanCore
import BanyanHTTP
import SharedTestSupport
import Testing

/// The client against an in-process upstream that records the bytes it receives and answers
/// `HTTP/1.1 200 OK`, `Content-Length: 2`, `ok`.
@Suite("HTTP client on the wire")
struct HTTPConnectionTests {
    @Test("a request goes out with Host and Content-Length added, under the base URL's path prefix")
    func requestBytes() async throws {
        try await withRecordingUpstream { upstream in
            let client = HTTPClient(base: BaseURL(host: "127.0.0.1", port: upstream.port, pathPrefix: "/api"))
            let result = try await blocking {
                try client.send(
                    HTTPRequest(
                        method: "POST", target: "/users?x=1", headers: HTTPHeaders([("Content-Type", "text/plain")]),
                        body: Array("hello".utf8)))
            }
            #expect(
                String(decoding: upstream.received, as: UTF8.self)
                    == "POST /api/users?x=1 HTTP/1.1\r\nHost: 127.0.0.1:\(upstream.port)\r\n"
                    + "Content-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello")
            #expect(result.response.status == 200)
            #expect(result.response.bodyText == "ok")
            #expect(String(decoding: result.raw, as: UTF8.self) == "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        }
    }

    @Test("one HTTPConnection carries several requests on one TCP connection; HTTPClient opens one per request")
    func connectionReuse() async throws {
        try await withRecordingUpstream { upstream in
            let port = upstream.port
            let statuses = try await blocking { () throws -> [Int] in
                let connection = try HTTPConnection(host: "127.0.0.1", port: port)
                defer { connection.close() }
                return try (1...3).map {
                    try connection.send(HTTPRequest(method: "GET", target: "/\($0)")).response.status
                }
            }
            #expect(statuses == [200, 200, 200])
            #expect(upstream.connections == 1)
            let client = HTTPClient(base: upstream.base)
            _ = try await blocking { try client.send(HTTPRequest(method: "GET", target: "/a")) }
            _ = try await blocking { try client.send(HTTPRequest(method: "GET", target: "/b")) }
            #expect(upstream.connections == 3)
        }
    }

    @Test("an answer marked Connection: close closes the connection after it")
    func connectionClose() async throws {
        try await withRecordingUpstream(closeAfter: 1) { upstream in
            let port = upstream.port
            let (status, open) = try await blocking { () throws -> (Int, Bool) in
                let connection = try HTTPConnection(host: "127.0.0.1", port: port)
                let response = try connection.send(HTTPRequest(method: "GET", target: "/"))
                return (response.response.status, connection.isOpen)
            }
            #expect(status == 200)
            #expect(open == false)
        }
    }

    @Test("a server that accepts and never answers is a timeout error naming the address and the limit")
    func timeout() async throws {
        try await withRecordingUpstream(hang: true) { upstream in
            let client = HTTPClient(base: upstream.base, timeout: 0.5)
            let error = await #expect(throws: HTTPClientError.self) {
                try await blocking { try client.send(HTTPRequest(method: "GET", target: "/")) }
            }
            #expect(error?.isTimeout == true)
            #expect(error?.isConnectFailure == false)
            #expect(error?.message == "127.0.0.1:\(upstream.port) did not answer within 0.5 s")
        }
    }

    @Test("findFreePort gives a port nothing listens on; waitUntilListening sees a listener and no listener")
    func freePortAndListening() async throws {
        let free = try #require(findFreePort())
        #expect(!waitUntilListening(port: free, timeout: 0.1))
        try await withRecordingUpstream { upstream in
            #expect(waitUntilListening(port: upstream.port, timeout: 2))
        }
    }
}
