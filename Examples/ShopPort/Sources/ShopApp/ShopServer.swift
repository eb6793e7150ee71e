import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import ShopCore

/// Hands every request to `ShopService` untouched (raw target, all headers, the body) and writes
/// its answer back. Routing is not Hummingbird's: its router is case-sensitive and treats
/// `//users` as `/users`, where Express does neither.
public struct ShopResponder: HTTPResponder {
    public typealias Context = BasicRequestContext

    let shop: ShopService

    public init(shop: ShopService) {
        self.shop = shop
    }

    public func respond(to request: Request, context: Context) async throws -> Response {
        var headers: [(name: String, value: String)] = []
        for field in request.headers {
            headers.append((field.name.rawName, field.value))
        }
        // Keep at most 1 MiB (compressed bodies are inflated later; the 100kb limit applies after
        // that); the rest is drained and dropped.
        var body: [UInt8] = []
        for try await buffer in request.body where body.count <= 1_048_576 {
            body.append(contentsOf: buffer.readableBytesView)
        }
        let wire = WireRequest(
            method: request.head.method.rawValue, target: request.head.path ?? "/", headers: headers, body: body)
        return Self.response(shop.handle(wire))
    }

    /// `HTTPTypes.HTTPField`, reached through the type Hummingbird re-exports.
    typealias Field = HTTPFields.Element

    static func response(_ wire: WireResponse) -> Response {
        var fields = HTTPFields()
        for (name, value) in wire.headers {
            if let fieldName = Field.Name(name) {
                fields.append(Field(name: fieldName, value: value))
            }
        }
        let status = HTTPResponse.Status(code: wire.status, reasonPhrase: wire.reason)
        let body: ResponseBody
        if wire.header("Content-Length") == nil {
            // No Content-Length at all (204, 304): a body of unknown length that writes nothing.
            body = ResponseBody(contentLength: nil) { writer in try await writer.finish(nil) }
        } else {
            // Content-Length is already in the headers (for HEAD it describes the GET body).
            body = ResponseBody(byteBuffer: ByteBuffer(bytes: wire.body))
        }
        return Response(status: status, headers: fields, body: body)
    }
}

/// Runs the port until the process is stopped.
public enum ShopServer {
    public static func run(
        host: String, port: Int, naive: Bool, shop: ShopService? = nil, onReady: @escaping @Sendable (String) -> Void
    ) async throws {
        let responder = ShopResponder(shop: shop ?? ShopService(naive: naive))
        let line = "ShopPort listening on http://\(host):\(port)" + (naive ? " (naive)" : "")
        let app = Application(
            responder: responder,
            server: http1WithExpect(),
            configuration: .init(address: .hostname(host, port: port)),
            onServerRunning: { _ in onReady(line) }
        )
        try await app.runService()
    }
}

extension ShopServer {
    /// The path of the shop's one WebSocket, as node-ws accepts it: exact, without the query.
    static let webSocketPath = "/live"

    /// The largest WebSocket frame, and message, that `GET /live` accepts: 1 MiB (Hummingbird's
    /// default is 16 KiB).
    static let maxWebSocketMessage = 1 << 20

    /// Hummingbird's HTTP/1 server with the WebSocket upgrade of `GET /live`, plus Node's `Expect`
    /// handling (`100-continue` gets an interim `100 Continue` before the body is read; any other
    /// expectation gets Node's bare 417), Node's Connection/Keep-Alive headers and its keep-alive
    /// timeout (advertised as 5 s; Node 20 closes an idle connection after 6 s, which is what a
    /// client observes). Upgrade requests that shop-legacy refuses are answered as it does by
    /// `NodeConnectionHeaders` before they reach the upgrader.
    static func http1WithExpect() -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            let channel = HTTP1WebSocketUpgradeChannel(
                responder: { request, responseWriter, channel in
                    if let expect = request.headers.first(where: { $0.name.canonicalName == "expect" })?.value {
                        if expect.lowercased() == "100-continue" {
                            try await responseWriter.writeInformationalHead(HTTPResponse(status: .continue))
                        } else {
                            var fields = HTTPFields()
                            if let date = ShopResponder.Field.Name("Date") {
                                fields.append(
                                    ShopResponder.Field(
                                        name: date,
                                        value: HTTPDate.format(epochSeconds: Int64(Date().timeIntervalSince1970))))
                            }
                            let head = HTTPResponse(status: .init(code: 417, reasonPhrase: "Expectation Failed"))
                            var response = head
                            response.headerFields = fields
                            let body = ResponseBody(contentLength: nil) { writer in try await writer.finish(nil) }
                            try await responseWriter.write(response: response, body: body)
                            return
                        }
                    }
                    try await responder(request, responseWriter, channel)
                },
                configuration: .init(
                    http1: .init(idleTimeout: .seconds(6)),
                    ws: .init(
                        maxFrameSize: maxWebSocketMessage, autoPing: .disabled, validateUTF8: true)
                ),
                shouldUpgrade: { request, _, _ in
                    let path = request.path?.split(separator: "?", omittingEmptySubsequences: false).first
                    guard path == Substring(ShopServer.webSocketPath) else { return .dontUpgrade }
                    return .upgrade([:], ShopServer.echo)
                }
            )
            return NodeLikeHTTP1Channel(base: channel, webSocketPath: webSocketPath)
        }
    }

    /// `GET /live` once upgraded, as shop-legacy's node-ws handler: every message goes back as it
    /// was sent, text as text and binary as binary, until the client closes.
    @Sendable
    static func echo(
        inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter,
        context: HTTP1WebSocketUpgradeChannel.Context
    ) async throws {
        for try await message in inbound.messages(maxSize: maxWebSocketMessage) {
            switch message {
            case .text(let text):
                try await outbound.write(.text(text))
            case .binary(let data):
                try await outbound.write(.binary(data))
            }
        }
    }
}
