/// What matching one request path against one route pattern gives.
public enum RouteMatchResult: Sendable, Equatable {
    /// The pattern does not match the path.
    case noMatch
    /// The pattern matches; these are its decoded parameters.
    case matched(RouteParameters)
    /// The pattern matches but a parameter is not valid percent-encoded UTF-8. Express answers
    /// 400 (`URIError: Failed to decode param '…'`) and tries no later route.
    case malformedParameter(name: String, raw: String)

    /// The parameters when the pattern matched, nil otherwise.
    public var parameters: RouteParameters? {
        if case .matched(let parameters) = self { return parameters }
        return nil
    }

    /// Whether the pattern matched the path, whether or not its parameters decode.
    public var pathMatched: Bool {
        if case .noMatch = self { return false }
        return true
    }
}
