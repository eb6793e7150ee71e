import Foundation
import Logging
import PostgresNIO

/// A throwaway PostgreSQL cluster in a temporary folder: `initdb` on first use (as the `postgres`
/// user when the tests run as root, since the server refuses root), one server on a free loopback
/// port, stopped and deleted when the test process exits. Each test gets its own database.
public final class PostgresCluster: Sendable {
    /// The folder of the data, the log and the Unix socket.
    public let folder: String
    /// The loopback port the server listens on.
    public let port: Int

    /// The cluster shared by every test of this process, started on first use.
    static let shared: Result<PostgresCluster, any Error> = {
        do {
            return .success(try PostgresCluster())
        } catch {
            return .failure(error)
        }
    }()

    public static func get() throws -> PostgresCluster { try shared.get() }

    private init() throws(TestSupportError) {
        let bin = try Self.binaryFolder()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "banyan-pg-\(UUID().uuidString.prefix(8))"
        ).path
        let data = folder + "/data"
        do {
            try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        } catch {
            throw TestSupportError("cannot create \(data): \(error)")
        }
        let asRoot = getuid() == 0
        if asRoot { try Self.run("/bin/chown", ["-R", "postgres:postgres", folder]) }
        func asOwner(_ tool: String, _ arguments: [String]) throws(TestSupportError) -> String {
            asRoot
                ? try Self.run("/usr/sbin/runuser", ["-u", "postgres", "--", "\(bin)/\(tool)"] + arguments)
                : try Self.run("\(bin)/\(tool)", arguments)
        }
        _ = try asOwner(
            "initdb", ["-D", data, "-U", "postgres", "--auth=trust", "--no-locale", "-E", "UTF8", "--no-sync"])
        var lastError: TestSupportError?
        for _ in 0..<5 {
            let port = Int.random(in: 20_000..<60_000)
            do {
                _ = try asOwner(
                    "pg_ctl",
                    [
                        "-D", data, "-w", "-t", "60", "-l", folder + "/server.log", "-o",
                        "-p \(port) -k \(folder) -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off "
                            + "-c max_connections=300",
                        "start",
                    ])
                self.folder = folder
                self.port = port
                let stop =
                    asRoot
                    ? "/usr/sbin/runuser -u postgres -- \(bin)/pg_ctl -D \(data) -m immediate stop"
                    : "\(bin)/pg_ctl -D \(data) -m immediate stop"
                PostgresCluster.stopCommands.append("\(stop) >/dev/null 2>&1; rm -rf \(folder)")
                atexit {
                    for command in PostgresCluster.stopCommands { _ = system(command) }
                }
                return
            } catch {
                lastError = error
            }
        }
        throw lastError ?? TestSupportError("PostgreSQL did not start")
    }

    nonisolated(unsafe) static var stopCommands: [String] = []

    /// `postgres://postgres@127.0.0.1:PORT/NAME`
    public func urlText(_ database: String) -> String { "postgres://postgres@127.0.0.1:\(port)/\(database)" }

    private static let logger: Logger = {
        var logger = Logger(label: "banyan.tests.postgres")
        logger.logLevel = .critical
        return logger
    }()

    /// Creates a fresh database named `PREFIX_` and eight random characters, and returns its name.
    public func createDatabase(_ prefix: String = "t") async throws -> String {
        let name = "\(prefix)_\(UUID().uuidString.prefix(8).lowercased())"
        try await execute("CREATE DATABASE \(name)")
        return name
    }

    /// A connection to `database` as the `postgres` user.
    private func connect(database: String) async throws -> PostgresConnection {
        try await PostgresConnection.connect(
            configuration: .init(
                host: "127.0.0.1", port: port, username: "postgres", password: nil, database: database,
                tls: .disable),
            id: 0, logger: Self.logger)
    }

    /// Runs one statement in `database`, as the `postgres` user.
    public func execute(_ sql: String, database: String = "postgres") async throws {
        let connection = try await connect(database: database)
        do {
            try await connection.query(PostgresQuery(unsafeSQL: sql), logger: Self.logger)
        } catch {
            try? await connection.close()
            throw TestSupportError("\(sql): \(String(reflecting: error))")
        }
        try await connection.close()
    }

    /// Runs a query that answers one integer (`SELECT count(*) …`) in `database`.
    public func integer(_ sql: String, database: String = "postgres") async throws -> Int {
        let connection = try await connect(database: database)
        do {
            let rows = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: Self.logger).collect()
            try await connection.close()
            guard let value = try rows.first?.decode(Int.self) else { throw TestSupportError("\(sql): no row") }
            return value
        } catch {
            try? await connection.close()
            throw TestSupportError("\(sql): \(String(reflecting: error))")
        }
    }

    static func binaryFolder() throws(TestSupportError) -> String {
        var candidates = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        if let versions = try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql") {
            candidates += versions.sorted().reversed().map { "/usr/lib/postgresql/\($0)/bin" }
        }
        for folder in candidates where FileManager.default.isExecutableFile(atPath: "\(folder)/initdb") {
            return folder
        }
        throw TestSupportError("PostgreSQL's initdb is not installed; scripts/setup.sh installs postgresql")
    }

    /// Runs a tool to completion (``spawnAndWait(_:_:environment:directory:output:error:timeLimit:)``:
    /// pg_ctl's server outlives it), its output to a file that is returned.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String]) throws(TestSupportError) -> String {
        let log: OutputFile
        do {
            log = try OutputFile()
        } catch {
            throw TestSupportError("cannot make a temporary file: \(error)")
        }
        let status: Int32?
        do {
            status = try spawnAndWait(
                executable, arguments, environment: nil, directory: nil, output: log.handle.fileDescriptor,
                error: log.handle.fileDescriptor, timeLimit: 180)
        } catch {
            throw TestSupportError(error.description)
        }
        guard status == 0 else {
            let how = status.map { "failed (\($0))" } ?? "did not end within 180 s"
            throw TestSupportError("\(executable) \(arguments.joined(separator: " ")) \(how):\n\(log.text())")
        }
        return log.text()
    }
}

/// A test's environment that is not as the test needs it, with what to do about it.
public struct TestSupportError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
