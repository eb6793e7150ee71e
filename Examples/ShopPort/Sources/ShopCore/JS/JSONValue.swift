/// A JSON value with JavaScript semantics: numbers are doubles, objects keep JavaScript's
/// property order (integer-like keys first, ascending, then insertion order) and a repeated
/// key keeps its first position but takes the last value, as `JSON.parse` does.
public indirect enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    /// An integer written with every digit, as a `UInt64` property is encoded by Swift's
    /// encoders (only the naive port writes one: JavaScript cannot hold it exactly).
    case exactInteger(UInt64)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// Property lookup as `value.key` would do it: only objects have our keys.
    public subscript(key: String) -> JSONValue? {
        if case .object(let object) = self { return object[key] }
        return nil
    }
}

/// An ordered JavaScript object.
public struct JSONObject: Sendable, Equatable {
    public private(set) var keys: [String] = []
    private var values: [String: JSONValue] = [:]

    public init() {}

    public init(_ pairs: [(String, JSONValue)]) {
        for (key, value) in pairs {
            self[key] = value
        }
    }

    public subscript(key: String) -> JSONValue? {
        get { values[key] }
        set {
            if let newValue {
                if values.updateValue(newValue, forKey: key) == nil {
                    keys.append(key)
                }
            } else if values.removeValue(forKey: key) != nil {
                keys.removeAll { $0 == key }
            }
        }
    }

    /// Keys in the order `JSON.stringify` visits them.
    public var orderedKeys: [String] {
        let indices = keys.compactMap { key in JSONObject.arrayIndex(key).map { ($0, key) } }
        let named = keys.filter { JSONObject.arrayIndex($0) == nil }
        return indices.sorted { $0.0 < $1.0 }.map(\.1) + named
    }

    /// A canonical array index ("0", "17", not "01" or "-1"), below 2^32 - 1.
    static func arrayIndex(_ key: String) -> UInt32? {
        guard let value = UInt32(key), value != UInt32.max, String(value) == key else { return nil }
        return value
    }
}

/// JavaScript strings are UTF-16 and may hold lone surrogates (`"\ud800"` in JSON); Swift strings
/// cannot. Inside this module a lone surrogate U+D800+k is stored as U+10FFFF followed by
/// U+10F000+k, and a genuine U+10FFFF is stored doubled. Comparisons, `trim` and `includes`
/// behave as in JavaScript; `JSONWriter` turns the markers back into `\udxxx` escapes.
public enum JSText {
    public static let marker: Unicode.Scalar = "\u{10FFFF}"

    /// Appends a scalar, doubling a genuine U+10FFFF.
    static func append(_ scalar: Unicode.Scalar, to out: inout String.UnicodeScalarView) {
        out.append(scalar)
        if scalar == marker { out.append(scalar) }
    }

    /// Appends one UTF-16 code unit that is a lone surrogate.
    static func appendLoneSurrogate(_ unit: UInt32, to out: inout String.UnicodeScalarView) {
        out.append(marker)
        out.append(Unicode.Scalar(0x10F000 + (unit - 0xD800))!)
    }

    /// The surrogate a marker stands for, given the scalar after the marker (nil: a genuine U+10FFFF).
    static func loneSurrogate(after scalar: Unicode.Scalar) -> UInt32? {
        scalar == marker ? nil : scalar.value - 0x10F000 + 0xD800
    }

    /// UTF-16 code units as JavaScript would hold them.
    static func fromUTF16(_ units: [UInt16]) -> String {
        var out = String.UnicodeScalarView()
        var i = 0
        while i < units.count {
            let unit = UInt32(units[i])
            if (0xD800...0xDBFF).contains(unit), i + 1 < units.count, (0xDC00...0xDFFF).contains(UInt32(units[i + 1])) {
                append(Unicode.Scalar(0x10000 + ((unit - 0xD800) << 10) + (UInt32(units[i + 1]) - 0xDC00))!, to: &out)
                i += 2
            } else if (0xD800...0xDFFF).contains(unit) {
                appendLoneSurrogate(unit, to: &out)
                i += 1
            } else {
                out.append(Unicode.Scalar(unit)!)
                i += 1
            }
        }
        return String(out)
    }

    /// Decoded text with genuine U+10FFFF doubled (for decoders that cannot produce surrogates).
    static func escapingMarkers(_ text: String) -> String {
        guard text.unicodeScalars.contains(marker) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars { append(scalar, to: &out) }
        return String(out)
    }
}

/// `JSON.stringify` as V8 does it (no indentation).
public enum JSONWriter {
    public static func string(_ value: JSONValue) -> String {
        var out = ""
        write(value, into: &out)
        return out
    }

    public static func bytes(_ value: JSONValue) -> [UInt8] {
        Array(string(value).utf8)
    }

    static func write(_ value: JSONValue, into out: inout String) {
        switch value {
        case .null:
            out += "null"
        case .bool(let flag):
            out += flag ? "true" : "false"
        case .number(let number):
            out += JSNumber.jsonFormat(number)
        case .exactInteger(let integer):
            out += String(integer)
        case .string(let text):
            quote(text, into: &out)
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                write(item, into: &out)
            }
            out += "]"
        case .object(let object):
            out += "{"
            for (i, key) in object.orderedKeys.enumerated() {
                if i > 0 { out += "," }
                quote(key, into: &out)
                out += ":"
                write(object[key] ?? .null, into: &out)
            }
            out += "}"
        }
    }

    /// JSON string quoting: `"` `\` and control characters escaped (`\b \f \n \r \t`, else `\u00xx`
    /// in lowercase hex); everything else, `/` and non-ASCII included, is written raw.
    public static func quote(_ text: String, into out: inout String) {
        out += "\""
        var marker = false
        for scalar in text.unicodeScalars {
            if marker {
                marker = false
                if let unit = JSText.loneSurrogate(after: scalar) {
                    out += "\\u" + String(unit, radix: 16)
                } else {
                    out.unicodeScalars.append(scalar)
                }
                continue
            }
            if scalar == JSText.marker {
                marker = true
                continue
            }
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}

/// `JSON.parse` (ECMA-404 grammar, V8 semantics for numbers and repeated keys).
public struct JSONParser {
    public struct SyntaxError: Error, Equatable {
        public let offset: Int
    }

    private let scalars: [Unicode.Scalar]
    private var index = 0

    public static func parse(_ text: String) throws(SyntaxError) -> JSONValue {
        var parser = JSONParser(scalars: Array(text.unicodeScalars))
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        guard parser.index == parser.scalars.count else { throw SyntaxError(offset: parser.index) }
        return value
    }

    private init(scalars: [Unicode.Scalar]) {
        self.scalars = scalars
    }

    private var current: Unicode.Scalar? { index < scalars.count ? scalars[index] : nil }

    private mutating func skipWhitespace() {
        while let c = current, c == " " || c == "\t" || c == "\n" || c == "\r" {
            index += 1
        }
    }

    private mutating func expect(_ literal: String) throws(SyntaxError) {
        for expected in literal.unicodeScalars {
            guard current == expected else { throw SyntaxError(offset: index) }
            index += 1
        }
    }

    private mutating func parseValue(depth: Int) throws(SyntaxError) -> JSONValue {
        guard depth < 5000, let c = current else { throw SyntaxError(offset: index) }
        switch c {
        case "{":
            index += 1
            var object = JSONObject()
            skipWhitespace()
            if current == "}" {
                index += 1
                return .object(object)
            }
            while true {
                skipWhitespace()
                guard current == "\"" else { throw SyntaxError(offset: index) }
                let key = try parseString()
                skipWhitespace()
                try expect(":")
                skipWhitespace()
                object[key] = try parseValue(depth: depth + 1)
                skipWhitespace()
                if current == "," {
                    index += 1
                    continue
                }
                try expect("}")
                return .object(object)
            }
        case "[":
            index += 1
            var items: [JSONValue] = []
            skipWhitespace()
            if current == "]" {
                index += 1
                return .array(items)
            }
            while true {
                skipWhitespace()
                items.append(try parseValue(depth: depth + 1))
                skipWhitespace()
                if current == "," {
                    index += 1
                    continue
                }
                try expect("]")
                return .array(items)
            }
        case "\"":
            return .string(try parseString())
        case "t":
            try expect("true")
            return .bool(true)
        case "f":
            try expect("false")
            return .bool(false)
        case "n":
            try expect("null")
            return .null
        default:
            return .number(try parseNumber())
        }
    }

    private mutating func parseNumber() throws(SyntaxError) -> Double {
        let start = index
        if current == "-" { index += 1 }
        guard let first = current, isDigit(first) else { throw SyntaxError(offset: index) }
        index += 1
        if first != "0" {
            while let c = current, isDigit(c) { index += 1 }
        }
        if current == "." {
            index += 1
            guard let c = current, isDigit(c) else { throw SyntaxError(offset: index) }
            while let c = current, isDigit(c) { index += 1 }
        }
        if current == "e" || current == "E" {
            index += 1
            if current == "+" || current == "-" { index += 1 }
            guard let c = current, isDigit(c) else { throw SyntaxError(offset: index) }
            while let c = current, isDigit(c) { index += 1 }
        }
        var text = String.UnicodeScalarView()
        text.append(contentsOf: scalars[start..<index])
        return Double(String(text)) ?? .nan
    }

    private func isDigit(_ c: Unicode.Scalar) -> Bool {
        c.value >= 0x30 && c.value <= 0x39
    }

    private mutating func parseString() throws(SyntaxError) -> String {
        index += 1  // opening quote
        var out = String.UnicodeScalarView()
        var pendingHigh: UInt32?
        func flushHigh(_ out: inout String.UnicodeScalarView) {
            if let high = pendingHigh {
                JSText.appendLoneSurrogate(high, to: &out)
                pendingHigh = nil
            }
        }
        while true {
            guard let c = current else { throw SyntaxError(offset: index) }
            index += 1
            if c == "\"" {
                flushHigh(&out)
                return String(out)
            }
            if c.value < 0x20 { throw SyntaxError(offset: index - 1) }
            if c == JSText.marker {
                // Already in marker form (text decoded from UTF-16/32): copy the pair as it is.
                flushHigh(&out)
                guard let next = current else { throw SyntaxError(offset: index) }
                index += 1
                out.append(c)
                out.append(next)
                continue
            }
            if c != "\\" {
                flushHigh(&out)
                out.append(c)
                continue
            }
            guard let e = current else { throw SyntaxError(offset: index) }
            index += 1
            let simple: Unicode.Scalar?
            switch e {
            case "\"": simple = "\""
            case "\\": simple = "\\"
            case "/": simple = "/"
            case "b": simple = "\u{08}"
            case "f": simple = "\u{0C}"
            case "n": simple = "\n"
            case "r": simple = "\r"
            case "t": simple = "\t"
            case "u": simple = nil
            default: throw SyntaxError(offset: index - 1)
            }
            if let simple {
                flushHigh(&out)
                out.append(simple)
                continue
            }
            var code: UInt32 = 0
            for _ in 0..<4 {
                guard let h = current, let d = UInt32(String(h), radix: 16) else { throw SyntaxError(offset: index) }
                code = code * 16 + d
                index += 1
            }
            if (0xD800...0xDBFF).contains(code) {
                flushHigh(&out)
                pendingHigh = code
            } else if (0xDC00...0xDFFF).contains(code) {
                if let high = pendingHigh {
                    let combined = 0x10000 + ((high - 0xD800) << 10) + (code - 0xDC00)
                    JSText.append(Unicode.Scalar(combined)!, to: &out)
                    pendingHigh = nil
                } else {
                    JSText.appendLoneSurrogate(code, to: &out)
                }
            } else {
                flushHigh(&out)
                out.append(Unicode.Scalar(code)!)
            }
        }
    }
}
