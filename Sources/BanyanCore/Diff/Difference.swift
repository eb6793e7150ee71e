/// One way the candidate answered differently from legacy.
public struct Difference: Sendable, Hashable {
    public var kind: DifferenceKind
    public var severity: Severity
    /// The JSON path (`$.items[0].sku`) for body kinds; nil otherwise.
    public var path: String?
    /// The lower-case header name for header kinds; nil otherwise.
    public var header: String?
    /// Legacy's value as a client would read it on the wire; nil when legacy has none.
    public var legacy: String?
    /// The candidate's value; nil when the candidate has none.
    public var candidate: String?
    /// One line a developer can act on.
    public var explanation: String
    /// Why the policy changed the severity, when a rule did.
    public var policyReason: String?

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
