/// Standard base64 (RFC 4648, with padding), for bodies that are not text.
public enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Encodes bytes as padded base64, broken into lines as a fixture file stores a binary body.
    ///
    /// - Parameters:
    ///   - bytes: The bytes to encode.
    ///   - lineLength: The characters per line, `\n` between lines (76, as MIME writes it).
    /// - Returns: The base64 text; empty for no bytes.
    public static func encode(_ bytes: [UInt8], lineLength: Int = 76) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let b0 = bytes[index]
            let b1 = index + 1 < bytes.count ? bytes[index + 1] : 0
            let b2 = index + 2 < bytes.count ? bytes[index + 2] : 0
            out.append(alphabet[Int(b0 >> 2)])
            out.append(alphabet[Int((b0 & 0x03) << 4 | b1 >> 4)])
            out.append(index + 1 < bytes.count ? alphabet[Int((b1 & 0x0F) << 2 | b2 >> 6)] : UInt8(ascii: "="))
            out.append(index + 2 < bytes.count ? alphabet[Int(b2 & 0x3F)] : UInt8(ascii: "="))
            index += 3
        }
        var lines: [String] = []
        var start = 0
        while start < out.count {
            let end = min(start + lineLength, out.count)
            lines.append(String(decoding: out[start..<end], as: UTF8.self))
            start = end
        }
        return lines.joined(separator: "\n")
    }

    /// Decodes padded base64, ignoring line breaks and spaces.
    ///
    /// - Parameter text: The base64 text, as ``encode(_:lineLength:)`` writes it or on one line.
    /// - Returns: The bytes, or nil when the text has a character outside the alphabet, padding
    ///   anywhere but at the end, or a length that is not a whole number of 4-character groups.
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        var values: [UInt8] = []
        var padding = 0
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): values.append(byte - 65)
            case UInt8(ascii: "a")...UInt8(ascii: "z"): values.append(byte - 71)
            case UInt8(ascii: "0")...UInt8(ascii: "9"): values.append(byte + 4)
            case UInt8(ascii: "+"): values.append(62)
            case UInt8(ascii: "/"): values.append(63)
            case UInt8(ascii: "="): padding += 1
            case 10, 13, 32: continue
            default: return nil
            }
            if padding > 0 && byte != UInt8(ascii: "=") { return nil }
        }
        guard (values.count + padding) % 4 == 0, padding <= 2 else { return nil }
        var bytes: [UInt8] = []
        var index = 0
        while index + 1 < values.count {
            let v0 = values[index]
            let v1 = values[index + 1]
            bytes.append(v0 << 2 | v1 >> 4)
            if index + 2 < values.count { bytes.append((v1 & 0x0F) << 4 | values[index + 2] >> 2) }
            if index + 3 < values.count { bytes.append((values[index + 2] & 0x03) << 6 | values[index + 3]) }
            index += 4
        }
        return bytes
    }
}
