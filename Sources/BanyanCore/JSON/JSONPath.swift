/// A location in a JSON document, written `$.items[0].sku`, with keys that are not JavaScript
/// identifiers in brackets (`$["a b"]`).
///
/// As a pattern (in policy rules and noise profiles) it may also hold `[*]` (any index), `.*`
/// (any single key) and, only at the end, `..*` (anything below this point, at any depth).
public struct JSONPath: Sendable, Hashable, CustomStringConvertible {
    /// One step from a value to a value inside it.
    public enum Segment: Sendable, Hashable {
        /// `.name` or `["a b"]`: the member with this key.
        case key(String)
        /// `[0]`: the array element at this index, from 0.
        case index(Int)
        /// `.*`: any single key.
        case anyKey
        /// `[*]`: any single index.
        case anyIndex
        /// `..*`: one or more segments of any kind; only allowed last.
        case descendants
    }

    /// The steps from the document's root, outermost first; empty for `$`.
    public var segments: [Segment]

    /// The root, `$`.
    public init(_ segments: [Segment] = []) {
        self.segments = segments
    }

    /// Parses `$.a["b c"][0]`, `$.items[*].sku`, `$.meta.*` or `$.meta..*`; nil when malformed.
    public init?(parsing text: String) {
        var segments: [Segment] = []
        let chars = Array(text.unicodeScalars)
        guard chars.first == "$" else { return nil }
        var index = 1
        func isIdentifier(_ scalar: Unicode.Scalar, first: Bool) -> Bool {
            scalar == "_" || scalar == "$" || ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar)
                || (!first && ("0"..."9").contains(scalar))
        }
        while index < chars.count {
            if chars[index] == "." {
                index += 1
                if index + 1 < chars.count && chars[index] == "." && chars[index + 1] == "*"
                    && index + 2 == chars.count
                {
                    segments.append(.descendants)
                    index += 2
                    continue
                }
                guard index < chars.count else { return nil }
                if chars[index] == "*" {
                    segments.append(.anyKey)
                    index += 1
                    continue
                }
                let start = index
                while index < chars.count && isIdentifier(chars[index], first: index == start) { index += 1 }
                guard index > start else { return nil }
                var key = String.UnicodeScalarView()
                key.append(contentsOf: chars[start..<index])
                segments.append(.key(String(key)))
            } else if chars[index] == "[" {
                index += 1
                guard index < chars.count else { return nil }
                if chars[index] == "*" {
                    guard index + 1 < chars.count, chars[index + 1] == "]" else { return nil }
                    segments.append(.anyIndex)
                    index += 2
                } else if chars[index] == "\"" {
                    // A JSON string literal, then `]`.
                    let start = index
                    index += 1
                    while index < chars.count && chars[index] != "\"" {
                        index += chars[index] == "\\" ? 2 : 1
                    }
                    guard index < chars.count else { return nil }
                    var literal = String.UnicodeScalarView()
                    literal.append(contentsOf: chars[start...index])
                    guard case .string(let key)? = try? JSONParser.parse(String(literal)) else { return nil }
                    index += 1
                    guard index < chars.count, chars[index] == "]" else { return nil }
                    index += 1
                    segments.append(.key(key))
                } else {
                    var value = 0
                    let start = index
                    while index < chars.count && ("0"..."9").contains(chars[index]) && value < 1_000_000_000 {
                        value = value * 10 + Int(chars[index].value - 48)
                        index += 1
                    }
                    guard index > start, index < chars.count, chars[index] == "]" else { return nil }
                    index += 1
                    segments.append(.index(value))
                }
            } else {
                return nil
            }
        }
        self.segments = segments
    }

    /// Returns the path one step deeper.
    ///
    /// - Parameter segment: The step to add at the end.
    /// - Returns: A path to the value that `segment` reaches from this path's value.
    public func appending(_ segment: Segment) -> JSONPath {
        var copy = self
        copy.segments.append(segment)
        return copy
    }

    /// Returns the path to the member `key` of this path's object: `$.user` becomes `$.user.name`.
    public func appending(key: String) -> JSONPath { appending(.key(key)) }
    /// Returns the path to element `index` of this path's array: `$.items` becomes `$.items[0]`.
    public func appending(index: Int) -> JSONPath { appending(.index(index)) }

    /// The path as reports and policies write it: `$.items[0].sku`, `$["content-type"]`.
    ///
    /// ``init(parsing:)`` reads it back to an equal path.
    public var description: String {
        var text = "$"
        for segment in segments {
            switch segment {
            case .key(let key):
                if JSONPath.isIdentifier(key) { text += "." + key } else { text += "[" + key.jsonQuoted + "]" }
            case .index(let index): text += "[\(index)]"
            case .anyKey: text += ".*"
            case .anyIndex: text += "[*]"
            case .descendants: text += "..*"
            }
        }
        return text
    }

    /// Whether `key` can be written after a dot: a JavaScript identifier made of ASCII letters,
    /// digits, `_` and `$`, not starting with a digit.
    static func isIdentifier(_ key: String) -> Bool {
        guard let first = key.utf8.first, !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else {
            return false
        }
        return key.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "$"):
                true
            default: false
            }
        }
    }

    /// Whether this pattern selects `path` (a concrete path without wildcards).
    public func matches(_ path: JSONPath) -> Bool {
        var index = 0
        for segment in segments {
            if segment == .descendants { return path.segments.count > index }
            guard index < path.segments.count else { return false }
            switch (segment, path.segments[index]) {
            case (.anyKey, .key), (.anyIndex, .index): break
            // Keys match as JavaScript looks them up: by code units, not Swift's canonical equivalence.
            case (.key(let expected), .key(let actual)): if !CodeUnits.equal(expected, actual) { return false }
            case (let expected, let actual) where expected == actual: break
            default: return false
            }
            index += 1
        }
        return index == path.segments.count
    }

    /// Whether `path` is this path or lies below it.
    public func contains(_ path: JSONPath) -> Bool {
        guard path.segments.count >= segments.count else { return false }
        var prefix = path
        prefix.segments.removeLast(path.segments.count - segments.count)
        return matches(prefix)
    }
}
