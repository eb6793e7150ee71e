import BanyanCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Why an exchange with a server failed.
public struct HTTPClientError: Error, Sendable, CustomStringConvertible {
    private enum Code: Sendable {
        case resolve, connect, send, receive, timeout, protocolError
    }

    private let code: Code
    /// What a user reads: which server, and what went wrong.
    public let message: String

    private init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    static func resolve(_ host: String, _ detail: String) -> Self {
        .init(.resolve, "cannot resolve '\(host)': \(detail)")
    }
    static func connect(_ address: String, _ detail: String) -> Self {
        .init(.connect, "cannot connect to \(address): \(detail)")
    }
    static func send(_ address: String, _ detail: String) -> Self {
        .init(.send, "sending to \(address) failed: \(detail)")
    }
    static func receive(_ address: String, _ detail: String) -> Self {
        .init(.receive, "reading from \(address) failed: \(detail)")
    }
    static func timeout(_ address: String, _ seconds: Double) -> Self {
        .init(.timeout, "\(address) did not answer within \(seconds) s")
    }
    static func protocolError(_ address: String, _ detail: String) -> Self {
        .init(.protocolError, "\(address) sent a malformed response: \(detail)")
    }

    /// Whether the server could not be reached at all (nothing was sent).
    public var isConnectFailure: Bool { code == .connect || code == .resolve }
    /// Whether the server did not answer in time.
    public var isTimeout: Bool { code == .timeout }

    public var description: String { message }
}

/// A response with the exact bytes it arrived as.
public struct RawHTTPResponse: Sendable {
    public var response: HTTPResponse
    /// The status line, header block and body exactly as received.
    public var raw: [UInt8]
    /// Seconds from the first byte sent to the last byte received.
    public var elapsed: Double
}

/// One HTTP/1.1 connection over a TCP socket, used for one request after another.
///
/// Deliberately minimal and blocking: Banyan's recorder, verifier and tests need the bytes a
/// server put on the wire (header order and spelling, exact body), which higher-level clients
/// normalise away.
public final class HTTPConnection {
    private var socket: Int32 = -1
    private let host: String
    private let port: Int
    private let timeout: Double
    private var leftover: [UInt8] = []

    /// `host:port`, for messages.
    public var address: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Opens a connection.
    /// - Parameter timeout: seconds allowed for connecting and for each read and write.
    public init(host: String, port: Int, timeout: Double = 10) throws(HTTPClientError) {
        self.host = host
        self.port = port
        self.timeout = timeout
        try open()
    }

    deinit {
        close()
    }

    /// Closes the connection; later requests fail.
    public func close() {
        if socket >= 0 {
            _ = systemClose(socket)
            socket = -1
        }
    }

    /// Whether the connection is still open on this side.
    public var isOpen: Bool { socket >= 0 }

    private func open() throws(HTTPClientError) {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Glibc)
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
            hints.ai_socktype = SOCK_STREAM
        #endif
        var result: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &result)
        guard status == 0, let first = result else {
            throw .resolve(host, String(cString: gai_strerror(status)))
        }
        defer { freeaddrinfo(result) }
        var lastError = "no address"
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let info = candidate {
            let fd = systemSocket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
            if fd >= 0 {
                setTimeouts(fd)
                var one: Int32 = 1
                _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                if systemConnect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 {
                    socket = fd
                    return
                }
                lastError = errnoText()
                _ = systemClose(fd)
            } else {
                lastError = errnoText()
            }
            candidate = info.pointee.ai_next
        }
        throw .connect(address, lastError)
    }

    private func setTimeouts(_ fd: Int32) {
        var value = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1_000_000))
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Sends bytes as they are, for requests a well-behaved client would never send.
    public func sendRaw(_ bytes: [UInt8], method: String) throws(HTTPClientError) -> RawHTTPResponse {
        try sendRaw(bytes, method: method, keepingRest: false)
    }

    /// Sends an upgrade request (and any bytes after it) and reads the answer; after a `101` the
    /// connection carries the new protocol through ``write(_:)`` and ``readSome()``, starting with
    /// the bytes that came right behind the `101`.
    public func sendUpgrade(_ bytes: [UInt8], method: String = "GET") throws(HTTPClientError) -> RawHTTPResponse {
        try sendRaw(bytes, method: method, keepingRest: true)
    }

    /// Writes bytes as they are (the new protocol's, after a `101`).
    public func write(_ bytes: [UInt8]) throws(HTTPClientError) {
        guard socket >= 0 else { throw .send(address, "the connection is closed") }
        try writeAll(bytes)
    }

    /// The bytes that are there to read, waiting for some; empty when the peer closed.
    public func readSome() throws(HTTPClientError) -> [UInt8] {
        if !leftover.isEmpty {
            defer { leftover = [] }
            return leftover
        }
        guard socket >= 0 else { return [] }
        var chunk = [UInt8](repeating: 0, count: 65536)
        let count = chunk.withUnsafeMutableBytes { systemRead(socket, $0.baseAddress, $0.count) }
        if count > 0 { return Array(chunk[0..<count]) }
        if count == 0 {
            close()
            return []
        }
        let code = errno
        close()
        if code == EAGAIN || code == EWOULDBLOCK { throw .timeout(address, timeout) }
        throw .receive(address, String(cString: strerror(code)))
    }

    private func sendRaw(
        _ bytes: [UInt8], method: String, keepingRest: Bool
    ) throws(HTTPClientError) -> RawHTTPResponse {
        guard socket >= 0 else { throw .send(address, "the connection is closed") }
        let started = monotonicSeconds()
        try writeAll(bytes)
        var parser = HTTPResponseParser(requestMethod: method)
        parser.append(leftover)
        leftover = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            do throws(HTTPParseError) {
                if let response = try parser.next() {
                    if keepingRest { leftover = Array(parser.unconsumed) }
                    return RawHTTPResponse(
                        response: response, raw: parser.rawBytesConsumed, elapsed: monotonicSeconds() - started)
                }
            } catch {
                throw .protocolError(address, error.message)
            }
            let count = chunk.withUnsafeMutableBytes { systemRead(socket, $0.baseAddress, $0.count) }
            if count > 0 {
                parser.append(chunk[0..<count])
            } else if count == 0 {
                close()
                do throws(HTTPParseError) {
                    let response = try parser.finish()
                    return RawHTTPResponse(
                        response: response, raw: parser.rawBytesConsumed, elapsed: monotonicSeconds() - started)
                } catch {
                    throw .protocolError(address, error.message)
                }
            } else {
                let code = errno
                close()
                if code == EAGAIN || code == EWOULDBLOCK { throw .timeout(address, timeout) }
                throw .receive(address, String(cString: strerror(code)))
            }
        }
    }

    /// Sends a request and reads its response.
    public func send(_ request: HTTPRequest) throws(HTTPClientError) -> RawHTTPResponse {
        let result = try sendRaw(request.serialized(host: address), method: request.method)
        if result.response.headers["connection"]?.lowercased() == "close" { close() }
        return result
    }

    private func writeAll(_ bytes: [UInt8]) throws(HTTPClientError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { buffer in
                systemSend(socket, buffer.baseAddress! + offset, buffer.count - offset)
            }
            if written < 0 {
                let code = errno
                close()
                if code == EAGAIN || code == EWOULDBLOCK { throw .timeout(address, timeout) }
                throw .send(address, String(cString: strerror(code)))
            }
            offset += written
        }
    }
}

/// Sends requests to one server, opening a connection per request.
public struct HTTPClient: Sendable {
    public var base: BaseURL
    /// Seconds allowed for connecting and for each read and write.
    public var timeout: Double

    public init(base: BaseURL, timeout: Double = 10) {
        self.base = base
        self.timeout = timeout
    }

    /// Sends the request; its target is taken relative to the base URL's path prefix.
    public func send(_ request: HTTPRequest) throws(HTTPClientError) -> RawHTTPResponse {
        let connection = try HTTPConnection(host: base.host, port: base.port, timeout: timeout)
        defer { connection.close() }
        var routed = request
        routed.target = base.pathPrefix + request.target
        return try connection.send(routed)
    }
}

/// Seconds on a clock that never goes back.
public func monotonicSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1_000_000_000
}

private func errnoText() -> String { String(cString: strerror(errno)) }

#if canImport(Glibc)
    private func systemSocket(_ domain: Int32, _ type: Int32, _ proto: Int32) -> Int32 {
        Glibc.socket(domain, type, proto)
    }
    private func systemConnect(_ fd: Int32, _ address: UnsafePointer<sockaddr>?, _ length: socklen_t) -> Int32 {
        Glibc.connect(fd, address, length)
    }
    private func systemClose(_ fd: Int32) -> Int32 { Glibc.close(fd) }
    private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
        Glibc.read(fd, buffer, count)
    }
    private func systemSend(_ fd: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
        Glibc.send(fd, buffer, count, Int32(MSG_NOSIGNAL))
    }
#else
    private func systemSocket(_ domain: Int32, _ type: Int32, _ proto: Int32) -> Int32 {
        Darwin.socket(domain, type, proto)
    }
    private func systemConnect(_ fd: Int32, _ address: UnsafePointer<sockaddr>?, _ length: socklen_t) -> Int32 {
        Darwin.connect(fd, address, length)
    }
    private func systemClose(_ fd: Int32) -> Int32 { Darwin.close(fd) }
    private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
        Darwin.read(fd, buffer, count)
    }
    private func systemSend(_ fd: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
        Darwin.send(fd, buffer, count, 0)
    }
#endif
