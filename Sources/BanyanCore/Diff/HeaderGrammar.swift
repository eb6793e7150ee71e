/// The response headers whose grammar the diff engine knows (RFC 9110, RFC 9111, RFC 6265, Fetch):
/// their values are parsed and compared as structures, so that spellings a client cannot tell
/// apart are not reported as changes. Every other header is compared as text.
enum HeaderGrammar {
    /// `Content-Type`: type, subtype and parameter names case-insensitive, `charset` values
    /// case-insensitive, parameters in any order, quoted and token values equal.
    case mediaType
    /// A comma-separated list compared as a set of elements.
    case list(ListGrammar)
    /// `Set-Cookie`: cookies by name, domain and path; attributes as a set.
    case setCookie
    /// `Expires`, `Last-Modified`: HTTP dates compared by instant.
    case date
    /// `Location`: resolved against the request URL.
    case location
    /// `Content-Length`, `Transfer-Encoding`: framing, not content.
    case framing

    init?(name: String) {
        switch name {
        case "content-type": self = .mediaType
        case "cache-control": self = .list(.cacheControl)
        case "vary": self = .list(.fieldNames(cors: false))
        case "allow": self = .list(.methods(cors: false))
        case "access-control-allow-methods": self = .list(.methods(cors: true))
        case "access-control-allow-headers", "access-control-expose-headers": self = .list(.fieldNames(cors: true))
        case "set-cookie": self = .setCookie
        case "expires", "last-modified": self = .date
        case "location": self = .location
        case "content-length", "transfer-encoding": self = .framing
        default: return nil
        }
    }

    /// Every header name with a grammar, for documentation and tests.
    static let knownNames = [
        "content-type", "cache-control", "vary", "allow", "access-control-allow-methods",
        "access-control-allow-headers", "access-control-expose-headers", "set-cookie", "expires", "last-modified",
        "location", "content-length", "transfer-encoding",
    ]
}

/// What a header comparison found, before it becomes a ``Difference``.
struct HeaderFinding {
    var severity: Severity
    /// Why it matters (or why it does not), naming the rule applied.
    var impact: String
    /// The kind, legacy and candidate values, and the first half of the explanation when the finding
    /// concerns a part of the header (one cookie); nil to describe the whole header.
    var kind: DifferenceKind? = nil
    var legacy: String? = nil
    var candidate: String? = nil
    var what: String? = nil
}

/// What the comparison of one header needs to know beyond its values.
struct HeaderContext {
    let legacy: HTTPResponse
    let candidate: HTTPResponse
    let request: HTTPRequest?
    let bodiesDiffer: Bool

    /// Whether `Content-Length` describes a body that is not sent: a HEAD answer or a 304, or, when
    /// the request is not known, any answer without a body.
    var lengthDescribesAbsentBody: Bool {
        if legacy.status == 304 || candidate.status == 304 { return true }
        guard let request else { return legacy.body.isEmpty && candidate.body.isEmpty }
        return request.method.uppercased() == "HEAD"
    }
}

extension HeaderGrammar {
    /// The findings for a header both sides send with different text (or, for framing headers, that
    /// either side sends); nil to fall back to comparing the header as text.
    func compare(_ legacy: [String], _ candidate: [String], name: String, context: HeaderContext) -> [HeaderFinding]? {
        if case .framing = self {
            // The decoded bodies are what a client reads; how they were framed is the transport's business.
            if !context.bodiesDiffer && !context.lengthDescribesAbsentBody { return [] }
            return nil
        }
        guard !legacy.isEmpty, !candidate.isEmpty else { return nil }
        switch self {
        case .mediaType: return MediaType.compare(legacy.joined(separator: ", "), candidate.joined(separator: ", "))
        case .list(let grammar):
            return grammar.compare(legacy.joined(separator: ", "), candidate.joined(separator: ", "), name: name)
        case .setCookie: return SetCookie.compare(legacy, candidate, context: context)
        case .date:
            return HTTPDate.compare(legacy.joined(separator: ", "), candidate.joined(separator: ", "), name: name)
        case .location:
            return LocationTarget.compare(
                legacy.joined(separator: ", "), candidate.joined(separator: ", "), request: context.request)
        case .framing: return nil
        }
    }

    /// Joins the parts as an English list for an explanation: `a`, `a and b`, `a, b and c`; empty
    /// for none.
    static func sentence(_ parts: [String]) -> String {
        switch parts.count {
        case 0: return ""
        case 1: return parts[0]
        default: return parts.dropLast().joined(separator: ", ") + " and " + parts.last!
        }
    }
}

// MARK: - Tokens

/// Small pieces of the HTTP field grammar (RFC 9110 §5.6).
enum FieldSyntax {
    static func isOWS(_ c: Character) -> Bool { c == " " || c == "\t" }

    static func trimmed(_ text: Substring) -> String {
        var text = text
        while let first = text.first, isOWS(first) { text.removeFirst() }
        while let last = text.last, isOWS(last) { text.removeLast() }
        return String(text)
    }

    /// Splits on `separator` outside quoted strings; elements are trimmed, empty ones dropped
    /// (RFC 9110 §5.6.1: recipients accept and ignore empty list elements).
    static func split(_ text: String, on separator: Character, keepEmpty: Bool = false) -> [String] {
        var parts: [String] = []
        var current = Substring()
        var start = text.startIndex
        var index = text.startIndex
        var quoted = false
        while index < text.endIndex {
            let c = text[index]
            if quoted && c == "\\" {
                index = text.index(after: index)
                if index < text.endIndex { index = text.index(after: index) }
                continue
            }
            if c == "\"" { quoted.toggle() }
            if c == separator && !quoted {
                current = text[start..<index]
                let part = trimmed(current)
                if keepEmpty || !part.isEmpty { parts.append(part) }
                start = text.index(after: index)
            }
            index = text.index(after: index)
        }
        let part = trimmed(text[start...])
        if keepEmpty || !part.isEmpty { parts.append(part) }
        return parts
    }

    /// A token or a quoted string's content (`"a\"b"` → `a"b`), and whether it was quoted.
    static func unquoted(_ text: String) -> (value: String, quoted: Bool) {
        guard text.count >= 2, text.first == "\"", text.last == "\"" else { return (text, false) }
        var value = ""
        var escaped = false
        for c in text.dropFirst().dropLast() {
            if escaped {
                value.append(c)
                escaped = false
            } else if c == "\\" {
                escaped = true
            } else {
                value.append(c)
            }
        }
        return (value, true)
    }

    /// Splits `name=value` at the first `=`; the name lower-cased when asked.
    static func pair(_ text: String) -> (name: String, value: String?) {
        guard let equals = text.firstIndex(of: "=") else { return (trimmed(Substring(text)), nil) }
        return (trimmed(text[..<equals]), trimmed(text[text.index(after: equals)...]))
    }
}

// MARK: - Media types

/// `type/subtype; name=value` (RFC 9110 §8.3.1).
struct MediaType: Equatable {
    var type: String
    var subtype: String
    /// Lower-cased names; values unquoted, `charset` lower-cased. The first of a repeated name counts.
    var parameters: [String: String]

    /// The raw pieces, to say which rule made two spellings equal.
    var rawEssence: String
    var rawNames: [String]
    var rawValues: [String]
    var quotedAny: Bool
    var charsetRaw: String?

    init?(_ text: String) {
        let parts = FieldSyntax.split(text, on: ";", keepEmpty: true)
        guard let essence = parts.first, let slash = essence.firstIndex(of: "/") else { return nil }
        let type = essence[..<slash]
        let subtype = essence[essence.index(after: slash)...]
        guard !type.isEmpty, !subtype.isEmpty else { return nil }
        self.type = type.lowercased()
        self.subtype = subtype.lowercased()
        rawEssence = essence
        parameters = [:]
        rawNames = []
        rawValues = []
        quotedAny = false
        for part in parts.dropFirst() where !part.isEmpty {
            let (name, rawValue) = FieldSyntax.pair(part)
            let lower = name.lowercased()
            let (value, quoted) = FieldSyntax.unquoted(rawValue ?? "")
            rawNames.append(name)
            rawValues.append(rawValue ?? "")
            quotedAny = quotedAny || quoted
            if parameters[lower] != nil { continue }
            if lower == "charset" {
                charsetRaw = value
                parameters[lower] = value.lowercased()
            } else {
                parameters[lower] = value
            }
        }
    }

    static func == (lhs: MediaType, rhs: MediaType) -> Bool {
        lhs.type == rhs.type && lhs.subtype == rhs.subtype && lhs.parameters == rhs.parameters
    }

    static func compare(_ legacyText: String, _ candidateText: String) -> [HeaderFinding]? {
        guard let legacy = MediaType(legacyText), let candidate = MediaType(candidateText) else { return nil }
        if legacy.type != candidate.type || legacy.subtype != candidate.subtype {
            return [
                HeaderFinding(
                    severity: .breaking,
                    impact:
                        "the media type changes: clients that pick a parser by content type (axios, `fetch` "
                        + "wrappers) will handle the body differently")
            ]
        }
        if legacy.parameters != candidate.parameters {
            let names = Set(legacy.parameters.keys).union(candidate.parameters.keys).sorted()
            let changed = names.filter { legacy.parameters[$0] != candidate.parameters[$0] }.map { name in
                "`\(name)` \(legacy.parameters[name].map { "`\($0)`" } ?? "absent") vs "
                    + (candidate.parameters[name].map { "`\($0)`" } ?? "absent")
            }
            return [
                HeaderFinding(
                    severity: .risky,
                    impact:
                        "same media type, other parameters (\(changed.joined(separator: ", "))): clients that "
                        + "decode by charset may read text differently")
            ]
        }
        var rules: [String] = []
        if legacy.rawEssence != candidate.rawEssence { rules.append("type and subtype are case-insensitive") }
        if legacy.rawNames.map({ $0.lowercased() }).sorted() != candidate.rawNames.map({ $0.lowercased() }).sorted() {
            // Repeated parameters: only the first of each name counts.
            rules.append("a repeated parameter counts once")
        } else {
            if legacy.rawNames != candidate.rawNames
                && legacy.rawNames.map({ $0.lowercased() }) == candidate.rawNames.map({ $0.lowercased() })
            {
                rules.append("parameter names are case-insensitive")
            }
            if legacy.rawNames.map({ $0.lowercased() }) != candidate.rawNames.map({ $0.lowercased() }) {
                rules.append("parameter order does not matter")
            }
        }
        if let l = legacy.charsetRaw, let c = candidate.charsetRaw, l != c, l.lowercased() == c.lowercased() {
            rules.append("charset names are case-insensitive")
        }
        if legacy.quotedAny != candidate.quotedAny { rules.append("quoted and unquoted parameter values are equal") }
        if rules.isEmpty { rules.append("optional whitespace does not matter") }
        return [
            HeaderFinding(
                severity: .cosmetic,
                impact: "the same media type and parameters: \(HeaderGrammar.sentence(rules)) (RFC 9110 §8.3.1)")
        ]
    }
}

// MARK: - Lists

/// A comma-separated list header whose elements compare as a set.
enum ListGrammar {
    /// `Cache-Control` (RFC 9111 §5.2): directive names case-insensitive, values quoted or not,
    /// delta-seconds by number, field-name arguments (`no-cache="Set-Cookie"`) case-insensitive.
    case cacheControl
    /// `Vary`, `Access-Control-Allow-Headers`, `Access-Control-Expose-Headers`: field names.
    case fieldNames(cors: Bool)
    /// `Allow`, `Access-Control-Allow-Methods`: methods, compared case-insensitively.
    case methods(cors: Bool)

    var elementWords: String {
        switch self {
        case .cacheControl: "directives"
        case .fieldNames: "field names"
        case .methods: "methods"
        }
    }

    var rule: String {
        switch self {
        case .cacheControl:
            "directive names are case-insensitive, quoted and token values are equal, order and optional "
                + "whitespace do not matter (RFC 9111 §5.2)"
        case .fieldNames:
            "field names are case-insensitive, order and optional whitespace do not matter (RFC 9110 §5.6.1)"
        case .methods:
            "methods are compared case-insensitively, order and optional whitespace do not matter (RFC 9110 §5.6.1)"
        }
    }

    /// The element as compared: `max-age=60`, `origin`, `get`.
    func normalised(_ element: String) -> String {
        switch self {
        case .fieldNames, .methods: return element.lowercased()
        case .cacheControl:
            let (rawName, rawValue) = FieldSyntax.pair(element)
            let name = rawName.lowercased()
            guard let rawValue else { return name }
            var value = FieldSyntax.unquoted(rawValue).value
            switch name {
            case "max-age", "s-maxage", "stale-while-revalidate", "stale-if-error", "max-stale", "min-fresh":
                if let seconds = Int(value) { value = String(seconds) }
            case "no-cache", "private":
                value = FieldSyntax.split(value, on: ",").map { $0.lowercased() }.sorted().joined(separator: ",")
            default: break
            }
            return name + "=" + value
        }
    }

    func compare(_ legacyText: String, _ candidateText: String, name: String) -> [HeaderFinding] {
        // Field lines of a list header joined with commas are the same field (RFC 9110 §5.3).
        if CodeUnits.equal(legacyText, candidateText) { return [] }
        let legacyRaw = FieldSyntax.split(legacyText, on: ",")
        let candidateRaw = FieldSyntax.split(candidateText, on: ",")
        let legacyKeys = legacyRaw.map(normalised)
        let candidateKeys = candidateRaw.map(normalised)
        let legacySet = Set(legacyKeys)
        let candidateSet = Set(candidateKeys)
        if legacySet == candidateSet {
            var rules: [String] = []
            if legacyRaw == candidateRaw {
                rules.append("optional whitespace does not matter")
            } else if legacyKeys == candidateKeys {
                rules.append(
                    self.isCacheControl
                        ? "directive names are case-insensitive and quoted and token values are equal"
                        : "\(elementWords) are compared case-insensitively")
            } else if legacyKeys.count != candidateKeys.count && Set(legacyRaw) == Set(candidateRaw) {
                rules.append("a repeated element counts once")
            } else {
                rules.append("order does not matter")
                if Set(legacyRaw) != Set(candidateRaw) {
                    rules.append(
                        self.isCacheControl
                            ? "directive names are case-insensitive" : "\(elementWords) are compared case-insensitively"
                    )
                }
            }
            return [
                HeaderFinding(
                    severity: .cosmetic,
                    impact: "the same \(elementWords): \(HeaderGrammar.sentence(rules)) in `\(name)`")
            ]
        }
        let lacks = legacyKeys.filter { !candidateSet.contains($0) }
        let adds = candidateKeys.filter { !legacySet.contains($0) }
        var change: [String] = []
        if !lacks.isEmpty { change.append("the candidate lacks \(Self.listed(lacks))") }
        if !adds.isEmpty { change.append("adds \(Self.listed(adds))") }
        let compared = "compared as a set of \(elementWords) (\(rule)): \(change.joined(separator: ", "))"
        switch self {
        case .cacheControl, .fieldNames(cors: false):
            return [
                HeaderFinding(
                    severity: .risky,
                    impact:
                        "\(compared); caches, CDNs and conditional requests (`If-None-Match`) will behave differently")
            ]
        case .methods(cors: false):
            return [
                HeaderFinding(severity: .risky, impact: "\(compared); clients that read `Allow` will see the change")
            ]
        case .fieldNames(cors: true), .methods(cors: true):
            if !lacks.isEmpty {
                return [
                    HeaderFinding(
                        severity: .breaking,
                        impact: "\(compared); browsers block cross-origin requests and reads that legacy allows")
                ]
            }
            return [
                HeaderFinding(
                    severity: .risky,
                    impact: "\(compared); the candidate grants cross-origin access that legacy does not")
            ]
        }
    }

    private var isCacheControl: Bool {
        if case .cacheControl = self { return true }
        return false
    }

    private static func listed(_ elements: [String]) -> String {
        HeaderGrammar.sentence(elements.map { "`\($0)`" })
    }
}

// MARK: - Dates

/// An HTTP date (RFC 9110 §5.6.7): IMF-fixdate, the obsolete RFC 850 form and asctime.
enum HTTPDate {
    /// Seconds since the epoch, or nil when the text is not an HTTP date.
    static func parse(_ text: String) -> Int64? {
        let words = text.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\t" }).map(String.init)
        let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        func month(_ name: String) -> Int? { months.firstIndex(of: name.lowercased()).map { $0 + 1 } }
        func clock(_ text: String) -> (Int, Int, Int)? {
            let parts = text.split(separator: ":").compactMap { Int($0) }
            guard parts.count == 3, parts[0] <= 23, parts[1] <= 59, parts[2] <= 60 else { return nil }
            return (parts[0], parts[1], parts[2])
        }
        var day: Int?
        var monthNumber: Int?
        var year: Int?
        var time: (Int, Int, Int)?
        if words.count == 6, words[5] == "GMT" {
            // Sun, 06 Nov 1994 08:49:37 GMT
            (day, monthNumber, year, time) = (Int(words[1]), month(words[2]), Int(words[3]), clock(words[4]))
        } else if words.count == 4, words[3] == "GMT" {
            // Sunday, 06-Nov-94 08:49:37 GMT: two-digit years in the past 50 years (RFC 9110 §5.6.7)
            let parts = words[1].split(separator: "-").map(String.init)
            guard parts.count == 3, let short = Int(parts[2]) else { return nil }
            (day, monthNumber, time) = (Int(parts[0]), month(parts[1]), clock(words[2]))
            year = parts[2].count == 2 ? (short < 70 ? 2000 + short : 1900 + short) : short
        } else if words.count == 5 {
            // Sun Nov  6 08:49:37 1994
            (day, monthNumber, year, time) = (Int(words[2]), month(words[1]), Int(words[4]), clock(words[3]))
        }
        guard let day, let monthNumber, let year, let time, day >= 1,
            day <= Timestamp.daysIn(month: monthNumber, year: year)
        else { return nil }
        let days = Timestamp.daysFromCivil(year: year, month: monthNumber, day: day)
        return Int64(days) * 86400 + Int64(time.0 * 3600 + time.1 * 60 + time.2)
    }

    static func compare(_ legacyText: String, _ candidateText: String, name: String) -> [HeaderFinding]? {
        let legacy = parse(legacyText)
        let candidate = parse(candidateText)
        if let legacy, let candidate, legacy == candidate {
            return [
                HeaderFinding(
                    severity: .cosmetic,
                    impact: "the same instant in another date format: HTTP dates compare by instant (RFC 9110 §5.6.7)")
            ]
        }
        if legacy == nil && candidate == nil && name == "expires" {
            return [
                HeaderFinding(
                    severity: .cosmetic,
                    impact: "neither is a date, and an invalid `Expires` means already expired (RFC 9111 §5.3)")
            ]
        }
        return nil
    }
}

// MARK: - Location

/// A URI reference resolved as a browser resolves `Location` (RFC 3986 §5.2).
struct LocationTarget: Equatable {
    /// Lower-cased; nil when neither the value nor the request gives one.
    var scheme: String?
    /// Lower-cased host and port; nil when unknown.
    var authority: String?
    var path: String
    var query: String?
    var fragment: String?

    /// The parts of a reference (scheme, authority, path, query, fragment).
    struct Reference {
        var scheme: String?
        var authority: String?
        var path: String
        var query: String?
        var fragment: String?

        init(_ text: String) {
            var rest = Substring(text)
            if let hash = rest.firstIndex(of: "#") {
                fragment = String(rest[rest.index(after: hash)...])
                rest = rest[..<hash]
            }
            if let mark = rest.firstIndex(of: "?") {
                query = String(rest[rest.index(after: mark)...])
                rest = rest[..<mark]
            }
            if let colon = rest.firstIndex(of: ":"), let first = rest.first, first.isLetter,
                rest[..<colon].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" || $0 == "." })
            {
                scheme = rest[..<colon].lowercased()
                rest = rest[rest.index(after: colon)...]
            }
            if rest.hasPrefix("//") {
                rest = rest.dropFirst(2)
                let end = rest.firstIndex(of: "/") ?? rest.endIndex
                authority = rest[..<end].lowercased()
                rest = rest[end...]
            }
            path = String(rest)
        }
    }

    /// Resolves `text` against `base` (the request URL when known).
    init(_ text: String, base: Reference?) {
        let reference = Reference(text)
        if reference.scheme != nil || reference.authority != nil {
            scheme = reference.scheme ?? base?.scheme
            authority = reference.authority
            path = Self.removingDotSegments(reference.path.isEmpty ? "/" : reference.path)
            query = reference.query
        } else {
            scheme = base?.scheme
            authority = base?.authority
            if reference.path.isEmpty {
                path = base?.path ?? "/"
                query = reference.query ?? base?.query
            } else if reference.path.hasPrefix("/") {
                path = Self.removingDotSegments(reference.path)
                query = reference.query
            } else {
                let basePath = base?.path ?? "/"
                let directory = basePath[...(basePath.lastIndex(of: "/") ?? basePath.startIndex)]
                path = Self.removingDotSegments(String(directory) + reference.path)
                query = reference.query
            }
        }
        fragment = reference.fragment
    }

    /// The path with its `.` and `..` segments resolved as RFC 3986 §5.2.4 does (`/a/b/../c/./d` →
    /// `/a/c/d`), so that two `Location` paths that lead to the same place compare equal. A `..`
    /// never climbs above the root; the result always starts with `/`.
    static func removingDotSegments(_ path: String) -> String {
        var output: [Substring] = []
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        for (offset, segment) in segments.enumerated() {
            let last = offset == segments.count - 1
            if segment == "." {
                if last { output.append("") }
            } else if segment == ".." {
                if output.count > 1 { output.removeLast() }
                if last { output.append("") }
            } else {
                output.append(segment)
            }
        }
        let joined = output.joined(separator: "/")
        return joined.hasPrefix("/") ? joined : "/" + joined
    }

    /// Same place: equal parts, where a scheme only one side names is taken to match (the request's
    /// scheme is not on the wire behind a TLS-terminating proxy).
    func isSamePlace(as other: LocationTarget) -> Bool {
        if let scheme, let otherScheme = other.scheme, scheme != otherScheme { return false }
        return authority == other.authority && path == other.path && query == other.query
            && fragment == other.fragment
    }

    var description: String {
        var text = ""
        if let authority { text = (scheme.map { $0 + ":" } ?? "") + "//" + authority }
        text += path
        if let query { text += "?" + query }
        if let fragment { text += "#" + fragment }
        return text
    }

    /// The base a request gives: its `Host` and target.
    static func base(of request: HTTPRequest?) -> Reference? {
        guard let request else { return nil }
        var base = Reference(request.target)
        if let host = request.headers["host"] { base.authority = FieldSyntax.trimmed(Substring(host)).lowercased() }
        return base
    }

    static func compare(_ legacyText: String, _ candidateText: String, request: HTTPRequest?) -> [HeaderFinding] {
        let base = base(of: request)
        let legacy = LocationTarget(legacyText, base: base)
        let candidate = LocationTarget(candidateText, base: base)
        let against = request.map {
            " against the request URL `\($0.headers["host"].map { "//" + $0 } ?? "")\($0.target)`"
        }
        if legacy.isSamePlace(as: candidate) {
            return [
                HeaderFinding(
                    severity: .cosmetic,
                    impact:
                        "both resolve\(against ?? "") to `\(legacy.description)`: a redirect goes to the same place "
                        + "(RFC 3986 §5.2), only code that reads the raw header sees the other spelling")
            ]
        }
        return [
            HeaderFinding(
                severity: .breaking,
                impact:
                    "resolved\(against ?? ""), `\(legacy.description)` and `\(candidate.description)` are different "
                    + "places: redirect-following clients and code that reads `Location` go somewhere else")
        ]
    }
}
