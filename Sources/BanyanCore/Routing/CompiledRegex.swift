/// A compiled pattern's regular expression with the JavaScript flags Express uses (`i`, no `u`),
/// and the extraction of its parameters.
struct CompiledRegex: @unchecked Sendable {
    // `Regex` is immutable once built and only read here.
    private let regex: Regex<AnyRegexOutput>
    let source: String
    private let keys: [String]
    private let segmentedKeys: [Bool]

    init(_ compiled: CompiledPattern) throws(RoutePatternError) {
        do {
            regex = try Regex(compiled.regexSource)
                .ignoresCase()
                .matchingSemantics(.unicodeScalar)
                .asciiOnlyDigits()
                .asciiOnlyWordCharacters()
        } catch {
            throw RoutePatternError(
                "the pattern compiles to an invalid regular expression",
                hint: "check the brackets and quantifiers inside its '(…)' groups (\(compiled.regexSource))")
        }
        source = compiled.regexSource
        keys = compiled.keys
        segmentedKeys = compiled.segmentedKeys
    }

    func match(_ path: String) -> RouteMatchResult {
        guard let match = try? regex.wholeMatch(in: path) else { return .noMatch }
        var parameters = RouteParameters()
        let output = match.output
        for group in 1..<output.count {
            let keyIndex = group - 1
            // A group no key accounts for (a user group path-to-regexp 0.1.7 did not count): Express
            // reads `keys[i - 1].name` of undefined and fails; such patterns are not supported.
            guard keyIndex < keys.count, let captured = output[group].substring else { continue }
            let name = keys[keyIndex]
            let raw = String(captured)
            if segmentedKeys[keyIndex] {
                var values: [String] = []
                for segment in raw.split(separator: "/", omittingEmptySubsequences: false) {
                    guard let decoded = decodeURIComponent(segment) else {
                        return .malformedParameter(name: name, raw: String(segment))
                    }
                    values.append(decoded)
                }
                parameters.set(name, values.joined(separator: "/"))
            } else {
                guard let decoded = decodeURIComponent(captured) else {
                    return .malformedParameter(name: name, raw: raw)
                }
                parameters.set(name, decoded)
            }
        }
        return .matched(parameters)
    }
}
