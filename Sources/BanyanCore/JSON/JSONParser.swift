/// A strict RFC 8259 parser that works on bytes and keeps everything a ``JSONValue`` can hold.
///
/// Differences from the RFC, each matching what an Express service's `express.json()` accepts:
/// a UTF-8 byte order mark at the very start is skipped, and invalid UTF-8 inside strings is
/// decoded as U+FFFD (as Node's decoder does) instead of being refused.
public enum JSONParser {
    /// How deep arrays and objects may nest before the parser refuses the input (stack safety).
    public static let defaultMaxDepth = 512

    /// Parses one JSON text: a single value with optional whitespace around it.
    ///
    /// ```swift
    /// let body = try JSONParser.parse(response.body)
    /// body["id"]  // a .number whose lexeme is still "9007199254740993", not rounded
    /// ```
    ///
    /// - Parameters:
    ///   - bytes: The UTF-8 text, as it came off the wire.
    ///   - maxDepth: How deep arrays and objects may nest.
    /// - Returns: The value, with number lexemes, member order and duplicate keys as written.
    /// - Throws: ``JSONParseError`` naming the line and column of the first byte that is not
    ///   valid JSON, or of the value that nests deeper than `maxDepth`.
    public static func parse(
        _ bytes: some Collection<UInt8>,
        maxDepth: Int = defaultMaxDepth
    ) throws(JSONParseError) -> JSONValue {
        let parsed: Result<JSONValue, JSONParseError>? = bytes.withContiguousStorageIfAvailable { buffer in
            parseBuffer(buffer, maxDepth: maxDepth)
        }
        if let parsed { return try parsed.get() }
        let copy = Array(bytes)
        return try copy.withUnsafeBufferPointer { parseBuffer($0, maxDepth: maxDepth) }.get()
    }

    /// Parses JSON written as a Swift string, as tests and policy files hold it.
    ///
    /// - Throws: ``JSONParseError`` naming the line and column of the first byte that is not valid JSON.
    public static func parse(_ text: String, maxDepth: Int = defaultMaxDepth) throws(JSONParseError) -> JSONValue {
        try parse(Array(text.utf8), maxDepth: maxDepth)
    }

    private static func parseBuffer(_ buffer: UnsafeBufferPointer<UInt8>, maxDepth: Int) -> Result<
        JSONValue, JSONParseError
    > {
        var reader = Reader(bytes: buffer, maxDepth: maxDepth)
        do throws(Reader.Failure) {
            return .success(try reader.document())
        } catch {
            return .failure(JSONParseError(message: error.message, offset: error.offset, in: buffer))
        }
    }
}

private let quote = UInt8(ascii: "\"")
private let backslash = UInt8(ascii: "\\")

/// The parser's cursor. Errors carry only message and offset; line and column are computed once, at the end.
private struct Reader {
    struct Failure: Error {
        var message: String
        var offset: Int
    }

    let bytes: UnsafeBufferPointer<UInt8>
    let maxDepth: Int
    var index = 0
    var depth = 0
    /// Reused for strings that contain escapes.
    var scratch: [UInt8] = []
    /// Elements and members of the containers being read, innermost last. Each container is moved
    /// out once, at its exact size, instead of growing its own array append by append.
    let elementStack = ContainerStack<JSONValue>()
    let memberStack = ContainerStack<JSONMember>()

    init(bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    mutating func document() throws(Failure) -> JSONValue {
        if bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF { index = 3 }
        skipWhitespace()
        let value = try value()
        skipWhitespace()
        if index < bytes.count { throw fail("unexpected \(found()) after the JSON value") }
        return value
    }

    func fail(_ message: String, at offset: Int? = nil) -> Failure {
        Failure(message: message, offset: offset ?? index)
    }

    /// The byte at the cursor, described for a message: `'x'`, `byte 0x01` or `end of input`.
    func found(at offset: Int? = nil) -> String {
        let at = offset ?? index
        guard at < bytes.count else { return "end of input" }
        let byte = bytes[at]
        if byte >= 0x20 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
        return "byte 0x" + hex2(byte)
    }

    @inline(__always)
    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    mutating func value() throws(Failure) -> JSONValue {
        guard index < bytes.count else { throw fail("expected a JSON value, found end of input") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case quote: return .string(try string())
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw fail("expected a JSON value, found \(found())")
        }
    }

    mutating func literal(_ word: StaticString, _ value: JSONValue) throws(Failure) -> JSONValue {
        let start = index
        let count = word.utf8CodeUnitCount
        let text = UnsafeBufferPointer(start: word.utf8Start, count: count)
        for offset in 0..<count {
            guard index < bytes.count, bytes[index] == text[offset] else {
                throw fail("invalid literal, expected '\(word)'", at: start)
            }
            index += 1
        }
        return value
    }

    mutating func enter() throws(Failure) {
        depth += 1
        if depth > maxDepth { throw fail("nesting deeper than \(maxDepth) levels") }
    }

    mutating func array() throws(Failure) -> JSONValue {
        try enter()
        index += 1
        skipWhitespace()
        if index < bytes.count && bytes[index] == UInt8(ascii: "]") {
            index += 1
            depth -= 1
            return .array([])
        }
        let base = elementStack.count
        while true {
            skipWhitespace()
            elementStack.push(try value())
            skipWhitespace()
            guard index < bytes.count else { throw fail("expected ',' or ']' after array element, found end of input") }
            let byte = bytes[index]
            index += 1
            if byte == UInt8(ascii: ",") { continue }
            if byte == UInt8(ascii: "]") { break }
            throw fail("expected ',' or ']' after array element, found \(found(at: index - 1))", at: index - 1)
        }
        depth -= 1
        return .array(elementStack.pop(from: base))
    }

    mutating func object() throws(Failure) -> JSONValue {
        try enter()
        index += 1
        skipWhitespace()
        if index < bytes.count && bytes[index] == UInt8(ascii: "}") {
            index += 1
            depth -= 1
            return .object([])
        }
        let base = memberStack.count
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == quote else {
                let expected = memberStack.count == base ? "a string key or '}'" : "a string key after ','"
                throw fail("expected \(expected), found \(found())")
            }
            let key = try string()
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else {
                throw fail("expected ':' after object key, found \(found())")
            }
            index += 1
            skipWhitespace()
            memberStack.push(JSONMember(key: key, value: try value()))
            skipWhitespace()
            guard index < bytes.count else {
                throw fail("expected ',' or '}' after object member, found end of input")
            }
            let byte = bytes[index]
            index += 1
            if byte == UInt8(ascii: ",") { continue }
            if byte == UInt8(ascii: "}") { break }
            throw fail("expected ',' or '}' after object member, found \(found(at: index - 1))", at: index - 1)
        }
        depth -= 1
        return .object(memberStack.pop(from: base))
    }

    mutating func number() throws(Failure) -> JSONNumber {
        let start = index
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count, isDigit(bytes[index]) else {
            throw fail("expected a digit after '-', found \(found())")
        }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
            if index < bytes.count && isDigit(bytes[index]) { throw fail("leading zeros are not allowed in numbers") }
        } else {
            while index < bytes.count && isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count && bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard index < bytes.count, isDigit(bytes[index]) else {
                throw fail("expected a digit after '.', found \(found())")
            }
            while index < bytes.count && isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count && (bytes[index] | 0x20) == UInt8(ascii: "e") {
            index += 1
            if index < bytes.count && (bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-")) {
                index += 1
            }
            guard index < bytes.count, isDigit(bytes[index]) else {
                throw fail("expected a digit in the exponent, found \(found())")
            }
            while index < bytes.count && isDigit(bytes[index]) { index += 1 }
        }
        let lexeme = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        return JSONNumber(validated: lexeme)
    }

    @inline(__always)
    func isDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }

    /// Reads a string starting at its opening quote. Strings without escapes are decoded straight
    /// from the input bytes; only strings with a backslash are copied and unescaped.
    mutating func string() throws(Failure) -> String {
        let opening = index
        index += 1
        let start = index
        skipPlain()
        guard index < bytes.count else { throw fail("unterminated string", at: opening) }
        let byte = bytes[index]
        if byte == quote {
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
            index += 1
            return text
        }
        if byte == backslash { return try escapedString(from: start) }
        throw controlCharacter(byte)
    }

    /// Moves the cursor to the next quote, backslash or control character (or the end), eight bytes
    /// at a time while it can.
    @inline(__always)
    mutating func skipPlain() {
        let count = bytes.count
        if let base = UnsafeRawPointer(bytes.baseAddress) {
            while index &+ 8 <= count {
                // In bounds: index + 8 <= count. Little-endian order puts byte i in bits 8i..<8i+8.
                let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: index, as: UInt64.self))
                let special = Self.specialBytes(word)
                if special != 0 {
                    index &+= special.trailingZeroBitCount &>> 3
                    return
                }
                index &+= 8
            }
        }
        while index < count {
            let byte = bytes[index]
            if byte == quote || byte == backslash || byte < 0x20 { return }
            index &+= 1
        }
    }

    /// The high bit of each of the eight bytes that is a quote, a backslash or below 0x20, and maybe
    /// of some bytes after the first such byte. The classic bit tricks (`(x - 0x01…) & ~x & 0x80…`
    /// flags a zero byte) never miss a byte, and a borrow can only raise a flag above a true one, so
    /// the lowest flag marks the first special byte exactly.
    @inline(__always)
    static func specialBytes(_ word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let quotes = word ^ (ones &* UInt64(quote))
        let backslashes = word ^ (ones &* UInt64(backslash))
        let zeroQuote = (quotes &- ones) & ~quotes
        let zeroBackslash = (backslashes &- ones) & ~backslashes
        let control = (word &- ones &* 0x20) & ~word
        return (zeroQuote | zeroBackslash | control) & highs
    }

    func controlCharacter(_ byte: UInt8) -> Failure {
        fail("control character 0x\(hex2(byte)) must be escaped in a string")
    }

    mutating func escapedString(from start: Int) throws(Failure) -> String {
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
        while index < bytes.count {
            let byte = bytes[index]
            if byte == quote {
                index += 1
                return String(decoding: scratch, as: UTF8.self)
            }
            if byte < 0x20 { throw controlCharacter(byte) }
            if byte != backslash {
                let run = index
                skipPlain()
                scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[run..<index]))
                continue
            }
            let escapeStart = index
            index += 1
            guard index < bytes.count else { break }
            let escaped = bytes[index]
            index += 1
            switch escaped {
            case quote, backslash, UInt8(ascii: "/"): scratch.append(escaped)
            case UInt8(ascii: "b"): scratch.append(0x08)
            case UInt8(ascii: "f"): scratch.append(0x0C)
            case UInt8(ascii: "n"): scratch.append(0x0A)
            case UInt8(ascii: "r"): scratch.append(0x0D)
            case UInt8(ascii: "t"): scratch.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4(escapeStart: escapeStart)
                if (0xD800..<0xDC00).contains(scalar) {
                    // A high surrogate joins a following `\uDC00`–`\uDFFF`; alone it becomes U+FFFD.
                    if index + 5 < bytes.count && bytes[index] == backslash && bytes[index + 1] == UInt8(ascii: "u") {
                        let saved = index
                        index += 2
                        let low = try hex4(escapeStart: saved)
                        if (0xDC00..<0xE000).contains(low) {
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        } else {
                            index = saved
                            scalar = 0xFFFD
                        }
                    } else {
                        scalar = 0xFFFD
                    }
                } else if (0xDC00..<0xE000).contains(scalar) {
                    scalar = 0xFFFD
                }
                appendUTF8(scalar)
            default:
                throw fail("invalid escape '\\\(found(at: index - 1).trimmingQuotes)' in string", at: escapeStart)
            }
        }
        throw fail("unterminated string", at: start - 1)
    }

    mutating func hex4(escapeStart: Int) throws(Failure) -> UInt32 {
        guard index + 4 <= bytes.count else {
            throw fail("invalid \\u escape: expected 4 hex digits", at: escapeStart)
        }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw fail("invalid \\u escape: expected 4 hex digits", at: escapeStart)
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    mutating func appendUTF8(_ scalar: UInt32) {
        switch scalar {
        case 0..<0x80:
            scratch.append(UInt8(scalar))
        case 0x80..<0x800:
            scratch.append(UInt8(0xC0 | scalar >> 6))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            scratch.append(UInt8(0xE0 | scalar >> 12))
            scratch.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        default:
            scratch.append(UInt8(0xF0 | scalar >> 18))
            scratch.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            scratch.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        }
    }
}

/// A stack of the values or members of the containers being read, whose top part moves into an
/// array without copying (no retain and release per element, as copying out of an `Array` costs).
///
/// Memory safety: slots `0..<count` are initialised and `count..<capacity` are not. `push`
/// initialises slot `count` (after growing, which moves every initialised slot into a larger
/// buffer) before counting it; `pop(from:)` moves slots `start..<count` out, leaving them
/// uninitialised, and sets `count` to `start`; `deinit` deinitialises `0..<count` and frees the
/// buffer. The class is private to the parser and used by one `Reader` on one thread.
private final class ContainerStack<Element> {
    private var storage: UnsafeMutablePointer<Element>
    private var capacity: Int
    private(set) var count = 0

    init(capacity: Int = 64) {
        self.capacity = capacity
        storage = .allocate(capacity: capacity)
    }

    deinit {
        storage.deinitialize(count: count)
        storage.deallocate()
    }

    @inline(__always)
    func push(_ element: Element) {
        if count == capacity { grow() }
        (storage + count).initialize(to: element)
        count += 1
    }

    private func grow() {
        let larger = UnsafeMutablePointer<Element>.allocate(capacity: capacity * 2)
        larger.moveInitialize(from: storage, count: count)
        storage.deallocate()
        storage = larger
        capacity *= 2
    }

    /// The elements from `start` to the top, in order, removed from the stack. (Inlined, so that the
    /// array is allocated with its element type known at compile time.)
    @inline(__always)
    func pop(from start: Int) -> [Element] {
        let moved = count - start
        guard moved > 0 else { return [] }
        let source = storage + start
        let elements = [Element](unsafeUninitializedCapacity: moved) { buffer, initialized in
            // The buffer has room for at least `moved` elements; all of them are initialised here.
            buffer.baseAddress!.moveInitialize(from: source, count: moved)
            initialized = moved
        }
        count = start
        return elements
    }
}

extension String {
    /// `'x'` → `x`, for messages that quote differently.
    fileprivate var trimmingQuotes: String {
        hasPrefix("'") && hasSuffix("'") && count >= 3 ? String(dropFirst().dropLast()) : self
    }
}

/// Two lower-case hex digits.
func hex2(_ byte: UInt8) -> String {
    let digits = Array("0123456789abcdef")
    return String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
}
