/// The type of a target column, as far as conversion and comparison care.
public enum ColumnType: Sendable, Hashable, CustomStringConvertible {
    case integer
    case real
    /// An exact decimal; `scale` digits after the point when the column declares one.
    case numeric(scale: Int?)
    case text
    case boolean
    /// A point in time, kept in microseconds (PostgreSQL `timestamptz`/`timestamp`, or ISO 8601
    /// text in SQLite).
    case timestamp
    case json
    case blob

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
public struct ConversionError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension DataValue {
    /// Converts a value to a column type: epoch milliseconds ↔ timestamps, 0/1 ↔ booleans,
    /// text ↔ JSON (the text must parse), numbers rounded to a numeric scale, text ↔ numbers.
    /// `offsetMinutes` is the zone of timestamps written without an offset.
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

    /// What kind of value this is, with an article, for messages.
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
public struct DecimalText: Sendable, Equatable {
    public var negative: Bool
    /// Integer digits without leading zeros ("0" for zero).
    public var integer: [UInt8]
    /// Fraction digits as written.
    public var fraction: [UInt8]

    /// Reads `-12.50`, `3`, `.5`, `1e3`, `1.25E-2`.
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

    /// Rounds half away from zero to `scale` fraction digits, padding with zeros.
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

    public var lexeme: String {
        let sign = negative ? "-" : ""
        let int = String(decoding: integer, as: UTF8.self)
        return fraction.isEmpty ? sign + int : sign + int + "." + String(decoding: fraction, as: UTF8.self)
    }
}
