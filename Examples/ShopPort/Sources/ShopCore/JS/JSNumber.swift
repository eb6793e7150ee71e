/// JavaScript number semantics that leak onto the wire: `Number::toString` (what `JSON.stringify`
/// and template literals print) and `Number(string)` (how Express handlers coerce input).
public enum JSNumber {
    /// `String(x)` in JavaScript: shortest round-trip digits, `1` not `1.0`, exponent form
    /// only below 1e-6 or from 1e21 on, written `1e+21` / `1e-7`.
    public static func format(_ x: Double) -> String {
        if x.isNaN { return "NaN" }
        if x == 0 { return "0" }
        if x.isInfinite { return x < 0 ? "-Infinity" : "Infinity" }
        if x < 0 { return "-" + format(-x) }
        let (digits, n) = shortestDigits(x)
        let k = digits.count
        if k <= n && n <= 21 {
            return digits + String(repeating: "0", count: n - k)
        }
        if 0 < n && n <= 21 {
            let split = digits.index(digits.startIndex, offsetBy: n)
            return String(digits[..<split]) + "." + String(digits[split...])
        }
        if -6 < n && n <= 0 {
            return "0." + String(repeating: "0", count: -n) + digits
        }
        let e = n - 1
        let exponent = (e < 0 ? "e-" : "e+") + String(abs(e))
        if k == 1 { return digits + exponent }
        return String(digits.prefix(1)) + "." + String(digits.dropFirst()) + exponent
    }

    /// `JSON.stringify` of a number: non-finite values become `null`.
    public static func jsonFormat(_ x: Double) -> String {
        x.isFinite ? format(x) : "null"
    }

    /// Shortest round-trip decimal digits of a positive finite double and the decimal point
    /// position `n`, so that the value is `0.digits × 10^n`. Swift's `description` already
    /// prints the shortest round-trip digits; only its layout differs from JavaScript's.
    static func shortestDigits(_ x: Double) -> (String, Int) {
        let text = x.description
        var mantissa = Substring(text)
        var exponent = 0
        if let eIndex = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = text[..<eIndex]
            exponent = Int(text[text.index(after: eIndex)...]) ?? 0
        }
        var intPart = mantissa
        var fracPart: Substring = ""
        if let dot = mantissa.firstIndex(of: ".") {
            intPart = mantissa[..<dot]
            fracPart = mantissa[mantissa.index(after: dot)...]
        }
        var digits = Array(intPart + fracPart)
        var n = intPart.count + exponent
        while digits.first == "0" {
            digits.removeFirst()
            n -= 1
        }
        while digits.last == "0" {
            digits.removeLast()
        }
        return (String(digits), n)
    }

    /// JavaScript's WhiteSpace and LineTerminator code points (what `trim()` and `Number()` strip).
    public static func isJSWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F,
            0x3000, 0xFEFF:
            return true
        default:
            return false
        }
    }

    /// `String.prototype.trim`.
    public static func trim(_ text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        var start = 0
        var end = scalars.count
        while start < end && isJSWhitespace(scalars[start]) { start += 1 }
        while end > start && isJSWhitespace(scalars[end - 1]) { end -= 1 }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars[start..<end])
        return String(view)
    }

    /// `Number(text)` for a string (ECMAScript StringToNumber).
    public static func parse(_ text: String) -> Double {
        let trimmed = trim(text)
        if trimmed.isEmpty { return 0 }
        let chars = Array(trimmed.unicodeScalars)
        // 0x / 0o / 0b literals: no sign allowed.
        if chars.count > 2 && chars[0] == "0" {
            let radix: Int?
            switch chars[1] {
            case "x", "X": radix = 16
            case "o", "O": radix = 8
            case "b", "B": radix = 2
            default: radix = nil
            }
            if let radix {
                var value = 0.0
                for c in chars[2...] {
                    guard let d = Int(String(c), radix: radix) else { return .nan }
                    value = value * Double(radix) + Double(d)
                }
                return value
            }
        }
        var body = Substring(trimmed)
        var sign = 1.0
        if body.first == "+" || body.first == "-" {
            if body.first == "-" { sign = -1 }
            body = body.dropFirst()
        }
        if body == "Infinity" { return sign * .infinity }
        guard isDecimalLiteral(body) else { return .nan }
        guard let value = Double(String(body)) else { return .nan }
        return sign * value
    }

    /// StrUnsignedDecimalLiteral: digits [. digits] [e[+-]digits], or . digits [exponent].
    static func isDecimalLiteral(_ s: Substring) -> Bool {
        let c = Array(s.utf8)
        var i = 0
        var intDigits = 0
        while i < c.count, c[i] >= 0x30 && c[i] <= 0x39 {
            i += 1
            intDigits += 1
        }
        var fracDigits = 0
        if i < c.count && c[i] == UInt8(ascii: ".") {
            i += 1
            while i < c.count, c[i] >= 0x30 && c[i] <= 0x39 {
                i += 1
                fracDigits += 1
            }
        }
        if intDigits + fracDigits == 0 { return false }
        if i < c.count && (c[i] == UInt8(ascii: "e") || c[i] == UInt8(ascii: "E")) {
            i += 1
            if i < c.count && (c[i] == UInt8(ascii: "+") || c[i] == UInt8(ascii: "-")) { i += 1 }
            var expDigits = 0
            while i < c.count, c[i] >= 0x30 && c[i] <= 0x39 {
                i += 1
                expDigits += 1
            }
            if expDigits == 0 { return false }
        }
        return i == c.count
    }

    /// `Array.prototype.slice(0, end)` bounds: ToIntegerOrInfinity then clamping.
    public static func sliceEnd(_ end: Double, count: Int) -> Int {
        if end.isNaN { return 0 }
        let integer = end.rounded(.towardZero)
        if integer < 0 {
            return max(count + (integer < -Double(count) ? -count : Int(integer)), 0)
        }
        return integer >= Double(count) ? count : Int(integer)
    }

    /// `Number.isInteger`.
    public static func isInteger(_ x: Double) -> Bool {
        x.isFinite && x.rounded(.towardZero) == x
    }
}
