/// The vocabulary of the diff engine: what kind of difference two exchanges show.
///
/// The raw values are the names used in reports, policies and the dashboard. Each kind has a
/// default ``Severity`` (given below) that a policy can change per route, header, path or kind.
/// Body kinds other than `body.not_json` and `body.bytes` are found only when at least one side
/// declares a JSON `content-type` and both bodies parse.
public enum DifferenceKind: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// The status codes differ (404 vs 400). Breaking: clients branch on the status.
    case status
    /// Legacy sends a header the candidate leaves out (`cache-control`, `location`). Its severity
    /// depends on the header: a media type, `location` or `set-cookie` is breaking; charset,
    /// caching, `etag` and custom `x-*` headers are risky; `x-powered-by` is cosmetic.
    case headerMissing = "header.missing"
    /// The candidate sends a header legacy does not; severity by header as for `header.missing`.
    case headerExtra = "header.extra"
    /// Both send the header with values a client reads differently (`application/json;
    /// charset=utf-8` vs `application/json`); severity by header as for `header.missing`.
    case headerValue = "header.value"
    /// A key of a JSON object is present in legacy's body only. Breaking: the client reads
    /// `undefined`.
    case bodyMissing = "body.missing"
    /// A key is present in the candidate's body only. Cosmetic, since clients ignore unknown keys;
    /// risky when the key is duplicated and the first occurrences differ.
    case bodyExtra = "body.extra"
    /// One side omits a key the other sends as `null` (legacy omits `avatarUrl`, the candidate
    /// sends `"avatarUrl": null`). Risky: `=== undefined` and `=== null` checks tell them apart.
    case bodyNullVsAbsent = "body.null_vs_absent"
    /// The same key under another casing convention (`fullName` vs `full_name`). Breaking: the
    /// client looks up a key that is not there.
    case bodyKeyCase = "body.key_case"
    /// The JSON types differ (`"9007199254740993"` vs `9007199254740993`, an object vs an array).
    /// Breaking.
    case bodyType = "body.type"
    /// Two scalars of the same type hold different values. Breaking.
    case bodyValue = "body.value"
    /// Two different numbers that round to the same double, such as integers beyond 2^53: a
    /// JavaScript client reads them alike, clients that read exact numbers do not. Risky.
    case bodyPrecision = "body.precision"
    /// The same number spelled another way (`1` vs `1.0`, `1e+21` vs `1e21`). Risky: strictly typed
    /// clients and byte comparisons may break.
    case bodyNumberFormat = "body.number_format"
    /// The same instant written another way (`2026-06-02T10:00:00.000Z` vs `…T10:00:00Z` or
    /// `+00:00`). Risky: `new Date()` reads both alike, code that compares or slices the string
    /// does not.
    case bodyDateFormat = "body.date_format"
    /// An array holds the same elements in another order. Risky: clients that take the first
    /// element or rely on the sort order see the change.
    case bodyArrayOrder = "body.array_order"
    /// Two arrays have different lengths; their elements are then not compared one by one.
    /// Breaking.
    case bodyArrayLength = "body.array_length"
    /// One side's body is JSON and the other's is not (empty, HTML, truncated). Breaking:
    /// `await res.json()` throws, or a text reader gets something else.
    case bodyNotJSON = "body.not_json"
    /// Bodies that are not JSON on either side differ byte for byte. Breaking.
    case bodyBytes = "body.bytes"

    /// The kind's name as reports and policy files write it (`body.key_case`).
    public var description: String { rawValue }

    /// Whether the difference is located by a header name: `header.missing`, `header.extra` and
    /// `header.value`.
    public var isHeaderKind: Bool { rawValue.hasPrefix("header.") }

    /// Whether the difference is located by a JSON path in the body: every `body.` kind except
    /// `body.not_json` and `body.bytes`, which concern the whole body.
    public var isBodyPathKind: Bool { rawValue.hasPrefix("body.") && self != .bodyNotJSON && self != .bodyBytes }

    /// Every kind's name joined by commas, for error messages that list what a policy rule's `kind:`
    /// may be.
    public static let allowedValues = allCases.map(\.rawValue).joined(separator: ", ")
}
