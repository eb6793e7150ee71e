/// Where a PostgreSQL state store lives: a `state:` value of the form
/// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?schema=NAME]` (also `postgresql://`;
/// `&host=/socket/folder` for a Unix socket), taken apart and checked.
public struct PostgresStateLocation: Sendable, Equatable, CustomStringConvertible {
    /// The schema the tables go in when the URL names none.
    public static let defaultSchema = "banyan"

    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    /// The schema holding the tables, so that several migrations can share one database.
    public var schema: String
    /// A Unix socket folder, when `host=/folder` is given.
    public var socketDirectory: String?

    public init(
        host: String = "127.0.0.1", port: Int = 5432, user: String = "postgres", password: String? = nil,
        database: String, schema: String = defaultSchema, socketDirectory: String? = nil
    ) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
        self.schema = schema
        self.socketDirectory = socketDirectory
    }

    /// Reads a `state:` URL; the error names what is wrong with it and what to write.
    public init(parsing text: String) throws(StateLocationError) {
        let url: PostgresURL
        do {
            url = try PostgresURL(parsing: text)
        } catch {
            throw StateLocationError(description: "state: \(error.description)")
        }
        let shown = PostgresURL.hidingPassword(text)
        guard let database = url.database else {
            throw StateLocationError(
                description: "state: '\(shown)' names no database; write "
                    + "postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?schema=NAME]")
        }
        for parameter in url.parameters where !["schema", "host"].contains(parameter.name) {
            throw StateLocationError(
                description: "state: '\(shown)': unknown parameter '\(parameter.name)'; allowed: "
                    + "schema (default \(Self.defaultSchema)), host (a Unix socket folder)")
        }
        let schema = url.parameter("schema") ?? Self.defaultSchema
        guard Self.isPlainName(schema) else {
            throw StateLocationError(
                description: "state: '\(shown)': schema '\(schema)' is not a plain name; use lowercase letters, "
                    + "digits and _ (at most 63), starting with a letter or _")
        }
        self.init(
            host: url.host ?? "127.0.0.1", port: url.port ?? 5432, user: url.user ?? "postgres",
            password: url.password, database: database, schema: schema, socketDirectory: url.parameter("host"))
    }

    /// `HOST:PORT`, or the socket's path: the server, as messages name it.
    public var server: String {
        if let socketDirectory { return "\(socketDirectory)/.s.PGSQL.\(port)" }
        return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// The URL with its password hidden.
    public var description: String {
        let password = password == nil ? "" : ":***"
        let host = host.contains(":") ? "[\(host)]" : host
        var text = "postgres://\(user)\(password)@\(host):\(port)/\(database)?schema=\(schema)"
        if let socketDirectory { text += "&host=\(socketDirectory)" }
        return text
    }

    /// A name that needs no quoting and keeps its spelling: PostgreSQL folds unquoted names to
    /// lowercase and cuts them at 63 bytes.
    static func isPlainName(_ name: String) -> Bool {
        guard let first = name.utf8.first, name.utf8.count <= 63 else { return false }
        func isLetter(_ byte: UInt8) -> Bool {
            byte == UInt8(ascii: "_") || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
        }
        return isLetter(first)
            && name.utf8.allSatisfy { isLetter($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }
}

/// A state location that cannot be used.
public struct StateLocationError: Error, Sendable, CustomStringConvertible {
    public let description: String

    public init(description: String) {
        self.description = description
    }
}
