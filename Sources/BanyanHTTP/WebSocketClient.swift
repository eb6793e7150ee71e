import BanyanCore

/// A small blocking WebSocket client (RFC 6455): the opening handshake, then whole text and
/// binary messages one frame each. Enough to check that a WebSocket route works end to end
/// (`banyan demo`, the proxy's tests); not a general-purpose client.
public final class WebSocketClient {
    /// A message as it arrived.
    public struct Message: Sendable, Equatable {
        /// 1 text, 2 binary, 8 close, 9 ping, 10 pong.
        public var opcode: UInt8
        public var payload: [UInt8]

        public init(opcode: UInt8, payload: [UInt8]) {
            self.opcode = opcode
            self.payload = payload
        }

        public var text: String { String(decoding: payload, as: UTF8.self) }
    }

    /// The server's `101 Switching Protocols`.
    public let handshake: RawHTTPResponse
    private let connection: HTTPConnection
    private var received: [UInt8] = []

    /// Connects and upgrades `target` to a WebSocket.
    /// - Throws: ``HTTPClientError`` when the connection fails or the server answers anything but `101`.
    public init(
        host: String, port: Int, target: String, headers: [(String, String)] = [], timeout: Double = 10
    ) throws(HTTPClientError) {
        connection = try HTTPConnection(host: host, port: port, timeout: timeout)
        let key = Base64.encode((0..<16).map { _ in UInt8.random(in: 0...255) })
        var fields: [(String, String)] = [
            ("Host", connection.address), ("Connection", "Upgrade"), ("Upgrade", "websocket"),
            ("Sec-WebSocket-Version", "13"), ("Sec-WebSocket-Key", key),
        ]
        fields += headers
        let request = HTTPRequest(method: "GET", target: target, headers: HTTPHeaders(fields))
        handshake = try connection.sendUpgrade(request.serialized(host: connection.address))
        guard handshake.response.status == 101 else {
            connection.close()
            throw .protocolError(
                connection.address,
                "the server answered \(handshake.response.status) instead of 101 Switching Protocols")
        }
    }

    /// Sends one text message.
    public func send(text: String) throws(HTTPClientError) {
        try send(opcode: 1, Array(text.utf8))
    }

    /// Sends one binary message.
    public func send(binary: [UInt8]) throws(HTTPClientError) {
        try send(opcode: 2, binary)
    }

    /// Sends a close frame and closes the connection.
    public func close() {
        try? send(opcode: 8, [0x03, 0xE8])
        connection.close()
    }

    /// Waits for the next whole message (a frame with FIN set; fragments are not joined).
    public func receive() throws(HTTPClientError) -> Message {
        while true {
            if let (message, length) = Self.frame(in: received) {
                received.removeFirst(length)
                return message
            }
            let bytes = try connection.readSome()
            if bytes.isEmpty {
                throw .protocolError(connection.address, "the connection closed before a whole message arrived")
            }
            received += bytes
        }
    }

    private func send(opcode: UInt8, _ payload: [UInt8]) throws(HTTPClientError) {
        // Every frame from a client is masked (RFC 6455 §5.3).
        var frame: [UInt8] = [0x80 | opcode]
        if payload.count < 126 {
            frame.append(0x80 | UInt8(payload.count))
        } else if payload.count <= 0xFFFF {
            frame += [0x80 | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        } else {
            frame.append(0x80 | 127)
            for shift in stride(from: 56, through: 0, by: -8) { frame.append(UInt8((payload.count >> shift) & 0xFF)) }
        }
        let mask = (0..<4).map { _ in UInt8.random(in: 0...255) }
        frame += mask
        for (index, byte) in payload.enumerated() { frame.append(byte ^ mask[index % 4]) }
        try connection.write(frame)
    }

    /// The first frame in `bytes` and its length on the wire, or nil when it is not all there.
    static func frame(in bytes: [UInt8]) -> (Message, Int)? {
        guard bytes.count >= 2 else { return nil }
        let opcode = bytes[0] & 0x0F
        let masked = bytes[1] & 0x80 != 0
        var length = Int(bytes[1] & 0x7F)
        var offset = 2
        if length == 126 {
            guard bytes.count >= 4 else { return nil }
            length = Int(bytes[2]) << 8 | Int(bytes[3])
            offset = 4
        } else if length == 127 {
            guard bytes.count >= 10 else { return nil }
            length = bytes[2..<10].reduce(0) { $0 << 8 | Int($1) }
            offset = 10
        }
        let mask = masked ? Array(bytes[offset..<min(bytes.count, offset + 4)]) : []
        if masked { offset += 4 }
        guard bytes.count >= offset + length else { return nil }
        var payload = Array(bytes[offset..<offset + length])
        if masked { for index in payload.indices { payload[index] ^= mask[index % 4] } }
        return (Message(opcode: opcode, payload: payload), offset + length)
    }
}
