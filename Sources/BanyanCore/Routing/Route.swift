/// One route of the configuration, written `METHOD /pattern` (`GET /users/:id`).
public struct Route: Sendable, Equatable, CustomStringConvertible {
    /// The method, upper case; `ALL` matches every method.
    public let method: String
    /// The path pattern, compiled for the configured Express flavour.
    public let pattern: RoutePattern
    /// The route as written.
    public let source: String

    /// The methods Node's HTTP parser accepts (`http.METHODS` of Node 20), plus Express's `ALL`.
    public static let knownMethods: Set<String> = [
        "ACL", "BIND", "CHECKOUT", "CONNECT", "COPY", "DELETE", "GET", "HEAD", "LINK", "LOCK", "M-SEARCH",
        "MERGE", "MKACTIVITY", "MKCALENDAR", "MKCOL", "MOVE", "NOTIFY", "OPTIONS", "PATCH", "POST", "PROPFIND",
        "PROPPATCH", "PURGE", "PUT", "QUERY", "REBIND", "REPORT", "SEARCH", "SOURCE", "SUBSCRIBE", "TRACE",
        "UNBIND", "UNLINK", "UNLOCK", "UNSUBSCRIBE", "ALL",
    ]

    /// Creates a route from a method and a compiled pattern, without checking the method.
    ///
    /// Use ``init(parsing:flavor:)`` for text a user wrote: it refuses methods Node would reject.
    ///
    /// - Parameters:
    ///   - method: The method, upper case, or `ALL`.
    ///   - pattern: The compiled path pattern.
    public init(method: String, pattern: RoutePattern) {
        self.method = method
        self.pattern = pattern
        self.source = "\(method) \(pattern.source)"
    }

    /// Parses `METHOD /pattern`: an upper-case method Node accepts (or `ALL`), one space, and a
    /// pattern starting with `/`. Pattern errors give columns within `text`.
    ///
    /// ```swift
    /// let route = try Route(parsing: "GET /users/:id", flavor: .express4)
    /// ```
    ///
    /// - Parameters:
    ///   - text: The route as written in `routes:`.
    ///   - flavor: The Express flavour whose path-to-regexp compiles the pattern.
    /// - Throws: ``RoutePatternError`` with a column and a hint: no method or no pattern, a method
    ///   Node rejects or in lower case, more than one space, or a pattern the flavour refuses.
    public init(parsing text: String, flavor: ExpressFlavor) throws(RoutePatternError) {
        guard let space = text.firstIndex(of: " ") else {
            if text.hasPrefix("/") {
                throw RoutePatternError(
                    "route '\(text)' has no method", hint: "write it as 'GET \(text)' (method, one space, pattern)")
            }
            throw RoutePatternError(
                "route '\(text)' has no pattern", hint: "write it as 'METHOD /path' (method, one space, pattern)")
        }
        let method = String(text[..<space])
        let pattern = String(text[text.index(after: space)...])
        guard !method.isEmpty else {
            throw RoutePatternError("route '\(text)' starts with a space", column: 1, hint: "write 'METHOD /path'")
        }
        if !Self.knownMethods.contains(method) {
            if Self.knownMethods.contains(method.uppercased()) {
                throw RoutePatternError(
                    "method '\(method)' is not upper case", column: 1,
                    hint: "write it as '\(method.uppercased())'")
            }
            throw RoutePatternError(
                "unknown method '\(method)'", column: 1,
                hint: "Node's HTTP parser rejects it before Express sees it; use GET, POST, PUT, PATCH, DELETE, "
                    + "HEAD, OPTIONS, ALL or another method Node accepts")
        }
        let patternColumn = method.count + 2
        guard pattern.first == "/" else {
            if pattern.first == " " {
                throw RoutePatternError(
                    "more than one space after the method", column: patternColumn,
                    hint: "write exactly one space between method and pattern")
            }
            throw RoutePatternError(
                "the pattern must start with '/'", column: patternColumn,
                hint: "write '\(method) /\(pattern)'")
        }
        do {
            self.pattern = try RoutePattern(pattern, flavor: flavor)
        } catch {
            throw error.shifted(by: patternColumn - 1)
        }
        self.method = method
        self.source = text
    }

    /// Whether a request with `requestMethod` (upper case) is handled: `ALL` handles every
    /// method and a `GET` route also answers `HEAD`.
    public func handles(method requestMethod: String) -> Bool {
        method == "ALL" || method == requestMethod || (requestMethod == "HEAD" && method == "GET")
    }

    /// The route as written: `GET /users/:id`.
    public var description: String { source }
}
