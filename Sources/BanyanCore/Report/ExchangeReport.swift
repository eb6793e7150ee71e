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
    /// Every difference found between legacy's and the candidate's answers, noise included.
    public var differences: [Difference]
    /// Whether no difference is at or above the failing severity.
    public var passed: Bool
    /// The severity at or above which a difference fails the exchange.
    public var failAt: Severity

    /// Creates the report for one exchange and decides whether it passed.
    ///
    /// - Parameters:
    ///   - method: The request method, upper case.
    ///   - path: The request target as sent.
    ///   - route: The route pattern the request matched.
    ///   - probe: The name of the probe that made the request.
    ///   - differences: What the diff engine found.
    ///   - failAt: The severity at or above which a difference fails the exchange (`fail_at:` in the policy).
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

    /// Creates the report for one request and decides whether it passed; the method and target come from `request`.
    ///
    /// - Parameters:
    ///   - request: The request both sides answered.
    ///   - route: The route pattern the request matched.
    ///   - probe: The name of the probe that made the request.
    ///   - differences: What the diff engine found.
    ///   - failAt: The severity at or above which a difference fails the exchange.
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
    /// One report per request, in the order the requests were sent.
    public var exchanges: [ExchangeReport]

    /// Collects the reports of a run.
    public init(exchanges: [ExchangeReport]) {
        self.exchanges = exchanges
    }

    /// Counts over all exchanges.
    public struct Summary: Sendable, Hashable {
        /// The number of requests compared.
        public var exchanges: Int
        /// The requests with no difference at or above their failing severity.
        public var passed: Int
        /// The requests with at least one failing difference.
        public var failed: Int
        /// The `breaking` differences over all requests.
        public var breaking: Int
        /// The `risky` differences over all requests.
        public var risky: Int
        /// The `cosmetic` differences over all requests.
        public var cosmetic: Int
        /// The differences learned as `noise` over all requests.
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

    /// The counts the human report ends with and the JSON report carries under `summary`.
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
