/// The vocabulary of the diff engine: what kind of difference two exchanges show.
///
/// The raw values are the names used in reports, policies and the dashboard.
public enum DifferenceKind: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case status
    case headerMissing = "header.missing"
    case headerExtra = "header.extra"
    case headerValue = "header.value"
    case bodyMissing = "body.missing"
    case bodyExtra = "body.extra"
    case bodyNullVsAbsent = "body.null_vs_absent"
    case bodyKeyCase = "body.key_case"
    case bodyType = "body.type"
    case bodyValue = "body.value"
    case bodyPrecision = "body.precision"
    case bodyNumberFormat = "body.number_format"
    case bodyDateFormat = "body.date_format"
    case bodyArrayOrder = "body.array_order"
    case bodyArrayLength = "body.array_length"
    case bodyNotJSON = "body.not_json"
    case bodyBytes = "body.bytes"

    public var description: String { rawValue }

    /// Whether the difference is located by a header name (otherwise by a JSON path, or nothing).
    public var isHeaderKind: Bool { rawValue.hasPrefix("header.") }

    /// Whether the difference is located by a JSON path in the body.
    public var isBodyPathKind: Bool { rawValue.hasPrefix("body.") && self != .bodyNotJSON && self != .bodyBytes }

    /// The accepted spellings, for error messages.
    public static let allowedValues = allCases.map(\.rawValue).joined(separator: ", ")
}
