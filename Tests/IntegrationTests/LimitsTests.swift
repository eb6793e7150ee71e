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

    /// A figure of a `/proc/sys/net/ipv4/tcp_*mem` file: `index` 2 is the most the kernel gives
    /// one socket's buffer by itself, 1 what a socket starts with.
    private func kernelBufferBytes(_ name: String, _ index: Int) throws -> Int {
        let text = try String(contentsOfFile: "/proc/sys/net/ipv4/\(name)", encoding: .utf8)
        let figures = text.split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
        guard figures.count == 3 else { throw TestFailure("cannot read /proc/sys/net/ipv4/\(name): \(text)") }
        return figures[index]
    }

    @Test(
        "an upstream that reads nothing holds up to buffer_per_connection of request body before the client is paused",
        arguments: IOMode.allCases)
    func requestBodyBound(io: IOMode) async throws {
        // The most the kernel takes off the proxy on its own: the proxy's send buffer to the upstream
        // (at most tcp_wmem's maximum) and the upstream's receive buffer, which does not grow while
        // the upstream reads nothing (tcp_rmem's default).
        let kernel = try kernelBufferBytes("tcp_wmem", 2) + kernelBufferBytes("tcp_rmem", 1)
        // The bound: its low mark (half) is above what the kernel can take, so a pause, once the
        // upstream reads nothing, is never lifted.
        let bound = 2 * kernel + (4 << 20)
        // A body 2 MiB past what the kernel takes leaves at least 2 MiB in NIO: past NIO's default
        // high mark (64 KiB, which would pause the client), under the bound. A body 4 MiB past the
        // bound and the kernel's share cannot all wait in the proxy: the client is paused.
        let held = kernel + (2 << 20)
        let overflowing = bound + kernel + (4 << 20)
        var settings = ProxySettings()
        settings.io = io
        settings.bufferPerConnection = bound
        settings.bodyTimeout = .seconds(2)
        settings.legacyTimeout = .seconds(3)
        let upstream = { () throws -> ConnectionThreads in
            let server = try ConnectionThreads()
            // Reads nothing: waits until the test closes it.
            server.start { fd in
                var poller = pollfd(fd: fd, events: 0, revents: 0)
                while poll(&poller, 1, -1) >= 0 && poller.revents & Int16(POLLHUP | POLLERR) == 0 {}
            }
            return server
        }
        try await withTestServer("upstream that reads nothing", start: upstream, close: { await $0.close() }) {
            legacy in
            let base = BaseURL(host: "127.0.0.1", port: legacy.port)
            try await withTestProxy(legacy: base, candidate: base, routes: [], settings: settings) { proxy in
                let port = proxy.server.port
                @Sendable func post(_ count: Int) throws -> String {
                    let connection = try HTTPConnection(host: "127.0.0.1", port: port)
                    let head =
                        "POST /upload HTTP/1.1\r\nHost: a\r\nConnection: close\r\nContent-Length: \(count)\r\n\r\n"
                    // Past the pause the client's write fails when the proxy gives up on the body.
                    try? connection.write(Array(head.utf8) + [UInt8](repeating: 0x62, count: count))
                    return (try? readToClose(connection)) ?? ""
                }
                // Both at once: the first body fits the bound and waits for the answer, which never
                // comes (504 at the response deadline); the second is paused for good (408 at the
                // body deadline, which comes first).
                async let fitting = blocking { try post(held) }
                async let overflowed = blocking { try post(overflowing) }
                let (answer, _) = try await (fitting, overflowed)
                #expect(
                    answer
                        == self.answer(
                            "504 Gateway Timeout", "banyan: the legacy service did not answer in time (POST /upload)\n")
                )
                #expect(proxy.server.engine.limitEvents["client_paused"] == 1)
                #expect(proxy.server.engine.limitEvents["body_timeout"] == 1)
                #expect(legacy.connections == 2)
            }
        }
    }
}
