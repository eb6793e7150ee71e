import BanyanCore
import Foundation
import Logging
import NIOCore
import SQLiteNIO

/// A table store in one SQLite file (the driver bundles SQLite; WAL journal, so readers and one
/// writer work at once, and a killed process loses at most the transaction it was in).
public final class SQLiteStore: DataStore {
    public let url: DatabaseURL
    public var engine: DataEngine { .sqlite }
    let connection: SQLiteConnection
    let path: String

    init(url: DatabaseURL, path: String, connection: SQLiteConnection) {
        self.url = url
        self.path = path
        self.connection = connection
    }

    public static func open(_ url: DatabaseURL) async throws -> SQLiteStore {
        guard case .sqlite(let path) = url else { throw DataError(.usage, "\(url) is not an SQLite URL") }
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty {
            try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        var logger = Logger(label: "banyan.sqlite")
        logger.logLevel = .critical
        let connection: SQLiteConnection
        do {
            connection = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        } catch {
            throw DataError(.database, "\(url): cannot open: \(error)", cause: error)
        }
        let store = SQLiteStore(url: url, path: path, connection: connection)
        try await store.execute("PRAGMA busy_timeout = 10000")
        _ = try await store.rows("PRAGMA journal_mode = WAL", [])
        try await store.execute("PRAGMA synchronous = NORMAL")
        return store
    }

    public func close() async throws { try await connection.close() }

    /// Rows of a query as SQLite values.
    func rows(_ sql: String, _ binds: [SQLiteData]) async throws -> [[SQLiteData]] {
        let collector = RowCollector()
        do {
            try await connection.query(sql, binds) { row in collector.append(row.columns.map(\.data)) }
        } catch {
            throw DataError(.database, "\(url): \(error) in: \(sql.prefix(200))", cause: error)
        }
        return collector.rows
    }

    public func execute(_ sql: String) async throws { _ = try await rows(sql, []) }

    public func select(_ sql: String, _ parameters: [DataValue]) async throws -> [[DataValue]] {
        try await rows(sql, parameters.map { Self.encode($0) }).map { $0.map(Self.decode) }
    }

    public func tableInfo(_ table: String) async throws -> TableInfo {
        let rows = try await rows("PRAGMA table_info(\(quoted(table)))", [])
        guard !rows.isEmpty else { throw DataError(.usage, "table \(table) does not exist in \(url)") }
        var columns = [TableInfo.Column]()
        var key = [(Int, String)]()
        for row in rows {
            let name = row[1].string ?? ""
            let declared = row[2].string ?? ""
            columns.append(.init(name: name, declaredType: declared, type: Self.columnType(declared)))
            if let position = row[5].integer, position > 0 { key.append((position, name)) }
        }
        return TableInfo(name: table, columns: columns, primaryKey: key.sorted { $0.0 < $1.0 }.map(\.1))
    }

    /// SQLite's type affinity rules, after the names Banyan knows (TIMESTAMP, BOOLEAN, JSON…).
    static func columnType(_ declared: String) -> ColumnType {
        if let known = ColumnType(name: declared) { return known }
        let upper = declared.uppercased()
        if upper.contains("INT") { return .integer }
        if upper.contains("CHAR") || upper.contains("CLOB") || upper.contains("TEXT") { return .text }
        if upper.isEmpty || upper.contains("BLOB") { return .blob }
        if upper.contains("REAL") || upper.contains("FLOA") || upper.contains("DOUB") { return .real }
        if upper.contains("TIME") || upper.contains("DATE") { return .timestamp }
        if upper.contains("BOOL") { return .boolean }
        return .numeric(scale: nil)
    }

    public func count(_ table: String, filter: WatermarkFilter?) async throws -> Int {
        var sql = "SELECT count(*) FROM \(quoted(table))"
        var binds = [SQLiteData]()
        if let filter {
            sql += " WHERE \(quoted(filter.column)) >= ?"
            binds.append(Self.encode(filter.value))
        }
        return try await rows(sql, binds).first?.first?.integer ?? 0
    }

    public func readChunk(
        table: TableInfo, columns: [String], key: [String], after: RowKey?, through: RowKey?, limit: Int,
        filter: WatermarkFilter?
    ) async throws -> [[DataValue]] {
        var conditions = [String]()
        var binds = [SQLiteData]()
        let (keyList, placeholders) = Self.keyTuple(key)
        if let after {
            conditions.append("\(keyList) > \(placeholders)")
            binds += after.values.map { Self.encode($0) }
        }
        if let through {
            conditions.append("\(keyList) <= \(placeholders)")
            binds += through.values.map { Self.encode($0) }
        }
        if let filter {
            conditions.append("\(quoted(filter.column)) >= ?")
            binds.append(Self.encode(filter.value))
        }
        var sql = "SELECT \(quotedList(columns)) FROM \(quoted(table.name))"
        if !conditions.isEmpty { sql += " WHERE " + conditions.joined(separator: " AND ") }
        sql += " ORDER BY \(quotedList(key)) LIMIT \(limit)"
        return try await rows(sql, binds).map { $0.map(Self.decode) }
    }

    public func write(_ chunk: ChunkWrite, checkpoint: Checkpoint?) async throws -> ChunkWriteResult {
        if checkpoint != nil {
            try await execute(
                "CREATE TABLE IF NOT EXISTS \(checkpointTable) (job TEXT PRIMARY KEY, last_key TEXT NOT NULL, "
                    + "rows_done INTEGER NOT NULL, updated_at TEXT NOT NULL)")
        }
        let table = chunk.table
        let columns = chunk.columns
        let key = chunk.key
        try await execute("BEGIN IMMEDIATE")
        do {
            var result = ChunkWriteResult(applied: 0)
            let (keyList, placeholders) = Self.keyTuple(key)
            for start in stride(from: 0, to: chunk.deleting.count, by: 500) {
                let batch = chunk.deleting[start..<min(chunk.deleting.count, start + 500)]
                _ = try await rows(
                    "DELETE FROM \(quoted(table.name)) WHERE \(keyList) IN "
                        + "(\(Array(repeating: placeholders, count: batch.count).joined(separator: ", ")))",
                    batch.flatMap { $0.values.map { Self.encode($0) } })
                result.deleted += try await rows("SELECT changes()", []).first?.first?.integer ?? 0
            }
            if !chunk.rows.isEmpty {
                let updates = columns.filter { !key.contains($0) }
                var conflict = " ON CONFLICT (\(quotedList(key))) DO "
                if updates.isEmpty {
                    conflict += "NOTHING"
                } else {
                    conflict +=
                        "UPDATE SET " + updates.map { "\(quoted($0)) = excluded.\(quoted($0))" }.joined(separator: ", ")
                    if let version = chunk.version {
                        let versionType = chunk.types[columns.firstIndex(of: version)!]
                        let (incoming, stored) =
                            versionType == .timestamp
                            ? (
                                "unixepoch(excluded.\(quoted(version)), 'subsec')",
                                "unixepoch(\(quoted(table.name)).\(quoted(version)), 'subsec')"
                            )
                            : ("excluded.\(quoted(version))", "\(quoted(table.name)).\(quoted(version))")
                        let comparison = chunk.versionRule == .strictlyNewer ? ">" : ">="
                        conflict += " WHERE \(stored) IS NULL OR \(incoming) \(comparison) \(stored)"
                    }
                }
                let tuple = "(" + columns.map { _ in "?" }.joined(separator: ", ") + ")"
                let perStatement = max(1, min(500, 30_000 / max(1, columns.count)))
                var start = 0
                while start < chunk.rows.count {
                    let batch = chunk.rows[start..<min(chunk.rows.count, start + perStatement)]
                    var binds = [SQLiteData]()
                    binds.reserveCapacity(batch.count * columns.count)
                    for row in batch {
                        for (index, value) in row.enumerated() {
                            binds.append(Self.encode(value, as: chunk.types[index]))
                        }
                    }
                    let sql =
                        "INSERT INTO \(quoted(table.name)) (\(quotedList(columns))) VALUES "
                        + Array(repeating: tuple, count: batch.count).joined(separator: ", ") + conflict
                    _ = try await self.rows(sql, binds)
                    result.applied += try await self.rows("SELECT changes()", []).first?.first?.integer ?? 0
                    start += perStatement
                }
            }
            if let checkpoint {
                _ = try await self.rows(
                    "INSERT INTO \(checkpointTable) (job, last_key, rows_done, updated_at) VALUES (?, ?, ?, ?) "
                        + "ON CONFLICT (job) DO UPDATE SET last_key = excluded.last_key, "
                        + "rows_done = excluded.rows_done, updated_at = excluded.updated_at",
                    [
                        .text(checkpoint.job), .text(checkpoint.lastKey.checkpointText), .integer(checkpoint.rowsDone),
                        .text(UTCTimestamp.iso8601(micros: Int64(Date().timeIntervalSince1970 * 1_000_000))),
                    ])
            }
            try await execute("COMMIT")
            return result
        } catch {
            try? await execute("ROLLBACK")
            throw error
        }
    }

    public func readRows(table: TableInfo, columns: [String], key: [String], keys: [RowKey]) async throws
        -> [[DataValue]]
    {
        let (keyList, placeholders) = Self.keyTuple(key)
        var out = [[DataValue]]()
        for start in stride(from: 0, to: keys.count, by: 500) {
            let batch = keys[start..<min(keys.count, start + 500)]
            out += try await rows(
                "SELECT \(quotedList(columns)) FROM \(quoted(table.name)) WHERE \(keyList) IN "
                    + "(\(Array(repeating: placeholders, count: batch.count).joined(separator: ", "))) "
                    + "ORDER BY \(quotedList(key))",
                batch.flatMap { $0.values.map { Self.encode($0) } }
            ).map { $0.map(Self.decode) }
        }
        return out
    }

    public func keyAfter(table: TableInfo, key: [String], after: RowKey?, skipping: Int) async throws -> RowKey? {
        var sql = "SELECT \(quotedList(key)) FROM \(quoted(table.name))"
        var binds = [SQLiteData]()
        if let after {
            let (keyList, placeholders) = Self.keyTuple(key)
            sql += " WHERE \(keyList) > \(placeholders)"
            binds = after.values.map { Self.encode($0) }
        }
        sql += " ORDER BY \(quotedList(key)) LIMIT 1 OFFSET \(max(0, skipping - 1))"
        return try await rows(sql, binds).first.map { RowKey($0.map(Self.decode)) }
    }

    public func readCheckpoint(job: String) async throws -> Checkpoint? {
        let exists = try await rows(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [.text(checkpointTable)])
        guard !exists.isEmpty else { return nil }
        let found = try await rows(
            "SELECT last_key, rows_done FROM \(checkpointTable) WHERE job = ?", [.text(job)])
        guard let row = found.first, let text = row[0].string, let key = RowKey(checkpointText: text) else {
            return nil
        }
        return Checkpoint(job: job, lastKey: key, rowsDone: row[1].integer ?? 0)
    }

    public func clearCheckpoint(job: String) async throws {
        let exists = try await rows(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [.text(checkpointTable)])
        guard !exists.isEmpty else { return }
        _ = try await rows("DELETE FROM \(checkpointTable) WHERE job = ?", [.text(job)])
    }

    /// `"id"` and `?`, or `("a", "b")` and `(?, ?)`: a key and its placeholders for comparisons and IN lists.
    static func keyTuple(_ key: [String]) -> (columns: String, placeholders: String) {
        key.count == 1
            ? (quoted(key[0]), "?") : ("(\(quotedList(key)))", "(\(key.map { _ in "?" }.joined(separator: ", ")))")
    }

    static func decode(_ data: SQLiteData) -> DataValue {
        switch data {
        case .integer(let value): .integer(Int64(value))
        case .float(let value): .real(value)
        case .text(let value): .text(value)
        case .blob(let buffer): .blob(Array(buffer.readableBytesView))
        case .null: .null
        }
    }

    /// How a value is stored in SQLite: timestamps as ISO 8601 text with at least milliseconds
    /// (JavaScript's `toISOString` form, which sorts as text), booleans as 0/1, JSON as text.
    static func encode(_ value: DataValue, as type: ColumnType? = nil) -> SQLiteData {
        switch value {
        case .null: return .null
        case .integer(let v): return .integer(SQLiteInt64(v))
        case .real(let v): return .float(v)
        case .numeric(let lexeme):
            if let integer = Int64(lexeme) { return .integer(SQLiteInt64(integer)) }
            return .text(lexeme)
        case .text(let v), .json(let v): return .text(v)
        case .boolean(let v): return .integer(v ? 1 : 0)
        case .timestamp(let micros): return .text(UTCTimestamp.iso8601(micros: micros, minimumDigits: 3))
        case .blob(let bytes): return .blob(ByteBuffer(bytes: bytes))
        }
    }
}

/// Collects the rows SQLiteNIO hands to its callback.
final class RowCollector: @unchecked Sendable {
    // @unchecked: the callback runs on the one thread-pool thread executing the statement, one row
    // after another, and `rows` is read only after the query's await returned; the lock makes the
    // hand-over between those threads explicit.
    private let lock = NSLock()
    private var storage: [[SQLiteData]] = []

    func append(_ row: [SQLiteData]) {
        lock.lock()
        storage.append(row)
        lock.unlock()
    }

    var rows: [[SQLiteData]] {
        lock.lock()
        defer { lock.unlock() }
        return storage
    }
}
