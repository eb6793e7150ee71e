/// `content-type` 1.0.4 `parse` (what Debian's type-is 1.6 and body-parser use): a strict
/// `type/subtype` plus `; key=value` parameters; nil wherever the package throws.
public struct ContentType: Sendable, Equatable {
    public var type: String
    public var parameters: [String: String]

    public static func parse(_ header: String) -> ContentType? {
        let bytes = Array(header.utf8)
        let semicolon = bytes.firstIndex(of: UInt8(ascii: ";"))
        let typeText = JSNumber.trim(String(decoding: bytes[..<(semicolon ?? bytes.count)], as: UTF8.self))
        let typeParts = Array(typeText.utf8).split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        guard typeParts.count == 2, typeParts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(isToken) }) else {
            return nil
        }
        var result = ContentType(type: typeText.lowercased(), parameters: [:])
        guard var index = semicolon else { return result }
        while index < bytes.count {
            guard let (key, value, next) = parameter(bytes, at: index) else { return nil }
            result.parameters[key.lowercased()] = value
            index = next
        }
        return result
    }

    /// One `; *key *= *value *` match anchored at `start`.
    static func parameter(_ b: [UInt8], at start: Int) -> (String, String, Int)? {
        var i = start
        guard i < b.count, b[i] == UInt8(ascii: ";") else { return nil }
        i += 1
        while i < b.count && b[i] == 0x20 { i += 1 }
        let keyStart = i
        while i < b.count && isToken(b[i]) { i += 1 }
        guard i > keyStart else { return nil }
        let key = String(decoding: b[keyStart..<i], as: UTF8.self)
        while i < b.count && b[i] == 0x20 { i += 1 }
        guard i < b.count, b[i] == UInt8(ascii: "=") else { return nil }
        i += 1
        while i < b.count && b[i] == 0x20 { i += 1 }
        var value: [UInt8] = []
        if i < b.count && b[i] == UInt8(ascii: "\"") {
            i += 1
            while true {
                guard i < b.count else { return nil }
                let c = b[i]
                if c == UInt8(ascii: "\"") {
                    i += 1
                    break
                }
                if c == UInt8(ascii: "\\") {
                    guard i + 1 < b.count, b[i + 1] == 0x0B || b[i + 1] >= 0x20 else { return nil }
                    value.append(b[i + 1])
                    i += 2
                    continue
                }
                guard
                    c == 0x0B || c == 0x20 || c == 0x21 || (0x23...0x5B).contains(c) || (0x5D...0x7E).contains(c)
                        || c >= 0x80
                else { return nil }
                value.append(c)
                i += 1
            }
        } else {
            let valueStart = i
            while i < b.count && isToken(b[i]) { i += 1 }
            guard i > valueStart else { return nil }
            value = Array(b[valueStart..<i])
        }
        while i < b.count && b[i] == 0x20 { i += 1 }
        return (key, String(decoding: value, as: UTF8.self), i)
    }

    static func isToken(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "A")...UInt8(ascii: "Z"):
            true
        default:
            Array("!#$%&'*+.^_`|~-".utf8).contains(c)
        }
    }

    /// media-typer 1.1.0 `test` on the formatted type, as type-is applies it.
    var isValidMediaType: Bool {
        let parts = Array(type.utf8).split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        guard parts.count == 2 else { return false }
        func valid(_ part: ArraySlice<UInt8>, extra: String) -> Bool {
            guard let first = part.first, part.count <= 127, isAlnum(first) else { return false }
            return part.dropFirst().allSatisfy { isAlnum($0) || Array(extra.utf8).contains($0) }
        }
        return valid(parts[0], extra: "!#$&^_-") && valid(parts[1], extra: "!#$&^_.+-")
    }

    private func isAlnum(_ c: UInt8) -> Bool {
        Self.isAlnumByte(c)
    }

    static func isAlnumByte(_ c: UInt8) -> Bool {
        (0x30...0x39).contains(c) || (0x41...0x5A).contains(c) || (0x61...0x7A).contains(c)
    }
}

/// The iconv-lite 0.6 decoders body-parser can reach (charsets starting with `utf-`).
public enum Charset {
    /// nil: iconv-lite does not know the encoding (body-parser answers 415).
    public static func decode(_ bytes: [UInt8], charset: String) -> String? {
        let canonical = String(
            charset.lowercased().unicodeScalars.filter {
                $0.properties.isASCIIHexDigit || ("a"..."z").contains($0) || ("0"..."9").contains($0)
            })
        switch canonical {
        case "utf8": return JSText.escapingMarkers(String(decoding: bytes, as: UTF8.self))
        case "utf16le": return utf16(bytes, bigEndian: false)
        case "utf16be": return utf16(bytes, bigEndian: true)
        case "utf16": return utf16(bytes, bigEndian: detectUTF16BigEndian(bytes))
        case "utf32le": return utf32(bytes, bigEndian: false)
        case "utf32be": return utf32(bytes, bigEndian: true)
        case "utf32": return utf32(bytes, bigEndian: detectUTF32BigEndian(bytes))
        case "utf7": return utf7(bytes, shift: UInt8(ascii: "+"), slash: UInt8(ascii: "/"))
        case "utf7imap": return utf7(bytes, shift: UInt8(ascii: "&"), slash: UInt8(ascii: ","))
        default: return nil
        }
    }

    /// iconv-lite's UTF-7 decoder (RFC 2152; IMAP flavour with `&` and `,`): direct bytes above
    /// 0x7F become U+FFFD, base64 runs are UTF-16BE, `+-` is a plus sign.
    static func utf7(_ bytes: [UInt8], shift: UInt8, slash: UInt8) -> String {
        var out = ""
        var i = 0
        func direct(_ b: UInt8) {
            out.unicodeScalars.append(b < 0x80 ? Unicode.Scalar(b) : "\u{FFFD}")
        }
        func isBase64(_ b: UInt8) -> Bool {
            ContentType.isAlnumByte(b) || b == UInt8(ascii: "+") || b == UInt8(ascii: "/") || b == slash
        }
        func decodeRun(_ run: ArraySlice<UInt8>) {
            let standard = run.map { $0 == slash ? UInt8(ascii: "/") : $0 }
            out += utf16(base64Decode(standard), bigEndian: true)
        }
        while i < bytes.count {
            if bytes[i] != shift {
                direct(bytes[i])
                i += 1
                continue
            }
            i += 1
            let start = i
            while i < bytes.count && isBase64(bytes[i]) { i += 1 }
            if i == bytes.count {
                // Unterminated: whole 8-character groups first, then the rest on its own.
                let whole = start + (i - start) / 8 * 8
                decodeRun(bytes[start..<whole])
                decodeRun(bytes[whole..<i])
                break
            }
            if i == start && bytes[i] == UInt8(ascii: "-") {
                out.unicodeScalars.append(Unicode.Scalar(shift))
            } else {
                decodeRun(bytes[start..<i])
            }
            if bytes[i] == UInt8(ascii: "-") { i += 1 }
        }
        return out
    }

    /// Node's lenient base64 decoding: 6 bits per character, leftover bits dropped.
    static func base64Decode(_ chars: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var buffer: UInt32 = 0
        var bits = 0
        for c in chars {
            let value: UInt32
            switch c {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = UInt32(c - UInt8(ascii: "A"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = UInt32(c - UInt8(ascii: "a")) + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = UInt32(c - UInt8(ascii: "0")) + 52
            case UInt8(ascii: "+"), UInt8(ascii: "-"): value = 62
            case UInt8(ascii: "/"), UInt8(ascii: "_"): value = 63
            default: continue
            }
            buffer = buffer << 6 | value
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bits)))
            }
        }
        return out
    }

    static func utf16(_ bytes: [UInt8], bigEndian: Bool) -> String {
        var units: [UInt16] = []
        var i = 0
        while i + 1 < bytes.count {
            let (a, b) = (UInt16(bytes[i]), UInt16(bytes[i + 1]))
            units.append(bigEndian ? a << 8 | b : b << 8 | a)
            i += 2
        }
        return JSText.fromUTF16(units)
    }

    static func utf32(_ bytes: [UInt8], bigEndian: Bool) -> String {
        var scalars = String.UnicodeScalarView()
        var i = 0
        while i + 3 < bytes.count {
            let b = bytes[i..<i + 4].map(UInt32.init)
            let value =
                bigEndian ? b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3] : b[3] << 24 | b[2] << 16 | b[1] << 8 | b[0]
            if (0xD800...0xDFFF).contains(value) {
                JSText.appendLoneSurrogate(value, to: &scalars)
            } else {
                JSText.append(Unicode.Scalar(value) ?? "\u{FFFD}", to: &scalars)
            }
            i += 4
        }
        return String(scalars)
    }

    /// iconv-lite's utf-16 detection: BOM, else count ASCII-looking code units (at most 100).
    static func detectUTF16BigEndian(_ bytes: [UInt8]) -> Bool {
        if bytes.count >= 2 {
            if bytes[0] == 0xFF && bytes[1] == 0xFE { return false }
            if bytes[0] == 0xFE && bytes[1] == 0xFF { return true }
        }
        var asciiBE = 0
        var asciiLE = 0
        var i = 0
        while i + 1 < bytes.count && i < 200 {
            if bytes[i] == 0 && bytes[i + 1] != 0 { asciiBE += 1 }
            if bytes[i] != 0 && bytes[i + 1] == 0 { asciiLE += 1 }
            i += 2
        }
        return asciiBE > asciiLE
    }

    /// iconv-lite's utf-32 detection: BOM, else count invalid and BMP-looking units (at most 100).
    static func detectUTF32BigEndian(_ bytes: [UInt8]) -> Bool {
        if bytes.count >= 4 {
            if bytes[0] == 0xFF && bytes[1] == 0xFE && bytes[2] == 0 && bytes[3] == 0 { return false }
            if bytes[0] == 0 && bytes[1] == 0 && bytes[2] == 0xFE && bytes[3] == 0xFF { return true }
        }
        var (invalidBE, invalidLE, bmpBE, bmpLE) = (0, 0, 0, 0)
        var i = 0
        while i + 3 < bytes.count && i < 400 {
            let b = bytes[i..<i + 4].map(Int.init)
            if b[0] != 0 || b[1] > 0x10 { invalidBE += 1 }
            if b[3] != 0 || b[2] > 0x10 { invalidLE += 1 }
            if b[0] == 0 && b[1] == 0 && (b[2] != 0 || b[3] != 0) { bmpBE += 1 }
            if (b[0] != 0 || b[1] != 0) && b[2] == 0 && b[3] == 0 { bmpLE += 1 }
            i += 4
        }
        return invalidBE - bmpBE < invalidLE - bmpLE
    }
}
