/// path-to-regexp 0.1.7 (npm's Express 4), reproduced step by step: it builds the regular
/// expression by a series of textual replacements on the pattern, and its quirks (an unescaped
/// `*` anywhere becomes `(.*)`, a `.` inside `/(…)` is escaped, unnamed groups are numbered by
/// position) are part of what Express answers.
enum PathToRegexp0 {
    /// `(\\\/)?(\\\.)?:(\w+)(\(.*?\))?(\*)?(\?)?`, applied to the pattern after `/` and `.` were escaped.
    nonisolated(unsafe) private static let parameterSyntax =
        #/(\\\/)?(\\\.)?:([A-Za-z0-9_]+)(\(.*?\))?(\*)?(\?)?/#

    static func compile(_ path: String) throws(RoutePatternError) -> CompiledPattern {
        try checkParenthesesBalance(path)
        var keys: [(name: String, offset: Int)] = []

        // '^' + path + (strict ? '' : path ends with '/' ? '?' : '/?')
        var text = "^" + path + (path.last == "/" ? "?" : "/?")
        // .replace(/\/\(/g, '/(?:')
        text = text.replacing("/(", with: "/(?:")
        // .replace(/([\/\.])/g, '\\$1')
        var escaped = ""
        for character in text {
            if character == "/" || character == "." { escaped.append("\\") }
            escaped.append(character)
        }
        text = escaped

        // The named parameters, each recorded with its offset in the output.
        var output = ""
        var extraOffset = 0
        var rest = text.startIndex
        for match in text.matches(of: parameterSyntax) {
            output += text[rest..<match.range.lowerBound]
            rest = match.range.upperBound
            let (whole, slashPart, formatPart, name, capturePart, star, optionalPart) = match.output
            let slash = slashPart.map(String.init) ?? ""
            let format = formatPart.map(String.init) ?? ""
            let capture = capturePart.map(String.init) ?? "([^\\/" + format + "]+?)"
            let optional = optionalPart.map(String.init) ?? ""
            let offset = text.utf16.distance(from: text.startIndex, to: match.range.lowerBound)
            keys.append((String(name), offset + extraOffset))
            var result = optional.isEmpty ? slash : ""
            result += "(?:" + format + (optional.isEmpty ? "" : slash) + capture
            if star != nil { result += "((?:[\\/" + format + "].+?)?)" }
            result += ")" + optional
            extraOffset += result.utf16.count - whole.utf16.count
            output += result
        }
        output += text[rest...]
        text = output

        // .replace(/\*/g, '(.*)'), moving the recorded offsets of later keys.
        output = ""
        var index = 0
        for character in text {
            if character == "*" {
                var position = keys.count
                while position > 0 {
                    position -= 1
                    guard keys[position].offset > index else { break }
                    keys[position].offset += 3
                }
                output += "(.*)"
            } else {
                output.append(character)
            }
            index += character.utf16.count
        }
        text = output

        // Every capturing '(' that no named key claims becomes an unnamed key 0, 1, 2…
        let units = Array(text.utf16)
        var names: [(name: String, offset: Int)] = keys
        var claimed = 0
        var unnamed = 0
        for position in units.indices where units[position] == 0x28 {
            if position + 1 < units.count && units[position + 1] == 0x3F { continue }
            var backslashes = 0
            var before = position - 1
            while before >= 0 && units[before] == 0x5C {
                backslashes += 1
                before -= 1
            }
            if backslashes % 2 == 1 { continue }
            if claimed == names.count || names[claimed].offset > position {
                names.insert((String(unnamed), position), at: claimed)
                unnamed += 1
            }
            claimed += 1
        }
        return CompiledPattern(regexSource: text + "$", keys: names.map(\.name))
    }
}
