import BanyanCore
import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus

/// A listener that answers `GET /metrics` with a registry's metrics in the Prometheus text format,
/// for commands that are not the proxy (`banyan data reconcile --watch --metrics-listen`).
public final class MetricsListener: Sendable {
    private let channel: any Channel
    private let group: MultiThreadedEventLoopGroup
    /// The port it listens on (useful when the address asked for port 0).
    public let port: Int

    private init(channel: any Channel, group: MultiThreadedEventLoopGroup) {
        self.channel = channel
        self.group = group
        self.port = channel.localAddress?.port ?? 0
    }

    /// Starts listening on `address`, on an event-loop thread of its own.
    ///
    /// - Parameters:
    ///   - address: where to listen; port 0 picks a free port, which ``port`` then tells.
    ///   - registry: the metrics to serve; each scrape writes what they hold at that moment.
    /// - Throws: ``ProxyError`` naming `--metrics-listen` and the address when it cannot be
    ///   listened on.
    public static func start(address: ListenAddress, registry: PrometheusCollectorRegistry) async throws
        -> MetricsListener
    {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            let channel = try await AdminServer.bindHTTP(group: group, address: address) {
                MetricsHandler(registry: registry)
            }
            return MetricsListener(channel: channel, group: group)
        } catch {
            try? await group.shutdownGracefully()
            throw ProxyError(.listen, "--metrics-listen: cannot listen on \(address): \(error)", cause: error)
        }
    }

    /// Stops listening and ends the listener's thread; errors while closing are ignored.
    public func close() async {
        try? await channel.close()
        try? await group.shutdownGracefully()
    }
}

private final class MetricsHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let registry: PrometheusCollectorRegistry
    private var path = ""

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): path = String(head.uri.prefix { $0 != "?" })
        case .body: break
        case .end:
            let found = path == "/metrics"
            let body = found ? registry.emitToBuffer() : Array("only GET /metrics here\n".utf8)
            var headers = NIOHTTP1.HTTPHeaders()
            headers.add(name: "content-type", value: found ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain")
            headers.add(name: "content-length", value: String(body.count))
            context.write(
                wrapOutboundOut(
                    .head(HTTPResponseHead(version: .http1_1, status: found ? .ok : .notFound, headers: headers))),
                promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: body)))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
    }
}
