import BanyanCore
import Dispatch
import Foundation
import NIOConcurrencyHelpers

#if canImport(Glibc)
    import Glibc
#endif

/// A TCP server for tests: records every byte it receives and answers each request head with a
/// fixed 200, or never answers at all (`hang`); it can close each connection after a number of
/// answers, the way nginx's `keepalive_requests` does.
///
/// Its threads hold it until ``close()``, which tests reach through ``withRecordingUpstream(hang:delay:closeAfter:firstBody:fileID:line:_:)``.
public final class RecordingUpstream: @unchecked Sendable {
    // @unchecked: `received` and the answer settings are guarded by `lock`; the rest is set in init.
    /// The port it listens on, chosen by the system.
    public var port: Int { server.port }
    private let server: ConnectionThreads
    private let hang: Bool
    private var delay: Double
    private let closeAfter: Int?
    private let firstBody: [UInt8]?
    private let lock = NIOLock()
    private var bytes: [UInt8] = []
    private var mostHeadsInOneRead = 0
    /// With a value n, every n-th answer (counted over all connections) is a 500.
    private var failEvery: Int?
    /// With ``failEvery``: only requests whose target starts with this count and fail.
    private var failPrefix: [UInt8]?
    private var answeredInAll = 0
    /// The body (and its content type) of every answer after a ``respond(with:contentType:)``.
    private var fixedBody: (body: [UInt8], contentType: String?)?

    /// - Parameters:
    ///   - hang: accept nothing and never answer.
    ///   - delay: seconds to wait before each answer.
    ///   - closeAfter: answers per connection; the last one says `Connection: close`.
    ///   - firstBody: the body of each connection's first answer, instead of `ok`.
    public init(hang: Bool = false, delay: Double = 0, closeAfter: Int? = nil, firstBody: [UInt8]? = nil) throws {
        self.hang = hang
        self.delay = delay
        self.closeAfter = closeAfter
        self.firstBody = firstBody
        server = try ConnectionThreads()
        if !hang { server.start { [self] connection in serve(connection) } }
    }

    /// Stops listening, closes every connection and waits until its threads have ended.
    public func close() async { await server.close() }

    public var base: BaseURL { BaseURL(host: "127.0.0.1", port: port) }

    /// Everything received so far.
    public var received: [UInt8] { lock.withLock { bytes } }

    /// Connections accepted so far.
    public var connections: Int { server.connections }

    /// The most request heads that one read brought in (above 1: the client pipelines).
    public var mostPipelined: Int { lock.withLock { mostHeadsInOneRead } }

    /// From now on each answer waits `seconds` first.
    public func answer(after seconds: Double) {
        lock.withLock { delay = seconds }
    }

    /// From now on every answer carries `body`, with `Content-Type: contentType` when given.
    public func respond(with body: String, contentType: String? = nil) {
        lock.withLock { fixedBody = (Array(body.utf8), contentType) }
    }

    /// From now on every `n`-th answer is `500 Internal Server Error` (1: all of them); nil: none.
    ///
    /// - Parameter prefix: only requests whose target starts with it are counted and failed.
    public func fail(every n: Int?, prefix: String? = nil) {
        lock.withLock {
            failEvery = n
            failPrefix = prefix.map { Array($0.utf8) }
            answeredInAll = 0
        }
    }

    private func serve(_ fd: Int32) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        var pending: [UInt8] = []
        var answered = 0
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count <= 0 { return }
            lock.withLock { bytes += buffer[0..<count] }
            pending += buffer[0..<count]
            var heads = 0
            while let end = pending.firstRange(of: Array("\r\n\r\n".utf8)) {
                // The target: from the first space of the request line to the next.
                let firstSpace = pending.firstIndex(of: 0x20) ?? 0
                let target = Array(pending[(firstSpace + 1)..<end.lowerBound].prefix { $0 != 0x20 })
                pending.removeSubrange(0..<end.upperBound)
                heads += 1
                answered += 1
                lock.withLock { mostHeadsInOneRead = max(mostHeadsInOneRead, heads) }
                let wait = lock.withLock { delay }
                if wait > 0 { usleep(UInt32(wait * 1_000_000)) }
                let last = closeAfter.map { answered >= $0 } ?? false
                let fixed = lock.withLock { fixedBody }
                let body = fixed?.body ?? (answered == 1 ? firstBody ?? Array("ok".utf8) : Array("ok".utf8))
                let typeLine = fixed?.contentType.map { "Content-Type: \($0)\r\n" } ?? ""
                let failing = lock.withLock { () -> Bool in
                    guard let failEvery else { return false }
                    if let failPrefix, !target.starts(with: failPrefix) { return false }
                    answeredInAll += 1
                    return answeredInAll % failEvery == 0
                }
                let statusLine = failing ? "500 Internal Server Error" : "200 OK"
                let answer =
                    Array(
                        "HTTP/1.1 \(statusLine)\r\n\(typeLine)Content-Length: \(body.count)\r\n"
                            .utf8) + Array("\(last ? "Connection: close\r\n" : "")\r\n".utf8) + body
                // MSG_NOSIGNAL: a connection that close() shut down fails the send with EPIPE instead of
                // raising SIGPIPE, which would end the test process.
                _ = answer.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if last {
                    shutdown(fd, Int32(SHUT_RDWR))
                    return
                }
            }
        }
    }
}

/// A TCP socket listening on a free port of 127.0.0.1, for the tests' own upstreams.
public func listeningSocket() throws -> (descriptor: Int32, port: Int) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var one: Int32 = 1
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    guard bound == 0, listen(fd, 128) == 0 else { throw TestSupportError("cannot listen for a test upstream") }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return (fd, Int(UInt16(bigEndian: address.sin_port)))
}

/// A TCP connection to `port` on 127.0.0.1, for tests that drive a proxy's socket by hand.
///
/// - Parameters:
///   - receiveBuffer: the socket's `SO_RCVBUF`, set before connecting (a small one makes a slow
///     reader whose own socket holds almost nothing); nil keeps the system's.
///   - readTimeout: the longest a read waits, in seconds; nil waits for ever.
/// - Returns: the connected descriptor; the caller closes it.
public func connectedSocket(port: Int, receiveBuffer: Int32? = nil, readTimeout: Int? = nil) throws -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    if var size = receiveBuffer {
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
    }
    if let readTimeout {
        var timeout = timeval(tv_sec: readTimeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(port).bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    guard connected == 0 else {
        close(fd)
        throw TestSupportError("cannot connect to 127.0.0.1:\(port)")
    }
    return fd
}

/// Every byte `fd` delivers until the peer closes (or a read fails or times out).
public func readToClose(_ fd: Int32) -> [UInt8] {
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count <= 0 { return bytes }
        bytes += buffer[0..<count]
    }
}

/// Starts a ``RecordingUpstream``, runs `body` with it and stops it before returning, also when
/// `body` throws.
public func withRecordingUpstream<Result>(
    hang: Bool = false, delay: Double = 0, closeAfter: Int? = nil, firstBody: [UInt8]? = nil,
    fileID: String = #fileID, line: Int = #line, _ body: (RecordingUpstream) async throws -> Result
) async throws -> Result {
    try await withTestServer(
        "recording upstream", fileID: fileID, line: line,
        start: { try RecordingUpstream(hang: hang, delay: delay, closeAfter: closeAfter, firstBody: firstBody) },
        close: { upstream in await upstream.close() }, body)
}

/// Two plain ``RecordingUpstream``s, legacy and candidate, for `body`; both stopped before returning.
public func withRecordingUpstreams<Result>(
    fileID: String = #fileID, line: Int = #line,
    _ body: (_ legacy: RecordingUpstream, _ candidate: RecordingUpstream) async throws -> Result
) async throws -> Result {
    try await withRecordingUpstream(fileID: fileID, line: line) { legacy in
        try await withRecordingUpstream(fileID: fileID, line: line) { candidate in
            try await body(legacy, candidate)
        }
    }
}

/// Runs blocking work (the socket client, process control) off the cooperative thread pool, so
/// that a test waiting on a socket never starves the proxy's admin tasks.
public func blocking<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async {
            continuation.resume(with: Result { try work() })
        }
    }
}
