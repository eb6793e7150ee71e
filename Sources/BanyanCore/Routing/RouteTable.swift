/// Routes in registration order, matched the way Express's router walks its stack.
public struct RouteTable<Value: Sendable>: Sendable {
    /// One registered route and what the caller keeps with it.
    public struct Entry: Sendable {
        /// The route as registered: method and pattern.
        public let route: Route
        /// What the caller attached to the route; the proxy keeps the route's index into its rules.
        public let value: Value
    }

    /// The routes in registration order, the order in which they are tried.
    public private(set) var entries: [Entry] = []

    /// Creates an empty table: every request gets `nil` from ``match(method:path:)``, as Express's 404.
    public init() {}

    /// Creates a table from routes in registration order.
    public init(_ routes: [(Route, Value)]) {
        entries = routes.map { Entry(route: $0.0, value: $0.1) }
    }

    /// Registers a route after all others, as a later `app.get` call does.
    ///
    /// - Parameters:
    ///   - route: The route; it is tried only when no earlier route matched.
    ///   - value: What ``match(method:path:)`` returns with the route.
    public mutating func append(_ route: Route, value: Value) {
        entries.append(Entry(route: route, value: value))
    }

    /// The number of registered routes.
    public var count: Int { entries.count }

    /// The route Express would run for `method` and `path` (no query string, still
    /// percent-encoded), or nil when Express answers 404.
    ///
    /// The first registered route whose pattern matches and that handles the method wins. As in
    /// Express, a parameter that fails to decode on the first route whose *pattern* matches
    /// (whatever its method) ends the search with a 400: the result is then
    /// `.malformedParameter`.
    public func match(method: String, path: String) -> RouteTableMatch<Value>? {
        for index in entries.indices {
            let result = entries[index].route.pattern.match(path)
            guard result.pathMatched else { continue }
            let entry = entries[index]
            switch result {
            case .noMatch: continue
            case .malformedParameter:
                return RouteTableMatch(index: index, route: entry.route, value: entry.value, result: result)
            case .matched:
                if entry.route.handles(method: method) {
                    return RouteTableMatch(index: index, route: entry.route, value: entry.value, result: result)
                }
            }
        }
        return nil
    }

    /// The position of the route `match(method:path:)` returns, without decoding parameters.
    @inlinable
    public func matchIndex(method: String, path: String) -> Int? {
        for index in entries.indices {
            let route = entries[index].route
            switch route.pattern.matches(path) {
            case nil: continue
            case false?: return index
            case true?: if route.handles(method: method) { return index }
            }
        }
        return nil
    }

    /// The methods Express's automatic `OPTIONS` reply lists for `path` (its `Allow` header):
    /// upper case, in registration order, `HEAD` right after a route's `GET`, each once. Empty
    /// when no route matches (Express answers 404) or a parameter fails to decode (400). `ALL`
    /// routes are not listed: Express runs them for OPTIONS instead of replying itself.
    public func allowedMethods(path: String) -> [String] {
        var methods: [String] = []
        func add(_ method: String) {
            if !methods.contains(method) { methods.append(method) }
        }
        for entry in entries {
            switch entry.route.pattern.match(path) {
            case .noMatch: continue
            case .malformedParameter: return []
            case .matched:
                guard entry.route.method != "ALL" else { continue }
                add(entry.route.method)
                if entry.route.method == "GET" { add("HEAD") }
            }
        }
        return methods
    }
}

/// The route a request goes to.
public struct RouteTableMatch<Value: Sendable>: Sendable {
    /// The route's position in registration order.
    public let index: Int
    /// The route that matched.
    public let route: Route
    /// What the caller registered with the route.
    public let value: Value
    /// `.matched` with the parameters, or `.malformedParameter` (Express answers 400).
    public let result: RouteMatchResult

    /// The decoded parameters, nil when one failed to decode.
    public var parameters: RouteParameters? { result.parameters }
}

extension RouteTableMatch: Equatable where Value: Equatable {}
