import BanyanCore

/// Where a table lives: `sqlite:PATH` (a file, created when missing) or
/// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE` (also `postgresql://`; `?host=/socket/dir` for a
/// Unix socket).
public enum DatabaseURL: Sendable, Equatable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(PostgresTarget)

    public struct PostgresTarget: Sendable, Equatable {
        public var host: String
        public var port: Int
        public var user: String
        public var password: String?
        public var database: String
        /// A Unix socket directory, when `?host=/dir` is given.
        public var socketDirectory: String?
    }

    public init(parsing text: String) throws(DataError) {
        if text.hasPrefix("sqlite:") {
            var path = String(text.dropFirst("sqlite:".count))
            if path.hasPrefix("//") { path = String(path.dropFirst(2)) }
            guard !path.isEmpty else {
                throw DataError(.usage, "'\(text)': write sqlite:PATH, for example sqlite:legacy.db")
            }
            self = .sqlite(path: path)
            return
        }
        guard PostgresURL.hasScheme(text) else {
            throw DataError(
                .usage,
                "'\(text)' is not a database URL; write sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DATABASE")
        }
        let url: PostgresURL
        do {
            url = try PostgresURL(parsing: text)
        } catch {
            throw DataError(.usage, error.description, cause: error)
        }
        let user = url.user ?? "postgres"
        self = .postgres(
            PostgresTarget(
                host: url.host ?? "127.0.0.1", port: url.port ?? 5432, user: user, password: url.password,
                database: url.database ?? user, socketDirectory: url.parameter("host")))
    }

    /// The URL with its password hidden, for reports and logs.
    public var description: String {
        switch self {
        case .sqlite(let path): return "sqlite:\(path)"
        case .postgres(let target):
            let password = target.password == nil ? "" : ":***"
            let socket = target.socketDirectory.map { "?host=\($0)" } ?? ""
            return "postgres://\(target.user)\(password)@\(target.host):\(target.port)/\(target.database)\(socket)"
        }
    }
}

/// An error of the data commands: what went wrong, naming the table, key and column where there is one.
public typealias DataError = BanyanError<DataErrorDomain>

/// The domain of ``DataError``: where its codes are declared.
public enum DataErrorDomain: ErrorDomain {
    /// `DataError`.
    public static let errorName = "DataError"
}

extension ErrorCode where Owner == DataErrorDomain {
    /// An option, URL, mapping or file that cannot be used as given.
    public static let usage = Self("usage")
    /// The database cannot be reached or refused a statement.
    public static let database = Self("database")
    /// A row that cannot be converted or written.
    public static let row = Self("row")
}
