import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1

/// Node's http server ends every response head with `Connection: keep-alive` and
/// `Keep-Alive: timeout=5` (or `Connection: close`, and then closes, when the request did not ask
/// for keep-alive: HTTP/1.0 without it, or `Connection: close`). Hummingbird sends neither, and
/// its request types no longer carry the HTTP version or the Connection header, so this handler
/// sits between NIO's HTTP/1 decoder and Hummingbird's codec and writes them at NIO's level.
final class NodeConnectionHeaders: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    struct RequestInfo {
        /// The parser's verdict: HTTP/1.1 unless `Connection: close`; HTTP/1.0 only with keep-alive.
        var keepAlive: Bool
        /// Whether Node may chunk the response (`useChunkedEncodingByDefault`): HTTP/1.1, or a
        /// `TE` header naming chunked.
        var canChunk: Bool
    }

    /// The requests whose responses have not been started, oldest first.
    private var pending: [RequestInfo] = []
    /// Keep-alive of the response being written.
    private var current = true

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(var head) = unwrapInboundIn(data) {
            let chunkedTE = head.headers["te"].contains { value in
                value.lowercased().split(whereSeparator: { !$0.isLetter }).contains("chunked")
            }
            let http11 = head.version.major > 1 || (head.version.major == 1 && head.version.minor >= 1)
            pending.append(RequestInfo(keepAlive: head.isKeepAlive, canChunk: http11 || chunkedTE))
            if !http11 && head.headers.contains(name: "expect") {
                // Node looks at Expect on HTTP/1.1 requests only.
                head.headers.remove(name: "expect")
                context.fireChannelRead(wrapInboundOut(.head(head)))
                return
            }
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head) where head.status.code >= 200:
            let request = pending.isEmpty ? RequestInfo(keepAlive: true, canChunk: true) : pending.removeFirst()
            // Node keeps the connection only if the client can find the end of the body.
            current = request.keepAlive && (request.canChunk || head.headers.contains(name: "content-length"))
            head.headers.remove(name: "connection")
            head.headers.remove(name: "keep-alive")
            if current {
                head.headers.add(name: "Connection", value: "keep-alive")
                head.headers.add(name: "Keep-Alive", value: "timeout=5")
            } else {
                head.headers.add(name: "Connection", value: "close")
            }
            // A body of unknown length is chunked: say so here, spelt as Node spells it and after
            // Connection, before NIO's encoder adds a lower-case `transfer-encoding` at the end.
            let bodyless = head.status.code == 204 || head.status.code == 304
            let hadChunked = head.headers.contains(name: "transfer-encoding")
            head.headers.remove(name: "transfer-encoding")
            if hadChunked || (!bodyless && request.canChunk && !head.headers.contains(name: "content-length")) {
                head.headers.add(name: "Transfer-Encoding", value: "chunked")
            }
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .end where !current:
            let written = context.eventLoop.makePromise(of: Void.self)
            written.futureResult.cascade(to: promise)
            context.writeAndFlush(data, promise: written)
            let channel = context.channel
            written.futureResult.whenComplete { _ in channel.close(promise: nil) }
        default:
            context.write(data, promise: promise)
        }
    }
}

/// Hummingbird's HTTP/1 channel with `NodeConnectionHeaders` added to its pipeline.
struct NodeLikeHTTP1Channel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value

    let base: HTTP1Channel

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        base.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let decoder = try channel.pipeline.syncOperations.handler(
                type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            try channel.pipeline.syncOperations.addHandler(NodeConnectionHeaders(), position: .after(decoder))
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}
