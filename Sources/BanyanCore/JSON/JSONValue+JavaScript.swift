extension JSONValue {
    /// The value as `JSON.stringify(JSON.parse(text))` would write it: numbers as V8 prints them
    /// (`1.0` → `1`, `-0` → `0`, `1E3` → `1000`), a repeated key once with its last value at its first
    /// place, integer-like keys first in ascending order. Numbers that overflow a double become `null`.
    public func javaScriptCanonical() -> JSONValue {
        switch self {
        case .null, .bool, .string: return self
        case .number(let number):
            return JSONNumber(number.doubleValue).map(JSONValue.number) ?? .null
        case .array(let elements): return .array(elements.map { $0.javaScriptCanonical() })
        case .object(let members):
            return .object(
                JSONValue.javaScriptMembers(members).map {
                    JSONMember(key: $0.key, value: $0.value.javaScriptCanonical())
                })
        }
    }

    /// An object's members in the order a JavaScript object holds them after `JSON.parse`: a
    /// repeated key once, with its last value, at its first place; integer-like keys (array
    /// indices, `"0"` … `"4294967294"`) first, ascending; the rest in document order.
    public static func javaScriptMembers(_ members: [JSONMember]) -> [JSONMember] {
        var hasIndexKey = false
        var seen = Set<String>()
        var hasDuplicate = false
        for member in members {
            if isArrayIndexKey(member.key) { hasIndexKey = true }
            if !seen.insert(member.key).inserted { hasDuplicate = true }
        }
        if !hasIndexKey && !hasDuplicate { return members }
        var result: [JSONMember] = []
        var place: [String: Int] = [:]
        for member in members {
            if let index = place[member.key] {
                result[index].value = member.value
            } else {
                place[member.key] = result.count
                result.append(member)
            }
        }
        guard hasIndexKey else { return result }
        let indexed = result.filter { isArrayIndexKey($0.key) }.sorted {
            UInt64($0.key)! < UInt64($1.key)!
        }
        return indexed + result.filter { !isArrayIndexKey($0.key) }
    }

    /// Whether JavaScript treats the key as an array index: canonical decimal digits below 2^32 - 1.
    public static func isArrayIndexKey(_ key: String) -> Bool {
        let bytes = key.utf8
        guard let first = bytes.first, bytes.count <= 10, first >= 0x30, first <= 0x39 else { return false }
        guard bytes.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return false }
        if first == 0x30 && bytes.count > 1 { return false }
        return (UInt64(key) ?? .max) < 4_294_967_295
    }
}
