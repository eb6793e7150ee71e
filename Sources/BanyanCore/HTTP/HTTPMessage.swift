/// A request as Banyan sends, records or replays it.
public struct HTTPRequest: Sendable, Hashable {
    /// The method, upper case as sent (`GET`).
    public var method: String
    /// The request target: the path with its query string, as sent (`/users?limit=2`).
    public var target: String
    /// The header fields in the order they are sent.
    ///
    /// ``serialized(host:)`` adds `Host` and `Content-Length` when they are absent.
    public var headers: HTTPHeaders
    /// The body bytes; empty when there is none.
    public var body: [UInt8]

    /// Creates a request from its parts, kept as given.
    ///
    /// - Parameters:
    ///   - method: The method, upper case (`GET`, `POST`).
    ///   - target: The origin-form target: path and query string (`/users/7?fields=name`).
    ///   - headers: The header fields in the order they are to be sent.
    ///   - body: The body bytes; empty for none.
    public init(method: String, target: String, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body
    }

    /// The target without its query string or fragment.
    public var path: String {
        var end = target.endIndex
        if let mark = target.firstIndex(where: { $0 == "?" || $0 == "#" }) { end = mark }
        return String(target[..<end])
    }

    /// The query string without the `?`, or nil when the target has none.
    public var query: String? {
        guard let mark = target.firstIndex(of: "?") else { return nil }
        let rest = target[target.index(after: mark)...]
        return String(rest.prefix { $0 != "#" })
    }
}

/// A response exactly as it came off the wire: status line, header block in order, body bytes.
public struct HTTPResponse: Sendable, Hashable {
    /// The status code of the status line (`200`, `404`).
    public var status: Int
    /// The reason phrase as sent (`Not Found`); may be empty.
    public var reason: String
    /// The protocol version of the status line (`HTTP/1.1`).
    public var version: String
    /// The header block in the order it was received.
    public var headers: HTTPHeaders
    /// The body after transfer decoding (chunks joined), not content decoding.
    public var body: [UInt8]

    /// Creates a response from its parts, as a fixture or a test states it.
    ///
    /// - Parameters:
    ///   - status: The status code.
    ///   - reason: The reason phrase; empty when the response has none.
    ///   - version: The protocol version of the status line.
    ///   - headers: The header block in wire order.
    ///   - body: The body after transfer decoding.
    public init(
        status: Int,
        reason: String = "",
        version: String = "HTTP/1.1",
        headers: HTTPHeaders = HTTPHeaders(),
        body: [UInt8] = []
    ) {
        self.status = status
        self.reason = reason
        self.version = version
        self.headers = headers
        self.body = body
    }

    /// The body as UTF-8 text, replacing invalid sequences.
    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// One request and the response it got.
public struct HTTPExchange: Sendable, Hashable {
    /// The request as it was sent.
    public var request: HTTPRequest
    /// The response as it came back.
    public var response: HTTPResponse

    /// Pairs a request with the response it got.
    public init(request: HTTPRequest, response: HTTPResponse) {
        self.request = request
        self.response = response
    }
}
