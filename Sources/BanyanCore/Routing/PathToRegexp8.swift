/// path-to-regexp 8 as Express 5's router calls it (`end: true`, `trailing: true`,
/// case-insensitive, delimiter `/`), after the router strips trailing slashes from every pattern
/// but `/`. Syntax: `:name`, `*name` (a wildcard spanning segments), `{…}` optional parts and `\`
/// escapes; `()[]+?!` are reserved and rejected.
enum PathToRegexp8 {
    private enum LexKind: Equatable {
        case reserved(Character)
        case openBrace, closeBrace, escape, param, wildcard, char, end
    }

    private struct LexToken {
        var kind: LexKind
        var column: Int
        var value: String
    }

    enum Token {
        case text(String)
        case param(String)
        case wildcard(String)
        case group([Token])
    }

    private enum FlatToken {
        case text(String)
        case param(String)
        case wildcard(String)
    }

    static let flavorName = "Express 5"

    static func compile(_ source: String) throws(RoutePatternError) -> CompiledPattern {
        var path = source
        if path != "/" {
            while path.hasSuffix("/") { path.removeLast() }
        }
        let tokens = try parse(path)
        var sequences: [[FlatToken]] = []
        flatten(tokens, from: 0, into: [], sequences: &sequences)
        let root = SourceNode(source: "", key: nil)
        for sequence in sequences {
            var node = root
            for part in try regexParts(sequence) { node = node.add(part.source, key: part.key) }
            _ = node.add("", key: nil)
        }
        var keys: [FlatKey] = []
        let body = emit(root, keys: &keys)
        return CompiledPattern(
            regexSource: "^" + body + "(?:\\/$)?$", keys: keys.map(\.name), segmentedKeys: keys.map(\.isWildcard))
    }

    // MARK: Parsing

    private static func isIDStart(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "$" || scalar == "_" || scalar.properties.isIDStart
    }

    private static func isIDContinue(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "$" || scalar == "\u{200C}" || scalar == "\u{200D}" || scalar.properties.isIDContinue
    }

    private static func lex(_ chars: [Unicode.Scalar]) throws(RoutePatternError) -> [LexToken] {
        var tokens: [LexToken] = []
        var index = 0

        func name() throws(RoutePatternError) -> String {
            var value = ""
            if index < chars.count && isIDStart(chars[index]) {
                repeat {
                    value.unicodeScalars.append(chars[index])
                    index += 1
                } while index < chars.count && isIDContinue(chars[index])
            } else if index < chars.count && chars[index] == "\"" {
                let quoteStart = index
                var closed = false
                while index < chars.count {
                    index += 1
                    if index < chars.count && chars[index] == "\"" {
                        index += 1
                        closed = true
                        break
                    }
                    if index < chars.count && chars[index] == "\\" { index += 1 }
                    if index < chars.count { value.unicodeScalars.append(chars[index]) }
                }
                if !closed {
                    throw RoutePatternError("unterminated quoted parameter name", column: quoteStart + 1)
                }
            }
            if value.isEmpty {
                throw RoutePatternError(
                    "missing parameter name", column: index + 1,
                    hint: "Express 5 needs a name after ':' and '*' (for example '*rest')")
            }
            return value
        }

        while index < chars.count {
            let value = chars[index]
            index += 1
            let column = index
            switch value {
            case "{": tokens.append(LexToken(kind: .openBrace, column: column, value: "{"))
            case "}": tokens.append(LexToken(kind: .closeBrace, column: column, value: "}"))
            case "(", ")", "[", "]", "+", "?", "!":
                tokens.append(LexToken(kind: .reserved(Character(value)), column: column, value: String(value)))
            case "\\":
                let escaped = index < chars.count ? String(chars[index]) : ""
                index += 1
                tokens.append(LexToken(kind: .escape, column: column, value: escaped))
            case ":": tokens.append(LexToken(kind: .param, column: column, value: try name()))
            case "*": tokens.append(LexToken(kind: .wildcard, column: column, value: try name()))
            default: tokens.append(LexToken(kind: .char, column: column, value: String(value)))
            }
        }
        tokens.append(LexToken(kind: .end, column: chars.count + 1, value: ""))
        return tokens
    }

    private static func parse(_ source: String) throws(RoutePatternError) -> [Token] {
        let tokens = try lex(Array(source.unicodeScalars))
        var position = 0

        func consumeUntil(_ endKind: LexKind) throws(RoutePatternError) -> [Token] {
            var output: [Token] = []
            while true {
                let token = tokens[position]
                position += 1
                if token.kind == endKind { break }
                switch token.kind {
                case .char, .escape:
                    var text = token.value
                    while tokens[position].kind == .char || tokens[position].kind == .escape {
                        text += tokens[position].value
                        position += 1
                    }
                    output.append(.text(text))
                case .param: output.append(.param(token.value))
                case .wildcard: output.append(.wildcard(token.value))
                case .openBrace: output.append(.group(try consumeUntil(.closeBrace)))
                case .reserved(let character):
                    let hint: String
                    switch character {
                    case "?": hint = "Express 5 writes an optional part in braces: '/:id?' becomes '{/:id}'"
                    case "(", ")":
                        hint = "Express 5 has no regular expressions in patterns; write '\\\(character)' for a literal"
                    default: hint = "the character is reserved; write '\\\(character)' for a literal"
                    }
                    throw RoutePatternError(
                        "'\(character)' is not allowed in \(flavorName) patterns", column: token.column, hint: hint)
                case .end:
                    throw RoutePatternError("unclosed '{'", hint: "every '{' needs a matching '}'")
                case .closeBrace:
                    throw RoutePatternError("unbalanced '}'", column: token.column)
                }
            }
            return output
        }
        return try consumeUntil(.end)
    }

    // MARK: Regular expression

    private static func flatten(
        _ tokens: [Token], from start: Int, into prefix: [FlatToken], sequences: inout [[FlatToken]]
    ) {
        var result = prefix
        var index = start
        while index < tokens.count {
            let token = tokens[index]
            index += 1
            switch token {
            case .group(let inner):
                var expanded: [[FlatToken]] = []
                flatten(inner, from: 0, into: result, sequences: &expanded)
                for sequence in expanded { flatten(tokens, from: index, into: sequence, sequences: &sequences) }
            case .text(let text): result.append(.text(text))
            case .param(let name): result.append(.param(name))
            case .wildcard(let name): result.append(.wildcard(name))
            }
        }
        sequences.append(result)
    }

    struct FlatKey: Equatable {
        var name: String
        var isWildcard: Bool
    }

    private struct Part {
        var source: String
        var key: FlatKey?
    }

    static func escape(_ text: String) -> String {
        var escaped = ""
        for character in text {
            if ".+*?^${}()[]|/\\".contains(character) { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped
    }

    /// A character that is none of the strings `a` and `b` (the backtracking guard of path-to-regexp 8).
    static func negate(_ a: String, _ b: String) -> String {
        if b.utf16.count > a.utf16.count { return negate(b, a) }
        let b = a == b ? "" : b
        if b.utf16.count > 1 { return "(?:(?!\(escape(a))|\(escape(b)))[\\s\\S])" }
        if a.utf16.count > 1 { return "(?:(?!\(escape(a)))\(notIn(escape(b))))" }
        return notIn(escape(a + b))
    }

    private static func notIn(_ escaped: String) -> String {
        escaped.isEmpty ? "[\\s\\S]" : "[^\(escaped)]"
    }

    private static func regexParts(_ tokens: [FlatToken]) throws(RoutePatternError) -> [Part] {
        let delimiter = "/"
        var result: [Part] = []
        var backtrack = ""
        var wildcardBacktrack = ""
        var previousCapture = 0
        var segmentCaptures = 0
        var index = 0

        func hasWildcardInSegment(_ start: Int) -> Bool {
            var i = start
            while i < tokens.count {
                switch tokens[i] {
                case .wildcard: return true
                case .text(let text): if text.contains(delimiter) { return false }
                case .param: break
                }
                i += 1
            }
            return false
        }
        func peekText(_ start: Int) -> String {
            var text = ""
            var i = start
            while i < tokens.count, case .text(let value) = tokens[i] {
                text += value
                i += 1
            }
            return text
        }

        while index < tokens.count {
            let token = tokens[index]
            index += 1
            switch token {
            case .text(let text):
                result.append(Part(source: escape(text)))
                backtrack += text
                if previousCapture == 2 { wildcardBacktrack += text }
                if text.contains(delimiter) { segmentCaptures = 0 }
            case .param(let name):
                if previousCapture != 0 && backtrack.isEmpty {
                    throw RoutePatternError(
                        "parameter '\(name)' follows another parameter with no text between them",
                        hint: "path-to-regexp 8 cannot tell where one ends; put a literal between them")
                }
                let source: String
                if segmentCaptures != 0 {
                    source = "(\(negate(delimiter, backtrack))+?)"
                } else if hasWildcardInSegment(index) {
                    source = "(\(negate(delimiter, peekText(index)))+?)"
                } else {
                    source = "(\(negate(delimiter, ""))+?)"
                }
                result.append(Part(source: source, key: FlatKey(name: name, isWildcard: false)))
                previousCapture = 1
                segmentCaptures |= 1
                backtrack = ""
            case .wildcard(let name):
                if previousCapture != 0 && backtrack.isEmpty {
                    throw RoutePatternError(
                        "wildcard '\(name)' follows another parameter with no text between them",
                        hint: "path-to-regexp 8 cannot tell where one ends; put a literal between them")
                }
                let source: String
                if segmentCaptures & 2 != 0 {
                    source = "(\(negate(backtrack, ""))+?)"
                } else if segmentCaptures & 1 != 0 {
                    source = "(\(negate(wildcardBacktrack, ""))+?)"
                } else if !wildcardBacktrack.isEmpty {
                    source = "(\(negate(wildcardBacktrack, ""))+?|\(negate(delimiter, ""))+?)"
                } else {
                    source = "([\\s\\S]+?)"
                }
                result.append(Part(source: source, key: FlatKey(name: name, isWildcard: true)))
                wildcardBacktrack = ""
                previousCapture = 2
                segmentCaptures |= 2
                backtrack = ""
            }
        }
        return result
    }

    /// The trie path-to-regexp 8 builds to share common prefixes between the expansions of `{…}`.
    private final class SourceNode {
        let source: String
        let key: FlatKey?
        var children: [(id: String, node: SourceNode)] = []

        init(source: String, key: FlatKey?) {
            self.source = source
            self.key = key
        }

        func add(_ source: String, key: FlatKey?) -> SourceNode {
            let id = source + ":" + (key?.name ?? "")
            if let existing = children.first(where: { $0.id == id }) { return existing.node }
            let node = SourceNode(source: source, key: key)
            children.append((id, node))
            return node
        }
    }

    private static func emit(_ node: SourceNode, keys: inout [FlatKey]) -> String {
        if let key = node.key { keys.append(key) }
        let text = node.children.map { emit($0.node, keys: &keys) }.joined(separator: "|")
        return node.source + (node.children.count <= 1 ? text : "(?:\(text))")
    }
}
