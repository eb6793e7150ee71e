extension JSONNumber {
    /// What V8 prints for a double, in `String(x)` and `JSON.stringify(x)`: the shortest digits
    /// that read back as the same double, plain notation from 1e-6 up to (not including) 1e21,
    /// `1e+21` / `1e-7` style exponents outside it, and `0` for `-0`.
    ///
    /// NaN and the infinities give `NaN`, `Infinity` and `-Infinity` as `String(x)` does;
    /// `JSON.stringify` writes `null` for them instead.
    public static func jsString(of value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Infinity" : "Infinity" }
        if value == 0 { return "0" }
        // Swift's description is already the shortest round-trip digit string (like V8's);
        // only the layout differs, so take its digits and exponent and lay them out as
        // ECMAScript's Number::toString does.
        var (digits, n) = shortestDigits(of: value.magnitude)
        let k = digits.count
        var result = value < 0 ? "-" : ""
        if k <= n && n <= 21 {
            result += digits + String(repeating: "0", count: n - k)
        } else if 0 < n && n <= 21 {
            let split = digits.index(digits.startIndex, offsetBy: n)
            result += digits[..<split] + "." + digits[split...]
        } else if -6 < n && n <= 0 {
            result += "0." + String(repeating: "0", count: -n) + digits
        } else {
            let exponent = n - 1
            let first = digits.removeFirst()
            result.append(first)
            if !digits.isEmpty { result += "." + digits }
            result += exponent < 0 ? "e-\(-exponent)" : "e+\(exponent)"
        }
        return result
    }

    /// The significant digits `d1…dk` and the exponent `n` with `value = 0.d1…dk × 10^n`.
    private static func shortestDigits(of value: Double) -> (digits: String, n: Int) {
        let text = value.description
        var mantissa = Substring(text)
        var exponent = 0
        if let mark = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = text[..<mark]
            exponent = Int(text[text.index(after: mark)...]) ?? 0
        }
        var digits: [Character] = []
        var point: Int?
        for character in mantissa {
            if character == "." { point = digits.count } else { digits.append(character) }
        }
        var n = (point ?? digits.count) + exponent
        while digits.first == "0" {
            digits.removeFirst()
            n -= 1
        }
        while digits.last == "0" { digits.removeLast() }
        return (String(digits), n)
    }
}
