/// How much a difference matters to a client, from least to most.
///
/// Severities are ordered (`noise < cosmetic < risky < breaking`), so a threshold such as the
/// policy's `fail_at` is a comparison: `verify` fails when any difference is at or above it. The
/// raw value is the name used in reports and in `banyan.yaml`.
public enum Severity: String, Sendable, Hashable, CaseIterable, Comparable, CustomStringConvertible {
    /// Varies between two legacy answers to the same request: request ids, timestamps.
    case noise
    /// No client is expected to notice (an extra key, a missing `x-powered-by`).
    case cosmetic
    /// Some clients break: strictly typed ones, caches, schema validators.
    case risky
    /// Clients break: a status, a missing key, a type or a value that differs.
    case breaking

    private var rank: Int {
        switch self {
        case .noise: 0
        case .cosmetic: 1
        case .risky: 2
        case .breaking: 3
        }
    }

    /// Whether `lhs` matters less than `rhs`, in the order `noise`, `cosmetic`, `risky`, `breaking`.
    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }

    /// The severity's name as reports and `banyan.yaml` write it (`risky`).
    public var description: String { rawValue }

    /// Every severity's name from least to most, joined by commas, for error messages that list what
    /// `fail_at:` or a downgrade's `to:` may be.
    public static let allowedValues = allCases.map(\.rawValue).joined(separator: ", ")
}
