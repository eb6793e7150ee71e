extension DiffEngine {
    /// Headers whose grammar the engine knows (``HeaderGrammar``) compare as structures; every
    /// other header compares as the ordered list of its values.
    func compareHeaders(_ context: HeaderContext, into differences: inout [Difference]) {
        let legacy = context.legacy.headers
        let candidate = context.candidate.headers
        let legacyNames = legacy.canonicalNames
        let candidateNames = candidate.canonicalNames
        let legacySet = Set(legacyNames)
        for name in legacyNames + candidateNames.filter({ !legacySet.contains($0) }) {
            if policy.ignoredHeaders.contains(name) { continue }
            let legacyValues = legacy.values(for: name)
            let candidateValues = candidate.values(for: name)
            let sameText =
                legacyValues.count == candidateValues.count
                && zip(legacyValues, candidateValues).allSatisfy { CodeUnits.equal($0, $1) }
            if sameText { continue }
            let legacyText = legacyValues.isEmpty ? nil : legacyValues.joined(separator: ", ")
            let candidateText = candidateValues.isEmpty ? nil : candidateValues.joined(separator: ", ")
            let kind: DifferenceKind =
                legacyText == nil ? .headerExtra : candidateText == nil ? .headerMissing : .headerValue
            let what: String
            switch kind {
            case .headerMissing: what = "candidate omits `\(name)` (legacy sends `\(legacyText ?? "")`)"
            case .headerExtra: what = "candidate adds `\(name): \(candidateText ?? "")` that legacy does not send"
            default:
                what = "candidate sends `\(candidateText ?? "")` where legacy sends `\(legacyText ?? "")`"
            }
            if let grammar = HeaderGrammar(name: name),
                let findings = grammar.compare(legacyValues, candidateValues, name: name, context: context)
            {
                for finding in findings {
                    let prefix = finding.what ?? what
                    differences.append(
                        Difference(
                            kind: finding.kind ?? kind, severity: finding.severity, header: name,
                            legacy: finding.what == nil ? legacyText : finding.legacy,
                            candidate: finding.what == nil ? candidateText : finding.candidate,
                            explanation: prefix + (prefix.hasSuffix(":") ? " " : "; ") + finding.impact))
                }
                continue
            }
            let (severity, impact) = HeaderImpact.of(
                name, legacy: legacyText, candidate: candidateText, bodiesDiffer: context.bodiesDiffer)
            differences.append(
                Difference(
                    kind: kind, severity: severity, header: name, legacy: legacyText, candidate: candidateText,
                    explanation: "\(what); \(impact)"))
        }
    }
}

/// How much a header difference matters, by header.
enum HeaderImpact {
    static func of(
        _ name: String,
        legacy: String?,
        candidate: String?,
        bodiesDiffer: Bool
    ) -> (Severity, String) {
        switch name {
        case "content-type":
            if let legacy, let candidate, mediaType(of: legacy) == mediaType(of: candidate) {
                return (
                    .risky,
                    "same media type, other parameters: clients that decode by charset may read text differently"
                )
            }
            return (
                .breaking,
                "the media type changes: clients that pick a parser by content type (axios, `fetch` wrappers) "
                    + "will handle the body differently"
            )
        case "location":
            return (.breaking, "redirect-following clients and code that reads `Location` go somewhere else")
        case "set-cookie":
            return (.breaking, "browsers store different cookies, which changes sessions")
        case "cache-control", "expires", "vary", "etag", "last-modified":
            return (.risky, "caches, CDNs and conditional requests (`If-None-Match`) will behave differently")
        case "x-powered-by":
            return (.cosmetic, "no client is expected to read it")
        case "access-control-allow-origin", "access-control-allow-credentials", "access-control-allow-methods",
            "access-control-allow-headers", "access-control-expose-headers":
            if legacy == nil { return (.risky, "the candidate grants cross-origin access that legacy does not") }
            return (
                .breaking,
                "browsers check CORS headers exactly (Fetch) and block cross-origin requests and reads that "
                    + "legacy allows"
            )
        case "content-length":
            if bodiesDiffer && legacy != nil && candidate != nil {
                return (.cosmetic, "this follows from the body difference reported below")
            }
            return (.risky, "the framing changes: HEAD requests and download progress read the length")
        default:
            if name.hasPrefix("x-") {
                return (.risky, "custom header: clients, gateways or logs that read it will see the change")
            }
            return (.risky, "clients that read this header will see the change")
        }
    }

    /// `application/json; charset=utf-8` → `application/json`.
    static func mediaType(of value: String) -> String {
        let end = value.firstIndex(of: ";") ?? value.endIndex
        return String(value[..<end]).trimmingSpaces.lowercased()
    }

    /// `application/json`, `application/problem+json` and the like.
    static func isJSON(_ value: String?) -> Bool {
        guard let value else { return false }
        let type = mediaType(of: value)
        return type == "application/json" || (type.hasPrefix("application/") && type.hasSuffix("+json"))
    }
}

extension String {
    var trimmingSpaces: String {
        var text = Substring(self)
        while text.first == " " || text.first == "\t" { text.removeFirst() }
        while text.last == " " || text.last == "\t" { text.removeLast() }
        return String(text)
    }
}
