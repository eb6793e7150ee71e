/// Why a route or pattern cannot be registered, in words a user can act on.
public struct RoutePatternError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong, without the position.
    public var problem: String
    /// The 1-based column of the offending character in the text that was parsed, where one applies.
    public var column: Int?
    /// What to do about it, where there is something to say.
    public var hint: String?

    /// Creates an error from its parts.
    ///
    /// - Parameters:
    ///   - problem: What is wrong, without the position (`unknown method 'FETCH'`).
    ///   - column: The 1-based column of the offending character, where one applies.
    ///   - hint: What to do about it (`write it as 'GET'`), where there is something to say.
    public init(_ problem: String, column: Int? = nil, hint: String? = nil) {
        self.problem = problem
        self.column = column
        self.hint = hint
    }

    /// The full message: the problem, the column and the hint.
    public var message: String {
        var text = problem
        if let column { text += " at column \(column)" }
        if let hint { text += ": \(hint)" }
        return text
    }

    /// The full ``message``.
    public var description: String { message }

    /// The same error with its column moved right by `offset` (a pattern inside a route line).
    func shifted(by offset: Int) -> RoutePatternError {
        var copy = self
        copy.column = column.map { $0 + offset }
        return copy
    }
}
