/// The differences found for one request, and whether they pass.
public struct ExchangeReport: Sendable, Hashable {
    /// The request method, upper case (`GET`).
    public var method: String
    /// The request target as sent: path and query (`/users/abc?x=1`).
    public var path: String
    /// The route pattern the request matched (`GET /users/:id`), if any.
    public var route: String?
    /// The name of the probe that produced the request (`trailing-slash`), if any.
    public var probe: String?
    public var differences: [Difference]
    /// Whether no difference is at or above the failing severity.
    public var passed: Bool
    /// The severity at or above which a difference fails the exchange.
    public var failAt: Severity

    public init(
        method: String,
        path: String,
        route: String? = nil,
        probe: String? = nil,
        differences: [Difference],
        failAt: Severity = .risky
    ) {
        self.method = method
        self.path = path
        self.route = route
        self.probe = probe
        self.differences = differences
        self.failAt = failAt
        self.passed = !differences.contains { $0.severity >= failAt }
    }

    public init(
        request: HTTPRequest,
        route: String? = nil,
        probe: String? = nil,
        differences: [Difference],
        failAt: Severity = .risky
    ) {
        self.init(
            method: request.method, path: request.target, route: route, probe: probe, differences: differences,
            failAt: failAt)
    }

    /// The differences that fail the exchange.
    public var failures: [Difference] { differences.filter { $0.severity >= failAt } }
}

/// The outcome of comparing many exchanges: what `verify`, `probe` and `diff` print.
public struct DiffReport: Sendable, Hashable {
    public var exchanges: [ExchangeReport]

    public init(exchanges: [ExchangeReport]) {
        self.exchanges = exchanges
    }

    /// Counts over all exchanges.
    public struct Summary: Sendable, Hashable {
        public var exchanges: Int
        public var passed: Int
        public var failed: Int
        public var breaking: Int
        public var risky: Int
        public var cosmetic: Int
        public var noise: Int

        /// The number of differences with this severity.
        public func count(_ severity: Severity) -> Int {
            switch severity {
            case .breaking: breaking
            case .risky: risky
            case .cosmetic: cosmetic
            case .noise: noise
            }
        }
    }

    public var summary: Summary {
        let all = exchanges.flatMap(\.differences)
        let passed = exchanges.filter(\.passed).count
        return Summary(
            exchanges: exchanges.count, passed: passed, failed: exchanges.count - passed,
            breaking: all.filter { $0.severity == .breaking }.count, risky: all.filter { $0.severity == .risky }.count,
            cosmetic: all.filter { $0.severity == .cosmetic }.count, noise: all.filter { $0.severity == .noise }.count)
    }

    /// Whether every exchange passed.
    public var passed: Bool { exchanges.allSatisfy(\.passed) }
}
