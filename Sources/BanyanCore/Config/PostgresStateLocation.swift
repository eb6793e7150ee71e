/// Where a PostgreSQL state store lives: a `state:` value of the form
/// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?schema=NAME]` (also `postgresql://`;
/// `&host=/socket/folder` for a Unix socket), taken apart and checked.
///
/// A fleet of proxies shares one such database: route state, runtime changes and difference
/// aggregates live in it, and backfill workers on several machines claim their chunks from it.
/// What the URL leaves out gets PostgreSQL's usual defaults: host `127.0.0.1`, port 5432, user
/// `postgres`, and schema ``defaultSchema``.
public struct PostgresStateLocation: Sendable, Equatable, CustomStringConvertible {
    /// The schema the tables go in when the URL names none: `banyan`.
    public static let defaultSchema = "banyan"

    /// The server's host name or address, an IPv6 address without its brackets; `127.0.0.1` when
    /// the URL names none. Not used when ``socketDirectory`` is set.
    public var host: String
    /// The server's TCP port, or the number in the Unix socket's file name (`.s.PGSQL.5432`);
    /// 5432 when the URL names none.
    public var port: Int
    /// The role Banyan logs in as; `postgres` when the URL names none.
    public var user: String
    /// The role's password, %-escapes decoded; nil when the URL has none (a server that trusts
    /// the connection asks for no password).
    public var password: String?
    /// The database holding the state; the URL must name it.
    public var database: String
    /// The schema holding Banyan's tables (`?schema=NAME`), so that several migrations can share
    /// one database; a plain lower-case name of at most 63 bytes. ``defaultSchema`` by default.
    public var schema: String
    /// The folder of the server's Unix socket, when the URL gives `host=/folder`; nil to connect
    /// over TCP to ``host`` and ``port``.
    public var socketDirectory: String?

    /// Creates a location from its parts, without checking them.
    ///
    /// - Parameters:
    ///   - host: The server's host name or address.
    ///   - port: The server's port.
    ///   - user: The role to log in as.
    ///   - password: The role's password, or nil.
    ///   - database: The database holding the state.
    ///   - schema: The schema holding Banyan's tables.
    ///   - socketDirectory: The folder of the server's Unix socket, or nil for TCP.
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

    /// Reads a `state:` URL and applies the defaults for what it leaves out.
    ///
    /// - Parameter text: The URL as written in `state:` or on the command line.
    /// - Throws: ``StateLocationError`` when the URL does not parse (see ``PostgresURLError``),
    ///   names no database, has a query parameter other than `schema` and `host`, or names a schema
    ///   that is not a plain lower-case name. The message starts with `state:`, quotes the URL with
    ///   its password hidden and says what to write.
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

    /// The server as messages name it: `HOST:PORT` (`[V6]:PORT`), or the socket's path
    /// (`/var/run/postgresql/.s.PGSQL.5432`).
    public var server: String {
        if let socketDirectory { return "\(socketDirectory)/.s.PGSQL.\(port)" }
        return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// The location as a complete URL with its password hidden (`postgres://banyan:***@db:5432/app?schema=banyan`),
    /// defaults written out; for messages and logs.
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

/// A `state:` value that cannot be used, with a message for the user.
public struct StateLocationError: Error, Sendable, CustomStringConvertible {
    /// What is wrong, starting with `state:`, quoting the value with its password hidden and saying
    /// what to write instead.
    public let description: String

    /// Creates an error with the message a user sees.
    ///
    /// - Parameter description: What is wrong and what to write instead.
    public init(description: String) {
        self.description = description
    }
}
