/// What the traffic showed at one place of a JSON body: every kind of value seen there, with the
/// facts a port's types depend on. Counts only grow and merge by addition, so the same traffic in
/// any order gives the same node.
public struct SchemaNode: Sendable, Hashable {
    /// The `null` values seen here.
    public var nulls = Evidence()
    /// The `true` and `false` values seen here.
    public var booleans = Evidence()
    /// The numbers seen here; nil when there was none.
    public var numbers: NumberFacts?
    /// The strings seen here; nil when there was none.
    public var strings: StringFacts?
    /// The arrays seen here; nil when there was none.
    public var arrays: ArrayFacts?
    /// The objects seen here; nil when there was none.
    public var objects: ObjectFacts?

    /// Creates a node for a place where nothing was seen yet.
    public init() {}

    /// How many values were seen here (null included).
    public var count: Int {
        nulls.count + booleans.count + (numbers?.seen.count ?? 0) + (strings?.seen.count ?? 0)
            + (arrays?.seen.count ?? 0) + (objects?.seen.count ?? 0)
    }

    /// The kinds seen apart from null, in a fixed order.
    public var kinds: [JSONKind] {
        var result: [JSONKind] = []
        if !booleans.isEmpty { result.append(.boolean) }
        if numbers != nil { result.append(.number) }
        if strings != nil { result.append(.string) }
        if arrays != nil { result.append(.array) }
        if objects != nil { result.append(.object) }
        return result
    }

    /// Records one value seen in exchange `id`.
    public mutating func observe(_ value: JSONValue, id: String, settings: ContractSettings) {
        switch value {
        case .null: nulls.add(id)
        case .bool: booleans.add(id)
        case .number(let number):
            if numbers == nil { numbers = NumberFacts() }
            numbers!.observe(number, id: id)
        case .string(let text):
            if strings == nil { strings = StringFacts() }
            strings!.observe(text, id: id, settings: settings)
        case .array(let elements):
            if arrays == nil { arrays = ArrayFacts() }
            arrays!.observe(elements, id: id, settings: settings)
        case .object(let members):
            if objects == nil { objects = ObjectFacts() }
            objects!.observe(members, id: id, settings: settings)
        }
    }

    /// Adds what another node saw.
    public mutating func merge(_ other: SchemaNode, settings: ContractSettings) {
        nulls.merge(other.nulls)
        booleans.merge(other.booleans)
        if let theirs = other.numbers {
            if numbers == nil { numbers = theirs } else { numbers!.merge(theirs) }
        }
        if let theirs = other.strings {
            if strings == nil { strings = theirs } else { strings!.merge(theirs, settings: settings) }
        }
        if let theirs = other.arrays {
            if arrays == nil { arrays = theirs } else { arrays!.merge(theirs, settings: settings) }
        }
        if let theirs = other.objects {
            if objects == nil { objects = theirs } else { objects!.merge(theirs, settings: settings) }
        }
    }
}

/// The JSON kinds apart from null.
public enum JSONKind: String, Sendable, Hashable, CaseIterable {
    /// `true`/`false`, a number, a string, an array, an object.
    case boolean, number, string, array, object
}

/// Numbers as a JavaScript client reads them.
public struct NumberFacts: Sendable, Hashable {
    /// Every number seen here.
    public var seen = Evidence()
    /// Numbers with a fraction (`0.5`).
    public var fraction = Evidence()
    /// Integers beyond `Number.MAX_SAFE_INTEGER` (2^53 - 1): JavaScript reads them rounded.
    public var unsafeInteger = Evidence()
    /// Numbers spelled with an exponent (`1e+21`, `1e-7`).
    public var exponent = Evidence()
    /// `-0`, which JavaScript prints as `0`.
    public var negativeZero = Evidence()
    /// Lexemes JavaScript would print differently (`1.0`, `1E3`): only a client other than V8 writes them.
    public var nonCanonical = Evidence()

    /// Creates facts for a place with no number seen yet.
    public init() {}

    mutating func observe(_ number: JSONNumber, id: String) {
        seen.add(id)
        // Fast path: short plain integers are integral, safe and printed as JavaScript prints them.
        let bytes = number.lexeme.utf8
        if bytes.count <= 15 {
            var plain = true
            var index = 0
            for byte in bytes {
                if byte == UInt8(ascii: "-") && index == 0 {
                } else if byte < UInt8(ascii: "0") || byte > UInt8(ascii: "9") {
                    plain = false
                    break
                }
                index += 1
            }
            let lexeme = number.lexeme
            if plain && lexeme != "-0" && !(lexeme.hasPrefix("0") && lexeme.count > 1)
                && !lexeme.hasPrefix("-0")
            {
                return
            }
        }
        let lexeme = number.lexeme
        if lexeme.contains(where: { $0 == "e" || $0 == "E" }) { exponent.add(id) }
        let double = number.doubleValue
        if double == 0 && lexeme.hasPrefix("-") { negativeZero.add(id) }
        if number.isInteger {
            if double.magnitude >= 9_007_199_254_740_992 { unsafeInteger.add(id) }
        } else {
            fraction.add(id)
        }
        if JSONNumber.jsString(of: double) != lexeme { nonCanonical.add(id) }
    }

    mutating func merge(_ other: NumberFacts) {
        seen.merge(other.seen)
        fraction.merge(other.fraction)
        unsafeInteger.merge(other.unsafeInteger)
        exponent.merge(other.exponent)
        negativeZero.merge(other.negativeZero)
        nonCanonical.merge(other.nonCanonical)
    }
}

/// Strings: how many match each format, and the distinct values while they are few.
public struct StringFacts: Sendable, Hashable {
    /// Every string seen here.
    public var seen = Evidence()
    /// `2024-01-02T03:04:05.006Z`: what `Date#toJSON` writes.
    public var isoMillis = Evidence()
    /// Other date spellings: `2024-01-02`, `2024-01-02T03:04:05Z`, offsets, other fraction lengths.
    public var otherDate = Evidence()
    /// UUIDs in `8-4-4-4-12` hexadecimal form (`f47ac10b-58cc-4372-a567-0e02b2c3d479`).
    public var uuid = Evidence()
    /// Decimal integers sent as strings (`"42"`, `"9007199254740993"`).
    public var numeric = Evidence()
    /// Strings of no recognised format.
    public var plain = Evidence()
    /// Numeric strings beyond 2^53: ids that would lose digits as JavaScript numbers.
    public var unsafeNumeric = Evidence()
    /// Every distinct value and its evidence; nil once more than ``ContractSettings/trackedValues`` were seen.
    public var values: [String: Evidence]? = [:]

    /// Creates facts for a place with no string seen yet.
    public init() {}

    mutating func observe(_ text: String, id: String, settings: ContractSettings) {
        seen.add(id)
        switch StringFormat.classify(text) {
        case .isoMillis: isoMillis.add(id)
        case .otherDate: otherDate.add(id)
        case .uuid: uuid.add(id)
        case .numeric(let unsafe):
            numeric.add(id)
            if unsafe { unsafeNumeric.add(id) }
        case nil: plain.add(id)
        }
        if values != nil {
            values![text, default: Evidence()].add(id)
            if values!.count > settings.trackedValues { values = nil }
        }
    }

    mutating func merge(_ other: StringFacts, settings: ContractSettings) {
        seen.merge(other.seen)
        isoMillis.merge(other.isoMillis)
        otherDate.merge(other.otherDate)
        uuid.merge(other.uuid)
        numeric.merge(other.numeric)
        unsafeNumeric.merge(other.unsafeNumeric)
        plain.merge(other.plain)
        if let theirs = other.values, values != nil {
            for (value, evidence) in theirs { values![value, default: Evidence()].merge(evidence) }
            if values!.count > settings.trackedValues { values = nil }
        } else {
            values = nil
        }
    }
}

/// Arrays: their lengths and one item schema merged over every element of every array.
public struct ArrayFacts: Sendable, Hashable {
    /// Every array seen here.
    public var seen = Evidence()
    /// Arrays with no element (`[]`).
    public var empty = Evidence()
    /// The length of the longest array seen.
    public var maxLength = 0
    // One element: an array keeps the recursive node out of line.
    private var itemStorage: [SchemaNode] = [SchemaNode()]

    /// Creates facts for a place with no array seen yet.
    public init() {}

    /// The schema of the items, merged over every element seen.
    public var items: SchemaNode {
        get { itemStorage[0] }
        set { itemStorage[0] = newValue }
    }

    mutating func observe(_ elements: [JSONValue], id: String, settings: ContractSettings) {
        seen.add(id)
        if elements.isEmpty { empty.add(id) }
        maxLength = max(maxLength, elements.count)
        for element in elements { itemStorage[0].observe(element, id: id, settings: settings) }
    }

    mutating func merge(_ other: ArrayFacts, settings: ContractSettings) {
        seen.merge(other.seen)
        empty.merge(other.empty)
        maxLength = max(maxLength, other.maxLength)
        itemStorage[0].merge(other.items, settings: settings)
    }
}

/// One key of an object shape.
public struct FieldFacts: Sendable, Hashable {
    /// Objects that had the key.
    public var present = Evidence()
    /// Objects that lacked it.
    public var absent = Evidence()
    /// The sum of the key's positions (0-based) over the objects that had it: orders keys that
    /// never appeared together.
    public var positionTotal = 0
    /// The schema of the key's values, over every object that had it.
    public var value = SchemaNode()

    /// Creates facts for a key not seen yet.
    public init() {}
}

/// An ordered pair of keys: `first` came before `second` in an object.
public struct KeyPair: Sendable, Hashable, Comparable {
    /// The key that came first.
    public var first: String
    /// The key that came after it, not necessarily right after.
    public var second: String

    /// Creates the pair "`first` came before `second`".
    public init(_ first: String, _ second: String) {
        self.first = first
        self.second = second
    }

    /// Orders pairs by first key, then second key, for stable reports.
    public static func < (lhs: KeyPair, rhs: KeyPair) -> Bool {
        (lhs.first, lhs.second) < (rhs.first, rhs.second)
    }
}

/// Objects: each key's presence and value schema, and the order keys came in.
public struct ObjectFacts: Sendable, Hashable {
    /// Every object seen here.
    public var seen = Evidence()
    /// Every key seen in any of these objects, with its presence and value schema.
    public var fields: [String: FieldFacts] = [:]
    /// For every two keys seen in one object, which came first, and how often.
    public var precedence: [KeyPair: Evidence] = [:]

    /// Creates facts for a place with no object seen yet.
    public init() {}

    mutating func observe(_ rawMembers: [JSONMember], id: String, settings: ContractSettings) {
        let members = JSONValue.javaScriptMembers(rawMembers)
        var keys = Set<String>()
        keys.reserveCapacity(members.count)
        for (position, member) in members.enumerated() {
            keys.insert(member.key)
            if fields[member.key] == nil {
                // Every object seen before lacked this key: the smallest of their ids are the
                // smallest ids of its absence, whatever order the traffic came in.
                var field = FieldFacts()
                field.absent = seen
                fields[member.key] = field
            }
            fields[member.key]!.present.add(id)
            fields[member.key]!.positionTotal += position
            fields[member.key]!.value.observe(member.value, id: id, settings: settings)
        }
        for key in fields.keys where !keys.contains(key) { fields[key]!.absent.add(id) }
        seen.add(id)
        if members.count > 1 {
            for i in 0..<(members.count - 1) {
                for j in (i + 1)..<members.count {
                    precedence[KeyPair(members[i].key, members[j].key), default: Evidence()].add(id)
                }
            }
        }
    }

    mutating func merge(_ other: ObjectFacts, settings: ContractSettings) {
        for (key, theirs) in other.fields {
            if var mine = fields[key] {
                mine.present.merge(theirs.present)
                mine.absent.merge(theirs.absent)
                mine.positionTotal += theirs.positionTotal
                mine.value.merge(theirs.value, settings: settings)
                fields[key] = mine
            } else {
                var field = theirs
                field.absent.merge(seen)
                fields[key] = field
            }
        }
        for key in fields.keys where other.fields[key] == nil { fields[key]!.absent.merge(other.seen) }
        seen.merge(other.seen)
        for (pair, evidence) in other.precedence { precedence[pair, default: Evidence()].merge(evidence) }
    }
}

/// The string formats the inference recognises.
enum StringFormat: Equatable {
    case isoMillis, otherDate, uuid
    case numeric(unsafe: Bool)

    static func classify(_ text: String) -> StringFormat? {
        let bytes = Array(text.utf8.prefix(64))
        let count = text.utf8.count
        func digit(_ i: Int) -> Bool { i < bytes.count && bytes[i] >= 0x30 && bytes[i] <= 0x39 }
        func byte(_ i: Int, _ c: Character) -> Bool { i < bytes.count && bytes[i] == c.asciiValue! }
        if count >= 10, digit(0), digit(1), digit(2), digit(3), byte(4, "-"), digit(5), digit(6), byte(7, "-"),
            digit(8), digit(9)
        {
            if count == 10 { return .otherDate }
            if count == 24, byte(10, "T"), digit(11), digit(12), byte(13, ":"), digit(14), digit(15), byte(16, ":"),
                digit(17), digit(18), byte(19, "."), digit(20), digit(21), digit(22), byte(23, "Z")
            {
                return .isoMillis
            }
            if byte(10, "T") || byte(10, " "), count <= 40,
                bytes[11...].allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ":.+-Z".utf8.contains($0) })
            {
                return .otherDate
            }
            return nil
        }
        if count == 36 {
            let hex = { (b: UInt8) in (b >= 0x30 && b <= 0x39) || (b >= 0x61 && b <= 0x66) || (b >= 0x41 && b <= 0x46) }
            var isUUID = true
            for (i, b) in bytes.enumerated() {
                if [8, 13, 18, 23].contains(i) ? b != UInt8(ascii: "-") : !hex(b) {
                    isUUID = false
                    break
                }
            }
            if isUUID { return .uuid }
        }
        var digits = text.utf8[...]
        if digits.first == UInt8(ascii: "-") { digits = digits.dropFirst() }
        guard !digits.isEmpty, digits.count <= 400, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
            digits.first != UInt8(ascii: "0") || digits.count == 1
        else { return nil }
        let unsafe =
            digits.count > 16 || (digits.count == 16 && String(decoding: digits, as: UTF8.self) >= "9007199254740992")
        return .numeric(unsafe: unsafe)
    }
}
