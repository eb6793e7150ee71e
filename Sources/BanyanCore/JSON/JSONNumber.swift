/// A JSON number that keeps the exact lexeme it was written with.
///
/// `1`, `1.0`, `1e0` and `-0` are different lexemes; ``isSameNumber(as:)`` tells whether two
/// lexemes denote the same decimal value, and ``doubleValue`` is what JavaScript reads.
/// Equality and hashing are by lexeme.
public struct JSONNumber: Sendable, Hashable, CustomStringConvertible {
    /// The number exactly as written (`1.50`, `-0`, `1E+21`).
    public let lexeme: String

    /// Accepts a lexeme that follows the JSON number grammar; nil for anything else.
    public init?(_ lexeme: String) {
        guard JSONNumber.isValidLexeme(Array(lexeme.utf8)) else { return nil }
        self.lexeme = lexeme
    }

    /// The lexeme of an integer.
    public init(_ value: Int) {
        self.lexeme = String(value)
    }

    /// The number as V8's `JSON.stringify` writes it; nil for NaN and infinities (which it writes as `null`).
    public init?(_ value: Double) {
        guard value.isFinite else { return nil }
        self.lexeme = JSONNumber.jsString(of: value)
    }

    /// Trusted lexemes from the parser.
    init(validated lexeme: String) {
        self.lexeme = lexeme
    }

    /// The lexeme, exactly as written.
    public var description: String { lexeme }

    /// The double JavaScript's `JSON.parse` and `Number()` read: correctly rounded, ±Infinity on overflow.
    public var doubleValue: Double {
        // The stdlib parse is correctly rounded, like V8's; it only fails on lexemes the
        // JSON grammar does not produce.
        Double(lexeme) ?? .nan
    }

    /// What JavaScript prints for this number after reading it (`String(JSON.parse(lexeme))`).
    public var jsString: String { JSONNumber.jsString(of: doubleValue) }

    /// Whether the number denotes an integer (`1`, `1.0`, `1e3`, `-0`), whatever its spelling.
    public var isInteger: Bool { decimal.isInteger }

    /// The exact integer this number denotes, in plain decimal digits (`1e21` → `1000000000000000000000`,
    /// `-0` → `0`); nil when it is not an integer or would need more than 1000 digits.
    public var integerDigits: String? {
        let value = decimal
        guard value.isInteger else { return nil }
        if value.digits.isEmpty { return "0" }
        guard value.digits.count + value.exponent <= 1000 else { return nil }
        return (value.isNegative ? "-" : "") + value.digits + String(repeating: "0", count: value.exponent)
    }

    /// Whether JavaScript reads this number without rounding: its double equals the exact value.
    public var isExactInJavaScript: Bool {
        let double = doubleValue
        guard double.isFinite else { return false }
        return JSONNumber(double).map { isSameNumber(as: $0) } ?? false
    }

    /// Whether the two lexemes denote the same decimal value (`1` and `1.0`, `1e21` and `1E+21`, `-0` and `0`).
    public func isSameNumber(as other: JSONNumber) -> Bool {
        lexeme == other.lexeme || decimal == other.decimal
    }

    /// The value as sign, significant digits and a power of ten: `-1.50e2` is (true, "15", 1).
    /// Zero has no digits and no sign, so `-0` and `0.0` are the same.
    struct Decimal: Hashable {
        var isNegative: Bool
        /// Significant digits without leading or trailing zeros; empty for zero.
        var digits: String
        var exponent: Int

        var isInteger: Bool { digits.isEmpty || exponent >= 0 }
    }

    var decimal: Decimal {
        var isNegative = false
        var digits: [UInt8] = []
        var fractionCount = 0
        var exponent = 0
        var exponentNegative = false
        var inFraction = false
        var inExponent = false
        for byte in lexeme.utf8 {
            switch byte {
            case UInt8(ascii: "-"):
                if inExponent { exponentNegative = true } else { isNegative = true }
            case UInt8(ascii: "+"):
                break
            case UInt8(ascii: "."):
                inFraction = true
            case UInt8(ascii: "e"), UInt8(ascii: "E"):
                inExponent = true
            default:
                let digit = Int(byte &- UInt8(ascii: "0"))
                if inExponent {
                    // Saturate: such exponents overflow or underflow any double anyway.
                    exponent = exponent > 100_000_000 ? exponent : exponent * 10 + digit
                } else {
                    if digits.isEmpty && digit == 0 {
                        if inFraction { fractionCount += 1 }
                        continue
                    }
                    digits.append(byte)
                    if inFraction { fractionCount += 1 }
                }
            }
        }
        var power = (exponentNegative ? -exponent : exponent) - fractionCount
        while digits.last == UInt8(ascii: "0") {
            digits.removeLast()
            power += 1
        }
        if digits.isEmpty { return Decimal(isNegative: false, digits: "", exponent: 0) }
        return Decimal(isNegative: isNegative, digits: String(decoding: digits, as: UTF8.self), exponent: power)
    }

    /// Checks `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    static func isValidLexeme(_ bytes: [UInt8]) -> Bool {
        var index = 0
        func digits() -> Int {
            let start = index
            while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
                index += 1
            }
            return index - start
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count else { return false }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else if digits() == 0 {
            return false
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard digits() > 0 else { return false }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                index += 1
            }
            guard digits() > 0 else { return false }
        }
        return index == bytes.count
    }
}
