/// A PostgreSQL connection URL, `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?NAME=VALUE&…]`
/// (also `postgresql://`), taken apart as written: what is left out stays nil, and each user of
/// the URL applies its own defaults. User, password, database and parameter values may be
/// %-escaped.
///
/// Both the state store's `state:` (``PostgresStateLocation``) and the data commands' database
/// URLs are read with it.
public struct PostgresURL: Sendable, Equatable, CustomStringConvertible {
    /// The role to log in as, %-escapes decoded; nil when the URL names none (or an empty one).
    public var user: String?
    /// The role's password, %-escapes decoded; nil when the URL has no `:PASSWORD`. An empty
    /// password written as `USER:@` is the empty string, not nil.
    public var password: String?
    /// The host name or address (an IPv6 address without its brackets); nil when the URL names
    /// none.
    public var host: String?
    /// The TCP port, 1 to 65535; nil when the URL names none.
    public var port: Int?
    /// The database name, %-escapes decoded; nil when the URL has no path.
    public var database: String?
    /// The query parameters, in the order written; a name may appear more than once.
    public var parameters: [Parameter]

    /// One `NAME=VALUE` of the query.
    public struct Parameter: Sendable, Equatable {
        /// The parameter's name as written (it is not decoded).
        public var name: String
        /// The parameter's value, %-escapes decoded; empty for `NAME=`.
        public var value: String

        /// Creates a parameter.
        ///
        /// - Parameters:
        ///   - name: The parameter's name.
        ///   - value: Its decoded value.
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// Creates a URL from its parts; every part left nil is absent, as in a URL that leaves it out.
    ///
    /// - Parameters:
    ///   - user: The role, or nil.
    ///   - password: The password, or nil.
    ///   - host: The host name or address, IPv6 without brackets, or nil.
    ///   - port: The port, or nil.
    ///   - database: The database name, or nil.
    ///   - parameters: The query parameters, in order.
    public init(
        user: String? = nil, password: String? = nil, host: String? = nil, port: Int? = nil, database: String? = nil,
        parameters: [Parameter] = []
    ) {
        self.user = user
        self.password = password
        self.host = host
        self.port = port
        self.database = database
        self.parameters = parameters
    }

    /// Whether `text` starts like a PostgreSQL URL (`postgres://` or `postgresql://`).
    public static func hasScheme(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    /// Takes a URL apart as written, decoding %-escapes in the user, password, database and
    /// parameter values.
    ///
    /// - Parameter text: The URL, `postgres://…` or `postgresql://…`.
    /// - Throws: ``PostgresURLError`` when the scheme is neither, a %-escape is malformed, an IPv6
    ///   host's brackets are not closed or are followed by something other than `:PORT`, the port is
    ///   not a number from 1 to 65535, or a query item has no `=`. The error quotes the URL with its
    ///   password hidden.
    public init(parsing text: String) throws(PostgresURLError) {
        let shown = Self.hidingPassword(text)
        guard let rest = Self.afterScheme(text) else { throw PostgresURLError(.scheme, url: shown) }
        var authority = Substring(rest)
        var path: Substring = ""
        var query: Substring?
        if let end = authority.firstIndex(where: { $0 == "/" || $0 == "?" }) {
            var tail = authority[end...]
            authority = authority[..<end]
            if let mark = tail.firstIndex(of: "?") {
                query = tail[tail.index(after: mark)...]
                tail = tail[..<mark]
            }
            path = tail.drop { $0 == "/" }
        }
        if let at = authority.lastIndex(of: "@") {
            let userInfo = authority[..<at]
            authority = authority[authority.index(after: at)...]
            let userText = userInfo.firstIndex(of: ":").map { userInfo[..<$0] } ?? userInfo
            guard let user = decodeURIComponent(userText) else { throw PostgresURLError(.escape("user"), url: shown) }
            self.user = user.isEmpty ? nil : user
            if let colon = userInfo.firstIndex(of: ":") {
                guard let password = decodeURIComponent(userInfo[userInfo.index(after: colon)...]) else {
                    throw PostgresURLError(.escape("password"), url: shown)
                }
                self.password = password
            }
        }
        var hostText = authority
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw PostgresURLError(.bracket, url: shown) }
            hostText = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") {
                portText = after.dropFirst()
            } else if !after.isEmpty {
                throw PostgresURLError(.bracket, url: shown)
            }
        } else if let colon = authority.lastIndex(of: ":") {
            hostText = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        }
        host = hostText.isEmpty ? nil : String(hostText)
        if let portText {
            guard portText.allSatisfy({ ("0"..."9").contains($0) }), let port = Int(portText),
                (1...65_535).contains(port)
            else {
                throw PostgresURLError(.port(String(portText)), url: shown)
            }
            self.port = port
        }
        guard let database = decodeURIComponent(path) else { throw PostgresURLError(.escape("database"), url: shown) }
        self.database = database.isEmpty ? nil : database
        parameters = []
        for item in query?.split(separator: "&") ?? [] {
            guard let equals = item.firstIndex(of: "=") else {
                throw PostgresURLError(.parameter(String(item)), url: shown)
            }
            let name = String(item[..<equals])
            guard let value = decodeURIComponent(item[item.index(after: equals)...]) else {
                throw PostgresURLError(.escape("parameter '\(name)'"), url: shown)
            }
            parameters.append(Parameter(name: name, value: value))
        }
    }

    /// The value of a query parameter; when the name appears more than once, the last one wins.
    ///
    /// - Parameter name: The parameter's name, compared exactly.
    /// - Returns: The decoded value, or nil when the URL has no such parameter.
    public func parameter(_ name: String) -> String? {
        parameters.last { $0.name == name }?.value
    }

    /// The URL with its password hidden (`:***`), for messages and logs; always spelled
    /// `postgres://`, the parts in the order a URL has them.
    public var description: String {
        var text = "postgres://"
        if let user {
            text += user
            if password != nil { text += ":***" }
            text += "@"
        }
        if let host { text += host.contains(":") ? "[\(host)]" : host }
        if let port { text += ":\(port)" }
        text += "/" + (database ?? "")
        if !parameters.isEmpty {
            text += "?" + parameters.map { "\($0.name)=\($0.value)" }.joined(separator: "&")
        }
        return text
    }

    /// A URL as written with its password replaced by `***`, safe to quote in a message even when
    /// the URL does not parse.
    ///
    /// - Parameter text: A URL, `postgres://` or `postgresql://`.
    /// - Returns: `text` with the characters between `USER:` and `@` replaced by `***`; `text`
    ///   unchanged when it has another scheme or no password.
    public static func hidingPassword(_ text: String) -> String {
        guard let rest = afterScheme(text) else { return text }
        let authority = rest.prefix { $0 != "/" && $0 != "?" }
        guard let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") else {
            return text
        }
        return String(text[..<colon]) + ":***" + String(text[at...])
    }

    private static func afterScheme(_ text: String) -> Substring? {
        for scheme in ["postgres://", "postgresql://"] where text.hasPrefix(scheme) {
            return text.dropFirst(scheme.count)
        }
        return nil
    }
}

/// Why a PostgreSQL URL cannot be taken apart: a wrong scheme, a malformed %-escape, an unclosed
/// IPv6 bracket, a bad port or a query item without a value.
public struct PostgresURLError: Error, Sendable, Equatable, CustomStringConvertible {
    fileprivate enum Code: Equatable {
        case scheme
        case escape(String)
        case bracket
        case port(String)
        case parameter(String)
    }

    private let code: Code
    /// The URL as written, its password hidden.
    public let url: String

    fileprivate init(_ code: Code, url: String) {
        self.code = code
        self.url = url
    }

    /// What is wrong and what to write instead, without the URL, for a message that quotes the
    /// URL itself (`port 'x' is not a number from 1 to 65535`).
    public var problem: String {
        switch code {
        case .scheme: "it is not a PostgreSQL URL; write postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE"
        case .escape(let part): "the \(part) has a malformed %-escape"
        case .bracket: "an IPv6 host is written [ADDRESS] or [ADDRESS]:PORT"
        case .port(let port): "port '\(port)' is not a number from 1 to 65535"
        case .parameter(let item): "query parameter '\(item)' has no value; write NAME=VALUE"
        }
    }

    /// The quoted URL, password hidden, followed by ``problem``.
    public var description: String { "'\(url)': \(problem)" }
}
