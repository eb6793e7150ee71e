import BanyanCore
import Foundation
import NIOCore
import NIOEmbedded
import Testing

@testable import BanyanProxy

/// A client connection and the upstream connections it opens, all on one of NIO's embedded
/// channels, with the proxy's `io: nio` writers: the handlers run as they do in the proxy,
/// without a socket.
private final class HandlerHarness {
    let loop = EmbeddedEventLoop()
    let client: EmbeddedChannel
    let handler: ClientHandler
    let engine: ProxyEngine
    /// The upstream connections the proxy opened, in order.
    private let opened: OpenedChannels

    /// The connector's list of channels. `@unchecked Sendable`: the connector runs on the
    /// embedded event loop, which is the test's own thread.
    private final class OpenedChannels: @unchecked Sendable {
        var channels: [EmbeddedChannel] = []
    }

    /// - Parameter adjust: changes to the proxy's settings (its limits) before the handler starts.
    init(adjust: (inout ProxySettings) -> Void = { _ in }) throws {
        let configuration = Configuration(
            legacy: BaseURL(host: "127.0.0.1", port: 3000), candidate: BaseURL(host: "127.0.0.1", port: 4000),
            forwarded: .passThrough, io: .nio)
        let snapshot = try RoutingSnapshot(configuration: configuration, overrides: [:], previous: nil)
        var settings = ProxySettings()
        settings.io = .nio
        adjust(&settings)
        let engine = try ProxyEngine(
            snapshot: snapshot, settings: settings, recorder: DifferenceRecorder(policy: configuration.policy))
        let opened = OpenedChannels()
        self.opened = opened
        let connectPool = ConnectPool(io: .nio) { address, eventLoop in
            let channel = EmbeddedChannel(loop: eventLoop as! EmbeddedEventLoop)
            opened.channels.append(channel)
            return channel.connect(to: address).map { channel }
        }
        self.engine = engine
        let context = LoopContext(eventLoop: loop, engine: engine, connectPool: connectPool)
        handler = ClientHandler(engine: engine, loop: context, writer: DirectWriter())
        client = EmbeddedChannel(handler: handler, loop: loop)
        client.remoteAddress = try SocketAddress(ipAddress: "10.1.2.3", port: 50_000)
        try client.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 8000)).wait()
    }

    var upstreams: [EmbeddedChannel] { opened.channels }

    /// Bytes arriving from the client, then the rest of the event loop's turn.
    func fromClient(_ text: String) throws {
        try client.writeInbound(client.allocator.buffer(string: text))
        loop.run()
    }

    /// Bytes arriving from an upstream, then the rest of the event loop's turn.
    func fromUpstream(_ upstream: EmbeddedChannel, _ text: String) throws {
        try upstream.writeInbound(upstream.allocator.buffer(string: text))
        loop.run()
    }

    /// Everything written to `channel` since the last call, as text.
    func written(to channel: EmbeddedChannel) throws -> String {
        var text = ""
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) {
            text += String(buffer: buffer)
        }
        return text
    }

    /// Closes every channel and drops the sweep the handler scheduled.
    func finish() throws {
        _ = try client.finish(acceptAlreadyClosed: true)
        for upstream in upstreams { _ = try upstream.finish(acceptAlreadyClosed: true) }
    }
}

@Suite("The client handler on NIO's embedded channels (io: nio)")
struct ClientHandlerTests {
    @Test("a request reaches the upstream byte for byte; the answer reaches the client with served-by")
    func forwardsBothWays() throws {
        let harness = try HandlerHarness()
        let request = "GET /users/7?x=1 HTTP/1.1\r\nHost: example.test\r\nAccept: */*\r\nX-Custom:  spaced \r\n\r\n"
        try harness.fromClient(request)
        #expect(harness.upstreams.count == 1)
        let upstream = try #require(harness.upstreams.first)
        #expect(try harness.written(to: upstream) == request)
        #expect(try harness.written(to: harness.client) == "")

        try harness.fromUpstream(
            upstream, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello")
        #expect(
            try harness.written(to: harness.client)
                == "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nserved-by: legacy\r\n\r\nhello")
        #expect(harness.client.isActive)
        try harness.finish()
    }

    @Test("both Content-Length and Transfer-Encoding: the exact 400, then the connection closes")
    func refusesAmbiguousFraming() throws {
        let harness = try HandlerHarness()
        try harness.fromClient(
            "POST /users HTTP/1.1\r\nHost: example.test\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\nabc")
        let body = "banyan: request refused: both Content-Length and Transfer-Encoding (the framing is ambiguous)\n"
        #expect(
            try harness.written(to: harness.client)
                == "HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain; charset=utf-8\r\n"
                + "content-length: \(body.utf8.count)\r\nserved-by: banyan\r\nconnection: close\r\n\r\n" + body)
        #expect(!harness.client.isActive)
        #expect(harness.upstreams.isEmpty)
        try harness.finish()
    }

    @Test("pipelined requests go upstream one at a time and are answered in order")
    func answersPipelinedRequestsInOrder() throws {
        let harness = try HandlerHarness()
        let first = "GET /a HTTP/1.1\r\nHost: example.test\r\n\r\n"
        let second = "GET /b HTTP/1.1\r\nHost: example.test\r\n\r\n"
        try harness.fromClient(first + second)
        let upstream = try #require(harness.upstreams.first)
        #expect(try harness.written(to: upstream) == first)

        try harness.fromUpstream(upstream, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na")
        // The second request goes out on the same connection once the first is answered.
        #expect(try harness.written(to: upstream) == second)
        try harness.fromUpstream(upstream, "HTTP/1.1 201 Created\r\nContent-Length: 1\r\n\r\nb")
        #expect(
            try harness.written(to: harness.client)
                == "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nserved-by: legacy\r\n\r\na"
                + "HTTP/1.1 201 Created\r\nContent-Length: 1\r\nserved-by: legacy\r\n\r\nb")
        #expect(harness.upstreams.count == 1)
        try harness.finish()
    }

    @Test("an upstream that closes before answering: the exact 502")
    func answers502WhenTheUpstreamCloses() throws {
        let harness = try HandlerHarness()
        try harness.fromClient("GET /a HTTP/1.1\r\nHost: example.test\r\n\r\n")
        let upstream = try #require(harness.upstreams.first)
        _ = try harness.written(to: upstream)
        try upstream.close().wait()
        harness.loop.run()
        let body = "banyan: the legacy service closed the connection before answering (GET /a)\n"
        #expect(
            try harness.written(to: harness.client)
                == "HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/plain; charset=utf-8\r\n"
                + "content-length: \(body.utf8.count)\r\nserved-by: banyan\r\n\r\n" + body)
        // A fresh connection that closes is not retried, and the client's connection stays open.
        #expect(harness.upstreams.count == 1)
        #expect(harness.client.isActive)
        try harness.finish()
    }

    // MARK: Deadlines, as the connection's state machine reports them and the handler answers them

    /// The exact answer of the proxy's own.
    static func proxyAnswer(_ status: String, _ body: String, close: Bool) -> String {
        "HTTP/1.1 \(status)\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: \(body.utf8.count)\r\n"
            + "served-by: banyan\r\n" + (close ? "connection: close\r\n" : "") + "\r\n" + body
    }

    @Test("a head still incomplete at head_timeout: the exact 408, counted, and the connection closes")
    func headDeadline() throws {
        let harness = try HandlerHarness { $0.headTimeout = .seconds(5) }
        try harness.fromClient("GET /a HTTP/1.1\r\nHost: exa")
        harness.handler.checkDeadlines(now: .now() + .seconds(4))
        #expect(try harness.written(to: harness.client) == "")
        harness.handler.checkDeadlines(now: .now() + .seconds(6))
        harness.loop.run()
        #expect(
            try harness.written(to: harness.client)
                == Self.proxyAnswer(
                    "408 Request Timeout", "banyan: the request head did not arrive within 5 s\n", close: true))
        #expect(!harness.client.isActive)
        #expect(harness.engine.limitEvents["head_timeout"] == 1)
        #expect(harness.upstreams.isEmpty)
        try harness.finish()
    }

    @Test("an upstream silent past response_timeout: the exact 504; the keep-alive client is served again")
    func upstreamDeadline() throws {
        let harness = try HandlerHarness { $0.legacyTimeout = .seconds(2) }
        try harness.fromClient("GET /slow HTTP/1.1\r\nHost: example.test\r\n\r\n")
        let first = try #require(harness.upstreams.first)
        _ = try harness.written(to: first)
        harness.handler.checkDeadlines(now: .now() + .seconds(1))
        #expect(try harness.written(to: harness.client) == "")
        harness.handler.checkDeadlines(now: .now() + .seconds(3))
        harness.loop.run()
        #expect(
            try harness.written(to: harness.client)
                == Self.proxyAnswer(
                    "504 Gateway Timeout", "banyan: the legacy service did not answer in time (GET /slow)\n",
                    close: false))
        #expect(harness.client.isActive)
        #expect(!first.isActive)
        // The next request goes out on a new upstream connection and is answered.
        try harness.fromClient("GET /b HTTP/1.1\r\nHost: example.test\r\n\r\n")
        #expect(harness.upstreams.count == 2)
        let second = harness.upstreams[1]
        #expect(try harness.written(to: second).hasPrefix("GET /b HTTP/1.1\r\n"))
        try harness.fromUpstream(second, "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
        #expect(
            try harness.written(to: harness.client)
                == "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nserved-by: legacy\r\n\r\nok")
        try harness.finish()
    }

    @Test("after a keep-alive answer of the proxy's own, the idle deadline counts from that answer")
    func idleAfterProxyAnswer() throws {
        let harness = try HandlerHarness { $0.clientIdleTimeout = .milliseconds(500) }
        // The connection is open for 300 ms before its request; the 502 then restarts the idle
        // deadline, as the end of an upstream's answer does.
        usleep(300_000)
        try harness.fromClient("GET /a HTTP/1.1\r\nHost: example.test\r\n\r\n")
        let upstream = try #require(harness.upstreams.first)
        try upstream.close().wait()
        harness.loop.run()
        #expect(try harness.written(to: harness.client).hasPrefix("HTTP/1.1 502 Bad Gateway\r\n"))
        let answered = NIODeadline.now()
        harness.handler.checkDeadlines(now: answered + .milliseconds(400))
        #expect(harness.client.isActive)
        #expect(harness.engine.limitEvents["idle_timeout"] == 0)
        harness.handler.checkDeadlines(now: answered + .milliseconds(600))
        harness.loop.run()
        #expect(!harness.client.isActive)
        #expect(harness.engine.limitEvents["idle_timeout"] == 1)
        try harness.finish()
    }
}
