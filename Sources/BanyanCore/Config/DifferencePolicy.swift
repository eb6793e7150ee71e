/// Which differences a team accepts, and how much the rest matter.
///
/// Shared by every command that compares exchanges: `verify`, `probe`, `diff` and the proxy's
/// shadow mode. It is read from the `policy:` section of `banyan.yaml`.
public struct DifferencePolicy: Sendable, Hashable {
    /// Severity at or above which `verify`, `probe` and `diff` exit 1. Default: `risky`.
    public var failAt: Severity
    /// Differences matching any of these rules are dropped from reports.
    public var ignore: [PolicyRule]
    /// Differences matching one of these rules get the rule's severity (the first match wins).
    public var downgrade: [DowngradeRule]
    /// Header names (lower case) never compared. Defaults to ``DifferencePolicy/defaultIgnoredHeaders``.
    public var ignoredHeaders: Set<String>

    /// Headers that differ between any two servers and that no client relies on.
    ///
    /// `etag` and `x-powered-by` are deliberately absent: they are reported with the severity a
    /// client would give them.
    public static let defaultIgnoredHeaders: Set<String> = [
        "date", "connection", "keep-alive", "transfer-encoding", "server", "age", "via",
        "proxy-connection", "upgrade", "te", "trailer",
    ]

    public init(
        failAt: Severity = .risky,
        ignore: [PolicyRule] = [],
        downgrade: [DowngradeRule] = [],
        ignoredHeaders: Set<String> = DifferencePolicy.defaultIgnoredHeaders
    ) {
        self.failAt = failAt
        self.ignore = ignore
        self.downgrade = downgrade
        self.ignoredHeaders = ignoredHeaders
    }

    /// The policy a team starts with.
    public static let `default` = DifferencePolicy()
}

/// Selects differences by any combination of kind, header, JSON path and route.
///
/// Every field that is set must match; a rule with none set matches nothing (the loader
/// refuses it).
public struct PolicyRule: Sendable, Hashable {
    public var kind: DifferenceKind?
    /// A lower-case header name.
    public var header: String?
    /// A JSON path; `[*]` matches any index and `*` any key (`$.items[*].sku`, `$.meta.*`).
    public var path: String?
    /// A route as written in `routes:` (`GET /users/:id`).
    public var route: String?
    /// Why the team accepts this; shown in reports.
    public var reason: String?

    public init(
        kind: DifferenceKind? = nil,
        header: String? = nil,
        path: String? = nil,
        route: String? = nil,
        reason: String? = nil
    ) {
        self.kind = kind
        self.header = header?.lowercased()
        self.path = path
        self.route = route
        self.reason = reason
    }

    /// Whether the rule names anything to match.
    public var isEmpty: Bool { kind == nil && header == nil && path == nil && route == nil }
}

/// A rule that changes the severity of the differences it selects.
public struct DowngradeRule: Sendable, Hashable {
    public var rule: PolicyRule
    public var severity: Severity

    public init(rule: PolicyRule, to severity: Severity) {
        self.rule = rule
        self.severity = severity
    }
}
