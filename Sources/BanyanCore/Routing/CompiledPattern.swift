/// A pattern turned into the regular expression its path-to-regexp version builds, with the
/// parameter name of each capture group.
struct CompiledPattern: Sendable {
    /// The regular expression source, in the syntax Swift's `Regex` reads (which accepts everything
    /// the three path-to-regexp versions generate for ordinary patterns).
    var regexSource: String
    /// The parameter each capture group fills, in group order.
    var keys: [String]
    /// Per key: whether the value is a list of `/`-separated segments decoded one by one (an
    /// Express 5 wildcard) rather than one value.
    var segmentedKeys: [Bool]

    init(regexSource: String, keys: [String], segmentedKeys: [Bool]? = nil) {
        self.regexSource = regexSource
        self.keys = keys
        self.segmentedKeys = segmentedKeys ?? Array(repeating: false, count: keys.count)
    }
}

/// Finds the first unbalanced parenthesis of a pattern (a `\` escapes the next character), so that
/// the error names a column instead of quoting a regular-expression engine.
func checkParenthesesBalance(_ source: String) throws(RoutePatternError) {
    var open: [Int] = []
    var column = 0
    var escaped = false
    for scalar in source.unicodeScalars {
        column += 1
        if escaped {
            escaped = false
            continue
        }
        switch scalar {
        case "\\": escaped = true
        case "(": open.append(column)
        case ")":
            if open.popLast() == nil { throw RoutePatternError("unbalanced ')'", column: column) }
        default: break
        }
    }
    if let first = open.last {
        throw RoutePatternError("unbalanced '('", column: first, hint: "every '(' needs a matching ')'")
    }
}
