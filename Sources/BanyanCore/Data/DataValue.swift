/// One value read from or written to a table, in an engine-neutral form.
///
/// Timestamps are microseconds since 1970-01-01T00:00:00Z (UTC, the precision PostgreSQL keeps);
/// exact decimals keep their lexeme, so `12.50` stays `12.50` until a canonical form rounds it.
///
/// Backfill reads legacy rows into these values, maps and converts them to the target's column
/// types (``converted(to:offsetMinutes:)``) and writes them; reconcile compares them in canonical
/// form. Equality is structural: `.integer(1)` and `.real(1)` are different values.
public enum DataValue: Sendable, Hashable {
    /// SQL NULL.
    case null
    /// A 64-bit signed integer (`integer`, `bigint`, SQLite `INTEGER`).
    case integer(Int64)
    /// A binary floating-point number (`real`, `double precision`).
    case real(Double)
    /// An exact decimal as its lexeme (`12.50`), never passed through a `Double`.
    case numeric(String)
    /// Text, as the database returned it.
    case text(String)
    /// A boolean (PostgreSQL `boolean`; SQLite stores 0 or 1).
    case boolean(Bool)
    /// A point in time in microseconds since 1970-01-01T00:00:00Z; negative before 1970.
    case timestamp(Int64)
    /// A JSON document as its text, which parses as JSON.
    case json(String)
    /// Raw bytes (`bytea`, SQLite `BLOB`).
    case blob([UInt8])

    /// Whether the value is SQL NULL.
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
///
/// Backfill checkpoints, reconcile reports, `--allow` and `--export-ids` all name rows by it. Keys
/// are ordered column by column with ``DataValue/order(_:_:)``, the order both engines read them
/// in, so two key-ordered streams can be merged.
public struct RowKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The key's values, one per key column, in the order the mapping's `key:` lists the columns.
    public var values: [DataValue]

    /// Creates a key from its column values.
    ///
    /// - Parameter values: One value per key column, in key order.
    public init(_ values: [DataValue]) { self.values = values }

    /// The key as reports print it and `--allow` reads it: `42` for a single key (text unquoted),
    /// `[7,"eu"]` (JSON) for a composite one.
    public var description: String {
        if values.count == 1 {
            if case .text(let text) = values[0] { return text }
            return values[0].jsonValue.serializedText
        }
        return JSONValue.array(values.map(\.jsonValue)).serializedText
    }

    /// Whether `lhs` comes first in key order: the first column that differs decides; a key that is
    /// a prefix of the other comes first.
    public static func < (lhs: RowKey, rhs: RowKey) -> Bool {
        for (left, right) in zip(lhs.values, rhs.values) {
            let order = DataValue.order(left, right)
            if order != 0 { return order < 0 }
        }
        return lhs.values.count < rhs.values.count
    }
}

extension DataValue {
    /// The total order used to merge two key-ordered streams and to decide which version is newer.
    ///
    /// NULL comes first, then numbers and booleans (by numeric value), then timestamps, then text
    /// and JSON (by UTF-8 bytes, as PostgreSQL's "C" collation and SQLite's BINARY collation order
    /// them), then blobs.
    ///
    /// - Parameters:
    ///   - left: The first value.
    ///   - right: The second value.
    /// - Returns: A negative number when `left` comes first, 0 when the two are equal, a positive
    ///   number when `right` comes first.
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
