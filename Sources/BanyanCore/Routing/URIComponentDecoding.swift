/// JavaScript's `decodeURIComponent`: every `%XX` escape is decoded (including `%2F`, `%23`, `%3F`),
/// `+` stays `+`, and a malformed escape or escapes that do not form UTF-8 give nil (JavaScript
/// throws `URIError`).
func decodeURIComponent(_ text: Substring) -> String? {
    guard text.utf8.contains(UInt8(ascii: "%")) else { return String(text) }
    var bytes: [UInt8] = []
    bytes.reserveCapacity(text.utf8.count)
    var iterator = text.utf8.makeIterator()
    while let byte = iterator.next() {
        guard byte == UInt8(ascii: "%") else {
            bytes.append(byte)
            continue
        }
        guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
            return nil
        }
        bytes.append(high << 4 | low)
    }
    // Raw characters are valid UTF-8 already, so the result is valid exactly when every escaped
    // sequence is: no stray continuation byte, no truncated sequence, no overlong form, no
    // surrogate, nothing above U+10FFFF. JavaScript rejects the same set.
    return String(validating: bytes, as: UTF8.self)
}

private func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
    default: nil
    }
}
