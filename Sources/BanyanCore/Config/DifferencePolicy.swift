/// Which differences a team accepts, and how much the rest matter.
///
/// Shared by every command that compares exchanges: `verify`, `probe`, `diff` and the proxy's
/// shadow mode. It is read from the `policy:` section of `banyan.yaml`.
///
/// The ``DiffEngine`` applies it in a fixed order: headers in ``ignoredHeaders`` are not compared
/// at all; a difference an ``ignore`` rule selects is dropped; a difference in learned noise gets
/// severity `noise`; otherwise the first ``downgrade`` rule that selects it sets its severity. A
/// command then fails when any difference left is at or above ``failAt``.
public struct DifferencePolicy: Sendable, Hashable {
    /// Severity at or above which `verify`, `probe` and `diff` exit 1. Default: `risky`.
    public var failAt: Severity
    /// The rules of `policy.ignore`: a difference any of them selects is dropped from reports and
    /// never counts toward ``failAt``. Empty by default.
    public var ignore: [PolicyRule]
    /// The rules of `policy.downgrade`: a difference one of them selects gets the rule's severity,
    /// the first matching rule in file order winning. Learned noise is exempt. Empty by default.
    public var downgrade: [DowngradeRule]
    /// Header names, lower case, never compared: ``DifferencePolicy/defaultIgnoredHeaders`` plus
    /// `policy.ignore_headers`, minus `policy.compare_headers`.
    public var ignoredHeaders: Set<String>

    /// Headers that differ between any two servers and that no client relies on.
    ///
    /// `etag` and `x-powered-by` are deliberately absent: they are reported with the severity a
    /// client would give them.
    public static let defaultIgnoredHeaders: Set<String> = [
        "date", "connection", "keep-alive", "transfer-encoding", "server", "age", "via",
        "proxy-connection", "upgrade", "te", "trailer",
    ]

    /// Creates a policy; every argument defaults to what a file without that key gets.
    ///
    /// - Parameters:
    ///   - failAt: The severity at or above which a comparison fails.
    ///   - ignore: Rules whose differences are dropped.
    ///   - downgrade: Rules that set the severity of the differences they select.
    ///   - ignoredHeaders: Lower-case header names never compared.
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

    /// The policy a team starts with: fail at `risky`, no rules, the default ignored headers.
    public static let `default` = DifferencePolicy()
}

/// Selects differences by any combination of kind, header, JSON path and route: one entry of
/// `policy.ignore` or `policy.downgrade`.
///
/// Every field that is set must match; a field left nil matches anything. A rule with none set
/// matches nothing (the loader refuses it). For example, `kind: header.missing` with
/// `header: x-powered-by` selects only a missing `x-powered-by`, on every route.
public struct PolicyRule: Sendable, Hashable {
    /// The kind of difference selected (`header.missing`, `body.date_format`); nil for any kind.
    public var kind: DifferenceKind?
    /// The header name selected, lower case; nil for any header. A rule with a header selects
    /// only header differences.
    public var header: String?
    /// The JSON path selected, from the root; nil for any path. `[*]` matches any index, `.*` any
    /// single key and a trailing `..*` anything below (`$.items[*].sku`, `$.meta.*`). A rule with a
    /// path selects only body differences.
    public var path: String?
    /// The route selected, exactly as written in `routes:` (`GET /users/:id`); nil for every route,
    /// including requests no route matched.
    public var route: String?
    /// Why the team accepts these differences, in its own words; shown in reports beside every
    /// difference the rule changed. Nil when the file gives none.
    public var reason: String?

    /// Creates a rule; every field left nil matches anything.
    ///
    /// - Parameters:
    ///   - kind: The kind of difference selected, or nil.
    ///   - header: The header name selected, in any case (it is stored lower case), or nil.
    ///   - path: The JSON path selected, wildcards allowed, or nil.
    ///   - route: The route selected as written in `routes:`, or nil.
    ///   - reason: Why the team accepts these differences, or nil.
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

    /// Whether the rule sets none of kind, header, path and route, and so selects nothing
    /// (``reason`` does not count).
    public var isEmpty: Bool { kind == nil && header == nil && path == nil && route == nil }
}

/// A rule that changes the severity of the differences it selects: one entry of
/// `policy.downgrade`.
///
/// Despite the name the new severity may also be higher than the default, for a team that wants a
/// difference to fail `verify`.
public struct DowngradeRule: Sendable, Hashable {
    /// Which differences the rule selects.
    public var rule: PolicyRule
    /// The severity the selected differences get (`to:`).
    public var severity: Severity

    /// Creates a rule that gives the differences `rule` selects the severity `severity`.
    ///
    /// - Parameters:
    ///   - rule: Which differences to change.
    ///   - severity: The severity they get.
    public init(rule: PolicyRule, to severity: Severity) {
        self.rule = rule
        self.severity = severity
    }
}
