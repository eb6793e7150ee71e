/// Percent-coding helpers with the exact behaviour of the JavaScript functions Express uses.
public enum URLCoding {
    /// `decodeURIComponent`: nil where JavaScript throws URIError (bad escape, invalid UTF-8).
    public static func decodeURIComponent(_ text: String) -> String? {
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        var run: [UInt8] = []
        var i = 0
        func flush() -> Bool {
            guard !run.isEmpty else { return true }
            guard let decoded = String(validating: run, as: UTF8.self) else { return false }
            out.append(contentsOf: decoded.utf8)
            run.removeAll()
            return true
        }
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "%") {
                guard i + 2 < bytes.count, let high = hexValue(bytes[i + 1]), let low = hexValue(bytes[i + 2])
                else { return nil }
                run.append(high << 4 | low)
                i += 3
            } else {
                guard flush() else { return nil }
                out.append(bytes[i])
                i += 1
            }
        }
        guard flush() else { return nil }
        return String(decoding: out, as: UTF8.self)
    }

    /// The `encodeurl` package (1.0.2): encode what is not allowed in a URL, keep valid
    /// `%XX` escapes, turn a stray `%` into `%25`.
    public static func encodeUrl(_ text: String) -> String {
        let bytes = Array(text.utf8)
        var out = ""
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "%") {
                if i + 2 < bytes.count, hexValue(bytes[i + 1]) != nil, hexValue(bytes[i + 2]) != nil {
                    out += "%"
                } else {
                    out += "%25"
                }
            } else if isEncodeUrlAllowed(b) {
                out.unicodeScalars.append(Unicode.Scalar(b))
            } else {
                out += "%" + hex2(b)
            }
            i += 1
        }
        return out
    }

    /// escape-html: `& < > " '`.
    public static func escapeHtml(_ text: String) -> String {
        var out = ""
        for c in text.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    static func isEncodeUrlAllowed(_ b: UInt8) -> Bool {
        switch b {
        case 0x21, 0x25, 0x26...0x3B, 0x3D, 0x3F...0x5B, 0x5D, 0x5F, 0x61...0x7A, 0x7E: true
        default: false
        }
    }

    static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: b - 0x30
        case 0x41...0x46: b - 0x41 + 10
        case 0x61...0x66: b - 0x61 + 10
        default: nil
        }
    }

    static func hex2(_ b: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(b >> 4)], digits[Int(b & 15)]])
    }

    /// qs's decoder: `+` becomes a space, then `decodeURIComponent`, keeping the text when that fails.
    public static func decodeQueryComponent(_ text: String) -> String {
        let plus = text.replacingAll("+", with: " ")
        return decodeURIComponent(plus) ?? plus
    }
}

extension String {
    func replacingAll(_ target: Character, with replacement: Character) -> String {
        String(map { $0 == target ? replacement : $0 })
    }
}
