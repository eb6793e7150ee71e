import BanyanCore
import BanyanHTTP
import BanyanProxy
import Foundation
import SharedTestSupport
import Testing

/// The limits of docs/proxy.md ("Limits") over real sockets: each deadline answers as nginx
/// does, is counted by cause, and leaves the upstream untouched where nginx's would be.
@Suite("Limits: deadlines, connection count and backpressure")
struct LimitsTests {
    /// Reads until the proxy closes the connection (or 10 s pass), from a blocking thread.
    private func readToClose(_ connection: HTTPConnection) throws -> String {
        var bytes: [UInt8] = []
        while true {
            let chunk = try connection.readSome()
            if chunk.isEmpty { break }
            bytes += chunk
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private func answer(_ status: String, _ body: String) -> String {
        "HTTP/1.1 \(status)\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: \(body.utf8.count)\r\n"
            + "served-by: banyan\r\nconnection: close\r\n\r\n\(body)"
    }

    @Test("a head sent a line at a time (slowloris) gets 408 at the head deadline; nothing reaches legacy")
    func slowloris() async throws {
        var settings = ProxySettings()
        settings.headTimeout = .milliseconds(500)
        try await withRecordingUpstreams { legacy, candidate in
            try await withTestProxy(legacy: legacy.base, candidate: candidate.base, routes: [], settings: settings) {
                proxy in
                let port = proxy.server.port
                let text = try await blocking { () throws -> String in
                    let connection = try HTTPConnection(host: "127.0.0.1", port: port)
                    for line in ["GET / HTTP/1.1\r\n", "Host: a\r\n", "X-A: 1\r\n", "X-B: 2\r\n"] {
                        try connection.write(Array(line.utf8))
                        usleep(100_000)  // the trickle is what is under test
                    }
                    return try readToClose(connection)
                }
                #expect(
                    text == answer("408 Request Timeout", "banyan: the request head did not arrive within 500 ms\n"))
                #expect(proxy.server.engine.limitEvents["head_timeout"] == 1)
                #expect(legacy.received.isEmpty)
            }
        }
    }

    @Test("a body that stops short gets 408 at the body deadline")
    func slowBody() async throws {
        var settings = ProxySettings()
        settings.bodyTimeout = .milliseconds(500)
        // Legacy never answers: it waits for the body, as Express's body parser does.
        try await withRecordingUpstream(hang: true) { legacy in
            try await withTestProxy(legacy: legacy.base, candidate: legacy.base, routes: [], settings: settings) {
                proxy in
                let port = proxy.server.port
                let text = try await blocking { () throws -> String in
                    let connection = try HTTPConnection(host: "127.0.0.1", port: port)
                    try connection.write(Array("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc".utf8))
                    return try readToClose(connection)
                }
                #expect(
                    text == answer("408 Request Timeout", "banyan: the request body did not arrive within 500 ms\n"))
                #expect(proxy.server.engine.limitEvents["body_timeout"] == 1)
            }
        }
    }

    @Test("an idle connection is closed at the idle deadline, with no answer")
    func idle() async throws {
        var settings = ProxySettings()
        settings.clientIdleTimeout = .milliseconds(300)
        try await withRecordingUpstreams { legacy, candidate in
            try await withTestProxy(legacy: legacy.base, candidate: candidate.base, routes: [], settings: settings) {
                proxy in
                let port = proxy.server.port
                let text = try await blocking { () throws -> String in
                    try readToClose(try HTTPConnection(host: "127.0.0.1", port: port))
                }
                #expect(text == "")
                #expect(proxy.server.engine.limitEvents["idle_timeout"] == 1)
            }
        }
    }

    @Test("past max_connections a new connection is closed at once; the open ones keep being served")
    func connectionLimit() async throws {
        var settings = ProxySettings()
        settings.maxConnections = 2
        try await withRecordingUpstreams { legacy, candidate in
            try await withTestProxy(legacy: legacy.base, candidate: candidate.base, routes: [], settings: settings) {
                proxy in
                let port = proxy.server.port
                let engine = proxy.server.engine
                let (statuses, third, open) = try await blocking { () throws -> ([Int], String, Int) in
                    let first = try HTTPConnection(host: "127.0.0.1", port: port)
                    let second = try HTTPConnection(host: "127.0.0.1", port: port)
                    let request = Array("GET /a HTTP/1.1\r\nHost: a\r\n\r\n".utf8)
                    var statuses = [
                        try first.sendRaw(request, method: "GET").response.status,
                        try second.sendRaw(request, method: "GET").response.status,
                    ]
                    let third = try readToClose(try HTTPConnection(host: "127.0.0.1", port: port))
                    statuses.append(try first.sendRaw(request, method: "GET").response.status)
                    return (statuses, third, engine.clientConnections)
                }
                #expect(statuses == [200, 200, 200])
                #expect(third == "")
                #expect(proxy.server.engine.limitEvents["max_connections"] == 1)
                #expect(open == 2)
            }
        }
    }

    @Test("a client that takes none of its answer is closed at the send deadline")
    func sendDeadline() async throws {
        var settings = ProxySettings()
        settings.sendTimeout = .milliseconds(500)
        let big = [UInt8](repeating: 0x61, count: 64 << 20)
        try await withRecordingUpstream(firstBody: big) { legacy in
            try await withTestProxy(legacy: legacy.base, candidate: legacy.base, routes: [], settings: settings) {
                proxy in
                let port = proxy.server.port
                let engine = proxy.server.engine
                let (timedOut, received) = try await blocking { () throws -> (Bool, Int) in
                    let connection = try HTTPConnection(host: "127.0.0.1", port: port)
                    try connection.write(Array("GET /big HTTP/1.1\r\nHost: a\r\n\r\n".utf8))
                    // The client reads nothing until the proxy gave up on it.
                    let clock = ContinuousClock()
                    let giveUp = clock.now + .seconds(10)
                    while engine.limitEvents["send_timeout"] == 0 && clock.now < giveUp { usleep(10_000) }
                    let timedOut = engine.limitEvents["send_timeout"] == 1
                    var count = 0
                    while true {
                        let chunk = (try? connection.readSome()) ?? []
                        if chunk.isEmpty { break }
                        count += chunk.count
                    }
                    return (timedOut, count)
                }
                #expect(timedOut)
                // Closed part-way: the client got what the socket buffers held, never the whole answer.
                #expect(received < big.count)
                #expect(engine.limitEvents["upstream_paused"] == 1)
            }
        }
    }
}
