/// A JSON document as it was written: number lexemes, member order and duplicate keys are kept.
///
/// Equality is structural and exact: `1` and `1.0` are different values here, and so are two
/// objects whose members come in another order. The diff engine decides what a client would
/// consider the same; this model only records what was sent.
///
/// One thing JSON can carry that a Swift `String` cannot is a lone UTF-16 surrogate
/// (`"\ud800"`); the parser decodes it as U+FFFD, the only place where the model is not exact.
public enum JSONValue: Sendable, Hashable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number, with the lexeme it was written with (`1.0` stays `1.0`).
    case number(JSONNumber)
    /// A string, its escapes decoded.
    case string(String)
    /// An array, its elements in order.
    case array([JSONValue])
    /// Members in document order; a key sent twice appears twice.
    case object([JSONMember])

    /// The name JavaScript's `typeof` would suggest, with an article, for explanations
    /// (`a string`, `an array`, `null`).
    public var typeDescription: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    /// The value under `key` as `JSON.parse` reads it: the last member with that key wins.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.last { $0.key == key }?.value
    }

    /// The element at `index` of an array.
    public subscript(index: Int) -> JSONValue? {
        guard case .array(let elements) = self, elements.indices.contains(index) else { return nil }
        return elements[index]
    }

    /// Whether this is `null`.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }
}

/// One `"key": value` member of a JSON object.
public struct JSONMember: Sendable, Hashable {
    /// The member's key, its escapes decoded.
    public var key: String
    /// The member's value.
    public var value: JSONValue

    /// Creates the member `"key": value`.
    public init(key: String, value: JSONValue) {
        self.key = key
        self.value = value
    }
}

extension JSONValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByStringLiteral,
    ExpressibleByIntegerLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    /// Creates `null` from `nil`.
    public init(nilLiteral: ()) { self = .null }
    /// Creates `true` or `false` from a Boolean literal.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    /// Creates a string from a string literal.
    public init(stringLiteral value: String) { self = .string(value) }
    /// Creates a number from an integer literal, written in decimal without exponent.
    public init(integerLiteral value: Int) { self = .number(JSONNumber(value)) }
    /// Creates an array from an array literal, keeping its order.
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    /// Keeps the literal's order, and its duplicates.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(elements.map { JSONMember(key: $0.0, value: $0.1) })
    }
}
