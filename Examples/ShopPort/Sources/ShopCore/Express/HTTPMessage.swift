/// A request as the wire delivered it: the raw request-target, not decoded or normalised.
public struct WireRequest: Sendable {
    public var method: String
    public var target: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(method: String, target: String, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body
    }

    /// A header's value as Node presents it: repeated headers joined with ", ".
    public func header(_ name: String) -> String? {
        let values = headers.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
        return values.isEmpty ? nil : values.joined(separator: ", ")
    }

    /// Headers Node keeps only once (the first one wins).
    public func singleHeader(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

/// A response ready for the wire. `contentLength` is what the `Content-Length` header says
/// (nil: no such header), `body` is what follows the head (empty for HEAD).
public struct WireResponse: Sendable {
    public var status: Int
    public var reason: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status
        self.reason = statusText(status)
        self.headers = headers
        self.body = body
    }

    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// The response as raw HTTP/1.1 bytes without Date/Connection headers (for tests and tools).
    public var rawHead: String {
        var text = "HTTP/1.1 \(status) \(reason)\r\n"
        for (name, value) in headers {
            text += "\(name): \(value)\r\n"
        }
        return text + "\r\n"
    }
}

/// Node's reason phrases (`http.STATUS_CODES`) for the statuses this service produces.
public func statusText(_ status: Int) -> String {
    switch status {
    case 200: "OK"
    case 201: "Created"
    case 204: "No Content"
    case 304: "Not Modified"
    case 400: "Bad Request"
    case 404: "Not Found"
    case 405: "Method Not Allowed"
    case 413: "Payload Too Large"
    case 415: "Unsupported Media Type"
    case 426: "Upgrade Required"
    case 500: "Internal Server Error"
    default: "unknown"
    }
}
