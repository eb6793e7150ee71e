/// How much a difference matters to a client, from least to most.
public enum Severity: String, Sendable, Hashable, CaseIterable, Comparable, CustomStringConvertible {
    /// Varies between two legacy answers to the same request: request ids, timestamps.
    case noise
    /// No client is expected to notice (an extra key, `x-powered-by`).
    case cosmetic
    /// Some clients break: strictly typed ones, caches, schema validators.
    case risky
    /// Clients break.
    case breaking

    private var rank: Int {
        switch self {
        case .noise: 0
        case .cosmetic: 1
        case .risky: 2
        case .breaking: 3
        }
    }

    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }

    public var description: String { rawValue }

    /// The accepted spellings, for error messages.
    public static let allowedValues = allCases.map(\.rawValue).joined(separator: ", ")
}
