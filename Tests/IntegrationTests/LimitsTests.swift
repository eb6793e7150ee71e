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

    /// The resident memory of process `pid` now, in bytes (`VmRSS` of /proc/PID/status).
    private static func residentBytes(_ pid: Int32) throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kibibytes = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) })
        else { throw TestFailure("no VmRSS in /proc/\(pid)/status") }
        return kibibytes * 1024
    }

    /// A connection to the proxy with a 4 KiB receive buffer, so that the client's own socket holds
    /// almost nothing of what it does not read; reads wait at most 10 s.
    private static func slowClient(port: Int) throws -> Int32 {
        try connectedSocket(port: port, receiveBuffer: 4096, readTimeout: 10)
    }

    @Test("two clients that read nothing of a 32 MiB answer add less than 16 MiB to the banyan process's RSS")
    func slowReadersMemory() async throws {
        let answerSize = 32 << 20
        let clients = 2
        try await withRecordingUpstream { upstream in
            let listen = try #require(findFreePort())
            let admin = try #require(findFreePort())
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("banyan-slow-rss-\(UUID())")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let file = folder.appendingPathComponent("banyan.yaml").path
            try Data(
                """
                legacy: http://127.0.0.1:\(upstream.port)
                candidate: http://127.0.0.1:\(upstream.port)
                listen: 127.0.0.1:\(listen)
                admin: 127.0.0.1:\(admin)
                state: sqlite:\(folder.appendingPathComponent("state.sqlite").path)
                routes: []
                limits:
                  buffer_per_connection: 256KiB
                """.utf8
            ).write(to: URL(fileURLWithPath: file))
            let log = try OutputFile()
            let executable = try banyanExecutable()
            try await withTestServer(
                "banyan proxy",
                start: {
                    try ChildProcess(
                        executable, ["proxy", "--config", file], output: log.handle.fileDescriptor,
                        error: log.handle.fileDescriptor)
                }, close: { await $0.shutdown() }
            ) { proxy in
                let pid = proxy.processIdentifier
                let listening = try await blocking {
                    waitUntilListening(port: listen, timeout: 20) && waitUntilListening(port: admin, timeout: 5)
                }
                try #require(listening, "banyan proxy did not start:\n\(log.text())")
                let client = HTTPClient(base: BaseURL(host: "127.0.0.1", port: listen))
                let adminClient = HTTPClient(base: BaseURL(host: "127.0.0.1", port: admin))
                // One request first, so that what the data path allocates once is in the baseline.
                let warmUp = try await blocking { try client.send(HTTPRequest(method: "GET", target: "/")).response }
                #expect(warmUp.status == 200)
                let before = try Self.residentBytes(pid)
                upstream.respond(with: String(repeating: "a", count: answerSize))

                // The peak RSS from now until the clients have read everything.
                let sampling = NIOLockedValueBox((peak: before, stop: false))
                let sampler = Task.detached {
                    try await blocking {
                        while !sampling.withLockedValue({ $0.stop }) {
                            let now = try Self.residentBytes(pid)
                            sampling.withLockedValue { $0.peak = max($0.peak, now) }
                            usleep(20_000)  // the sampling period
                        }
                    }
                }
                defer { sampling.withLockedValue { $0.stop = true } }
                let request = Array("GET /big HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n".utf8)
                let sockets = try await blocking {
                    try (0..<clients).map { _ in
                        let fd = try Self.slowClient(port: listen)
                        _ = request.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                        return fd
                    }
                }
                defer { sockets.forEach { close($0) } }
                func pauses() async throws -> Int {
                    let response = try await blocking {
                        try adminClient.send(HTTPRequest(method: "GET", target: "/api/routes")).response
                    }
                    return try JSONDecoder().decode(ProxyStatus.self, from: Data(response.body)).limits?[
                        "upstream_paused"] ?? 0
                }
                // Each client's upstream is paused once and stays paused while the client reads nothing.
                #expect(try await eventually(timeout: .seconds(10)) { try await pauses() >= clients })
                try await Task.sleep(for: .seconds(1))  // what is under test: the clients read nothing for a while
                #expect(try await pauses() == clients)
                let whileNotReading = try Self.residentBytes(pid)

                // Then they read everything, at full speed.
                let head =
                    "HTTP/1.1 200 OK\r\nContent-Length: \(answerSize)\r\nserved-by: legacy\r\nconnection: close\r\n\r\n"
                let received = try await withThrowingTaskGroup(of: (head: String, bytes: Int).self) { group in
                    for fd in sockets {
                        group.addTask {
                            try await blocking { () -> (head: String, bytes: Int) in
                                var count = 0
                                var start: [UInt8] = []
                                var chunk = [UInt8](repeating: 0, count: 65536)
                                while true {
                                    let read = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
                                    if read <= 0 { break }
                                    if start.count < 1024 { start += chunk[0..<min(read, 1024)] }
                                    count += read
                                }
                                let end = start.firstRange(of: Array("\r\n\r\n".utf8))?.upperBound ?? start.count
                                return (String(decoding: start[..<end], as: UTF8.self), count)
                            }
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                sampling.withLockedValue { $0.stop = true }
                try await sampler.value
                let peak = sampling.withLockedValue { $0.peak }
                #expect(received.map(\.head) == Array(repeating: head, count: clients))
                #expect(received.map(\.bytes) == Array(repeating: head.utf8.count + answerSize, count: clients))
                #expect(whileNotReading - before < 16 << 20, "RSS \(before) → \(whileNotReading) bytes")
                #expect(peak - before < 16 << 20, "RSS \(before) → peak \(peak) bytes")
            }
        }
    }
}
