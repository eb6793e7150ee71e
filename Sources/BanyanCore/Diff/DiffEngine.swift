/// Compares a candidate's response with legacy's as a JavaScript client would read them, and
/// classifies every difference with the vocabulary of ``DifferenceKind``.
///
/// The result is deterministic: the status first, then headers in legacy's order followed by the
/// candidate's extra headers, then the body in document order (legacy's key order, then the
/// candidate's extra keys).
public struct DiffEngine: Sendable {
    public let policy: DifferencePolicy
    private let ignoreRules: [CompiledRule]
    private let downgradeRules: [(rule: CompiledRule, severity: Severity)]

    public init(policy: DifferencePolicy = .default) {
        self.policy = policy
        self.ignoreRules = policy.ignore.map(CompiledRule.init)
        self.downgradeRules = policy.downgrade.map { (CompiledRule($0.rule), $0.severity) }
    }

    /// Every difference between the two responses, with severities after noise and policy.
    ///
    /// - Parameters:
    ///   - route: the route the request matched, as written in `routes:` (`GET /users/:id`); policy
    ///     rules that name a route apply only when it is equal.
    ///   - noise: what legacy's own answers to this request vary in; differences there get `noise`.
    ///   - request: the request both answered, when known: `Location` resolves against its URL (`Host`
    ///     and target), a cookie's default path comes from it, and a HEAD request keeps `Content-Length`
    ///     in the contract.
    public func compare(
        legacy: HTTPResponse,
        candidate: HTTPResponse,
        route: String? = nil,
        noise: NoiseProfile? = nil,
        request: HTTPRequest? = nil
    ) -> [Difference] {
        var result: [Difference] = []
        for var difference in classify(legacy: legacy, candidate: candidate, request: request) {
            if ignoreRules.contains(where: { $0.matches(difference, route: route) }) { continue }
            if let noise, noise.contains(difference) {
                // Learned noise is never raised or lowered by a downgrade rule: it is what legacy itself does.
                difference.severity = .noise
                difference.explanation += " (learned as noise: legacy's own answers to this request differ here)"
            } else if let rule = downgradeRules.first(where: { $0.rule.matches(difference, route: route) }) {
                difference.severity = rule.severity
                difference.policyReason = rule.rule.reason
            }
            result.append(difference)
        }
        return result
    }

    /// Every difference with its default severity, before noise and policy rules (ignored headers are skipped).
    public func classify(legacy: HTTPResponse, candidate: HTTPResponse, request: HTTPRequest? = nil) -> [Difference] {
        var differences: [Difference] = []
        if legacy.status != candidate.status {
            differences.append(
                Difference(
                    kind: .status, severity: .breaking, legacy: String(legacy.status),
                    candidate: String(candidate.status),
                    explanation:
                        "candidate answers \(candidate.status) where legacy answers \(legacy.status); "
                        + "clients branch on the status code"))
        }
        let bodiesDiffer = legacy.body != candidate.body
        compareHeaders(
            HeaderContext(legacy: legacy, candidate: candidate, request: request, bodiesDiffer: bodiesDiffer),
            into: &differences)
        if bodiesDiffer { compareBodies(legacy, candidate, into: &differences) }
        return differences
    }
}

/// A policy rule with its path parsed once.
struct CompiledRule: Sendable {
    let rule: PolicyRule
    let path: JSONPath?

    init(_ rule: PolicyRule) {
        self.rule = rule
        self.path = rule.path.flatMap(JSONPath.init(parsing:))
    }

    var reason: String? { rule.reason }

    /// Every field the rule sets must match; a rule that sets none matches nothing.
    func matches(_ difference: Difference, route: String?) -> Bool {
        guard !rule.isEmpty else { return false }
        if let kind = rule.kind, kind != difference.kind { return false }
        if let header = rule.header, header != difference.header { return false }
        if let expected = rule.route, expected != route { return false }
        if let text = rule.path {
            guard let actual = difference.path else { return false }
            if let pattern = path, let concrete = JSONPath(parsing: actual) {
                if !pattern.matches(concrete) { return false }
            } else if text != actual {
                return false
            }
        }
        return true
    }
}

extension PolicyRule {
    /// Whether the rule selects `difference`, found on a request that matched `route`.
    ///
    /// `path` may use `[*]` (any index), `.*` (any single key) and a trailing `..*` (anything below).
    public func matches(_ difference: Difference, route: String? = nil) -> Bool {
        CompiledRule(self).matches(difference, route: route)
    }
}
