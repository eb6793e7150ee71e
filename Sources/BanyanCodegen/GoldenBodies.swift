import BanyanCore

/// The recorded bodies a generated package's golden test re-serializes, by route side.
///
/// Each `golden/<Type>.bodies` file is a sequence of records `<exchange id>\n<byte count>\n<bytes>\n`,
/// read the same way by the Rust and the Swift test.
public struct GoldenBodies: Sendable {
    public struct Body: Sendable, Hashable {
        public var id: String
        /// The bytes a port must write: the response body as Express sent it (compact form when it
        /// was indented), or the request body as `JSON.stringify(JSON.parse(body))` gives it.
        public var bytes: [UInt8]
    }

    public private(set) var bodies: [BodyKey: [Body]] = [:]
    /// Exchanges whose route side has no type in the plan (a route or status the contract lacks).
    public private(set) var unmatched: [(id: String, key: BodyKey)] = []

    public init() {}

    /// Files the JSON bodies of one exchange under its route sides.
    public mutating func add(_ exchange: ContractExchange, plannedKeys: Set<BodyKey>) {
        if let bytes = Self.requestBytes(exchange.request) {
            file(BodyKey(route: exchange.route, side: "request"), Body(id: exchange.id, bytes: bytes), plannedKeys)
        }
        if let bytes = Self.responseBytes(exchange.response) {
            let key = BodyKey(route: exchange.route, side: String(exchange.response.status))
            file(key, Body(id: exchange.id, bytes: bytes), plannedKeys)
        }
    }

    private mutating func file(_ key: BodyKey, _ body: Body, _ planned: Set<BodyKey>) {
        if planned.contains(key) { bodies[key, default: []].append(body) } else { unmatched.append((body.id, key)) }
    }

    static func requestBytes(_ request: HTTPRequest) -> [UInt8]? {
        guard !request.body.isEmpty,
            request.headers["content-type"].map(BodyFacts.isJSONContentType) ?? true,
            let value = try? JSONParser.parse(request.body)
        else { return nil }
        return value.javaScriptCanonical().serialized()
    }

    static func responseBytes(_ response: HTTPResponse) -> [UInt8]? {
        guard !response.body.isEmpty,
            response.headers["content-type"].map(BodyFacts.isJSONContentType) ?? true,
            let value = try? JSONParser.parse(response.body)
        else { return nil }
        let compact = value.serialized()
        return compact == response.body ? response.body : compact
    }

    /// The text of one `.bodies` file.
    public static func fileBytes(_ bodies: [Body]) -> [UInt8] {
        var out: [UInt8] = []
        for body in bodies {
            out += Array("\(body.id)\n\(body.bytes.count)\n".utf8)
            out += body.bytes
            out.append(UInt8(ascii: "\n"))
        }
        return out
    }
}

/// A generated file: its path inside the output folder and its bytes.
public struct GeneratedFile: Sendable, Hashable {
    public var path: String
    public var bytes: [UInt8]

    public init(path: String, text: String) {
        self.path = path
        self.bytes = Array(text.utf8)
    }

    public init(path: String, bytes: [UInt8]) {
        self.path = path
        self.bytes = bytes
    }
}
