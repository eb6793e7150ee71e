/// A request as Banyan sends, records or replays it.
public struct HTTPRequest: Sendable, Hashable {
    /// The method, upper case as sent (`GET`).
    public var method: String
    /// The request target: the path with its query string, as sent (`/users?limit=2`).
    public var target: String
    public var headers: HTTPHeaders
    /// The body bytes; empty when there is none.
    public var body: [UInt8]

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
    public var status: Int
    /// The reason phrase as sent (`Not Found`); may be empty.
    public var reason: String
    /// The protocol version of the status line (`HTTP/1.1`).
    public var version: String
    public var headers: HTTPHeaders
    /// The body after transfer decoding (chunks joined), not content decoding.
    public var body: [UInt8]

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
    public var request: HTTPRequest
    public var response: HTTPResponse

    public init(request: HTTPRequest, response: HTTPResponse) {
        self.request = request
        self.response = response
    }
}
