import BanyanCore
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// A table store in a PostgreSQL database, over one connection (session time zone UTC).
public final class PostgresStore: DataStore {
    public let url: DatabaseURL
    public var engine: DataEngine { .postgres }
    let connection: PostgresConnection
    let logger: Logger
    /// Text keys are ordered byte-wise (`COLLATE "C"`) unless the database already does so,
    /// so that they merge with SQLite's order.
    let needsByteCollation: Bool
    /// Whether chunks are first tried as a plain COPY (see `writeChunk`).
    let directCopy = DirectCopyPolicy()

    init(url: DatabaseURL, connection: PostgresConnection, logger: Logger, needsByteCollation: Bool) {
        self.url = url
        self.connection = connection
        self.logger = logger
        self.needsByteCollation = needsByteCollation
    }

    public static func open(_ url: DatabaseURL) async throws -> PostgresStore {
        guard case .postgres(let target) = url else { throw DataError(.usage, "\(url) is not a PostgreSQL URL") }
        var logger = Logger(label: "banyan.postgres")
        logger.logLevel = .critical
        let configuration: PostgresConnection.Configuration
        if let directory = target.socketDirectory {
            configuration = .init(
                unixSocketPath: "\(directory)/.s.PGSQL.\(target.port)", username: target.user,
                password: target.password, database: target.database)
        } else {
            configuration = .init(
                host: target.host, port: target.port, username: target.user, password: target.password,
                database: target.database, tls: .disable)
        }
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
        } catch {
            throw DataError(.database, "\(url): cannot connect: \(String(reflecting: error))", cause: error)
        }
        _ = try? await connection.query("SET TimeZone = 'UTC'", logger: logger)
        var byteOrder = false
        if let rows = try? await connection.query(
            "SELECT datcollate FROM pg_database WHERE datname = current_database()", logger: logger
        ).collect(), let collation = try? rows.first?.decode(String.self) {
            byteOrder = collation == "C" || collation == "POSIX"
        }
        return PostgresStore(url: url, connection: connection, logger: logger, needsByteCollation: !byteOrder)
    }

    public func close() async throws { try await connection.close() }

    func query(_ sql: String, _ binds: PostgresBindings = PostgresBindings()) async throws -> [PostgresRow] {
        do {
            return try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger).collect()
        } catch let error as PSQLError {
            let message = error.serverInfo?[.message] ?? String(reflecting: error)
            let detail = error.serverInfo?[.detail].map { " (\($0))" } ?? ""
            throw DataError(.database, "\(url): \(message)\(detail) in: \(sql.prefix(300))", cause: error)
        }
    }

    public func execute(_ sql: String) async throws { _ = try await query(sql) }

    public func select(_ sql: String, _ parameters: [DataValue]) async throws -> [[DataValue]] {
        var binds = PostgresBindings()
        for value in parameters { _ = Self.parameter(value, index: binds.count + 1, binds: &binds) }
        return try await query(sql, binds).map { row in
            row.map { cell -> DataValue in
                guard cell.bytes != nil else { return .null }
                switch cell.dataType {
                case .int2, .int4, .int8: return (try? cell.decode(Int64.self)).map(DataValue.integer) ?? .null
                case .float4, .float8: return (try? cell.decode(Double.self)).map(DataValue.real) ?? .null
                case .bool: return (try? cell.decode(Bool.self)).map(DataValue.boolean) ?? .null
                case .numeric: return (try? cell.decode(String.self)).map(DataValue.numeric) ?? .null
                default: return (try? cell.decode(String.self)).map(DataValue.text) ?? .null
                }
            }
        }
    }

    public func tableInfo(_ table: String) async throws -> TableInfo {
        var binds = PostgresBindings()
        binds.append(table)
        let rows = try await query(
            """
            SELECT a.attname, format_type(a.atttypid, a.atttypmod)
            FROM pg_attribute a
            WHERE a.attrelid = to_regclass(quote_ident($1)) AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY a.attnum
            """, binds)
        guard !rows.isEmpty else { throw DataError(.usage, "table \(table) does not exist in \(url)") }
        var columns = [TableInfo.Column]()
        for row in rows {
            let (name, declared) = try row.decode((String, String).self)
            columns.append(.init(name: name, declaredType: declared, type: ColumnType(name: declared) ?? .text))
        }
        let keyRows = try await query(
            """
            SELECT a.attname FROM pg_index i
            JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, position) ON true
            JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
            WHERE i.indrelid = to_regclass(quote_ident($1)) AND i.indisprimary
            ORDER BY k.position
            """, binds)
        let key = try keyRows.map { try $0.decode(String.self) }
        return TableInfo(name: table, columns: columns, primaryKey: key)
    }

    public func count(_ table: String, filter: WatermarkFilter?) async throws -> Int {
        var binds = PostgresBindings()
        var sql = "SELECT count(*) FROM \(quoted(table))"
        if let filter {
            sql += " WHERE \(quoted(filter.column)) >= \(Self.parameter(filter.value, index: 1, binds: &binds))"
        }
        return Int(try await query(sql, binds).first?.decode(Int64.self) ?? 0)
    }

    /// How a column is selected and decoded: exact types travel as text or as epoch microseconds.
    enum ReadKind { case integer, real, boolean, text, numeric, json, timestamp, bytes }

    static func readKind(_ column: TableInfo.Column) -> ReadKind {
        switch column.type {
        case .integer: .integer
        case .real: .real
        case .boolean: .boolean
        case .numeric: .numeric
        case .json: .json
        case .timestamp: .timestamp
        case .blob: .bytes
        case .text: .text
        }
    }

    static func selectExpression(_ column: TableInfo.Column) -> String {
        let name = quoted(column.name)
        switch readKind(column) {
        case .integer: return "\(name)::int8"
        case .real: return "\(name)::float8"
        case .timestamp:
            let value = column.declaredType == "date" ? "\(name)::timestamp" : name
            return "(extract(epoch FROM \(value)) * 1000000)::int8"
        case .boolean, .bytes: return name
        case .text, .numeric, .json: return "\(name)::text"
        }
    }

    func keyExpression(_ table: TableInfo, _ key: [String]) -> [String] {
        key.map { name in
            let textual = table.column(name).map { Self.readKind($0) == .text } ?? false
            return textual && needsByteCollation ? "\(quoted(name)) COLLATE \"C\"" : quoted(name)
        }
    }

    public func readChunk(
        table: TableInfo, columns: [String], key: [String], after: RowKey?, through: RowKey?, limit: Int,
        filter: WatermarkFilter?
    ) async throws -> [[DataValue]] {
        var binds = PostgresBindings()
        var conditions = [String]()
        let keys = keyExpression(table, key)
        let keyList = keys.count == 1 ? keys[0] : "(\(keys.joined(separator: ", ")))"
        if let after { conditions.append("\(keyList) > \(Self.tuple(after, binds: &binds))") }
        if let through { conditions.append("\(keyList) <= \(Self.tuple(through, binds: &binds))") }
        if let filter {
            conditions.append(
                "\(quoted(filter.column)) >= \(Self.parameter(filter.value, index: binds.count + 1, binds: &binds))")
        }
        return try await readChunk(
            table: table, columns: columns, key: key,
            condition: conditions.isEmpty ? nil : conditions.joined(separator: " AND "), binds: binds, limit: limit)
    }

    /// Rows matching `condition` in key order, at most `limit` of them.
    func readChunk(
        table: TableInfo, columns: [String], key: [String], condition: String?, binds: PostgresBindings, limit: Int?
    ) async throws -> [[DataValue]] {
        let infos = try columns.map { name in
            guard let column = table.column(name) else {
                throw DataError(.usage, "table \(table.name) in \(url) has no column \(name)")
            }
            return column
        }
        let kinds = infos.map(Self.readKind)
        var sql = "SELECT \(infos.map(Self.selectExpression).joined(separator: ", ")) FROM \(quoted(table.name))"
        if let condition { sql += " WHERE " + condition }
        sql += " ORDER BY \(keyExpression(table, key).joined(separator: ", "))"
        if let limit { sql += " LIMIT \(limit)" }
        let rows = try await query(sql, binds)
        var out = [[DataValue]]()
        out.reserveCapacity(rows.count)
        for row in rows {
            var values = [DataValue]()
            values.reserveCapacity(kinds.count)
            for (index, cell) in row.makeRandomAccess().enumerated() {
                values.append(try Self.decode(cell, kinds[index], table: table.name, column: columns[index]))
            }
            out.append(values)
        }
        return out
    }

    static func decode(_ cell: PostgresCell, _ kind: ReadKind, table: String, column: String) throws -> DataValue {
        guard cell.bytes != nil else { return .null }
        do {
            switch kind {
            case .integer: return .integer(try cell.decode(Int64.self))
            case .timestamp: return .timestamp(try cell.decode(Int64.self))
            case .real: return .real(try cell.decode(Double.self))
            case .boolean: return .boolean(try cell.decode(Bool.self))
            case .text: return .text(try cell.decode(String.self))
            case .numeric: return .numeric(try cell.decode(String.self))
            case .json: return .json(try cell.decode(String.self))
            case .bytes: return .blob(Array(try cell.decode(ByteBuffer.self).readableBytesView))
            }
        } catch {
            throw DataError(
                .database, "table \(table) column \(column): cannot decode \(cell.dataType): \(error)", cause: error)
        }
    }

    /// Appends a key's values as bind parameters and returns `$1` or `($1, $2)`.
    static func tuple(_ key: RowKey, binds: inout PostgresBindings) -> String {
        let parameters = key.values.map { parameter($0, index: binds.count + 1, binds: &binds) }
        return parameters.count == 1 ? parameters[0] : "(\(parameters.joined(separator: ", ")))"
    }

    /// Appends a value as a bind parameter and returns its placeholder (with a cast for types sent as text).
    static func parameter(_ value: DataValue, index: Int, binds: inout PostgresBindings) -> String {
        switch value {
        case .integer(let v):
            binds.append(v)
            return "$\(index)"
        case .text(let v):
            binds.append(v)
            return "$\(index)"
        case .timestamp(let micros):
            binds.append(UTCTimestamp.iso8601(micros: micros))
            return "$\(index)::timestamptz"
        case .real(let v):
            binds.append(v)
            return "$\(index)"
        case .boolean(let v):
            binds.append(v)
            return "$\(index)"
        case .numeric(let v):
            binds.append(v)
            return "$\(index)::numeric"
        case .json(let v):
            binds.append(v)
            return "$\(index)::jsonb"
        case .blob(let bytes):
            binds.append(ByteBuffer(bytes: bytes))
            return "$\(index)"
        case .null:
            binds.appendNull()
            return "$\(index)"
        }
    }

    public func write(_ chunk: ChunkWrite, checkpoint: Checkpoint?) async throws -> ChunkWriteResult {
        if checkpoint != nil { try await createCheckpointTable() }
        return try await inTransaction {
            let result = try await writeRows(chunk)
            if let checkpoint { try await storeCheckpoint(checkpoint) }
            return result
        }
    }

    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws.
    func inTransaction<T>(_ body: () async throws -> T) async throws -> T {
        try await execute("BEGIN")
        do {
            let result = try await body()
            try await execute("COMMIT")
            return result
        } catch {
            try? await execute("ROLLBACK")
            throw error
        }
    }

    func createCheckpointTable() async throws {
        try await execute(
            "CREATE TABLE IF NOT EXISTS \(checkpointTable) (job text PRIMARY KEY, last_key text NOT NULL, "
                + "rows_done bigint NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())")
    }

    func storeCheckpoint(_ checkpoint: Checkpoint) async throws {
        var binds = PostgresBindings()
        binds.append(checkpoint.job)
        binds.append(checkpoint.lastKey.checkpointText)
        binds.append(Int64(checkpoint.rowsDone))
        try await _ = query(
            "INSERT INTO \(checkpointTable) (job, last_key, rows_done, updated_at) VALUES ($1, $2, $3, now()) "
                + "ON CONFLICT (job) DO UPDATE SET last_key = EXCLUDED.last_key, "
                + "rows_done = EXCLUDED.rows_done, updated_at = now()", binds)
    }

    /// Upserts and deletes a chunk inside the caller's transaction.
    func writeRows(_ chunk: ChunkWrite) async throws -> ChunkWriteResult {
        let table = chunk.table
        let columns = chunk.columns
        let rows = chunk.rows
        let key = chunk.key
        var result = ChunkWriteResult(applied: 0)
        if !chunk.deleting.isEmpty {
            result.deleted = try await deleteRows(table: table, key: key, keys: chunk.deleting)
        }
        guard !rows.isEmpty else { return result }
        let stageName = "banyan_stage_\(table.name)"
        let stage = quoted(stageName)
        if let odd = ([table.name] + columns).first(where: { $0.contains("\"") }) {
            throw DataError(
                .usage, "table \(table.name): the name \(odd) contains a double quote, which COPY cannot take")
        }
        var buffer = ByteBuffer()
        buffer.reserveCapacity(rows.count * columns.count * 16)
        for row in rows {
            for (index, value) in row.enumerated() {
                if index > 0 { buffer.writeInteger(UInt8(9)) }
                Self.writeCopyText(value, to: &buffer)
            }
            buffer.writeInteger(UInt8(10))
        }
        // Fast path: COPY straight into the table, inside a savepoint. It can only insert (a key
        // that exists fails the whole COPY with unique_violation), so it never overwrites a row;
        // on a conflict the chunk goes the upsert way below.
        if directCopy.shouldTry() {
            try await execute("SAVEPOINT banyan_direct")
            do {
                try await copy(buffer, into: table.name, columns: columns)
                try await execute("RELEASE SAVEPOINT banyan_direct")
                directCopy.record(success: true)
                result.applied = rows.count
                return result
            } catch is CopyConflict {
                try await execute("ROLLBACK TO SAVEPOINT banyan_direct")
                directCopy.record(success: false)
            }
        }
        // Rows travel by COPY into a temporary twin of the table, then one INSERT … ON CONFLICT
        // moves them, newer wins: far fewer round trips than row-by-row upserts.
        try await execute(
            "CREATE TEMP TABLE IF NOT EXISTS \(stage) (LIKE \(quoted(table.name)) INCLUDING DEFAULTS) "
                + "ON COMMIT DELETE ROWS")
        try await copy(buffer, into: stageName, columns: columns)
        let updates = columns.filter { !key.contains($0) }
        var sql =
            "WITH written AS (INSERT INTO \(quoted(table.name)) AS t (\(quotedList(columns))) "
            + "SELECT \(quotedList(columns)) FROM \(stage) ON CONFLICT (\(quotedList(key))) DO "
        if updates.isEmpty {
            sql += "NOTHING"
        } else {
            sql += "UPDATE SET " + updates.map { "\(quoted($0)) = EXCLUDED.\(quoted($0))" }.joined(separator: ", ")
            if let version = chunk.version {
                let comparison = chunk.versionRule == .strictlyNewer ? ">" : ">="
                sql +=
                    " WHERE t.\(quoted(version)) IS NULL OR EXCLUDED.\(quoted(version)) \(comparison) t.\(quoted(version))"
            }
        }
        sql += " RETURNING 1) SELECT count(*) FROM written"
        result.applied = Int(try await query(sql).first?.decode(Int64.self) ?? 0)
        // The stage empties at commit (ON COMMIT DELETE ROWS): one writeRows per transaction.
        return result
    }

    func deleteRows(table: TableInfo, key: [String], keys: [RowKey]) async throws -> Int {
        var deleted = 0
        let keyList = key.count == 1 ? quoted(key[0]) : "(\(quotedList(key)))"
        for start in stride(from: 0, to: keys.count, by: 500) {
            var binds = PostgresBindings()
            let tuples = keys[start..<min(keys.count, start + 500)].map { Self.tuple($0, binds: &binds) }
            let rows = try await query(
                "WITH gone AS (DELETE FROM \(quoted(table.name)) WHERE \(keyList) IN (\(tuples.joined(separator: ", "))) "
                    + "RETURNING 1) SELECT count(*) FROM gone", binds)
            deleted += Int(try rows.first?.decode(Int64.self) ?? 0)
        }
        return deleted
    }

    public func readRows(table: TableInfo, columns: [String], key: [String], keys: [RowKey]) async throws
        -> [[DataValue]]
    {
        let keyList = key.count == 1 ? quoted(key[0]) : "(\(quotedList(key)))"
        var out = [[DataValue]]()
        for start in stride(from: 0, to: keys.count, by: 500) {
            var binds = PostgresBindings()
            let tuples = keys[start..<min(keys.count, start + 500)].map { Self.tuple($0, binds: &binds) }
            out += try await readChunk(
                table: table, columns: columns, key: key,
                condition: "\(keyList) IN (\(tuples.joined(separator: ", ")))",
                binds: binds, limit: nil)
        }
        return out
    }

    public func keyAfter(table: TableInfo, key: [String], after: RowKey?, skipping: Int) async throws -> RowKey? {
        let keys = keyExpression(table, key)
        var binds = PostgresBindings()
        var sql =
            "SELECT \(key.map { Self.selectExpression(table.column($0)!) }.joined(separator: ", ")) "
            + "FROM \(quoted(table.name))"
        if let after {
            let keyList = keys.count == 1 ? keys[0] : "(\(keys.joined(separator: ", ")))"
            sql += " WHERE \(keyList) > \(Self.tuple(after, binds: &binds))"
        }
        sql += " ORDER BY \(keys.joined(separator: ", ")) LIMIT 1 OFFSET \(max(0, skipping - 1))"
        guard let row = try await query(sql, binds).first else { return nil }
        let kinds = key.map { Self.readKind(table.column($0)!) }
        var values = [DataValue]()
        for (index, cell) in row.makeRandomAccess().enumerated() {
            values.append(try Self.decode(cell, kinds[index], table: table.name, column: key[index]))
        }
        return RowKey(values)
    }

    /// A COPY that failed because a key already exists.
    struct CopyConflict: Error {}

    func copy(_ buffer: ByteBuffer, into table: String, columns: [String]) async throws {
        do {
            try await connection.copyFrom(table: table, columns: columns, format: .text(.init()), logger: logger) {
                writer in try await writer.write(buffer)
            }
        } catch let error as PSQLError {
            if error.serverInfo?[.sqlState] == "23505" { throw CopyConflict() }
            let message = error.serverInfo?[.message] ?? String(reflecting: error)
            let context = error.serverInfo?[.detail].map { " (\($0))" } ?? ""
            throw DataError(.row, "table \(table): \(message)\(context)", cause: error)
        }
    }

    /// One value in COPY's text format: `\N` for NULL, backslash escapes for tab, newline, CR, backslash.
    static func writeCopyText(_ value: DataValue, to buffer: inout ByteBuffer) {
        switch value {
        case .null: buffer.writeStaticString("\\N")
        case .integer(let v): writeDecimal(v, to: &buffer)
        case .real(let v):
            if v.isNaN {
                buffer.writeStaticString("NaN")
            } else if v.isInfinite {
                buffer.writeString(v > 0 ? "Infinity" : "-Infinity")
            } else {
                buffer.writeString(v.description)
            }
        case .numeric(let v): buffer.writeString(v)
        case .boolean(let v): buffer.writeStaticString(v ? "t" : "f")
        case .timestamp(let micros): buffer.writeString(UTCTimestamp.iso8601(micros: micros))
        case .blob(let bytes):
            buffer.writeStaticString("\\\\x")
            let digits: StaticString = "0123456789abcdef"
            for byte in bytes {
                buffer.writeInteger(digits.utf8Start[Int(byte >> 4)])
                buffer.writeInteger(digits.utf8Start[Int(byte & 15)])
            }
        case .text(var text), .json(var text):
            text.withUTF8 { bytes in
                // Most text needs no escape: copy it whole.
                guard bytes.contains(where: { $0 == 92 || $0 == 9 || $0 == 10 || $0 == 13 }) else {
                    buffer.writeBytes(bytes)
                    return
                }
                for byte in bytes {
                    switch byte {
                    case 92: buffer.writeStaticString("\\\\")
                    case 9: buffer.writeStaticString("\\t")
                    case 10: buffer.writeStaticString("\\n")
                    case 13: buffer.writeStaticString("\\r")
                    default: buffer.writeInteger(byte)
                    }
                }
            }
        }
    }

    /// Writes an integer's decimal digits without building a String.
    static func writeDecimal(_ value: Int64, to buffer: inout ByteBuffer) {
        if value == 0 {
            buffer.writeInteger(UInt8(48))
            return
        }
        var magnitude = value.magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: room for 20 digits
        var count = 0
        withUnsafeMutableBytes(of: &digits) { raw in
            while magnitude > 0 {
                raw[23 - count] = UInt8(48 + magnitude % 10)
                magnitude /= 10
                count += 1
            }
            if value < 0 {
                raw[23 - count] = 45
                count += 1
            }
            buffer.writeBytes(UnsafeRawBufferPointer(rebasing: raw[(24 - count)...]))
        }
    }

    public func readCheckpoint(job: String) async throws -> Checkpoint? {
        let exists = try await query("SELECT to_regclass('\(checkpointTable)') IS NOT NULL")
        guard try exists.first?.decode(Bool.self) == true else { return nil }
        var binds = PostgresBindings()
        binds.append(job)
        let rows = try await query("SELECT last_key, rows_done FROM \(checkpointTable) WHERE job = $1", binds)
        guard let row = rows.first else { return nil }
        let (text, done) = try row.decode((String, Int64).self)
        guard let key = RowKey(checkpointText: text) else { return nil }
        return Checkpoint(job: job, lastKey: key, rowsDone: Int(done))
    }

    public func clearCheckpoint(job: String) async throws {
        let exists = try await query("SELECT to_regclass('\(checkpointTable)') IS NOT NULL")
        guard try exists.first?.decode(Bool.self) == true else { return }
        var binds = PostgresBindings()
        binds.append(job)
        _ = try await query("DELETE FROM \(checkpointTable) WHERE job = $1", binds)
    }
}

/// After a chunk had to fall back from the direct COPY (its keys were partly there already), the
/// next 8 chunks go straight to the upsert before the direct COPY is tried again.
final class DirectCopyPolicy: @unchecked Sendable {
    // @unchecked: `skip` is guarded by `lock`.
    private let lock = NSLock()
    private var skip = 0

    func shouldTry() -> Bool {
        lock.withLock {
            if skip > 0 {
                skip -= 1
                return false
            }
            return true
        }
    }

    func record(success: Bool) {
        lock.withLock { skip = success ? 0 : 8 }
    }
}
