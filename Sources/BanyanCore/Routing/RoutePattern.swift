/// An Express route path pattern (`/users/:id`), compiled the way the chosen Express flavour
/// compiles it and matched the way `app.get(pattern, …)` matches by default: case-insensitive,
/// one optional trailing `/`, no path normalisation, parameters decoded with
/// `decodeURIComponent` after matching.
public struct RoutePattern: Sendable, Equatable, CustomStringConvertible {
    /// The pattern as written.
    public let source: String
    /// The Express flavour whose path-to-regexp compiled the pattern; it decides what matches.
    public let flavor: ExpressFlavor
    /// The parameters in capture order (unnamed groups are `"0"`, `"1"`, …), each name once.
    public let parameterNames: [String]

    /// The compiled forms, behind one reference so that copying a pattern (as a route table
    /// does on its hot path) costs a single retain.
    private final class Storage: Sendable {
        let regex: CompiledRegex
        let fast: FastRouteMatcher?

        init(regex: CompiledRegex, fast: FastRouteMatcher?) {
            self.regex = regex
            self.fast = fast
        }
    }

    private let storage: Storage
    private var regex: CompiledRegex { storage.regex }
    private var fast: FastRouteMatcher? { storage.fast }

    /// Compiles `source` the way the flavour's path-to-regexp does.
    ///
    /// - Parameters:
    ///   - source: The pattern as written (`/users/:id`, `/files/*`).
    ///   - flavor: The Express flavour to compile for; npm's Express 4 by default.
    /// - Throws: ``RoutePatternError``, with the column where there is one, wherever the flavour's
    ///   Express would throw at registration (an unbalanced `(`, an unclosed `{` in Express 5, …).
    public init(_ source: String, flavor: ExpressFlavor = .express4) throws(RoutePatternError) {
        let compiled: CompiledPattern
        switch flavor {
        case .express4: compiled = try PathToRegexp0.compile(source)
        case .express4Debian: compiled = try PathToRegexp6.compile(source)
        case .express5: compiled = try PathToRegexp8.compile(source)
        }
        self.source = source
        self.flavor = flavor
        let regex = try CompiledRegex(compiled)
        var names: [String] = []
        for name in compiled.keys where !names.contains(name) { names.append(name) }
        self.parameterNames = names
        self.storage = Storage(regex: regex, fast: FastRouteMatcher(source, flavor: flavor))
    }

    /// Whether matching avoids the regular expression (static and whole `:name` segments only).
    public var usesFastPath: Bool { fast != nil }

    /// The regular expression the pattern compiles to (the source path-to-regexp would build).
    public var regexSource: String { regex.source }

    /// The pattern as written: `/users/:id`.
    public var description: String { source }

    /// Two patterns are equal when they were written the same for the same flavour.
    public static func == (lhs: RoutePattern, rhs: RoutePattern) -> Bool {
        lhs.source == rhs.source && lhs.flavor == rhs.flavor
    }

    /// Matches a request path without its query string, exactly as received (still
    /// percent-encoded).
    public func match(_ path: String) -> RouteMatchResult {
        if let fast {
            switch fast.match(path) {
            case .noMatch: return .noMatch
            case .matched(let values): return Self.decode(zip(fast.parameterNames, values))
            case .useRegex: break
            }
        }
        return regex.match(path)
    }

    /// Whether `match(path)` would match (`true`), fail to decode a parameter (`false`), or not
    /// match (nil), without building the parameters where the fast path applies.
    public func matches(_ path: String) -> Bool? {
        if let fast {
            switch fast.check(path) {
            case .noMatch: return nil
            case .matched(escaped: false): return true
            case .matched(escaped: true), .useRegex: break
            }
        }
        switch match(path) {
        case .noMatch: return nil
        case .malformedParameter: return false
        case .matched: return true
        }
    }

    /// Matches with the regular expression even where the fast path applies (for tests and
    /// measurements).
    public func matchUsingRegex(_ path: String) -> RouteMatchResult {
        regex.match(path)
    }

    static func decode(_ raw: some Sequence<(String, String)>) -> RouteMatchResult {
        var parameters = RouteParameters()
        for (name, value) in raw {
            guard let decoded = decodeURIComponent(Substring(value)) else {
                return .malformedParameter(name: name, raw: value)
            }
            parameters.set(name, decoded)
        }
        return .matched(parameters)
    }
}
