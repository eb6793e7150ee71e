import Foundation
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import ShopCore

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
    /// Set once the connection is being answered by Node's own parser-level error response.
    private var rejected = false
    /// Set while the parts of a request answered here (417) are being discarded.
    private var dropping = false

    /// Node's `http.maxHeaderSize`: the URL plus every header name and value, in bytes.
    static let maxHeaderSize = 16_384

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if rejected { return }
        let part = unwrapInboundIn(data)
        if dropping {
            if case .end = part { dropping = false }
            return
        }
        if case .head(var head) = part {
            let size = head.headers.reduce(head.uri.utf8.count) { $0 + $1.name.utf8.count + $1.value.utf8.count }
            if size >= Self.maxHeaderSize {
                reject(
                    context: context, with: "HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n")
                return
            }
            if head.version == .http1_1 && !head.headers.contains(name: "host") {
                let date = HTTPDate.format(epochSeconds: Int64(Date().timeIntervalSince1970))
                reject(
                    context: context,
                    with: "HTTP/1.1 400 Bad Request\r\nConnection: close\r\nDate: \(date)\r\n"
                        + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
                return
            }
            let chunkedTE = head.headers["te"].contains { value in
                value.lowercased().split(whereSeparator: { !$0.isLetter }).contains("chunked")
            }
            let http11 = head.version.major > 1 || (head.version.major == 1 && head.version.minor >= 1)
            let expect = head.headers["expect"].first
            if http11, let expect, expect.lowercased() != "100-continue", pending.isEmpty {
                // Node's default 'checkExpectation' answer, written here so that its bytes are
                // exactly Node's; the request (and its body) is dropped.
                answerExpectationFailed(context: context, keepAlive: head.isKeepAlive)
                return
            }
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

    /// What Node's parser does with a request it cannot parse: a bare 400 (431 for an oversized
    /// head), then close. Hummingbird would answer 400 with `Content-Length: 0`.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parserError = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        let status =
            parserError == .headerOverflow ? "431 Request Header Fields Too Large" : "400 Bad Request"
        reject(context: context, with: "HTTP/1.1 \(status)\r\nConnection: close\r\n\r\n")
    }

    private func answerExpectationFailed(context: ChannelHandlerContext, keepAlive: Bool) {
        dropping = true
        let date = HTTPDate.format(epochSeconds: Int64(Date().timeIntervalSince1970))
        let connection = keepAlive ? "Connection: keep-alive\r\nKeep-Alive: timeout=5" : "Connection: close"
        let response =
            "HTTP/1.1 417 Expectation Failed\r\nDate: \(date)\r\n\(connection)\r\n"
            + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
        guard keepAlive else {
            reject(context: context, with: response)
            return
        }
        let channel = context.channel
        if let encoder = try? channel.pipeline.syncOperations.context(handlerType: HTTPResponseEncoder.self) {
            encoder.writeAndFlush(NIOAny(channel.allocator.buffer(string: response)), promise: nil)
        }
    }

    /// Writes raw bytes straight to the socket (below NIO's response encoder) and closes.
    private func reject(context: ChannelHandlerContext, with response: String) {
        guard !rejected else { return }
        rejected = true
        let channel = context.channel
        guard let encoder = try? channel.pipeline.syncOperations.context(handlerType: HTTPResponseEncoder.self)
        else {
            channel.close(promise: nil)
            return
        }
        let buffer = channel.allocator.buffer(string: response)
        encoder.writeAndFlush(NIOAny(buffer)).whenComplete { _ in channel.close(promise: nil) }
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
