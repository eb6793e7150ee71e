/// A computed column's expression, from a mapping file: column names, string and number literals,
/// `||` concatenation and a few functions, evaluated on one source row with no I/O.
///
/// Functions: `lower(x)`, `upper(x)`, `trim(x)`, `before(x, sep)` (all of `x` when `sep` is absent),
/// `after(x, sep)` (empty when `sep` is absent), `split_part(x, sep, n)`, `concat(a, b, …)`,
/// `coalesce(a, b, …)`, `nullif(a, b)`, `replace(x, from, to)`. A NULL argument makes a string
/// function NULL, except in `concat` (NULL counts as empty) and `coalesce`.
///
/// It is the `expr:` of a mapping's column (`first_name: { expr: "before(full_name, ' ')" }`):
/// backfill and reconcile both evaluate it on every source row, so the row transform stays a pure
/// function of the row.
public indirect enum Expression: Sendable, Hashable, CustomStringConvertible {
    /// The value of a source column, by name as written (`full_name`).
    case column(String)
    /// A constant: text (`'-'`), an integer, a decimal (`.numeric`) or NULL.
    case literal(DataValue)
    /// A function applied to its arguments, by lower-case name; `a || b` is read as `concat(a, b)`.
    case call(String, [Expression])

    /// The functions an expression may call, by lower-case name, with how many arguments each
    /// takes (`concat` and `coalesce` up to 64).
    public static let functions: [String: ClosedRange<Int>] = [
        "lower": 1...1, "upper": 1...1, "trim": 1...1, "before": 2...2, "after": 2...2, "split_part": 3...3,
        "concat": 1...64, "coalesce": 1...64, "nullif": 2...2, "replace": 3...3,
    ]

    /// The source columns the expression reads, in the order they appear, a column read twice
    /// listed twice; the mapping checks each exists in the source table.
    public var columns: [String] {
        switch self {
        case .column(let name): [name]
        case .literal: []
        case .call(_, let arguments): arguments.flatMap(\.columns)
        }
    }

    /// The expression written back as a mapping file would write it (`concat(first_name, ' ', last_name)`),
    /// for messages; `||` comes back as `concat`.
    public var description: String {
        switch self {
        case .column(let name): name
        case .literal(.text(let text)):
            "'" + text.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "''") + "'"
        case .literal(let value): value.displayText
        case .call(let name, let arguments): "\(name)(\(arguments.map(\.description).joined(separator: ", ")))"
        }
    }

    /// Evaluates the expression on one source row.
    ///
    /// String functions read their arguments as text: numbers and booleans in their usual form,
    /// timestamps as ISO 8601 UTC. `split_part` with an empty separator or an `n` below 1 gives NULL.
    ///
    /// - Parameter column: Gives a source column's value by name; the row being mapped.
    /// - Returns: The computed value: text for the string functions, the chosen argument for
    ///   `coalesce` and `nullif`, or NULL.
    public func evaluate(_ column: (String) -> DataValue) -> DataValue {
        switch self {
        case .column(let name): return column(name)
        case .literal(let value): return value
        case .call(let name, let arguments):
            let values = arguments.map { $0.evaluate(column) }
            return Expression.apply(name, values)
        }
    }

    static func apply(_ name: String, _ values: [DataValue]) -> DataValue {
        func text(_ value: DataValue) -> String? {
            switch value {
            case .null: nil
            case .text(let s), .numeric(let s), .json(let s): s
            case .integer(let v): String(v)
            case .boolean(let v): v ? "true" : "false"
            case .timestamp(let micros): UTCTimestamp.iso8601(micros: micros)
            default: value.jsonValue.serializedText
            }
        }
        switch name {
        case "coalesce": return values.first { !$0.isNull } ?? .null
        case "nullif": return values[0] == values[1] ? .null : values[0]
        case "concat": return .text(values.map { text($0) ?? "" }.joined())
        default: break
        }
        let strings = values.map(text)
        guard let first = strings[0], !strings.contains(where: { $0 == nil }) else { return .null }
        switch name {
        case "lower": return .text(first.lowercased())
        case "upper": return .text(first.uppercased())
        case "trim": return .text(first.trimmingWhitespace())
        case "before":
            guard let range = first.range(of: strings[1]!) else { return .text(first) }
            return .text(String(first[..<range.lowerBound]))
        case "after":
            guard let range = first.range(of: strings[1]!) else { return .text("") }
            return .text(String(first[range.upperBound...]))
        case "split_part":
            guard let n = Int(strings[2]!), n >= 1, !strings[1]!.isEmpty else { return .null }
            let parts = first.components(separatedBy: strings[1]!)
            return .text(n <= parts.count ? parts[n - 1] : "")
        case "replace":
            guard !strings[1]!.isEmpty else { return .text(first) }
            return .text(first.components(separatedBy: strings[1]!).joined(separator: strings[2]!))
        default: return .null
        }
    }
}

/// Why an expression could not be read, with where in it the problem is.
///
/// The mapping loader adds the file, line and column key.
public struct ExpressionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong (`unknown function 'lowr'; known: after, before, …`).
    public let message: String
    /// Where, as a 0-based offset in UTF-8 bytes from the start of the expression.
    public let offset: Int
    /// The message prefixed with the 1-based position (`at character 8: expected ',' or ')'`).
    public var description: String { "at character \(offset + 1): \(message)" }
}

extension Expression {
    /// Parses `concat(first_name, ' ', last_name)`, `lower(trim(email))`, `before(full_name, ' ')`,
    /// `a || '-' || b`, `'text'`, `42`, `null`, or a bare column name.
    ///
    /// Function names and `null` are read in any case; `''` inside a string literal is a quote.
    ///
    /// - Parameter text: The expression as written in `expr:`.
    /// - Returns: The parsed expression.
    /// - Throws: ``ExpressionError`` with the offset of the problem: an unknown function (the message
    ///   lists the known ones), a wrong number of arguments, an unterminated string, a malformed
    ///   number, a missing `)` or `,`, or text after the expression.
    public static func parse(_ text: String) throws(ExpressionError) -> Expression {
        var parser = ExpressionParser(bytes: Array(text.utf8))
        let expression = try parser.parseConcatenation()
        parser.skipSpaces()
        guard parser.index == parser.bytes.count else { throw parser.error("unexpected text after the expression") }
        return expression
    }
}

private struct ExpressionParser {
    let bytes: [UInt8]
    var index = 0

    func error(_ message: String) -> ExpressionError { ExpressionError(message: message, offset: index) }

    mutating func skipSpaces() {
        while index < bytes.count, bytes[index] == 32 || bytes[index] == 9 { index += 1 }
    }

    mutating func parseConcatenation() throws(ExpressionError) -> Expression {
        var parts = [try parsePrimary()]
        skipSpaces()
        while index + 1 < bytes.count, bytes[index] == 124, bytes[index + 1] == 124 {
            index += 2
            parts.append(try parsePrimary())
            skipSpaces()
        }
        return parts.count == 1 ? parts[0] : .call("concat", parts)
    }

    mutating func parsePrimary() throws(ExpressionError) -> Expression {
        skipSpaces()
        guard index < bytes.count else { throw error("expected a column, a literal or a function") }
        let byte = bytes[index]
        if byte == 39 {  // 'text', '' escapes a quote
            index += 1
            var out = [UInt8]()
            while true {
                guard index < bytes.count else { throw error("unterminated string literal") }
                if bytes[index] == 39 {
                    if index + 1 < bytes.count, bytes[index + 1] == 39 {
                        out.append(39)
                        index += 2
                        continue
                    }
                    index += 1
                    break
                }
                out.append(bytes[index])
                index += 1
            }
            return .literal(.text(String(decoding: out, as: UTF8.self)))
        }
        if byte == 45 || (byte >= 48 && byte <= 57) {
            let start = index
            index += 1
            while index < bytes.count, (bytes[index] >= 48 && bytes[index] <= 57) || bytes[index] == 46 { index += 1 }
            let lexeme = String(decoding: bytes[start..<index], as: UTF8.self)
            if let integer = Int64(lexeme) { return .literal(.integer(integer)) }
            guard DecimalText(lexeme: lexeme) != nil else { throw error("'\(lexeme)' is not a number") }
            return .literal(.numeric(lexeme))
        }
        guard isIdentifierStart(byte) else { throw error("expected a column, a literal or a function") }
        let start = index
        while index < bytes.count, isIdentifierStart(bytes[index]) || (bytes[index] >= 48 && bytes[index] <= 57) {
            index += 1
        }
        let name = String(decoding: bytes[start..<index], as: UTF8.self)
        skipSpaces()
        guard index < bytes.count, bytes[index] == 40 else {
            if name.lowercased() == "null" { return .literal(.null) }
            return .column(name)
        }
        let function = name.lowercased()
        guard let arity = Expression.functions[function] else {
            index = start
            let known = Expression.functions.keys.sorted().joined(separator: ", ")
            throw error("unknown function '\(name)'; known: \(known)")
        }
        index += 1
        var arguments = [Expression]()
        skipSpaces()
        if index < bytes.count, bytes[index] == 41 {
            index += 1
        } else {
            while true {
                arguments.append(try parseConcatenation())
                skipSpaces()
                guard index < bytes.count else { throw error("missing ')' after the arguments of \(function)") }
                if bytes[index] == 44 {
                    index += 1
                    continue
                }
                guard bytes[index] == 41 else { throw error("expected ',' or ')'") }
                index += 1
                break
            }
        }
        guard arity.contains(arguments.count) else {
            let expected =
                arity.lowerBound == arity.upperBound ? "\(arity.lowerBound)" : "at least \(arity.lowerBound)"
            throw error("\(function) takes \(expected) argument(s), not \(arguments.count)")
        }
        return .call(function, arguments)
    }

    func isIdentifierStart(_ byte: UInt8) -> Bool {
        (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122) || byte == 95
    }
}

extension String {
    /// The string without white space at either end: spaces, tabs, carriage returns, line feeds
    /// and any other Unicode white space. The `trim` of expressions and canonical forms.
    public func trimmingWhitespace() -> String {
        var slice = Substring(self)
        while let first = slice.first, first.isWhitespace { slice = slice.dropFirst() }
        while let last = slice.last, last.isWhitespace { slice = slice.dropLast() }
        return String(slice)
    }

    func range(of needle: String) -> Range<String.Index>? {
        guard !needle.isEmpty else { return nil }
        var start = startIndex
        while start < endIndex {
            if self[start...].hasPrefix(needle) {
                return start..<index(start, offsetBy: needle.count)
            }
            start = index(after: start)
        }
        return nil
    }

    func components(separatedBy separator: String) -> [String] {
        var parts = [String]()
        var rest = Substring(self)
        while let range = String(rest).range(of: separator) {
            let string = String(rest)
            parts.append(String(string[..<range.lowerBound]))
            rest = Substring(string[range.upperBound...])
        }
        parts.append(String(rest))
        return parts
    }

}
