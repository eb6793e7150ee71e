/// A route pattern in Express syntax (`/users/:id`); only literal and `:name` segments.
public struct RoutePattern: Sendable, CustomStringConvertible {
    enum Segment: Sendable {
        case literal(String)
        case param(String)
    }

    let segments: [Segment]
    public let description: String

    public init(_ pattern: String) {
        description = pattern
        segments = pattern.split(separator: "/", omittingEmptySubsequences: true).map { part in
            part.hasPrefix(":") ? .param(String(part.dropFirst())) : .literal(String(part))
        }
    }

    public enum Match: Sendable, Equatable {
        case none
        case matched([String: String])
        /// The path matched but a parameter is not valid percent-encoding (Express: 400).
        case badParameter
    }

    /// Express 4 defaults: case-insensitive, optional trailing slash (unless `strict`), no
    /// normalisation (`//users` does not match), parameters decoded after matching.
    public func match(_ pathname: String, strict: Bool = false) -> Match {
        guard pathname.hasPrefix("/") else { return .none }
        var path = Substring(pathname)
        if !strict && path.count > 1 && path.hasSuffix("/") {
            path = path.dropLast()
        }
        let parts = path.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        if segments.isEmpty { return path == "/" ? .matched([:]) : .none }
        guard parts.count == segments.count else { return .none }
        var raw: [(String, String)] = []
        for (segment, part) in zip(segments, parts) {
            switch segment {
            case .literal(let literal):
                guard asciiCaseInsensitiveEqual(literal, part) else { return .none }
            case .param(let name):
                guard !part.isEmpty else { return .none }
                raw.append((name, String(part)))
            }
        }
        var params: [String: String] = [:]
        for (name, value) in raw {
            guard let decoded = URLCoding.decodeURIComponent(value) else { return .badParameter }
            params[name] = decoded
        }
        return .matched(params)
    }

    private func asciiCaseInsensitiveEqual(_ a: String, _ b: Substring) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count else { return false }
        for (p, q) in zip(x, y) where lower(p) != lower(q) {
            return false
        }
        return true
    }

    private func lower(_ b: UInt8) -> UInt8 {
        (0x41...0x5A).contains(b) ? b + 32 : b
    }
}

/// What a handler sees, like Express's `req`.
public struct Req: Sendable {
    public let method: String
    public let pathname: String
    public let rawQuery: String?
    public let params: [String: String]
    /// `req.body` after `express.json()`: `{}` unless a JSON body was parsed.
    public let body: JSONValue
    public let wire: WireRequest

    /// `req.query[name]` reduced to what `Number(...)`/`typeof` can observe.
    public func query(_ name: String) -> QueryValue {
        QueryString.lookup(name, in: rawQuery)
    }
}

/// What a handler does to `res`. Only the calls an ordinary Express app makes.
public struct Res: Sendable {
    enum Outcome: Sendable {
        case send([UInt8], contentType: String)
        case end
    }

    public private(set) var statusCode = 200
    public private(set) var headers: [(name: String, value: String)] = []
    var outcome: Outcome?

    public init() {}

    public mutating func status(_ code: Int) {
        statusCode = code
    }

    /// `res.set(name, value)`: replaces an existing header in place (Node keeps its position).
    public mutating func set(_ name: String, _ value: String) {
        if let i = headers.firstIndex(where: { $0.name.lowercased() == name.lowercased() }) {
            headers[i] = (name, value)
        } else {
            headers.append((name, value))
        }
    }

    public mutating func remove(_ name: String) {
        headers.removeAll { $0.name.lowercased() == name.lowercased() }
    }

    /// `res.location(url)`: percent-encoded with encodeurl.
    public mutating func location(_ url: String) {
        set("Location", URLCoding.encodeUrl(url))
    }

    /// `res.json(value)`.
    public mutating func json(_ value: JSONValue) {
        outcome = .send(JSONWriter.bytes(value), contentType: "application/json; charset=utf-8")
    }

    /// Send bytes with exactly this Content-Type (what a non-Express framework might do).
    public mutating func send(_ bytes: [UInt8], contentType: String) {
        outcome = .send(bytes, contentType: contentType)
    }

    /// `res.end()`.
    public mutating func end() {
        outcome = .end
    }
}

/// Options that change the framework's behaviour; all false is Express 4's default.
public struct FrameworkQuirks: Sendable {
    /// Trailing slash must match exactly (`strict routing`).
    public var strictTrailingSlash = false
    /// Answer a known path with a wrong method by 405 + Allow instead of the 404 page.
    public var methodNotAllowed = false

    public init(strictTrailingSlash: Bool = false, methodNotAllowed: Bool = false) {
        self.strictTrailingSlash = strictTrailingSlash
        self.methodNotAllowed = methodNotAllowed
    }
}

/// An Express 4 application reduced to what this service uses: `express.json()`, routes in
/// registration order, automatic HEAD and OPTIONS, finalhandler's pages, ETags and 304s.
public struct ExpressApp<Context>: Sendable {
    /// A route handler; `Context` is whatever the application passes along (its state).
    public typealias Handler = @Sendable (Context, Req, inout Res) -> Void

    struct Route: Sendable {
        let method: String
        let pattern: RoutePattern
        let handler: Handler
    }

    private var routes: [Route] = []
    public var quirks: FrameworkQuirks

    public init(quirks: FrameworkQuirks = FrameworkQuirks()) {
        self.quirks = quirks
    }

    public mutating func get(_ path: String, _ handler: @escaping Handler) { add("GET", path, handler) }
    public mutating func post(_ path: String, _ handler: @escaping Handler) { add("POST", path, handler) }
    public mutating func delete(_ path: String, _ handler: @escaping Handler) { add("DELETE", path, handler) }

    private mutating func add(_ method: String, _ path: String, _ handler: @escaping Handler) {
        routes.append(Route(method: method, pattern: RoutePattern(path), handler: handler))
    }

    public func handle(_ request: WireRequest, context: Context) -> WireResponse {
        let method = request.method.uppercased()
        let (pathname, rawQuery) = Self.splitTarget(request.target)

        // express.json() runs first, for every request.
        let body: JSONValue
        switch BodyParser.json(request) {
        case .success(let parsed): body = parsed
        case .failure(let error): return Self.errorPage(status: error.status, method: method)
        }

        var badParameter = false
        var allowed: [String] = []
        for route in routes {
            let params: [String: String]
            switch route.pattern.match(pathname, strict: quirks.strictTrailingSlash) {
            case .none: continue
            case .badParameter:
                badParameter = true
                continue
            case .matched(let found): params = found
            }
            if badParameter { continue }
            let handles = route.method == method || (method == "HEAD" && route.method == "GET")
            if !handles {
                for m in route.method == "GET" ? ["GET", "HEAD"] : [route.method] where !allowed.contains(m) {
                    allowed.append(m)
                }
                continue
            }
            let req = Req(
                method: method, pathname: pathname, rawQuery: rawQuery, params: params, body: body, wire: request)
            var res = Res()
            route.handler(context, req, &res)
            return Self.finish(req: request, method: method, res: res)
        }
        if badParameter {
            return Self.errorPage(status: 400, method: method)
        }
        if method == "OPTIONS" && !allowed.isEmpty {
            var res = Res()
            let list = allowed.joined(separator: ",")
            res.set("Allow", list)
            res.send(Array(list.utf8), contentType: "text/html; charset=utf-8")
            return Self.finish(req: request, method: method, res: res)
        }
        if quirks.methodNotAllowed && !allowed.isEmpty {
            return WireResponse(
                status: 405, headers: [("Allow", allowed.joined(separator: ",")), ("Content-Length", "0")])
        }
        return Self.errorPage(status: 404, method: method, message: "Cannot \(method) \(URLCoding.encodeUrl(pathname))")
    }

    /// parseurl: the pathname and the raw query (fragment dropped; absolute-form targets reduced).
    static func splitTarget(_ target: String) -> (String, String?) {
        var rest = Substring(target)
        if let hash = rest.firstIndex(of: "#") {
            rest = rest[..<hash]
        }
        for scheme in ["http://", "https://"] where rest.lowercased().hasPrefix(scheme) {
            let afterScheme = rest.dropFirst(scheme.count)
            if let slash = afterScheme.firstIndex(where: { $0 == "/" || $0 == "?" }) {
                rest = afterScheme[slash...]
            } else {
                rest = "/"
            }
            if rest.hasPrefix("?") { rest = "/" + rest }
        }
        if let question = rest.firstIndex(of: "?") {
            return (String(rest[..<question]), String(rest[rest.index(after: question)...]))
        }
        return (String(rest), nil)
    }

    /// `res.send` / `res.end` turned into wire bytes, with Express's ETag, freshness and HEAD rules.
    static func finish(req: WireRequest, method: String, res: Res) -> WireResponse {
        var headers = res.headers
        var status = res.statusCode
        var body: [UInt8] = []
        switch res.outcome ?? .end {
        case .end:
            if status != 204 && status != 304 {
                headers.append(("Content-Length", "0"))
            }
        case .send(let bytes, let contentType):
            if !headers.contains(where: { $0.name.lowercased() == "content-type" }) {
                headers.append(("Content-Type", contentType))
            }
            headers.append(("Content-Length", String(bytes.count)))
            if !headers.contains(where: { $0.name.lowercased() == "etag" }) {
                headers.append(("ETag", expressWeakETag(bytes)))
            }
            if (method == "GET" || method == "HEAD") && ((200..<300).contains(status) || status == 304)
                && Freshness.isFresh(request: req, etag: headers.first { $0.name == "ETag" }?.value)
            {
                status = 304
            }
            if status == 204 || status == 304 {
                headers.removeAll {
                    ["content-type", "content-length", "transfer-encoding"].contains($0.name.lowercased())
                }
            } else {
                body = bytes
            }
        }
        if method == "HEAD" { body = [] }
        var response = WireResponse(status: status, headers: headers, body: body)
        response.reason = statusText(status)
        return response
    }

    /// finalhandler 1.2.0's page (production: the status text; 404: `Cannot METHOD /path`).
    public static func errorPage(status: Int, method: String, message: String? = nil) -> WireResponse {
        let text = URLCoding.escapeHtml(message ?? statusText(status))
        let page =
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Error</title>\n"
            + "</head>\n<body>\n<pre>\(text)</pre>\n</body>\n</html>\n"
        let bytes = Array(page.utf8)
        let headers = [
            ("Content-Security-Policy", "default-src 'none'"),
            ("X-Content-Type-Options", "nosniff"),
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Length", String(bytes.count)),
        ]
        return WireResponse(status: status, headers: headers, body: method == "HEAD" ? [] : bytes)
    }
}

/// `fresh` 0.5.2 as `req.fresh` uses it (responses here never carry Last-Modified).
enum Freshness {
    static func isFresh(request: WireRequest, etag: String?) -> Bool {
        let modifiedSince = request.header("if-modified-since") ?? ""
        let noneMatch = request.header("if-none-match") ?? ""
        if modifiedSince.isEmpty && noneMatch.isEmpty { return false }
        if let cacheControl = request.header("cache-control"), hasNoCache(cacheControl) { return false }
        if !noneMatch.isEmpty && noneMatch != "*" {
            guard let etag else { return false }
            let matches = tokenList(noneMatch).contains { $0 == etag || "W/" + $0 == etag || $0 == "W/" + etag }
            if !matches { return false }
        }
        if !modifiedSince.isEmpty {
            return false  // no Last-Modified on any response: always stale
        }
        return true
    }

    static func hasNoCache(_ value: String) -> Bool {
        value.split(separator: ",", omittingEmptySubsequences: false).contains {
            JSNumber.trim(String($0)) == "no-cache"
        }
    }

    static func tokenList(_ text: String) -> [String] {
        let chars = Array(text.utf16)
        var list: [String] = []
        var start = 0
        var end = 0
        for (i, c) in chars.enumerated() {
            switch c {
            case 0x20:
                if start == end {
                    start = i + 1
                    end = i + 1
                }
            case 0x2C:
                list.append(String(decoding: chars[start..<end], as: UTF16.self))
                start = i + 1
                end = i + 1
            default:
                end = i + 1
            }
        }
        list.append(String(decoding: chars[start..<end], as: UTF16.self))
        return list
    }
}
