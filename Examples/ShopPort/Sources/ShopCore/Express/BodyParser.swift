/// `express.json()` (body-parser 1.20.1) with default options.
public enum BodyParser {
    public struct Failure: Error, Equatable {
        public let status: Int
    }

    /// The default `limit` of 100kb.
    public static let jsonLimit = 102_400

    public static func json(_ request: WireRequest) -> Result<JSONValue, Failure> {
        let empty = JSONValue.object(JSONObject())
        let contentLength = request.singleHeader("content-length")
        let hasBody = request.header("transfer-encoding") != nil || contentLength.map(isNumeric) == true
        guard hasBody else { return .success(empty) }
        // type-is: the Content-Type must parse strictly and be application/json.
        guard let header = request.singleHeader("content-type"), let contentType = ContentType.parse(header),
            contentType.isValidMediaType, contentType.type == "application/json"
        else { return .success(empty) }
        let charsetParameter = contentType.parameters["charset"]?.lowercased() ?? ""
        let charset = charsetParameter.isEmpty ? "utf-8" : charsetParameter
        guard charset.hasPrefix("utf-") else { return .failure(Failure(status: 415)) }
        var bytes = request.body
        switch (request.header("content-encoding") ?? "identity").lowercased() {
        case "identity":
            // The declared length alone decides a 413.
            if let contentLength, let declared = Int(contentLength.trimmingSpaces()), declared > jsonLimit {
                return .failure(Failure(status: 413))
            }
        case "gzip":
            guard let inflated = try? Inflate.gunzip(bytes) else { return .failure(Failure(status: 400)) }
            bytes = inflated
        case "deflate":
            guard let inflated = try? Inflate.zlibInflate(bytes) else { return .failure(Failure(status: 400)) }
            bytes = inflated
        default:
            return .failure(Failure(status: 415))
        }
        // The limit applies to the decompressed body.
        guard bytes.count <= jsonLimit else { return .failure(Failure(status: 413)) }

        guard var text = Charset.decode(bytes, charset: charset) else { return .failure(Failure(status: 415)) }
        if text.unicodeScalars.first == "\u{FEFF}" {
            text.unicodeScalars.removeFirst()
        }
        if text.isEmpty { return .success(empty) }
        // strict mode: the first non-whitespace character must open an object or an array.
        let first = text.unicodeScalars.first { !($0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r") }
        guard first == "{" || first == "[" else { return .failure(Failure(status: 400)) }
        do {
            return .success(try JSONParser.parse(text))
        } catch {
            return .failure(Failure(status: 400))
        }
    }

    /// `!isNaN(header)`: JavaScript's Number() of the header value is not NaN.
    static func isNumeric(_ value: String) -> Bool {
        !JSNumber.parse(value).isNaN
    }
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while let c = s.first, c == " " || c == "\t" { s = s.dropFirst() }
        while let c = s.last, c == " " || c == "\t" { s = s.dropLast() }
        return String(s)
    }
}

/// What `req.query[name]` can be, as far as `Number()` and `typeof` can tell.
public enum QueryValue: Sendable, Equatable {
    case absent
    case string(String)
    /// An array or object (`a[]=1`, `a=1&a=2`, `a[b]=1`); `joined` is `String(value)`.
    case composite(joined: String)

    /// `Number(req.query.x ?? fallback)`.
    public func number(default fallback: Double) -> Double {
        switch self {
        case .absent: fallback
        case .string(let text): JSNumber.parse(text)
        case .composite(let joined): JSNumber.parse(joined)
        }
    }
}

/// Enough of qs 6.11 (Express's "extended" query parser) to answer for one top-level key.
public enum QueryString {
    public static func lookup(_ name: String, in rawQuery: String?) -> QueryValue {
        guard let rawQuery else { return .absent }
        var values: [String] = []
        var isObject = false
        // qs splits on '&' and keeps only the first 1000 parts.
        for part in rawQuery.split(separator: "&", omittingEmptySubsequences: false).prefix(1000) {
            // qs: `]=` wins over the first `=` so that `a[b=c]=d` keeps its key.
            let bracketEquals = part.indices.first { i in
                part[i] == "]" && part.index(after: i) < part.endIndex && part[part.index(after: i)] == "="
            }
            let equals = bracketEquals.map { part.index(after: $0) } ?? part.firstIndex(of: "=")
            let rawKey = equals.map { part[..<$0] } ?? part
            let rawValue = equals.map { part[part.index(after: $0)...] } ?? ""
            let key = URLCoding.decodeQueryComponent(String(rawKey))
            let value = URLCoding.decodeQueryComponent(String(rawValue))
            if key == name {
                values.append(value)
            } else if key.hasPrefix(name + "["), let close = key.firstIndex(of: "]") {
                let inner = key[key.index(key.startIndex, offsetBy: name.count + 1)..<close]
                if inner.contains("[") { continue }
                let isIndex =
                    inner.isEmpty || (inner.allSatisfy(\.isASCII) && Int(inner).map { $0 >= 0 && $0 <= 20 } == true)
                if !isIndex { isObject = true }
                values.append(value)
            }
        }
        if values.isEmpty { return .absent }
        if isObject { return .composite(joined: "[object Object]") }
        if values.count == 1 && !rawQuery.isEmpty {
            return hasBracketForm(name, rawQuery) ? .composite(joined: values[0]) : .string(values[0])
        }
        return .composite(joined: values.joined(separator: ","))
    }

    private static func hasBracketForm(_ name: String, _ rawQuery: String) -> Bool {
        for part in rawQuery.split(separator: "&", omittingEmptySubsequences: false).prefix(1000) {
            let key = URLCoding.decodeQueryComponent(String(part.split(separator: "=", maxSplits: 1).first ?? ""))
            if key.hasPrefix(name + "[") { return true }
        }
        return false
    }
}
