import Foundation
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import ShopApp

/// How `NodeConnectionHeaders` sorts upgrade requests: only a valid WebSocket handshake on
/// `/live` goes on to NIO's upgrader, every other one gets shop-legacy's bytes.
@Suite struct UpgradeTests {
    /// NIO's HTTP/1 codec with the handler after the decoder, as on a server connection.
    func channel() throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        let decoder = ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .forwardBytes))
        try channel.pipeline.syncOperations.addHandler(HTTPResponseEncoder())
        try channel.pipeline.syncOperations.addHandler(decoder)
        try channel.pipeline.syncOperations.addHandler(
            NodeConnectionHeaders(webSocketPath: "/live"), position: .after(decoder))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 8080)).wait()
        return channel
    }

    /// Sends `request` and returns what the handler passed on and what went out on the wire.
    func send(_ request: String) throws -> (heads: [HTTPRequestHead], written: String, open: Bool) {
        let channel = try channel()
        try channel.writeInbound(channel.allocator.buffer(string: request))
        var heads: [HTTPRequestHead] = []
        while let part = try channel.readInbound(as: HTTPServerRequestPart.self) {
            if case .head(let head) = part { heads.append(head) }
        }
        var written = ""
        while var buffer = try channel.readOutbound(as: ByteBuffer.self) {
            written += buffer.readString(length: buffer.readableBytes) ?? ""
        }
        return (heads, written, channel.isActive)
    }

    static let handshake =
        "Host: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"

    @Test func validHandshakeGoesToTheUpgrader() throws {
        let (heads, written, open) = try send("GET /live?x=1 HTTP/1.1\r\n" + Self.handshake)
        #expect(heads.count == 1)
        #expect(heads.first?.headers["upgrade"] == ["websocket"])
        #expect(written.isEmpty)
        #expect(open)
    }

    @Test func otherPathsAndProtocolsGetTheListenersBare404() throws {
        let notFound = "HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
        for request in [
            "GET /users HTTP/1.1\r\n" + Self.handshake,
            "GET /live/ HTTP/1.1\r\n" + Self.handshake,
            "GET /LIVE HTTP/1.1\r\n" + Self.handshake,
            "GET /live HTTP/1.1\r\nHost: localhost\r\nConnection: upgrade\r\nUpgrade: h2c\r\n\r\n",
        ] {
            let (heads, written, open) = try send(request)
            #expect(heads.isEmpty)
            #expect(written == notFound)
            #expect(!open)
        }
    }

    @Test func invalidHandshakesGetNodeWsAnswers() throws {
        func abort(_ status: String, _ message: String) -> String {
            "HTTP/1.1 \(status)\r\nConnection: close\r\nContent-Type: text/html\r\n"
                + "Content-Length: \(message.utf8.count)\r\n\r\n\(message)"
        }
        let post = try send("POST /live HTTP/1.1\r\n" + Self.handshake)
        #expect(post.written == abort("405 Method Not Allowed", "Invalid HTTP method"))
        let badKey = Self.handshake.replacingOccurrences(of: "dGhlIHNhbXBsZSBub25jZQ==", with: "short==")
        let key = try send("GET /live HTTP/1.1\r\n" + badKey)
        #expect(key.written == abort("400 Bad Request", "Missing or invalid Sec-WebSocket-Key header"))
        let oldVersion = Self.handshake.replacingOccurrences(of: "Version: 13", with: "Version: 7")
        let version = try send("GET /live HTTP/1.1\r\n" + oldVersion)
        #expect(version.written == abort("400 Bad Request", "Missing or invalid Sec-WebSocket-Version header"))
        #expect(!post.open && !key.open && !version.open)
    }

    @Test func upgradeFieldWithoutConnectionUpgradeIsAPlainRequest() throws {
        let (heads, written, open) = try send(
            "GET /live HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n\r\n")
        #expect(heads.count == 1)
        #expect(heads.first?.headers.contains(name: "upgrade") == false)
        #expect(written.isEmpty)
        #expect(open)
    }

    @Test func handshakeAfterAnotherRequestClosesWithoutAnAnswer() throws {
        let (heads, written, open) = try send(
            "GET /health HTTP/1.1\r\nHost: localhost\r\n\r\nGET /live HTTP/1.1\r\n" + Self.handshake)
        #expect(heads.map(\.uri) == ["/health"])
        #expect(written.isEmpty)
        #expect(!open)
    }

    @Test func switchingProtocolsIsWrittenAsNodeWsWritesIt() throws {
        let channel = try channel()
        try channel.writeInbound(channel.allocator.buffer(string: "GET /live HTTP/1.1\r\n" + Self.handshake))
        let head = HTTPResponseHead(
            version: .http1_1, status: .switchingProtocols,
            headers: HTTPHeaders([
                ("upgrade", "websocket"), ("sec-websocket-accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
                ("connection", "upgrade"),
            ]))
        try channel.writeOutbound(HTTPServerResponsePart.head(head))
        var written = ""
        while let data = try channel.readOutbound(as: IOData.self) {
            if case .byteBuffer(var buffer) = data { written += buffer.readString(length: buffer.readableBytes) ?? "" }
        }
        #expect(
            written
                == "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n")
    }

    @Test func webSocketKeys() {
        #expect(NodeConnectionHeaders.isWebSocketKey("dGhlIHNhbXBsZSBub25jZQ=="))
        #expect(NodeConnectionHeaders.isWebSocketKey("+/+/+/+/+/+/+/+/+/+/+/=="))
        #expect(!NodeConnectionHeaders.isWebSocketKey("dGhlIHNhbXBsZSBub25jZQ="))
        #expect(!NodeConnectionHeaders.isWebSocketKey("dGhlIHNhbXBsZSBub25jZ-=="))
        #expect(!NodeConnectionHeaders.isWebSocketKey(""))
    }
}
