/// One `Set-Cookie` line as a browser stores it (RFC 6265 §5.2, §5.3): name and value exact,
/// attribute names case-insensitive, the last of a repeated attribute winning.
struct SetCookie {
    /// The line as sent.
    var line: String
    var name: String
    var value: String
    /// Lower-cased, without a leading dot; nil for a host-only cookie.
    var domain: String?
    /// As sent, or the default path the request gives (RFC 6265 §5.1.4); nil when neither is known.
    var path: String?
    var secure: Bool
    var httpOnly: Bool
    /// Lower-cased (`lax`, `strict`, `none`); nil when absent.
    var sameSite: String?
    var sameSiteRaw: String?
    var lifetime: Lifetime
    /// Other attributes (`priority`, `partitioned`, unknown ones): lower-cased name to value.
    var others: [String: String]

    /// The raw attribute names in order and whether `Domain` had a leading dot, to name the rule
    /// that made two spellings equal.
    var rawAttributeNames: [String]
    var leadingDot: Bool
    var rawDomain: String?
    /// Whether ``path`` is the default the request gives.
    var defaultedPath: Bool
    var expiryAttributes: Set<String>

    /// How long the browser keeps the cookie.
    enum Lifetime: Equatable {
        /// Until the browser closes.
        case session
        /// Removed now: `Max-Age` of zero or less, or `Expires` not after the answer's `Date`.
        case deleted
        /// For this many seconds (from `Max-Age`, or `Expires` minus the answer's `Date`).
        case seconds(Int64)
        /// Until this instant (`Expires` without a `Date` to count from).
        case until(Int64)

        /// Same meaning, where two answers stamped a second apart may give lifetimes a second apart.
        func isSame(as other: Lifetime) -> Bool {
            switch (self, other) {
            case (.session, .session), (.deleted, .deleted): true
            case (.seconds(let a), .seconds(let b)), (.until(let a), .until(let b)): abs(a - b) <= 1
            default: false
            }
        }

        var description: String {
            switch self {
            case .session: "a session cookie"
            case .deleted: "deleted at once"
            case .seconds(let seconds): "kept \(seconds) s"
            case .until(let instant): "kept until \(instant) (seconds since 1970)"
            }
        }
    }

    /// The browser's key for a cookie: a cookie with the same name, domain and path replaces it.
    var identity: String { "\(name)\u{1}\(domain ?? "")\u{1}\(path ?? "")" }

    init(_ line: String, date: Int64?, requestPath: String?) {
        self.line = line
        let parts = line.split(separator: ";", omittingEmptySubsequences: false)
        let pair = parts.first.map(String.init) ?? ""
        if let equals = pair.firstIndex(of: "=") {
            name = FieldSyntax.trimmed(pair[..<equals])
            value = FieldSyntax.trimmed(pair[pair.index(after: equals)...])
        } else {
            name = ""
            value = FieldSyntax.trimmed(Substring(pair))
        }
        domain = nil
        path = nil
        secure = false
        httpOnly = false
        sameSite = nil
        sameSiteRaw = nil
        others = [:]
        rawAttributeNames = []
        leadingDot = false
        rawDomain = nil
        defaultedPath = false
        expiryAttributes = []
        var maxAge: Int64?
        var expires: Int64?
        for part in parts.dropFirst() {
            let (rawName, rawValue) = FieldSyntax.pair(String(part))
            if rawName.isEmpty { continue }
            rawAttributeNames.append(rawName)
            let attributeValue = rawValue ?? ""
            switch rawName.lowercased() {
            case "domain":
                leadingDot = attributeValue.hasPrefix(".")
                rawDomain = attributeValue
                let host = attributeValue.hasPrefix(".") ? String(attributeValue.dropFirst()) : attributeValue
                domain = host.isEmpty ? nil : host.lowercased()
            case "path": path = attributeValue.hasPrefix("/") ? attributeValue : nil
            case "secure": secure = true
            case "httponly": httpOnly = true
            case "samesite":
                sameSite = attributeValue.lowercased()
                sameSiteRaw = attributeValue
            case "max-age":
                expiryAttributes.insert("max-age")
                // RFC 6265 §5.2.2: a leading `-` or digits; anything else is ignored.
                if let seconds = Int64(attributeValue) { maxAge = seconds }
            case "expires":
                expiryAttributes.insert("expires")
                if let instant = HTTPDate.parse(attributeValue) { expires = instant }
            default: others[rawName.lowercased()] = attributeValue
            }
        }
        if path == nil, let requestPath {
            defaultedPath = true
            // The default path: the request path up to, not including, its last `/` (or `/`).
            if requestPath.hasPrefix("/"), let slash = requestPath.lastIndex(of: "/"), slash != requestPath.startIndex {
                path = String(requestPath[..<slash])
            } else {
                path = "/"
            }
        }
        if let maxAge {
            lifetime = maxAge <= 0 ? .deleted : .seconds(maxAge)
        } else if let expires {
            if let date {
                lifetime = expires <= date ? .deleted : .seconds(expires - date)
            } else {
                lifetime = .until(expires)
            }
        } else {
            lifetime = .session
        }
    }

    static func compare(_ legacyLines: [String], _ candidateLines: [String], context: HeaderContext) -> [HeaderFinding]
    {
        let requestPath = context.request?.path
        let legacyDate = context.legacy.headers["date"].flatMap(HTTPDate.parse)
        let candidateDate = context.candidate.headers["date"].flatMap(HTTPDate.parse)
        let legacy = Self.stored(legacyLines.map { SetCookie($0, date: legacyDate, requestPath: requestPath) })
        let candidate = Self.stored(candidateLines.map { SetCookie($0, date: candidateDate, requestPath: requestPath) })
        var findings: [HeaderFinding] = []
        var matched = Set<Int>()
        var reasons: [String] = []
        for cookie in legacy {
            if let at = candidate.firstIndex(where: { $0.identity == cookie.identity }) {
                matched.insert(at)
                let other = candidate[at]
                if let finding = Self.compare(cookie, other) {
                    findings.append(finding)
                } else {
                    reasons += Self.equalReasons(cookie, other)
                }
                continue
            }
            // The same name under another domain or path is another cookie to the browser.
            if let at = candidate.indices.first(where: { !matched.contains($0) && candidate[$0].name == cookie.name }) {
                matched.insert(at)
                let other = candidate[at]
                var changes: [String] = []
                if cookie.domain != other.domain {
                    changes.append("`Domain` \(show(cookie.domain, host: true)) → \(show(other.domain, host: true))")
                }
                if cookie.path != other.path { changes.append("`Path` \(show(cookie.path)) → \(show(other.path))") }
                findings.append(
                    Self.finding(
                        cookie, other, .breaking,
                        "\(changes.joined(separator: ", ")); the browser stores it as another cookie, which "
                            + "legacy's pages and requests to legacy's paths do not see"))
                continue
            }
            findings.append(
                HeaderFinding(
                    severity: .breaking, impact: "browsers keep what legacy's cookie held, which changes sessions",
                    kind: .headerValue, legacy: cookie.line, candidate: nil,
                    what: "the candidate does not set cookie `\(cookie.name)` (legacy sends `\(cookie.line)`)"))
        }
        for (index, cookie) in candidate.enumerated() where !matched.contains(index) {
            findings.append(
                HeaderFinding(
                    severity: .risky,
                    impact: "browsers store a cookie legacy does not set and send it back on later requests",
                    kind: .headerValue, legacy: nil, candidate: cookie.line,
                    what: "the candidate also sets cookie `\(cookie.name)` (`\(cookie.line)`)"))
        }
        if findings.isEmpty {
            if legacy.map(\.identity) != candidate.map(\.identity) { reasons.append("cookie order does not matter") }
            var seen = Set<String>()
            let rules = reasons.filter { seen.insert($0).inserted }
            return [
                HeaderFinding(
                    severity: .cosmetic,
                    impact:
                        "browsers store the same cookies: \(HeaderGrammar.sentence(rules.isEmpty ? ["optional whitespace does not matter"] : rules)) "
                        + "(RFC 6265 §5.2)")
            ]
        }
        return findings
    }

    /// What a browser keeps after reading the lines in order: the last cookie of an identity wins.
    static func stored(_ cookies: [SetCookie]) -> [SetCookie] {
        var result: [SetCookie] = []
        for cookie in cookies {
            if let at = result.firstIndex(where: { $0.identity == cookie.identity }) {
                result[at] = cookie
            } else {
                result.append(cookie)
            }
        }
        return result
    }

    private static func show(_ value: String?, host: Bool = false) -> String {
        value.map { "`\($0)`" } ?? (host ? "host-only" : "absent")
    }

    private static func finding(_ legacy: SetCookie, _ candidate: SetCookie, _ severity: Severity, _ change: String)
        -> HeaderFinding
    {
        HeaderFinding(
            severity: severity, impact: change, kind: .headerValue, legacy: legacy.line, candidate: candidate.line,
            what: "cookie `\(legacy.name)`:")
    }

    /// The difference between two cookies of one identity, or nil when a browser stores them alike.
    private static func compare(_ legacy: SetCookie, _ candidate: SetCookie) -> HeaderFinding? {
        if !CodeUnits.equal(legacy.value, candidate.value) {
            return finding(
                legacy, candidate, .breaking,
                "value `\(candidate.value)` where legacy sets `\(legacy.value)` (cookie values compare exactly); "
                    + "the server reads another value back")
        }
        var breaking: [String] = []
        if legacy.secure != candidate.secure {
            breaking.append(candidate.secure ? "adds `Secure` (not sent over http)" : "drops `Secure`")
        }
        if legacy.httpOnly != candidate.httpOnly {
            breaking.append(
                candidate.httpOnly
                    ? "adds `HttpOnly` (scripts can no longer read it)" : "drops `HttpOnly` (scripts can read it)")
        }
        if legacy.sameSite != candidate.sameSite {
            breaking.append("`SameSite` \(show(legacy.sameSite)) → \(show(candidate.sameSite))")
        }
        let lifetimeChanged = !legacy.lifetime.isSame(as: candidate.lifetime)
        let deletionChanged = (legacy.lifetime == .deleted) != (candidate.lifetime == .deleted)
        if lifetimeChanged && deletionChanged {
            breaking.append("\(legacy.lifetime.description) → \(candidate.lifetime.description)")
        }
        if !breaking.isEmpty {
            return finding(
                legacy, candidate, .breaking,
                breaking.joined(separator: ", ") + "; browsers store or send the cookie differently")
        }
        var risky: [String] = []
        if lifetimeChanged {
            risky.append(
                "\(legacy.lifetime.description) → \(candidate.lifetime.description) (`Max-Age` and `Expires` "
                    + "compared by the lifetime they give)")
        }
        if legacy.others != candidate.others {
            let names = Set(legacy.others.keys).union(candidate.others.keys).sorted()
            for name in names where legacy.others[name] != candidate.others[name] {
                risky.append("`\(name)` \(show(legacy.others[name])) → \(show(candidate.others[name]))")
            }
        }
        if !risky.isEmpty {
            return finding(
                legacy, candidate, .risky, risky.joined(separator: ", ") + "; browsers keep the cookie differently")
        }
        return nil
    }

    /// The rules under which two cookies a browser stores alike are written differently.
    private static func equalReasons(_ legacy: SetCookie, _ candidate: SetCookie) -> [String] {
        var reasons: [String] = []
        let legacyNames = legacy.rawAttributeNames
        let candidateNames = candidate.rawAttributeNames
        if legacyNames.map({ $0.lowercased() }).sorted() == candidateNames.map({ $0.lowercased() }).sorted() {
            if legacyNames.map({ $0.lowercased() }) != candidateNames.map({ $0.lowercased() }) {
                reasons.append("attribute order does not matter")
            }
            if legacyNames.sorted() != candidateNames.sorted() {
                reasons.append("attribute names are case-insensitive")
            }
        }
        if legacy.expiryAttributes != candidate.expiryAttributes || !(legacy.lifetime == candidate.lifetime) {
            reasons.append("`Max-Age` and `Expires` compare by the lifetime they give")
        }
        if legacy.leadingDot != candidate.leadingDot { reasons.append("a leading dot in `Domain` is ignored") }
        if let l = legacy.rawDomain, let c = candidate.rawDomain,
            l.drop(while: { $0 == "." }) != c.drop(while: { $0 == "." })
        {
            reasons.append("domain names are case-insensitive")
        }
        if legacy.defaultedPath != candidate.defaultedPath, let path = legacy.path {
            reasons.append("a missing `Path` is the request's directory (`\(path)`)")
        }
        if legacy.sameSiteRaw != candidate.sameSiteRaw {
            reasons.append("`SameSite` values are case-insensitive")
        }
        if reasons.isEmpty && legacyNames.map({ $0.lowercased() }) != candidateNames.map({ $0.lowercased() }) {
            reasons.append("a repeated attribute counts once, the last winning")
        }
        return reasons
    }
}
