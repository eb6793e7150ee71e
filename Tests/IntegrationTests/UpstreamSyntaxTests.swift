import BanyanCore
import BanyanHTTP
import BanyanProxy
import Foundation
import NIOConcurrencyHelpers
import SharedTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A broken upstream answer, through the proxy with real sockets: a malformed head gets the
/// client a 502 and its upstream connection is not used again; a repeated Content-Length reaches
/// the client once (docs/proxy.md, "The data path").
@Suite("Upstream response syntax", .serialized)
struct UpstreamSyntaxTests {
    @Test("a NUL in an upstream field name: an exact 502, not tried again; the next request goes on a new connection")
    func nulInFieldName() async throws {
        try await throughProxy(["/ok", "/nul", "/ok"]) { answers, upstream in
            let body =
                "banyan: the legacy service answered with a head that is not valid HTTP/1.x: an upstream"
                + " header field name holds a byte that is not a token character (0x00) (GET /nul)\n"
            #expect(
                answers == [
                    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nserved-by: legacy\r\n\r\nok",
                    "HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/plain; charset=utf-8\r\n"
                        + "content-length: \(body.utf8.count)\r\nserved-by: banyan\r\n\r\n" + body,
                    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nserved-by: legacy\r\n\r\nok",
                ])
            // The malformed answer came on the pooled connection and was not tried again on a
            // new one; that connection was closed, not pooled: the next request opened a second.
            #expect(
                upstream.requests == [
                    ScriptedUpstream.Request(connection: 1, target: "/ok"),
                    ScriptedUpstream.Request(connection: 1, target: "/nul"),
                    ScriptedUpstream.Request(connection: 2, target: "/ok"),
                ])
        }
    }

    @Test("the same Content-Length twice reaches the client as one line, the body intact")
    func duplicateContentLength() async throws {
        try await throughProxy(["/twice", "/ok"]) { answers, upstream in
            #expect(
                answers == [
                    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: 1\r\nserved-by: legacy\r\n\r\nhello",
                    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nserved-by: legacy\r\n\r\nok",
                ])
            // The framing was read as the client reads it: the connection stayed in step.
            #expect(
                upstream.requests == [
                    ScriptedUpstream.Request(connection: 1, target: "/twice"),
                    ScriptedUpstream.Request(connection: 1, target: "/ok"),
                ])
        }
    }

    @Test(
        "Content-Length beside a Transfer-Encoding not ending in chunked: the body runs to the close, no Content-Length goes on"
    )
    func transferEncodingWinsOverContentLength() async throws {
        try await withScriptedUpstream { upstream in
            try await withRecordingUpstream { candidate in
                try await withTestProxy(legacy: upstream.base, candidate: candidate.base, routes: []) { proxy in
                    let port = proxy.server.port
                    let received = try await blocking { () throws -> String in
                        let fd = try connectedSocket(port: port, readTimeout: 10)
                        defer { close(fd) }
                        let request = Array("GET /gzip HTTP/1.1\r\nHost: a\r\n\r\n".utf8)
                        _ = request.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                        return String(decoding: readToClose(fd), as: UTF8.self)
                    }
                    // Every byte the upstream sent before its close reaches the client, which learns
                    // where the body ends from the close alone, as the proxy did.
                    #expect(
                        received
                            == "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nserved-by: legacy\r\n"
                            + "connection: close\r\n\r\nhello, and more")
                    #expect(upstream.requests == [ScriptedUpstream.Request(connection: 1, target: "/gzip")])
                }
            }
        }
    }

    /// Sends GETs of `targets` in order on one client connection through a proxy in front of a
    /// ``ScriptedUpstream`` (legacy), then runs `check` with the raw answers and the upstream.
    private func throughProxy(
        _ targets: [String], check: @Sendable ([String], ScriptedUpstream) throws -> Void
    ) async throws {
        try await withScriptedUpstream { upstream in
            try await withRecordingUpstream { candidate in
                try await withTestProxy(legacy: upstream.base, candidate: candidate.base, routes: []) { proxy in
                    let port = proxy.server.port
                    let answers = try await blocking { () throws -> [String] in
                        let connection = try HTTPConnection(host: "127.0.0.1", port: port)
                        return try targets.map { target in
                            let request = "GET \(target) HTTP/1.1\r\nHost: a\r\n\r\n"
                            let answer = try connection.sendRaw(Array(request.utf8), method: "GET")
                            return String(decoding: answer.raw, as: UTF8.self)
                        }
                    }
                    try check(answers, upstream)
                }
            }
        }
    }
}

/// A TCP upstream that answers by target: `/nul` with a NUL in a field name, `/twice` with the
/// same Content-Length twice, anything else with `200 ok`. It records which connection (numbered
/// from 1, in the order accepted) carried each request.
final class ScriptedUpstream: @unchecked Sendable {
    // @unchecked: `recorded` and `accepted` are guarded by `lock`; the rest is set in init.
    struct Request: Equatable, CustomStringConvertible {
        var connection: Int
        var target: String
        var description: String { "\(target) on connection \(connection)" }
    }

    private let server: ConnectionThreads
    private let lock = NIOLock()
    private var recorded: [Request] = []
    private var accepted = 0

    init() throws {
        server = try ConnectionThreads()
        server.start { [self] connection in serve(connection) }
    }

    func close() async { await server.close() }

    var base: BaseURL { BaseURL(host: "127.0.0.1", port: server.port) }
    var requests: [Request] { lock.withLock { recorded } }

    static func answer(for target: String) -> [UInt8] {
        switch target {
        case "/nul": Array("HTTP/1.1 200 OK\r\nX-Bad\u{0}: 1\r\nContent-Length: 2\r\n\r\nok".utf8)
        case "/twice": Array("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: 1\r\nContent-Length: 5\r\n\r\nhello".utf8)
        // A coding other than chunked last: the body runs to the close, whatever Content-Length says.
        case "/gzip":
            Array("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: gzip\r\n\r\nhello, and more".utf8)
        default: Array("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".utf8)
        }
    }

    private func serve(_ fd: Int32) {
        let number = lock.withLock { () -> Int in
            accepted += 1
            return accepted
        }
        var pending: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            while let end = pending.firstRange(of: Array("\r\n\r\n".utf8)) {
                let line = pending[..<end.lowerBound].prefix { $0 != 13 }
                let parts = line.split(separator: 32)
                let target = parts.count > 1 ? String(decoding: parts[1], as: UTF8.self) : ""
                pending.removeSubrange(..<end.upperBound)
                lock.withLock { recorded.append(Request(connection: number, target: target)) }
                let answer = Self.answer(for: target)
                // MSG_NOSIGNAL: a connection shut down by close() fails with EPIPE, not SIGPIPE.
                _ = answer.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if target == "/gzip" {
                    shutdown(fd, Int32(SHUT_RDWR))
                    return
                }
            }
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count <= 0 { return }
            pending += buffer[0..<count]
        }
    }
}

/// Starts a ``ScriptedUpstream``, runs `body` with it and stops it before returning, also when `body` throws.
func withScriptedUpstream<Result>(
    fileID: String = #fileID, line: Int = #line, _ body: (ScriptedUpstream) async throws -> Result
) async throws -> Result {
    try await withTestServer(
        "scripted upstream", fileID: fileID, line: line, start: { try ScriptedUpstream() },
        close: { await $0.close() }, body)
}
