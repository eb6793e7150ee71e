/// Compares a candidate's response with legacy's as a JavaScript client would read them, and
/// classifies every difference with the vocabulary of ``DifferenceKind``.
///
/// The result is deterministic: the status first, then headers in legacy's order followed by the
/// candidate's extra headers, then the body in document order (legacy's key order, then the
/// candidate's extra keys).
///
/// One engine serves every command that compares: the proxy's shadow mode, `record`, `verify`,
/// `probe` and `diff`. Build it once per policy and reuse it; it holds only the policy and its
/// rules, parsed, and is safe to share between threads.
///
/// ```swift
/// let engine = DiffEngine(policy: configuration.policy)
/// let differences = engine.compare(legacy: legacyAnswer, candidate: candidateAnswer, route: "GET /users/:id")
/// let fails = differences.contains { $0.severity >= configuration.policy.failAt }
/// ```
public struct DiffEngine: Sendable {
    /// The policy every comparison applies: ignored headers, ignore and downgrade rules.
    public let policy: DifferencePolicy
    private let ignoreRules: [CompiledRule]
    private let downgradeRules: [(rule: CompiledRule, severity: Severity)]

    /// Creates an engine that applies a policy; its rules' JSON paths are parsed once here.
    ///
    /// - Parameter policy: The difference policy; ``DifferencePolicy/default`` when left out.
    public init(policy: DifferencePolicy = .default) {
        self.policy = policy
        self.ignoreRules = policy.ignore.map(CompiledRule.init)
        self.downgradeRules = policy.downgrade.map { (CompiledRule($0.rule), $0.severity) }
    }

    /// Every difference between the two responses, with severities after noise and policy.
    ///
    /// Differences an ignore rule selects are dropped; those in `noise` get severity `noise` and a
    /// note in their explanation; of the rest, the first downgrade rule that selects one sets its
    /// severity and ``Difference/policyReason``.
    ///
    /// - Parameters:
    ///   - legacy: Legacy's response, the reference.
    ///   - candidate: The candidate's response to the same request.
    ///   - route: The route the request matched, as written in `routes:` (`GET /users/:id`); policy
    ///     rules that name a route apply only when it is equal. Nil when no route matched.
    ///   - noise: What legacy's own answers to this request vary in; differences there get `noise`.
    ///     Nil when nothing was learned.
    ///   - request: The request both answered, when known: `Location` resolves against its URL (`Host`
    ///     and target), a cookie's default path comes from it, and a HEAD request keeps `Content-Length`
    ///     in the contract.
    /// - Returns: The differences in a fixed order (status, headers, body); empty when a client
    ///   could not tell the responses apart.
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

    /// Every difference with its kind's default severity, before noise and policy rules; headers
    /// the policy never compares are skipped.
    ///
    /// ``NoiseProfile/learn(from:)`` uses it to find where legacy's own answers vary.
    ///
    /// - Parameters:
    ///   - legacy: Legacy's response, the reference.
    ///   - candidate: The other response.
    ///   - request: The request both answered, when known (see
    ///     ``compare(legacy:candidate:route:noise:request:)``).
    /// - Returns: The differences in a fixed order: status, headers, body.
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
    /// Whether the rule selects a difference found on a request that matched a route.
    ///
    /// Every field the rule sets must match and a rule that sets none matches nothing. `path` may
    /// use `[*]` (any index), `.*` (any single key) and a trailing `..*` (anything below); keys are
    /// compared by UTF-16 code units, as JavaScript looks them up.
    ///
    /// - Parameters:
    ///   - difference: A difference the engine found.
    ///   - route: The route the request matched, as written in `routes:`; nil when none did, in
    ///     which case a rule that names a route does not match.
    public func matches(_ difference: Difference, route: String? = nil) -> Bool {
        CompiledRule(self).matches(difference, route: route)
    }
}
