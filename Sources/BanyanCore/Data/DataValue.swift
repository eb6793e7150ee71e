/// One value read from or written to a table, in an engine-neutral form.
///
/// Timestamps are microseconds since 1970-01-01T00:00:00Z (UTC, the precision PostgreSQL keeps);
/// exact decimals keep their lexeme, so `12.50` stays `12.50` until a canonical form rounds it.
public enum DataValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case numeric(String)
    case text(String)
    case boolean(Bool)
    case timestamp(Int64)
    case json(String)
    case blob([UInt8])

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The value as a JSON value for reports: numbers as numbers, timestamps as ISO 8601 text,
    /// blobs as hexadecimal text.
    public var jsonValue: JSONValue {
        switch self {
        case .null: .null
        case .integer(let value): .number(JSONNumber(String(value))!)
        case .real(let value): JSONNumber(value).map { .number($0) } ?? .string(String(value))
        case .numeric(let lexeme): JSONNumber(lexeme).map { .number($0) } ?? .string(lexeme)
        case .text(let text): .string(text)
        case .boolean(let value): .bool(value)
        case .timestamp(let micros): .string(UTCTimestamp.iso8601(micros: micros))
        case .json(let text): (try? JSONParser.parse(text)) ?? .string(text)
        case .blob(let bytes): .string(hex(bytes))
        }
    }

    /// The value as a user reads it in a text report: text quoted, NULL spelled out.
    public var displayText: String {
        switch self {
        case .null: "NULL"
        case .text(let text): JSONValue.string(text).serializedText
        default: jsonValue.serializedText
        }
    }
}

/// Lower-case hexadecimal digits of some bytes.
func hex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out = [UInt8]()
    out.reserveCapacity(bytes.count * 2)
    for byte in bytes {
        out.append(digits[Int(byte >> 4)])
        out.append(digits[Int(byte & 15)])
    }
    return String(decoding: out, as: UTF8.self)
}

/// The primary key of one row: one value per key column, in key order.
public struct RowKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var values: [DataValue]

    public init(_ values: [DataValue]) { self.values = values }

    /// `42` for a single key, `[7,"eu"]` (JSON) for a composite one: the form of exports and `--allow`.
    public var description: String {
        if values.count == 1 {
            if case .text(let text) = values[0] { return text }
            return values[0].jsonValue.serializedText
        }
        return JSONValue.array(values.map(\.jsonValue)).serializedText
    }

    public static func < (lhs: RowKey, rhs: RowKey) -> Bool {
        for (left, right) in zip(lhs.values, rhs.values) {
            let order = DataValue.order(left, right)
            if order != 0 { return order < 0 }
        }
        return lhs.values.count < rhs.values.count
    }
}

extension DataValue {
    /// Total order used to merge two key-ordered streams: NULL first, then numbers, then text
    /// (by UTF-8 bytes, as PostgreSQL's "C" collation and SQLite's BINARY collation order it).
    public static func order(_ left: DataValue, _ right: DataValue) -> Int {
        switch (left, right) {
        case (.integer(let a), .integer(let b)): return a < b ? -1 : (a == b ? 0 : 1)
        case (.timestamp(let a), .timestamp(let b)): return a < b ? -1 : (a == b ? 0 : 1)
        case (.text(let a), .text(let b)):
            return a.utf8.lexicographicallyPrecedes(b.utf8) ? -1 : (a == b ? 0 : 1)
        default:
            let (ra, rb) = (left.rank, right.rank)
            if ra != rb { return ra < rb ? -1 : 1 }
            let (da, db) = (left.doubleValue ?? 0, right.doubleValue ?? 0)
            if da != db { return da < db ? -1 : 1 }
            return left.displayText.utf8.lexicographicallyPrecedes(right.displayText.utf8)
                ? -1 : (left == right ? 0 : 1)
        }
    }

    private var rank: Int {
        switch self {
        case .null: 0
        case .boolean, .integer, .real, .numeric: 1
        case .timestamp: 2
        case .text, .json: 3
        case .blob: 4
        }
    }

    var doubleValue: Double? {
        switch self {
        case .integer(let v): Double(v)
        case .real(let v): v
        case .numeric(let lexeme): Double(lexeme)
        case .boolean(let v): v ? 1 : 0
        default: nil
        }
    }
}
