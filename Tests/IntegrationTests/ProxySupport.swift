import BanyanCore
import BanyanHTTP
import BanyanProxy
import BanyanState
import Dispatch
import Foundation
import NIOConcurrencyHelpers

#if canImport(Glibc)
    import Glibc
#endif

/// Runs blocking work (the socket client, process control) off the cooperative thread pool, so
/// that a test waiting on a socket never starves the proxy's admin tasks.
func blocking<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async {
            continuation.resume(with: Result { try work() })
        }
    }
}

/// A proxy started in this process for one test, with its state in a fresh SQLite file.
struct TestProxy {
    let server: ProxyServer
    let statePath: String

    var client: HTTPClient { HTTPClient(base: BaseURL(host: "127.0.0.1", port: server.port), timeout: 15) }

    static func start(
        legacy: BaseURL,
        candidate: BaseURL,
        routes: [String],
        configure: (inout [RouteConfig]) -> Void = { _ in },
        settings: ProxySettings = ProxySettings(),
        statePath: String? = nil,
        state: String? = nil,
        policy: DifferencePolicy = .default
    ) async throws -> TestProxy {
        var routeConfigs = try routes.map { text in
            let route = try Route(parsing: text, flavor: .express4)
            return RouteConfig(route: text, method: route.method, pattern: route.pattern.source)
        }
        configure(&routeConfigs)
        let path =
            statePath
            ?? FileManager.default.temporaryDirectory.appendingPathComponent(
                "banyan-proxy-\(UUID().uuidString)/state.sqlite"
            ).path
        let configuration = Configuration(
            legacy: legacy, candidate: candidate, express: .express4,
            listen: ListenAddress(host: "127.0.0.1", port: 0), admin: ListenAddress(host: "127.0.0.1", port: 0),
            state: state ?? "sqlite:\(path)", routes: routeConfigs, policy: policy)
        let server = try await ProxyServer.start(configuration: configuration, settings: settings)
        return TestProxy(server: server, statePath: path)
    }

    /// Sends one request on a new connection.
    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let client = self.client
        return try await blocking { try client.send(request).response }
    }

    func get(_ target: String, headers: [(String, String)] = []) async throws -> HTTPResponse {
        try await send(HTTPRequest(method: "GET", target: target, headers: HTTPHeaders(headers)))
    }
}

/// A TCP server for tests: records every byte it receives and answers each request head with a
/// fixed 200, or never answers at all (`hang`); it can close each connection after a number of
/// answers, the way nginx's `keepalive_requests` does.
final class RecordingUpstream: @unchecked Sendable {
    // @unchecked: `received` and `descriptors` are guarded by `lock`; the rest is set in init.
    let port: Int
    private let listener: Int32
    private let hang: Bool
    private var delay: Double
    private let closeAfter: Int?
    private let firstBody: [UInt8]?
    private let lock = NIOLock()
    private var bytes: [UInt8] = []
    private var accepted = 0
    private var mostHeadsInOneRead = 0
    private var descriptors: [Int32] = []
    private var stopped = false
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
    init(hang: Bool = false, delay: Double = 0, closeAfter: Int? = nil, firstBody: [UInt8]? = nil) throws {
        self.hang = hang
        self.delay = delay
        self.closeAfter = closeAfter
        self.firstBody = firstBody
        (listener, port) = try listeningSocket()
        if !hang {
            Thread.detachNewThread { [self] in acceptLoop() }
        }
    }

    var base: BaseURL { BaseURL(host: "127.0.0.1", port: port) }

    /// Everything received so far.
    var received: [UInt8] { lock.withLock { bytes } }

    /// Connections accepted so far.
    var connections: Int { lock.withLock { accepted } }

    /// The most request heads that one read brought in (above 1: the client pipelines).
    var mostPipelined: Int { lock.withLock { mostHeadsInOneRead } }

    /// From now on each answer waits `seconds` first.
    func answer(after seconds: Double) {
        lock.withLock { delay = seconds }
    }

    /// From now on every answer carries `body`, with `Content-Type: contentType` when given.
    func respond(with body: String, contentType: String? = nil) {
        lock.withLock { fixedBody = (Array(body.utf8), contentType) }
    }

    /// From now on every `n`-th answer is `500 Internal Server Error` (1: all of them); nil: none.
    ///
    /// - Parameter prefix: only requests whose target starts with it are counted and failed.
    func fail(every n: Int?, prefix: String? = nil) {
        lock.withLock {
            failEvery = n
            failPrefix = prefix.map { Array($0.utf8) }
            answeredInAll = 0
        }
    }

    private func acceptLoop() {
        while true {
            let connection = accept(listener, nil, nil)
            if connection < 0 { return }
            lock.withLock {
                descriptors.append(connection)
                accepted += 1
            }
            Thread.detachNewThread { [self] in serve(connection) }
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
                _ = answer.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                if last {
                    shutdown(fd, Int32(SHUT_RDWR))
                    return
                }
            }
        }
    }

    deinit {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
        for fd in lock.withLock({ descriptors }) {
            shutdown(fd, Int32(SHUT_RDWR))
            close(fd)
        }
    }
}

/// A TCP socket listening on a free port of 127.0.0.1, for the tests' own upstreams.
func listeningSocket() throws -> (descriptor: Int32, port: Int) {
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
    guard bound == 0, listen(fd, 128) == 0 else { throw TestFailure("cannot listen for a test upstream") }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return (fd, Int(UInt16(bigEndian: address.sin_port)))
}
