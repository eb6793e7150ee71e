/// The type of a target column, as far as conversion and comparison care.
///
/// It comes from the mapping's `type:` or, by default, from what the target table declares; many
/// engine spellings fold into one case (see ``init(name:)``). Backfill converts every mapped value
/// to it, and reconcile converts both sides to it before comparing.
public enum ColumnType: Sendable, Hashable, CustomStringConvertible {
    /// A 64-bit integer (`integer`, `bigint`, `smallint`, `serial`, …).
    case integer
    /// A binary floating-point number (`real`, `double precision`, `float8`, …).
    case real
    /// An exact decimal (`numeric`, `decimal`): values are rounded half away from zero to `scale`
    /// digits after the point when the column declares one (`numeric(12,2)` gives 2,
    /// `numeric(12)` 0); nil keeps every digit.
    case numeric(scale: Int?)
    /// Text (`text`, `varchar(80)`, `char`, `uuid`, `citext`, …).
    case text
    /// A boolean (`boolean`, `bool`); SQLite stores 0 or 1.
    case boolean
    /// A point in time, kept in microseconds (PostgreSQL `timestamptz`/`timestamp`, or ISO 8601
    /// text in SQLite).
    case timestamp
    /// A JSON document (`json`, `jsonb`; text in SQLite).
    case json
    /// Raw bytes (`blob`, `bytea`).
    case blob

    /// The type's name in messages: `integer`, `numeric(2)` (the scale alone), `timestamp`, ….
    public var description: String {
        switch self {
        case .integer: "integer"
        case .real: "real"
        case .numeric(let scale): scale.map { "numeric(\($0))" } ?? "numeric"
        case .text: "text"
        case .boolean: "boolean"
        case .timestamp: "timestamp"
        case .json: "json"
        case .blob: "blob"
        }
    }

    /// Reads a type name as a mapping file, PostgreSQL or SQLite spells it: `bigint`, `int8`,
    /// `varchar(80)`, `numeric(12,2)`, `timestamptz`, `timestamp with time zone`, `jsonb`, `bool`.
    ///
    /// Case and surrounding spaces do not matter; a length or precision in parentheses is ignored
    /// except a numeric's scale. `date` and `datetime` read as ``timestamp``.
    ///
    /// - Parameter name: The type name as declared or written in `type:`.
    /// - Returns: Nil for a name none of the cases covers (`interval`, `point`, an enum type).
    public init?(name: String) {
        let lowered = name.lowercased().trimmingSpaces()
        let base = lowered.split(separator: "(", maxSplits: 1).first.map(String.init)?.trimmingSpaces() ?? lowered
        switch base {
        case "integer", "int", "int2", "int4", "int8", "bigint", "smallint", "tinyint", "mediumint", "serial",
            "bigserial":
            self = .integer
        case "real", "float", "float4", "float8", "double", "double precision":
            self = .real
        case "numeric", "decimal":
            var scale: Int?
            if let open = lowered.firstIndex(of: "("), let close = lowered.firstIndex(of: ")") {
                let inside = lowered[lowered.index(after: open)..<close].split(separator: ",")
                if inside.count == 2 { scale = Int(inside[1].trimmingCharacters(in: " ")) }
                if inside.count == 1 { scale = 0 }
            }
            self = .numeric(scale: scale)
        case "text", "varchar", "character varying", "char", "character", "string", "uuid", "citext", "clob":
            self = .text
        case "boolean", "bool":
            self = .boolean
        case "timestamp", "timestamptz", "timestamp with time zone", "timestamp without time zone", "datetime",
            "date":
            self = .timestamp
        case "json", "jsonb":
            self = .json
        case "blob", "bytea":
            self = .blob
        default:
            return nil
        }
    }
}

extension StringProtocol {
    func trimmingSpaces() -> String { trimmingCharacters(in: " ") }

    func trimmingCharacters(in set: Character) -> String {
        var slice = Substring(self)
        while slice.first == set { slice = slice.dropFirst() }
        while slice.last == set { slice = slice.dropLast() }
        return String(slice)
    }
}

/// Why a value could not be converted to its target column's type.
///
/// The message names the value and the problem (`7 is not 0 or 1`); the caller adds the table, key
/// and column (`table users, key 6, column is_verified: 7 is not 0 or 1 (to boolean)`).
public struct ConversionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong with the value, without table, key or column.
    public let message: String
    /// Creates an error with the message a user sees.
    ///
    /// - Parameter message: What is wrong with the value.
    public init(_ message: String) { self.message = message }
    /// The message.
    public var description: String { message }
}

extension DataValue {
    /// Converts a value to a column type, as backfill does before it writes and reconcile before
    /// it compares.
    ///
    /// The rules: integers are epoch **milliseconds** when they become timestamps (what Node's
    /// `Date.now()` stores) and timestamps become epoch milliseconds; booleans are 0/1, and text
    /// `true/false/t/f/1/0/yes/no/y/n/on/off`; text becoming JSON must parse, other values become
    /// their JSON literal; numbers are rounded half away from zero to a numeric scale; anything
    /// becomes text in its text form (timestamps as ISO 8601 UTC). NULL stays NULL.
    ///
    /// - Parameters:
    ///   - type: The target column's type.
    ///   - offsetMinutes: The zone, in minutes east of UTC, of text timestamps written without an
    ///     offset (the mapping's `time_zone:`); 0 for UTC.
    /// - Returns: The value in the form the type keeps.
    /// - Throws: ``ConversionError`` when the value has no form in that type: a fraction or text
    ///   that is not a whole number for an integer, an integer other than 0 or 1 for a boolean,
    ///   text that is not a number, timestamp or JSON document, a timestamp out of range, or a kind
    ///   the type cannot hold at all (a blob as an integer).
    public func converted(to type: ColumnType, offsetMinutes: Int = 0) throws(ConversionError) -> DataValue {
        if case .null = self { return .null }
        switch type {
        case .integer:
            switch self {
            case .integer: return self
            case .boolean(let value): return .integer(value ? 1 : 0)
            case .real(let value):
                guard value.rounded() == value, let integer = Int64(exactly: value) else {
                    throw ConversionError("\(value) is not an integer")
                }
                return .integer(integer)
            case .numeric(let lexeme), .text(let lexeme):
                if let integer = Int64(lexeme.trimmingSpaces()) { return .integer(integer) }
                if let decimal = DecimalText(lexeme: lexeme.trimmingSpaces()),
                    decimal.fraction.allSatisfy({ $0 == 48 }),
                    let integer = Int64(decimal.rounded(scale: 0).lexeme)
                {
                    return .integer(integer)
                }
                throw ConversionError("\(JSONValue.string(lexeme).serializedText) is not an integer")
            case .timestamp(let micros): return .integer(UTCTimestamp.floorDivide(micros, 1000).0)
            default: throw ConversionError("\(kindName) cannot become an integer")
            }
        case .real:
            switch self {
            case .real: return self
            case .integer(let value): return .real(Double(value))
            case .numeric(let lexeme), .text(let lexeme):
                guard let value = Double(lexeme.trimmingSpaces()) else {
                    throw ConversionError("\(JSONValue.string(lexeme).serializedText) is not a number")
                }
                return .real(value)
            default: throw ConversionError("\(kindName) cannot become a real number")
            }
        case .numeric(let scale):
            let lexeme: String
            switch self {
            case .integer(let value): lexeme = String(value)
            case .real(let value):
                guard value.isFinite else { throw ConversionError("\(value) is not a finite number") }
                lexeme = JSONNumber(value)?.lexeme ?? String(value)
            case .numeric(let text), .text(let text): lexeme = text.trimmingSpaces()
            case .boolean(let value): lexeme = value ? "1" : "0"
            default: throw ConversionError("\(kindName) cannot become a decimal number")
            }
            guard let decimal = DecimalText(lexeme: lexeme) else {
                throw ConversionError("\(JSONValue.string(lexeme).serializedText) is not a decimal number")
            }
            return .numeric(scale.map { decimal.rounded(scale: $0).lexeme } ?? decimal.lexeme)
        case .text:
            switch self {
            case .text: return self
            case .integer(let value): return .text(String(value))
            case .real(let value): return .text(JSONNumber(value)?.lexeme ?? String(value))
            case .numeric(let lexeme), .json(let lexeme): return .text(lexeme)
            case .boolean(let value): return .text(value ? "true" : "false")
            case .timestamp(let micros): return .text(UTCTimestamp.iso8601(micros: micros))
            case .blob(let bytes): return .text(String(decoding: bytes, as: UTF8.self))
            case .null: return .null
            }
        case .boolean:
            switch self {
            case .boolean: return self
            case .integer(let value):
                guard value == 0 || value == 1 else { throw ConversionError("\(value) is not 0 or 1") }
                return .boolean(value == 1)
            case .text(let text):
                switch text.trimmingSpaces().lowercased() {
                case "true", "t", "1", "yes", "y", "on": return .boolean(true)
                case "false", "f", "0", "no", "n", "off": return .boolean(false)
                default: throw ConversionError("\(JSONValue.string(text).serializedText) is not a boolean")
                }
            default: throw ConversionError("\(kindName) cannot become a boolean")
            }
        case .timestamp:
            switch self {
            case .timestamp: return self
            case .integer(let millis):
                let (product, overflow) = millis.multipliedReportingOverflow(by: 1000)
                guard !overflow else { throw ConversionError("\(millis) ms is out of range") }
                return .timestamp(product)
            case .real(let millis):
                guard millis.isFinite, abs(millis) < 9e15 else { throw ConversionError("\(millis) ms is out of range") }
                return .timestamp(Int64((millis * 1000).rounded()))
            case .text(let text):
                guard let micros = UTCTimestamp.parse(text.trimmingSpaces(), defaultOffsetMinutes: offsetMinutes) else {
                    throw ConversionError("\(JSONValue.string(text).serializedText) is not a timestamp")
                }
                return .timestamp(micros)
            default: throw ConversionError("\(kindName) cannot become a timestamp")
            }
        case .json:
            switch self {
            case .json: return self
            case .text(let text):
                do {
                    _ = try JSONParser.parse(text)
                } catch {
                    throw ConversionError("\(JSONValue.string(text).serializedText) is not JSON: \(error)")
                }
                return .json(text)
            case .blob(let bytes):
                return try DataValue.text(String(decoding: bytes, as: UTF8.self)).converted(to: .json)
            default: return .json(jsonValue.serializedText)
            }
        case .blob:
            switch self {
            case .blob: return self
            case .text(let text): return .blob(Array(text.utf8))
            default: throw ConversionError("\(kindName) cannot become a blob")
            }
        }
    }

    /// What kind of value this is, with an article and a short form of the value, for messages
    /// (`the integer 7`, `the text "abc"`, `a blob of 16 bytes`); text is cut at 40 characters.
    public var kindName: String {
        switch self {
        case .null: "NULL"
        case .integer(let v): "the integer \(v)"
        case .real(let v): "the number \(v)"
        case .numeric(let v): "the decimal \(v)"
        case .text(let v): "the text \(JSONValue.string(String(v.prefix(40))).serializedText)"
        case .boolean(let v): "the boolean \(v)"
        case .timestamp(let v): "the timestamp \(UTCTimestamp.iso8601(micros: v))"
        case .json: "a JSON document"
        case .blob(let v): "a blob of \(v.count) bytes"
        }
    }
}

/// An exact decimal number held as digit strings, enough to round to a scale as PostgreSQL does
/// (half away from zero) and to print without a trailing point.
///
/// An exponent is applied when reading, so `1.25E-2` is held as `0.0125`; no digit passes through a
/// `Double`, so `numeric` values of any length keep every digit.
public struct DecimalText: Sendable, Equatable {
    /// Whether the number is below zero; never true for zero, so `-0.00` reads as `0.00`.
    public var negative: Bool
    /// Integer digits as ASCII bytes, without leading zeros (`0` for zero).
    public var integer: [UInt8]
    /// Fraction digits as ASCII bytes, as written (trailing zeros kept: `12.50` keeps `50`).
    public var fraction: [UInt8]

    /// Reads a decimal number: `-12.50`, `3`, `.5`, `1e3`, `1.25E-2`.
    ///
    /// - Parameter lexeme: The number as text, without surrounding spaces.
    /// - Returns: Nil when the text is not a decimal number, or its exponent is 1000 or more in
    ///   size.
    public init?(lexeme: String) {
        var bytes = Array(lexeme.utf8)
        var exponent = 0
        if let e = bytes.firstIndex(where: { $0 == 101 || $0 == 69 }) {
            guard let value = Int(String(decoding: bytes[(e + 1)...], as: UTF8.self)), abs(value) < 1000 else {
                return nil
            }
            exponent = value
            bytes = Array(bytes[..<e])
        }
        negative = bytes.first == 45
        if bytes.first == 45 || bytes.first == 43 { bytes.removeFirst() }
        let parts = bytes.split(separator: 46, maxSplits: 1, omittingEmptySubsequences: false)
        guard !bytes.isEmpty, parts.count <= 2 else { return nil }
        var intDigits = Array(parts[0])
        var fracDigits = parts.count == 2 ? Array(parts[1]) : []
        guard !(intDigits.isEmpty && fracDigits.isEmpty),
            (intDigits + fracDigits).allSatisfy({ $0 >= 48 && $0 <= 57 })
        else { return nil }
        if exponent > 0 {
            let moved = Array(fracDigits.prefix(exponent))
            intDigits += moved + Array(repeating: 48, count: max(0, exponent - fracDigits.count))
            fracDigits = Array(fracDigits.dropFirst(exponent))
        } else if exponent < 0 {
            let count = -exponent
            let padded = Array(repeating: UInt8(48), count: max(0, count - intDigits.count)) + intDigits
            fracDigits = Array(padded.suffix(count)) + fracDigits
            intDigits = Array(padded.dropLast(count))
        }
        while intDigits.count > 1 && intDigits.first == 48 { intDigits.removeFirst() }
        if intDigits.isEmpty { intDigits = [48] }
        integer = intDigits
        fraction = fracDigits
        if integer == [48] && fraction.allSatisfy({ $0 == 48 }) { negative = false }
    }

    /// Rounds half away from zero to a number of fraction digits, as PostgreSQL rounds a
    /// `numeric(P,S)`.
    ///
    /// - Parameter scale: The number of digits after the point; 0 for a whole number.
    /// - Returns: The number with exactly `scale` fraction digits, padded with zeros when it has
    ///   fewer (`12.5` at scale 2 is `12.50`).
    public func rounded(scale: Int) -> DecimalText {
        var copy = self
        if fraction.count <= scale {
            copy.fraction += Array(repeating: 48, count: scale - fraction.count)
            return copy
        }
        var digits = integer + fraction.prefix(scale)
        if fraction[scale] >= 53 {
            var index = digits.count - 1
            while index >= 0 {
                if digits[index] == 57 {
                    digits[index] = 48
                    index -= 1
                } else {
                    digits[index] += 1
                    break
                }
            }
            if index < 0 { digits.insert(49, at: 0) }
        }
        copy.integer = Array(digits.prefix(digits.count - scale))
        copy.fraction = Array(digits.suffix(scale))
        while copy.integer.count > 1 && copy.integer.first == 48 { copy.integer.removeFirst() }
        if copy.integer == [48] && copy.fraction.allSatisfy({ $0 == 48 }) { copy.negative = false }
        return copy
    }

    /// The number as text: sign, integer digits, and a point and fraction digits only when there
    /// are any (`-12.50`, `3`).
    public var lexeme: String {
        let sign = negative ? "-" : ""
        let int = String(decoding: integer, as: UTF8.self)
        return fraction.isEmpty ? sign + int : sign + int + "." + String(decoding: fraction, as: UTF8.self)
    }
}
