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
///
/// It also sorts upgrade requests as shop-legacy's `upgrade` listener and node-ws do, so that only
/// a valid WebSocket handshake on `webSocketPath` reaches NIO's upgrader; from that handshake on,
/// it passes everything through untouched (the upgrader removes the HTTP handlers around it, and
/// WebSocket frames follow).
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

    /// Set once a request head has been read: NIO's upgrader looks at the first request only.
    private var seenRequest = false
    /// Set once a WebSocket handshake has been handed to the upgrader.
    private var upgrading = false
    /// Set once the upgrader's `101` has gone out: what follows is WebSocket frames.
    private var switched = false

    /// The one path whose WebSocket upgrade is accepted (without the query).
    let webSocketPath: String

    /// Node's `http.maxHeaderSize`: the URL plus every header name and value, in bytes.
    static let maxHeaderSize = 16_384

    /// A handler that accepts the WebSocket upgrade on `webSocketPath` only.
    init(webSocketPath: String) {
        self.webSocketPath = webSocketPath
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if upgrading {
            context.fireChannelRead(data)
            return
        }
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
            let firstRequest = !seenRequest
            seenRequest = true
            if Self.isUpgrade(head) {
                if let refusal = upgradeRefusal(head) {
                    reject(context: context, with: refusal)
                } else if !firstRequest {
                    // NIO's upgrader only sees a connection's first request; close without an
                    // answer, as a server does when its keep-alive close crosses a request, and
                    // the client retries on a new connection.
                    rejected = true
                    context.close(promise: nil)
                } else {
                    upgrading = true
                    context.fireChannelRead(data)
                }
                return
            }
            // Without `Connection: upgrade` Node serves the request as any other; NIO's upgrader
            // (and Hummingbird, on later requests) would act on the field.
            var rewritten = head.headers.contains(name: "upgrade")
            head.headers.remove(name: "upgrade")
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
                rewritten = true
            }
            if rewritten {
                context.fireChannelRead(wrapInboundOut(.head(head)))
                return
            }
        }
        context.fireChannelRead(data)
    }

    /// Node's parser flags an upgrade when the request has an `Upgrade` field and `upgrade` among the
    /// tokens of `Connection`; with an `upgrade` listener the request then goes to the listener only.
    static func isUpgrade(_ head: HTTPRequestHead) -> Bool {
        let tokens = head.headers["connection"].flatMap { $0.split(separator: ",") }
        return head.headers.contains(name: "upgrade")
            && tokens.contains { $0.trimmingCharacters(in: .whitespaces).lowercased() == "upgrade" }
    }

    /// The raw answer shop-legacy gives an upgrade request it does not accept, or nil for a valid
    /// WebSocket handshake on `webSocketPath`. Other paths and protocols get its `upgrade` listener's
    /// bare 404; on the path, node-ws checks the method, the key and the version, in that order.
    func upgradeRefusal(_ head: HTTPRequestHead) -> String? {
        let path = head.uri.split(separator: "?", omittingEmptySubsequences: false).first ?? ""
        let upgrade = head.headers["upgrade"].joined(separator: ", ")
        guard path == webSocketPath, upgrade.lowercased() == "websocket" else {
            return "HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
        }
        let key = head.headers["sec-websocket-key"].joined(separator: ", ")
        let version = head.headers["sec-websocket-version"].joined(separator: ", ")
            .trimmingCharacters(in: .whitespaces)
        if head.method != .GET {
            return Self.abortHandshake(405, "Method Not Allowed", "Invalid HTTP method")
        }
        if !Self.isWebSocketKey(key) {
            return Self.abortHandshake(400, "Bad Request", "Missing or invalid Sec-WebSocket-Key header")
        }
        // node-ws also takes version 8; NIO's upgrader takes 13 only.
        if version != "13" {
            return Self.abortHandshake(400, "Bad Request", "Missing or invalid Sec-WebSocket-Version header")
        }
        return nil
    }

    /// node-ws's `abortHandshake`: the message as an HTML body, then close.
    static func abortHandshake(_ code: Int, _ reason: String, _ message: String) -> String {
        "HTTP/1.1 \(code) \(reason)\r\nConnection: close\r\nContent-Type: text/html\r\n"
            + "Content-Length: \(message.utf8.count)\r\n\r\n\(message)"
    }

    /// node-ws's key check: `/^[+/0-9A-Za-z]{22}==$/`.
    static func isWebSocketKey(_ key: String) -> Bool {
        let bytes = Array(key.utf8)
        guard bytes.count == 24, bytes[22] == UInt8(ascii: "="), bytes[23] == UInt8(ascii: "=") else { return false }
        return bytes[..<22].allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "+"), UInt8(ascii: "/"):
                return true
            default:
                return false
            }
        }
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
        if upgrading {
            if !switched, case .head(var head) = unwrapOutboundIn(data), head.status == .switchingProtocols {
                switched = true
                // node-ws's order and spelling: Upgrade, Connection, Sec-WebSocket-Accept.
                let accept = head.headers["sec-websocket-accept"]
                head.headers.remove(name: "upgrade")
                head.headers.remove(name: "connection")
                head.headers.remove(name: "sec-websocket-accept")
                var fields = HTTPHeaders([("Upgrade", "websocket"), ("Connection", "Upgrade")])
                fields.add(contentsOf: accept.map { ("Sec-WebSocket-Accept", $0) })
                fields.add(contentsOf: head.headers.map { ($0.name, $0.value) })
                head.headers = fields
                context.write(wrapOutboundOut(.head(head)), promise: promise)
                return
            }
            context.write(data, promise: promise)
            return
        }
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

/// A Hummingbird HTTP/1 channel (here the WebSocket upgrade channel) with `NodeConnectionHeaders`
/// added to its pipeline, right after NIO's request decoder.
struct NodeLikeHTTP1Channel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value

    let base: Base
    /// The path whose WebSocket upgrade `NodeConnectionHeaders` lets through.
    let webSocketPath: String

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        base.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let decoder = try channel.pipeline.syncOperations.handler(
                type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            try channel.pipeline.syncOperations.addHandler(
                NodeConnectionHeaders(webSocketPath: webSocketPath), position: .after(decoder))
            return value
        }
    }

    /// Runs the base channel's handling. The upgrade channel logs, as an error, every connection
    /// that closed before its first request was read (a refused upgrade, 431, a client that sent
    /// nothing); Node says nothing then, and the HTTP handling below logs at debug and trace only,
    /// so this logger keeps critical lines alone.
    func handle(value: Value, logger: Logger) async {
        var quiet = logger
        quiet.logLevel = max(logger.logLevel, .critical)
        await base.handle(value: value, logger: quiet)
    }
}
