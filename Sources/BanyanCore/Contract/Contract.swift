/// The wire contract inferred from recorded traffic: per route, the request body and, per status,
/// the response body and the headers clients depend on.
public struct Contract: Sendable, Hashable {
    /// The thresholds the inference ran with; contracts merge only when they agree.
    public var settings: ContractSettings
    /// Routes by name (`GET /users/:id`).
    public var routes: [String: RouteContract]

    /// Creates a contract, empty until exchanges are added.
    ///
    /// - Parameters:
    ///   - settings: The thresholds that turn counts into decisions (enum, integer).
    ///   - routes: Route contracts by route name, for a contract read back from a file.
    public init(settings: ContractSettings = .default, routes: [String: RouteContract] = [:]) {
        self.settings = settings
        self.routes = routes
    }

    /// How many exchanges the contract was inferred from.
    public var exchangeCount: Int { routes.values.reduce(0) { $0 + $1.exchanges.count } }

    /// Adds one exchange.
    public mutating func add(_ exchange: ContractExchange) {
        routes[exchange.route, default: RouteContract(route: exchange.route)].add(exchange, settings: settings)
    }

    /// Adds everything another contract saw (inferred with the same settings).
    public mutating func merge(_ other: Contract) {
        let settings = settings
        routes.mergeFacts(other.routes) { $0.merge($1, settings: settings) }
    }
}

/// One exchange as the inference reads it.
public struct ContractExchange: Sendable {
    /// Names the exchange in evidence: a fixture's path relative to its folder.
    public var id: String
    /// The configured route (`GET /users/:id`), or method and path when no route matched.
    public var route: String
    /// The request as recorded; its body feeds the route's request schema.
    public var request: HTTPRequest
    /// Legacy's answer; its status picks the ``ResponseContract`` and its body feeds that schema.
    public var response: HTTPResponse

    /// Creates an exchange for the inference.
    ///
    /// - Parameters:
    ///   - id: The name evidence cites it by (a fixture's path relative to its folder).
    ///   - route: The configured route, or method and path when no route matched.
    ///   - request: The request as recorded.
    ///   - response: Legacy's answer.
    public init(id: String, route: String, request: HTTPRequest, response: HTTPResponse) {
        self.id = id
        self.route = route
        self.request = request
        self.response = response
    }
}

/// A route's request body and its answers by status.
public struct RouteContract: Sendable, Hashable {
    /// The route the contract is for (`GET /users/:id`).
    public var route: String
    /// The exchanges of this route.
    public var exchanges = Evidence()
    /// What the request bodies showed, read as Express's `JSON.parse` reads them.
    public var request = BodyFacts()
    /// The answers by status code: a port must reproduce each status's body and headers.
    public var responses: [Int: ResponseContract] = [:]

    /// Creates an empty contract for a route.
    public init(route: String) {
        self.route = route
    }

    mutating func add(_ exchange: ContractExchange, settings: ContractSettings) {
        exchanges.add(exchange.id)
        request.observe(
            exchange.request.body, contentType: exchange.request.headers["content-type"], id: exchange.id,
            canonical: true, settings: settings)
        let status = exchange.response.status
        responses[status, default: ResponseContract(status: status)].add(exchange, settings: settings)
    }

    mutating func merge(_ other: RouteContract, settings: ContractSettings) {
        exchanges.merge(other.exchanges)
        request.merge(other.request, settings: settings)
        responses.mergeFacts(other.responses) { $0.merge($1, settings: settings) }
    }
}

/// The answers of one route with one status.
public struct ResponseContract: Sendable, Hashable {
    /// The status code these answers share.
    public var status: Int
    /// The exchanges answered with this status.
    public var exchanges = Evidence()
    /// What the response bodies with this status showed, as legacy wrote them.
    public var body = BodyFacts()
    /// The contract headers by lower-case name (content type, cache, CORS, Location, Vary, Allow).
    public var headers: [String: HeaderFacts] = [:]

    /// Creates an empty contract for the answers with a status.
    public init(status: Int) {
        self.status = status
    }

    /// Whether a response header is part of the contract.
    public static func isContractHeader(_ name: String) -> Bool {
        [
            "content-type", "cache-control", "location", "vary", "allow", "content-security-policy",
            "x-content-type-options",
        ].contains(name) || name.hasPrefix("access-control-")
    }

    mutating func add(_ exchange: ContractExchange, settings: ContractSettings) {
        exchanges.add(exchange.id)
        body.observe(
            exchange.response.body, contentType: exchange.response.headers["content-type"], id: exchange.id,
            canonical: false, settings: settings)
        for field in exchange.response.headers {
            let name = field.name.lowercased()
            guard Self.isContractHeader(name) else { continue }
            headers[name, default: HeaderFacts()].observe(field.value, id: exchange.id, settings: settings)
        }
    }

    mutating func merge(_ other: ResponseContract, settings: ContractSettings) {
        exchanges.merge(other.exchanges)
        body.merge(other.body, settings: settings)
        headers.mergeFacts(other.headers) { $0.merge($1, settings: settings) }
    }
}

/// One header: how often it was sent, its values while they are few, and their patterns.
public struct HeaderFacts: Sendable, Hashable {
    /// The answers that sent the header.
    public var present = Evidence()
    /// Distinct values; nil once more than ``ContractSettings/trackedValues`` were seen.
    public var values: [String: Evidence]? = [:]
    /// Values with every run of digits replaced by `{n}` (`/articles/{n}`).
    public var patterns: [String: Evidence]? = [:]

    /// Creates facts for a header not seen yet.
    public init() {}

    /// `/articles/101` → `/articles/{n}`.
    public static func pattern(of value: String) -> String {
        var result = ""
        var inDigits = false
        for character in value {
            if character.isASCII && character.isNumber {
                if !inDigits { result += "{n}" }
                inDigits = true
            } else {
                result.append(character)
                inDigits = false
            }
        }
        return result
    }

    mutating func observe(_ value: String, id: String, settings: ContractSettings) {
        present.add(id)
        if values != nil {
            values![value, default: Evidence()].add(id)
            if values!.count > settings.trackedValues { values = nil }
        }
        if patterns != nil {
            patterns![Self.pattern(of: value), default: Evidence()].add(id)
            if patterns!.count > settings.trackedValues { patterns = nil }
        }
    }

    mutating func merge(_ other: HeaderFacts, settings: ContractSettings) {
        present.merge(other.present)
        values = Self.merged(values, other.values, limit: settings.trackedValues)
        patterns = Self.merged(patterns, other.patterns, limit: settings.trackedValues)
    }

    static func merged(_ a: [String: Evidence]?, _ b: [String: Evidence]?, limit: Int) -> [String: Evidence]? {
        guard var a, let b else { return nil }
        for (value, evidence) in b { a[value, default: Evidence()].merge(evidence) }
        return a.count > limit ? nil : a
    }
}

/// The bodies of one side of a route (the request, or one status's responses).
public struct BodyFacts: Sendable, Hashable {
    /// Bodies that parsed as JSON (with a JSON content type, or none).
    public var json = Evidence()
    /// Non-empty bodies that are not JSON (HTML pages, text).
    public var text = Evidence()
    /// Bodies with no bytes at all.
    public var empty = Evidence()
    /// JSON bodies not laid out compactly as `JSON.stringify` writes them (indented, or spelled
    /// differently): their golden bytes are the compact form.
    public var nonCompact = Evidence()
    /// The schema of the JSON bodies.
    public var schema = SchemaNode()

    /// Creates facts for bodies not seen yet.
    public init() {}

    /// Records one body. With `canonical`, the body is read as Express reads a request body
    /// (`JSON.parse`), so the schema sees what a client-side port would parse.
    mutating func observe(
        _ body: [UInt8], contentType: String?, id: String, canonical: Bool, settings: ContractSettings
    ) {
        if body.isEmpty {
            empty.add(id)
            return
        }
        let isJSONType = contentType.map { Self.isJSONContentType($0) } ?? true
        guard isJSONType, let value = try? JSONParser.parse(body) else {
            text.add(id)
            return
        }
        json.add(id)
        if value.serialized() != body { nonCompact.add(id) }
        schema.observe(canonical ? value.javaScriptCanonical() : value, id: id, settings: settings)
    }

    /// `application/json`, `application/problem+json; charset=utf-8`, …
    public static func isJSONContentType(_ value: String) -> Bool {
        var type = value.utf8.prefix { $0 != UInt8(ascii: ";") }
        while type.first == UInt8(ascii: " ") || type.first == UInt8(ascii: "\t") { type = type.dropFirst() }
        while type.last == UInt8(ascii: " ") || type.last == UInt8(ascii: "\t") { type = type.dropLast() }
        let lowered = String(decoding: type, as: UTF8.self).lowercased()
        return lowered == "application/json" || lowered.hasSuffix("+json")
    }

    mutating func merge(_ other: BodyFacts, settings: ContractSettings) {
        json.merge(other.json)
        text.merge(other.text)
        empty.merge(other.empty)
        nonCompact.merge(other.nonCompact)
        schema.merge(other.schema, settings: settings)
    }
}

extension Dictionary {
    /// Merges `other` in: values under the same key with `merge`, the rest as they are.
    mutating func mergeFacts(_ other: [Key: Value], _ merge: (inout Value, Value) -> Void) {
        for (key, theirs) in other {
            if var mine = self[key] {
                merge(&mine, theirs)
                self[key] = mine
            } else {
                self[key] = theirs
            }
        }
    }
}
