// Byte-level helpers for reading HTTP/1.x heads in place, with no allocation; the proxy's head
// parsers, the bench's framer and ``HTTPResponseParser`` read field names and values with them.

/// The byte in ASCII lower case.
@inlinable @inline(__always)
public func asciiLower(_ byte: UInt8) -> UInt8 {
    byte >= 65 && byte <= 90 ? byte | 0x20 : byte
}

/// Whether `bytes` equals `lower` (given in lower case) ignoring ASCII case.
@inlinable @inline(__always)
public func equalsLower(_ bytes: UnsafeRawBufferPointer, _ lower: StaticString) -> Bool {
    let length = lower.utf8CodeUnitCount
    guard bytes.count == length else { return false }
    let base = lower.utf8Start
    for offset in 0..<length where asciiLower(bytes[offset]) != base[offset] { return false }
    return true
}

/// Calls `body` with each comma-separated token of a field value, trimmed.
@inlinable
public func forEachToken(_ value: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Void) {
    var index = 0
    let count = value.count
    while index < count {
        while index < count && (value[index] == 32 || value[index] == 9 || value[index] == 44) { index += 1 }
        let tokenStart = index
        var tokenEnd = index
        while index < count && value[index] != 44 {
            if value[index] != 32 && value[index] != 9 { tokenEnd = index + 1 }
            index += 1
        }
        if tokenEnd > tokenStart { body(UnsafeRawBufferPointer(rebasing: value[tokenStart..<tokenEnd])) }
    }
}
