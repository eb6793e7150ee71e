/// Text compared as JavaScript compares it: by UTF-16 code units.
///
/// Swift's `String ==` treats canonically equivalent strings as equal (`"é"` as one code point and
/// `"e\u{301}"` are one string to Swift), while `===`, property lookups and `length` in JavaScript
/// see two strings. The diff engine never compares JSON text with `String ==`; it uses these.
enum CodeUnits {
    /// Whether both strings have the same code units. UTF-8 and UTF-16 encode the same scalars
    /// one-to-one, so equal UTF-8 bytes are equal UTF-16 code units.
    @inline(__always)
    static func equal(_ a: String, _ b: String) -> Bool {
        // Same representation, same text: a small string (up to 15 bytes) holds its bytes in these
        // two words, a large one points to its storage. Settles most equal keys and values at once.
        if MemoryLayout<String>.size == 16,
            unsafeBitCast(a, to: (UInt64, UInt64).self) == unsafeBitCast(b, to: (UInt64, UInt64).self)
        {
            return true
        }
        let left = a.utf8
        let right = b.utf8
        guard left.count == right.count else { return false }
        let contiguous = left.withContiguousStorageIfAvailable { l in
            right.withContiguousStorageIfAvailable { r in equalBytes(l, r) }
        }
        if let contiguous, let result = contiguous { return result }
        return left.elementsEqual(right)
    }

    /// Compares eight bytes at a time, then the rest.
    @inline(__always)
    private static func equalBytes(_ l: UnsafeBufferPointer<UInt8>, _ r: UnsafeBufferPointer<UInt8>) -> Bool {
        let count = l.count
        let left = UnsafeRawBufferPointer(l)
        let right = UnsafeRawBufferPointer(r)
        var offset = 0
        while offset + 8 <= count {
            if left.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                != right.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            {
                return false
            }
            offset += 8
        }
        while offset < count {
            if l[offset] != r[offset] { return false }
            offset += 1
        }
        return true
    }

    /// Whether `a` sorts before `b` in `Array.prototype.sort`'s default order: by UTF-16 code units,
    /// which differs from code point order above U+FFFF (a surrogate, 0xD800–0xDFFF, sorts before U+E000).
    static func precedes(_ a: String, _ b: String) -> Bool {
        a.utf16.lexicographicallyPrecedes(b.utf16)
    }

    /// Whether two strings differing in code units are the same text to Swift: another Unicode
    /// normalisation of it (`é` precomposed or as `e` plus a combining accent, `K` or the Kelvin sign).
    static func isNormalisationOnly(_ a: String, _ b: String) -> Bool {
        a == b && !equal(a, b)
    }

    /// The explanation of a normalisation-only difference.
    static let normalisationNote = "same text in another Unicode normalisation: `===`, lookups and `length` differ"

    /// A JSON string literal with every code unit outside printable ASCII escaped as `\uXXXX`, so
    /// that two normalisations of one text read differently in a report (`"cafe\u0301"`).
    static func escaped(_ text: String) -> String {
        var result = "\""
        for unit in text.utf16 {
            switch unit {
            case 0x22: result += "\\\""
            case 0x5C: result += "\\\\"
            case 0x20..<0x7F: result.unicodeScalars.append(Unicode.Scalar(UInt8(unit)))
            default:
                let hex = String(unit, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            }
        }
        return result + "\""
    }
}

/// A string as a dictionary or set key with JavaScript's identity: equal only when the code
/// units are (hashing stays Swift's, which is coarser and so consistent with it).
struct CodeUnitKey: Hashable {
    let text: String

    static func == (lhs: CodeUnitKey, rhs: CodeUnitKey) -> Bool { CodeUnits.equal(lhs.text, rhs.text) }

    func hash(into hasher: inout Hasher) { hasher.combine(text) }
}

/// Exact equality of two JSON values as JavaScript would tell them apart: the same structure,
/// member order and number lexemes, and strings and keys with the same code units.
/// `JSONValue ==` is not this: it compares strings with Swift's canonical equivalence.
enum Exact {
    static func equal(_ a: JSONValue, _ b: JSONValue) -> Bool {
        withUnsafePointer(to: a) { a in withUnsafePointer(to: b) { b in equalCases(a, b) } }
    }

    /// Elements and member values are compared where they are stored, without copying them out of
    /// their arrays: two values with the same bits are one value (a small string or number lexeme
    /// holds its bytes inline, a large one, an array or an object points to its storage), which
    /// settles most equal numbers and short strings without a look at their case. Bits that differ
    /// (a large string elsewhere in memory, a `Bool` payload's unused bytes) prove nothing; the
    /// cases decide.
    @inline(__always)
    private static func equalStored(_ a: UnsafePointer<JSONValue>, _ b: UnsafePointer<JSONValue>) -> Bool {
        sameBits(a, b, count: MemoryLayout<JSONValue>.size) || equalCases(a, b)
    }

    /// Whether the `count` bytes at `a` and `b` are the same.
    @inline(__always)
    private static func sameBits(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, count: Int) -> Bool {
        var offset = 0
        while offset + 8 <= count {
            if a.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                != b.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            {
                return false
            }
            offset += 8
        }
        while offset < count {
            if a.load(fromByteOffset: offset, as: UInt8.self) != b.load(fromByteOffset: offset, as: UInt8.self) {
                return false
            }
            offset += 1
        }
        return true
    }

    private static func equalCases(_ a: UnsafePointer<JSONValue>, _ b: UnsafePointer<JSONValue>) -> Bool {
        // One switch on `a` and a pattern on `b`, not a switch on the pair: no tuple to copy.
        switch a.pointee {
        case .string(let l):
            guard case .string(let r) = b.pointee else { return false }
            return CodeUnits.equal(l, r)
        case .number(let l):
            guard case .number(let r) = b.pointee else { return false }
            return l == r
        case .null: return b.pointee.isNull
        case .bool(let l):
            guard case .bool(let r) = b.pointee else { return false }
            return l == r
        case .array(let l):
            guard case .array(let r) = b.pointee, l.count == r.count else { return false }
            return l.withUnsafeBufferPointer { l in
                r.withUnsafeBufferPointer { r in
                    guard let left = l.baseAddress, let right = r.baseAddress else { return true }
                    for index in 0..<l.count where !equalStored(left + index, right + index) { return false }
                    return true
                }
            }
        case .object(let l):
            guard case .object(let r) = b.pointee, l.count == r.count else { return false }
            return l.withUnsafeBufferPointer { l in
                r.withUnsafeBufferPointer { r in
                    guard let left = l.baseAddress, let right = r.baseAddress else { return true }
                    let keyOffset = MemoryLayout<JSONMember>.offset(of: \.key)!
                    let valueOffset = MemoryLayout<JSONMember>.offset(of: \.value)!
                    // Keys as values are: same bits (a key of up to 15 bytes is held inline) or same code units.
                    for index in 0..<l.count {
                        let leftMember = UnsafeRawPointer(left + index)
                        let rightMember = UnsafeRawPointer(right + index)
                        if !sameBits(leftMember + keyOffset, rightMember + keyOffset, count: MemoryLayout<String>.size)
                            && !CodeUnits.equal(l[index].key, r[index].key)
                        {
                            return false
                        }
                        let leftValue = (leftMember + valueOffset).assumingMemoryBound(to: JSONValue.self)
                        let rightValue = (rightMember + valueOffset).assumingMemoryBound(to: JSONValue.self)
                        if !equalStored(leftValue, rightValue) { return false }
                    }
                    return true
                }
            }
        }
    }
}
