import Foundation

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
                throw DataError.usage("'\(text)': write sqlite:PATH, for example sqlite:legacy.db")
            }
            self = .sqlite(path: path)
            return
        }
        guard text.hasPrefix("postgres://") || text.hasPrefix("postgresql://"),
            let components = URLComponents(string: text)
        else {
            throw DataError.usage(
                "'\(text)' is not a database URL; write sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DATABASE")
        }
        let socket = components.queryItems?.first { $0.name == "host" }?.value
        let database = String(components.path.drop { $0 == "/" })
        self = .postgres(
            PostgresTarget(
                host: components.host.flatMap { $0.isEmpty ? nil : $0 } ?? "127.0.0.1", port: components.port ?? 5432,
                user: components.user ?? "postgres", password: components.password,
                database: database.isEmpty ? (components.user ?? "postgres") : database,
                socketDirectory: socket))
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
public struct DataError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable { case usage, database, row }
    public let kind: Kind
    public let message: String

    public var description: String { message }

    public static func usage(_ message: String) -> DataError { DataError(kind: .usage, message: message) }
    public static func database(_ message: String) -> DataError { DataError(kind: .database, message: message) }
    public static func row(_ message: String) -> DataError { DataError(kind: .row, message: message) }
}
