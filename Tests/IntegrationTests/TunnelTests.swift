import BanyanCore
import BanyanHTTP
import BanyanProxy
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import SharedTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Upgrade tunnels (WebSocket) through the proxy", .serialized)
struct TunnelTests {
    /// Who answers the upgrade: the route's mode, and for a canary the side the sticky key falls on.
    enum Side: String, CaseIterable, Sendable, CustomStringConvertible {
        case legacy, new, canaryLegacy, canaryCandidate

        var description: String { rawValue }

        var mode: RouteMode {
            switch self {
            case .legacy: .legacy
            case .new: .new
            case .canaryLegacy, .canaryCandidate: .canary(percent: 50)
            }
        }

        var backend: Backend { self == .legacy || self == .canaryLegacy ? .legacy : .candidate }

        /// A sticky key on this side of a 50% canary.
        var key: String {
            let wantCandidate = self == .canaryCandidate
            return (0..<1000).map { "user-\($0)" }.first {
                StickyBucket.isCandidate(bucket: StickyBucket.bucket(for: $0), percent: 50) == wantCandidate
            }!
        }
    }

    /// What a WebSocket session through the proxy saw.
    struct Session: Sendable {
        var servedBy: String?
        var upgrade: String?
        var text: String
        var binaryEchoed: Bool
        var tunnels: RouteStats.TunnelCounters
        var otherSide: RouteStats.TunnelCounters
        var tunnelsOpenInStatus: Double?
        var routeTunnelsInStatus: JSONValue?
    }

    /// Node-ws on shop-legacy, hummingbird-websocket on ShopPort; a plain GET first leaves a
    /// pooled connection that the upgrade must not reuse.
    @Test("a WebSocket echoes text and a 70,000-byte binary message on either side", arguments: Side.allCases)
    func webSocketEcho(side: Side) async throws {
        let legacy = try ServiceProcess.legacy()
        let candidate = try ServiceProcess.port()
        try await withTestProxy(
            legacy: legacy.base, candidate: candidate.base, routes: ["GET /live"],
            configure: { routes in
                routes[0].mode = side.mode
                routes[0].sticky = .header("x-user")
            }
        ) { proxy in
            let port = proxy.server.port
            let adminPort = proxy.server.adminPort
            let engine = proxy.server.engine
            // A plain GET first: its keep-alive connection waits in the pool, and the upgrade must not
            // reuse it (ShopPort, like any server on NIO's upgrader, upgrades only a first request).
            let plain = try await blocking {
                try HTTPClient(base: BaseURL(host: "127.0.0.1", port: port)).send(
                    HTTPRequest(method: "GET", target: "/live", headers: HTTPHeaders([("X-User", side.key)]))
                ).response
            }
            #expect(plain.status == 426)
            #expect(plain.headers["served-by"] == side.backend.rawValue)
            let session = try await blocking { () throws -> Session in
                let socket = try WebSocketClient(
                    host: "127.0.0.1", port: port, target: "/live", headers: [("X-User", side.key)])
                try socket.send(text: "hello")
                let text = try socket.receive().text
                let big = (0..<70_000).map { UInt8($0 % 251) }
                try socket.send(binary: big)
                let back = try socket.receive()
                let counters = engine.snapshot.route(named: "GET /live")!.stats.counters
                let status = try JSONParser.parse(
                    HTTPClient(base: BaseURL(host: "127.0.0.1", port: adminPort)).send(
                        HTTPRequest(method: "GET", target: "/api/routes")
                    ).response.body)
                socket.close()
                var tunnelsOpen: Double?
                if case .number(let number)? = status["tunnels_open"] { tunnelsOpen = number.doubleValue }
                return Session(
                    servedBy: socket.handshake.response.headers["served-by"],
                    upgrade: socket.handshake.response.headers["upgrade"], text: text,
                    binaryEchoed: back == WebSocketClient.Message(opcode: 2, payload: big),
                    tunnels: side.backend == .legacy ? counters.legacyTunnels : counters.candidateTunnels,
                    otherSide: side.backend == .legacy ? counters.candidateTunnels : counters.legacyTunnels,
                    tunnelsOpenInStatus: tunnelsOpen, routeTunnelsInStatus: status["routes"]?[0]?["tunnels"])
            }
            #expect(session.servedBy == side.backend.rawValue)
            #expect(session.upgrade == "websocket")
            #expect(session.text == "hello")
            #expect(session.binaryEchoed)
            // Client frames are masked: 2+4+5 and 2+8+4+70,000 bytes; the server's are not: 2+5 and 2+8+70,000.
            #expect(
                session.tunnels
                    == RouteStats.TunnelCounters(open: 1, opened: 1, bytesToUpstream: 70_025, bytesToClient: 70_017))
            #expect(session.otherSide == RouteStats.TunnelCounters())
            #expect(session.tunnelsOpenInStatus == 1)
            #expect(session.routeTunnelsInStatus?["open"] == 1)
            #expect(session.routeTunnelsInStatus?["bytes_to_upstream"] == 70_025)
            #expect(session.routeTunnelsInStatus?["by_backend"]?[side.backend.rawValue]?["opened"] == 1)
            #expect(
                try await eventually { engine.snapshot.route(named: "GET /live")!.stats.counters.tunnels.open == 0 })
            let counters = try #require(engine.snapshot.route(named: "GET /live")).stats.counters
            #expect((side.backend == .legacy ? counters.legacy : counters.candidate).requests == 2)
        }
    }

    @Test("a WebSocket in shadow mode is served by legacy and not copied, and counted as skipped_upgrade")
    func shadowModeDoesNotCopy() async throws {
        let legacy = try ServiceProcess.legacy()
        try await withRecordingUpstream { candidate in
            try await withTestProxy(
                legacy: legacy.base, candidate: candidate.base, routes: ["GET /live"],
                configure: { $0[0].mode = .shadow }
            ) { proxy in
                let port = proxy.server.port
                let echoed = try await blocking { () throws -> String in
                    let socket = try WebSocketClient(host: "127.0.0.1", port: port, target: "/live")
                    defer { socket.close() }
                    try socket.send(text: "shadowed?")
                    return try socket.receive().text + " " + (socket.handshake.response.headers["served-by"] ?? "")
                }
                #expect(echoed == "shadowed? legacy")
                try await proxy.server.settleShadows()
                #expect(candidate.received.isEmpty)
                let counters = try #require(proxy.server.engine.snapshot.route(named: "GET /live")).stats.counters
                #expect(counters.shadowSkipped == ["skipped_upgrade": 1])
                #expect(counters.shadowSent == 0)
            }
        }
    }

    @Test(
        "another protocol switches too; bytes the client sent before the 101 reach the upstream after it",
        arguments: IOMode.allCases)
    func otherProtocolAndEarlyBytes(io: IOMode) async throws {
        var settings = ProxySettings()
        settings.io = io
        try await withUpgradeUpstream { upstream in
            try await withTestProxy(
                legacy: upstream.base, candidate: upstream.base, routes: ["GET /tunnel"], settings: settings
            ) { proxy in
                let port = proxy.server.port
                let (answer, echoed) = try await blocking { () throws -> (String, String) in
                    let connection = try HTTPConnection(host: "127.0.0.1", port: port, timeout: 10)
                    let head =
                        "GET /tunnel HTTP/1.1\r\nHost: shop.example\r\nConnection: Upgrade\r\nUpgrade: echo/1\r\n\r\n"
                    let answer = try connection.sendUpgrade(Array((head + "early bytes").utf8))
                    var echoed = try readExactly(connection, count: 11)
                    try connection.write(Array("more".utf8))
                    echoed += try readExactly(connection, count: 4)
                    try connection.write(Array("bye".utf8))
                    echoed += try connection.readSome()  // the upstream closes on "bye": so does the proxy
                    return (String(decoding: answer.raw, as: UTF8.self), String(decoding: echoed, as: UTF8.self))
                }
                #expect(
                    answer
                        == "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo/1\r\nserved-by: legacy\r\n\r\n"
                )
                #expect(echoed == "early bytesmore")
                #expect(
                    upstream.heads
                        == [
                            "GET /tunnel HTTP/1.1\r\nHost: shop.example\r\nConnection: Upgrade\r\nUpgrade: echo/1\r\n"
                                + "x-forwarded-for: 127.0.0.1\r\nx-forwarded-host: shop.example\r\nx-forwarded-proto: http\r\n\r\n"
                        ])
                #expect(upstream.tunnelBytes == "early bytesmorebye")
                let engine = proxy.server.engine
                #expect(
                    try await eventually {
                        engine.snapshot.route(named: "GET /tunnel")!.stats.counters.tunnels.open == 0
                    })
                #expect(
                    try #require(engine.snapshot.route(named: "GET /tunnel")).stats.counters.legacyTunnels
                        == RouteStats.TunnelCounters(open: 0, opened: 1, bytesToUpstream: 18, bytesToClient: 15))
            }
        }
    }

    @Test("an upstream that refuses the upgrade: its answer goes back and the connection stays HTTP")
    func refusedUpgrade() async throws {
        try await withUpgradeUpstream { upstream in
            try await withTestProxy(legacy: upstream.base, candidate: upstream.base, routes: []) { proxy in
                let port = proxy.server.port
                let answers = try await blocking { () throws -> [String] in
                    let connection = try HTTPConnection(host: "127.0.0.1", port: port, timeout: 10)
                    let refused = try connection.sendUpgrade(
                        Array("GET /tunnel HTTP/1.1\r\nHost: h\r\nConnection: upgrade\r\nUpgrade: refuse\r\n\r\n".utf8))
                    let after = try connection.send(HTTPRequest(method: "GET", target: "/after"))
                    return [String(decoding: refused.raw, as: UTF8.self), String(decoding: after.raw, as: UTF8.self)]
                }
                #expect(
                    answers == [
                        "HTTP/1.1 400 Bad Request\r\nContent-Length: 7\r\nserved-by: legacy\r\n\r\nrefused",
                        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nserved-by: legacy\r\n\r\nok",
                    ])
                // The refused upgrade's upstream connection is not reused: the upstream may have switched its reading.
                #expect(upstream.connections == 2)
                #expect(proxy.server.engine.snapshot.unmatched.counters.tunnels == RouteStats.TunnelCounters())
            }
        }
    }

    @Test("node-ws refusing a bad handshake: the client gets Express's bytes plus served-by")
    func nodeRefusal() async throws {
        let legacy = try ServiceProcess.legacy()
        try await withTestProxy(legacy: legacy.base, candidate: legacy.base, routes: ["GET /live"]) { proxy in
            let request = Array(
                ("GET /live HTTP/1.1\r\nHost: shop.example\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                    + "Sec-WebSocket-Version: 99\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n").utf8)
            let ports = (direct: legacy.port, proxied: proxy.server.port)
            let (direct, proxied) = try await blocking { () throws -> (String, String) in
                let direct = try HTTPConnection(host: "127.0.0.1", port: ports.direct).sendUpgrade(request)
                let proxied = try HTTPConnection(host: "127.0.0.1", port: ports.proxied).sendUpgrade(request)
                return (String(decoding: direct.raw, as: UTF8.self), String(decoding: proxied.raw, as: UTF8.self))
            }
            #expect(direct.hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
            #expect(proxied == withServedBy(direct, "legacy"))
        }
    }

    @Test("Upgrade: h2c is stripped (RFC 9113 §3.1) and the request answered as HTTP/1.1")
    func h2cIsStripped() async throws {
        try await withRecordingUpstream { upstream in
            try await withTestProxy(legacy: upstream.base, candidate: upstream.base, routes: []) { proxy in
                let port = proxy.server.port
                let answer = try await blocking {
                    try HTTPConnection(host: "127.0.0.1", port: port).sendUpgrade(
                        Array(
                            ("GET /h HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
                                + "HTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\n").utf8))
                }
                #expect(answer.response.status == 200)
                #expect(
                    String(decoding: upstream.received, as: UTF8.self)
                        == "GET /h HTTP/1.1\r\nHost: h\r\nx-forwarded-for: 127.0.0.1\r\nx-forwarded-host: h\r\n"
                        + "x-forwarded-proto: http\r\n\r\n")
            }
        }
    }

    @Test("a rollback keeps open tunnels unless asked to close them; an idle tunnel is closed")
    func rollbackAndIdle() async throws {
        let legacy = try ServiceProcess.legacy()
        let candidate = try ServiceProcess.legacy()
        var settings = ProxySettings()
        settings.tunnelIdleTimeout = .milliseconds(1500)
        try await withTestProxy(
            legacy: legacy.base, candidate: candidate.base, routes: ["GET /live"],
            configure: { $0[0].mode = .new }, settings: settings
        ) { proxy in
            let server = proxy.server
            let port = server.port
            let (afterRollback, next, afterClose) = try await blocking { () throws -> (String, String, String) in
                let socket = try WebSocketClient(host: "127.0.0.1", port: port, target: "/live")
                try socket.send(text: "one")
                _ = try socket.receive()
                try runBlocking { _ = try await server.rollback(route: "GET /live") }
                try socket.send(text: "still open")
                let afterRollback = try socket.receive().text
                let next = try WebSocketClient(host: "127.0.0.1", port: port, target: "/live")
                let nextSide = next.handshake.response.headers["served-by"] ?? ""
                try runBlocking { _ = try await server.rollback(route: "GET /live", closeTunnels: true) }
                let afterClose: String
                do {
                    afterClose = "received \(try socket.receive().text)"
                } catch {
                    afterClose = "closed"
                }
                return (afterRollback, nextSide, afterClose)
            }
            #expect(afterRollback == "still open")
            #expect(next == "legacy")
            #expect(afterClose == "closed")
            let engine = server.engine
            #expect(
                try await eventually { engine.snapshot.route(named: "GET /live")!.stats.counters.tunnels.open == 0 })
            let counters = try #require(engine.snapshot.route(named: "GET /live")).stats.counters
            #expect(counters.candidateTunnels.opened == 1)
            #expect(counters.legacyTunnels.opened == 1)

            let idleClosed = try await blocking { () throws -> Bool in
                let socket = try WebSocketClient(host: "127.0.0.1", port: port, target: "/live")
                // The tunnel opens, then idles until the proxy closes it after its 1.5 s idle timeout.
                let seen = NIOLockedValueBox((opened: false, closed: false))
                try runBlocking {
                    func open() -> UInt64 { engine.snapshot.route(named: "GET /live")!.stats.counters.tunnels.open }
                    let opened = try await eventually { open() == 1 }
                    let closed = try await eventually { open() == 0 }
                    seen.withLockedValue { $0 = (opened, closed) }
                }
                guard seen.withLockedValue({ $0 == (true, true) }) else { return false }
                do {
                    try socket.send(text: "too late")
                    _ = try socket.receive()
                    return false
                } catch {
                    return true
                }
            }
            #expect(idleClosed)
        }
    }
}

/// `text` (interim answers, then a response head and body) with `served-by: SIDE` added as the
/// last field of the final head.
func withServedBy(_ text: String, _ side: String) -> String {
    var searchFrom = text.startIndex
    while let end = text.range(of: "\r\n\r\n", range: searchFrom..<text.endIndex) {
        let head = text[searchFrom..<end.lowerBound]
        // An interim (1xx) answer other than 101 goes on unchanged.
        if head.hasPrefix("HTTP/1.1 1") && !head.hasPrefix("HTTP/1.1 101") {
            searchFrom = end.upperBound
            continue
        }
        return text[..<end.lowerBound] + "\r\nserved-by: \(side)" + text[end.lowerBound...]
    }
    return text
}

/// Reads until `count` bytes came (the new protocol's, after a 101).
func readExactly(_ connection: HTTPConnection, count: Int) throws -> [UInt8] {
    var bytes: [UInt8] = []
    while bytes.count < count {
        let more = try connection.readSome()
        if more.isEmpty { break }
        bytes += more
    }
    return bytes
}

/// Runs async work from a blocking test thread (one of `blocking`'s), waiting for it.
func runBlocking(_ work: @escaping @Sendable () async throws -> Void) throws {
    let done = DispatchSemaphore(value: 0)
    let failure = NIOLockedValueBox<(any Error)?>(nil)
    Task {
        do { try await work() } catch { failure.withLockedValue { $0 = error } }
        done.signal()
    }
    done.wait()
    if let error = failure.withLockedValue({ $0 }) { throw error }
}

/// A TCP server for upgrade tests. `Upgrade: echo/1` gets a 101 and then every byte back until
/// the client sends `bye`, when it closes; `Upgrade: refuse` gets a 400 and the connection stays
/// HTTP; any other request gets `200 ok`. Tests start one with ``withUpgradeUpstream(fileID:line:_:)``.
final class UpgradeUpstream: @unchecked Sendable {
    // @unchecked: the recorded values are guarded by `lock`; the rest is set in init.
    var port: Int { server.port }
    private let server: ConnectionThreads
    private let lock = NIOLock()
    private var recordedHeads: [String] = []
    private var recordedTunnel: [UInt8] = []

    init() throws {
        server = try ConnectionThreads()
        server.start { [self] connection in serve(connection) }
    }

    /// Stops listening, closes every connection and waits until its threads have ended.
    func close() async { await server.close() }

    var base: BaseURL { BaseURL(host: "127.0.0.1", port: port) }
    /// The request heads received, in order.
    var heads: [String] { lock.withLock { recordedHeads } }
    /// The bytes received after a 101.
    var tunnelBytes: String { lock.withLock { String(decoding: recordedTunnel, as: UTF8.self) } }
    var connections: Int { server.connections }

    private func serve(_ fd: Int32) {
        var pending: [UInt8] = []
        var tunnel = false
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            if tunnel {
                if !pending.isEmpty {
                    lock.withLock { recordedTunnel += pending }
                    if pending.suffix(3) == Array("bye".utf8) { return }
                    send(fd, pending)
                    pending = []
                }
            } else if let end = pending.firstRange(of: Array("\r\n\r\n".utf8)) {
                let head = String(decoding: pending[..<end.upperBound], as: UTF8.self)
                pending.removeSubrange(..<end.upperBound)
                lock.withLock { recordedHeads.append(head) }
                if head.contains("Upgrade: echo/1") {
                    send(
                        fd,
                        Array("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo/1\r\n\r\n".utf8)
                    )
                    tunnel = true
                } else if head.contains("Upgrade: refuse") {
                    send(fd, Array("HTTP/1.1 400 Bad Request\r\nContent-Length: 7\r\n\r\nrefused".utf8))
                } else {
                    send(fd, Array("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".utf8))
                }
                continue
            }
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count <= 0 { return }
            pending += buffer[0..<count]
        }
    }

    private func send(_ fd: Int32, _ bytes: [UInt8]) {
        // MSG_NOSIGNAL: a connection shut down by close() fails with EPIPE, not SIGPIPE.
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }
}

/// Starts an ``UpgradeUpstream``, runs `body` with it and stops it before returning, also when `body` throws.
func withUpgradeUpstream<Result>(
    fileID: String = #fileID, line: Int = #line, _ body: (UpgradeUpstream) async throws -> Result
) async throws -> Result {
    try await withTestServer(
        "upgrade upstream", fileID: fileID, line: line, start: { try UpgradeUpstream() },
        close: { await $0.close() }, body)
}
