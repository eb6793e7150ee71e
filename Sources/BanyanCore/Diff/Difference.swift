/// One way the candidate answered differently from legacy: what differs, where, both sides'
/// values, how much it matters and a sentence a developer can act on.
///
/// The ``DiffEngine`` produces these for shadow traffic, `verify`, `probe` and `diff` alike, so a
/// report reads the same whichever command found it. A difference is located by ``header`` for
/// header kinds, by ``path`` for body kinds, and by neither for `status`, `body.not_json` and
/// `body.bytes`.
public struct Difference: Sendable, Hashable {
    /// What kind of difference this is (`status`, `header.value`, `body.type`, …).
    public var kind: DifferenceKind
    /// How much the difference matters to a client: the kind's default for this case, or what
    /// learned noise or a policy downgrade rule made of it.
    public var severity: Severity
    /// The JSON path (`$.items[0].sku`) for body kinds; nil otherwise.
    public var path: String?
    /// The lower-case header name for header kinds; nil otherwise.
    public var header: String?
    /// Legacy's value as a client would read it on the wire (a header's value, a JSON value as
    /// JSON text, a status code, a preview of a body); long values are cut short. Nil when legacy
    /// has none: the header or key is absent.
    public var legacy: String?
    /// The candidate's value, shown as ``legacy`` is; nil when the candidate has none.
    public var candidate: String?
    /// One sentence a developer can act on: what differs and which clients it breaks
    /// (`candidate answers 400 where legacy answers 404; clients branch on the status code`).
    public var explanation: String
    /// The `reason:` of the policy downgrade rule that set ``severity``; nil when no rule did, or
    /// the rule gives no reason.
    public var policyReason: String?

    /// Creates a difference.
    ///
    /// - Parameters:
    ///   - kind: What kind of difference this is.
    ///   - severity: How much it matters.
    ///   - path: The JSON path, for body kinds; nil otherwise.
    ///   - header: The lower-case header name, for header kinds; nil otherwise.
    ///   - legacy: Legacy's value, or nil when legacy has none.
    ///   - candidate: The candidate's value, or nil when the candidate has none.
    ///   - explanation: One sentence a developer can act on.
    ///   - policyReason: Why a policy rule changed the severity, or nil.
    public init(
        kind: DifferenceKind,
        severity: Severity,
        path: String? = nil,
        header: String? = nil,
        legacy: String?,
        candidate: String?,
        explanation: String,
        policyReason: String? = nil
    ) {
        self.kind = kind
        self.severity = severity
        self.path = path
        self.header = header
        self.legacy = legacy
        self.candidate = candidate
        self.explanation = explanation
        self.policyReason = policyReason
    }
}
