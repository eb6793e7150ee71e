/// path-to-regexp 6.2.1 as Debian's patched Express 4.18.2 calls it (`strict: false`, `end: true`,
/// case-insensitive, delimiters `/#?`, prefixes `./`), after Express's layer strips one trailing
/// `/` from every pattern but `/`.
enum PathToRegexp6 {
    private enum TokenKind: String {
        case modifier = "MODIFIER"
        case escapedChar = "ESCAPED_CHAR"
        case open = "OPEN"
        case close = "CLOSE"
        case name = "NAME"
        case pattern = "PATTERN"
        case char = "CHAR"
        case end = "END"
    }

    private struct LexToken {
        var kind: TokenKind
        var index: Int
        var value: String
    }

    private struct Key {
        var name: String
        var prefix: String
        var suffix: String
        var pattern: String
        var modifier: String
    }

    private enum Token {
        case text(String)
        case key(Key)
    }

    static let flavorName = "Express 4 (Debian)"

    static func compile(_ source: String) throws(RoutePatternError) -> CompiledPattern {
        var path = source
        if path != "/" && path.hasSuffix("/") { path.removeLast() }
        let tokens = try parse(try lex(Array(path.unicodeScalars)))
        return regex(for: tokens)
    }

    private static func isNameScalar(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "0"..."9", "A"..."Z", "a"..."z", "_": true
        default: false
        }
    }

    private static func lex(_ chars: [Unicode.Scalar]) throws(RoutePatternError) -> [LexToken] {
        var tokens: [LexToken] = []
        var i = 0
        while i < chars.count {
            let char = chars[i]
            switch char {
            case "*", "+", "?":
                tokens.append(LexToken(kind: .modifier, index: i, value: String(char)))
                i += 1
            case "\\":
                let value = i + 1 < chars.count ? String(chars[i + 1]) : ""
                tokens.append(LexToken(kind: .escapedChar, index: i, value: value))
                i += 2
            case "{":
                tokens.append(LexToken(kind: .open, index: i, value: "{"))
                i += 1
            case "}":
                tokens.append(LexToken(kind: .close, index: i, value: "}"))
                i += 1
            case ":":
                var j = i + 1
                var name = ""
                while j < chars.count && isNameScalar(chars[j]) {
                    name.unicodeScalars.append(chars[j])
                    j += 1
                }
                guard !name.isEmpty else {
                    throw RoutePatternError(
                        "':' without a parameter name", column: i + 1,
                        hint: "a name is letters, digits and '_'; write '\\:' for a literal colon")
                }
                tokens.append(LexToken(kind: .name, index: i, value: name))
                i = j
            case "(":
                var count = 1
                var pattern = ""
                var j = i + 1
                if j < chars.count && chars[j] == "?" {
                    throw RoutePatternError(
                        "a parameter pattern cannot start with '?'", column: j + 1,
                        hint: "path-to-regexp 6 rejects '(?…)' as the start of a pattern")
                }
                while j < chars.count {
                    if chars[j] == "\\" {
                        pattern.unicodeScalars.append(chars[j])
                        if j + 1 < chars.count { pattern.unicodeScalars.append(chars[j + 1]) }
                        j += 2
                        continue
                    }
                    if chars[j] == ")" {
                        count -= 1
                        if count == 0 {
                            j += 1
                            break
                        }
                    } else if chars[j] == "(" {
                        count += 1
                        if j + 1 >= chars.count || chars[j + 1] != "?" {
                            throw RoutePatternError(
                                "a capturing group inside a parameter pattern", column: j + 1,
                                hint: "path-to-regexp 6 allows only non-capturing groups '(?:…)' there")
                        }
                    }
                    pattern.unicodeScalars.append(chars[j])
                    j += 1
                }
                if count != 0 {
                    throw RoutePatternError("unbalanced '('", column: i + 1, hint: "every '(' needs a matching ')'")
                }
                if pattern.isEmpty {
                    throw RoutePatternError("empty parameter pattern '()'", column: i + 1)
                }
                tokens.append(LexToken(kind: .pattern, index: i, value: pattern))
                i = j
            default:
                tokens.append(LexToken(kind: .char, index: i, value: String(char)))
                i += 1
            }
        }
        tokens.append(LexToken(kind: .end, index: i, value: ""))
        return tokens
    }

    private static func parse(_ tokens: [LexToken]) throws(RoutePatternError) -> [Token] {
        let prefixes = "./"
        let defaultPattern = "[^\\/#\\?]+?"
        var result: [Token] = []
        var key = 0
        var i = 0
        var path = ""

        func tryConsume(_ kind: TokenKind) -> String? {
            if i < tokens.count && tokens[i].kind == kind {
                i += 1
                return tokens[i - 1].value
            }
            return nil
        }
        func mustConsume(_ kind: TokenKind) throws(RoutePatternError) {
            if tryConsume(kind) != nil { return }
            let next = tokens[i]
            if next.kind == .modifier && next.value == "*" {
                throw RoutePatternError(
                    "'*' is not allowed in \(flavorName) patterns", column: next.index + 1,
                    hint: "path-to-regexp 6 rejects it; write '(.*)' to match the rest of the path")
            }
            let what = next.kind == .end ? "end of pattern" : "'\(next.value)'"
            throw RoutePatternError(
                "unexpected \(what) in an \(flavorName) pattern", column: next.index + 1,
                hint: "path-to-regexp 6 expected \(kind == .end ? "the end of the pattern" : "'}'")")
        }
        func consumeText() -> String {
            var text = ""
            while let value = tryConsume(.char) ?? tryConsume(.escapedChar) { text += value }
            return text
        }

        while i < tokens.count {
            let char = tryConsume(.char)
            let name = tryConsume(.name)
            let pattern = tryConsume(.pattern)
            if name != nil || pattern != nil {
                var prefix = char ?? ""
                if !prefixes.contains(prefix) || prefix.isEmpty {
                    path += prefix
                    prefix = ""
                }
                if !path.isEmpty {
                    result.append(.text(path))
                    path = ""
                }
                let keyName: String
                if let name {
                    keyName = name
                } else {
                    keyName = String(key)
                    key += 1
                }
                result.append(
                    .key(
                        Key(
                            name: keyName, prefix: prefix, suffix: "", pattern: pattern ?? defaultPattern,
                            modifier: tryConsume(.modifier) ?? "")))
                continue
            }
            if let value = char ?? tryConsume(.escapedChar) {
                path += value
                continue
            }
            if !path.isEmpty {
                result.append(.text(path))
                path = ""
            }
            if tryConsume(.open) != nil {
                let prefix = consumeText()
                let name = tryConsume(.name) ?? ""
                let pattern = tryConsume(.pattern) ?? ""
                let suffix = consumeText()
                try mustConsume(.close)
                var keyName = name
                if name.isEmpty && !pattern.isEmpty {
                    keyName = String(key)
                    key += 1
                }
                result.append(
                    .key(
                        Key(
                            name: keyName, prefix: prefix, suffix: suffix,
                            pattern: !name.isEmpty && pattern.isEmpty ? defaultPattern : pattern,
                            modifier: tryConsume(.modifier) ?? "")))
                continue
            }
            try mustConsume(.end)
        }
        return result
    }

    static func escapeString(_ text: String) -> String {
        var escaped = ""
        for character in text {
            if ".+*?=^!:${}()[]|/\\".contains(character) { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped
    }

    private static func regex(for tokens: [Token]) -> CompiledPattern {
        var route = "^"
        var keys: [String] = []
        for token in tokens {
            switch token {
            case .text(let text):
                route += escapeString(text)
            case .key(let key):
                let prefix = escapeString(key.prefix)
                let suffix = escapeString(key.suffix)
                guard !key.pattern.isEmpty else {
                    route += "(?:\(prefix)\(suffix))\(key.modifier)"
                    continue
                }
                keys.append(key.name)
                let repeated = key.modifier == "+" || key.modifier == "*"
                if !prefix.isEmpty || !suffix.isEmpty {
                    if repeated {
                        let mod = key.modifier == "*" ? "?" : ""
                        route +=
                            "(?:\(prefix)((?:\(key.pattern))(?:\(suffix)\(prefix)(?:\(key.pattern)))*)\(suffix))\(mod)"
                    } else {
                        route += "(?:\(prefix)(\(key.pattern))\(suffix))\(key.modifier)"
                    }
                } else if repeated {
                    route += "((?:\(key.pattern))\(key.modifier))"
                } else {
                    route += "(\(key.pattern))\(key.modifier)"
                }
            }
        }
        route += "[\\/#\\?]?$"
        return CompiledPattern(regexSource: route, keys: keys)
    }
}
