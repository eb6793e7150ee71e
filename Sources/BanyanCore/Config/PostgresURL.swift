/// A PostgreSQL connection URL, `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?NAME=VALUE&…]`
/// (also `postgresql://`), taken apart as written: what is left out stays nil, and each user of
/// the URL applies its own defaults. User, password, database and parameter values may be
/// %-escaped.
public struct PostgresURL: Sendable, Equatable, CustomStringConvertible {
    public var user: String?
    public var password: String?
    /// The host name or address (an IPv6 address without its brackets).
    public var host: String?
    public var port: Int?
    public var database: String?
    /// The query parameters, in the order written.
    public var parameters: [Parameter]

    /// One `NAME=VALUE` of the query.
    public struct Parameter: Sendable, Equatable {
        public var name: String
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

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

    /// Takes `text` apart; an error names what is wrong, quoting the URL with its password hidden.
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

    /// The value of the last parameter called `name`.
    public func parameter(_ name: String) -> String? {
        parameters.last { $0.name == name }?.value
    }

    /// The URL with its password hidden, for messages and logs.
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

    /// `text` with the password between `USER:` and `@` replaced by `***`.
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

/// Why a PostgreSQL URL cannot be taken apart.
public struct PostgresURLError: Error, Sendable, Equatable, CustomStringConvertible {
    fileprivate enum Code: Equatable {
        case scheme
        case escape(String)
        case bracket
        case port(String)
        case parameter(String)
    }

    private let code: Code
    /// The URL as written, password hidden.
    public let url: String

    fileprivate init(_ code: Code, url: String) {
        self.code = code
        self.url = url
    }

    /// What is wrong, without the URL.
    public var problem: String {
        switch code {
        case .scheme: "it is not a PostgreSQL URL; write postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE"
        case .escape(let part): "the \(part) has a malformed %-escape"
        case .bracket: "an IPv6 host is written [ADDRESS] or [ADDRESS]:PORT"
        case .port(let port): "port '\(port)' is not a number from 1 to 65535"
        case .parameter(let item): "query parameter '\(item)' has no value; write NAME=VALUE"
        }
    }

    public var description: String { "'\(url)': \(problem)" }
}
