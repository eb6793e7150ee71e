import BanyanCore

/// A table's columns and primary key as the database declares them.
public struct TableInfo: Sendable, Equatable {
    public struct Column: Sendable, Equatable {
        public var name: String
        /// The type as declared (`bigint`, `timestamp with time zone`, `TEXT`).
        public var declaredType: String
        public var type: ColumnType
    }
    public var name: String
    public var columns: [Column]
    public var primaryKey: [String]

    public var types: [String: ColumnType] {
        Dictionary(columns.map { ($0.name, $0.type) }, uniquingKeysWith: { first, _ in first })
    }

    public func column(_ name: String) -> Column? { columns.first { $0.name == name } }
}

/// A `column >= value` filter: reconcile's `--since` on a watermark column.
public struct WatermarkFilter: Sendable, Equatable {
    public var column: String
    public var value: DataValue
}

/// Where a backfill has got to: written in the same transaction as the chunk it covers.
public struct Checkpoint: Sendable, Equatable {
    public var job: String
    public var lastKey: RowKey
    public var rowsDone: Int
}

/// What one chunk write did.
public struct ChunkWriteResult: Sendable, Equatable {
    /// Rows inserted or updated; the rest were not newer than what the target holds.
    public var applied: Int
    /// Rows deleted.
    public var deleted = 0
}

/// When an upsert may overwrite a row the target holds, by the version column.
public enum VersionRule: Sendable, Equatable {
    /// Only a strictly newer row is written (backfill: a replay is a no-op, a live write is kept).
    case strictlyNewer
    /// A row is written unless the target's is strictly newer (repair: a row of the same version
    /// whose values differ is brought to legacy's values).
    case notOlder
}

/// One chunk to write in one transaction: rows upserted (newer wins on `version` when given) and
/// keys deleted.
public struct ChunkWrite: Sendable {
    public var table: TableInfo
    public var columns: [String]
    public var types: [ColumnType]
    public var key: [String]
    public var version: String?
    public var versionRule: VersionRule = .strictlyNewer
    public var rows: [[DataValue]]
    /// Keys (in `key` order, target types) to delete.
    public var deleting: [RowKey] = []

    public init(
        table: TableInfo, columns: [String], types: [ColumnType], key: [String], version: String?,
        rows: [[DataValue]]
    ) {
        self.table = table
        self.columns = columns
        self.types = types
        self.key = key
        self.version = version
        self.rows = rows
    }
}

/// One SQLite file or PostgreSQL database, with what backfill and reconcile need from it.
public protocol DataStore: Sendable {
    var url: DatabaseURL { get }
    var engine: DataEngine { get }

    func tableInfo(_ table: String) async throws -> TableInfo
    func count(_ table: String, filter: WatermarkFilter?) async throws -> Int
    /// Rows with keys after `after` (all when nil), up to and including `through` when given, in
    /// key order, at most `limit` of them; values in `columns` order.
    func readChunk(
        table: TableInfo, columns: [String], key: [String], after: RowKey?, through: RowKey?, limit: Int,
        filter: WatermarkFilter?
    ) async throws -> [[DataValue]]
    /// Rows whose key is one of `keys` (in key order), values in `columns` order.
    func readRows(table: TableInfo, columns: [String], key: [String], keys: [RowKey]) async throws -> [[DataValue]]
    /// The key `skipping` rows after `after` (the first key when nil) in key order: range
    /// boundaries for backfill workers, found without reading the rows between.
    func keyAfter(table: TableInfo, key: [String], after: RowKey?, skipping: Int) async throws -> RowKey?
    /// Upserts and deletes a chunk and stores the checkpoint, in one transaction.
    func write(_ chunk: ChunkWrite, checkpoint: Checkpoint?) async throws -> ChunkWriteResult
    func readCheckpoint(job: String) async throws -> Checkpoint?
    func clearCheckpoint(job: String) async throws
    /// Runs SQL with no result (schema set-up, tests).
    func execute(_ sql: String) async throws
    /// Runs a query with parameters `$1`, `$2`, … (each used once, in order) and returns its rows.
    func select(_ sql: String, _ parameters: [DataValue]) async throws -> [[DataValue]]
    func close() async throws
}

extension DataStore {
    /// Upserts rows (newer wins on `version` when given) and stores the checkpoint, in one transaction.
    public func writeChunk(
        table: TableInfo, columns: [String], types: [ColumnType], key: [String], version: String?,
        rows: [[DataValue]], checkpoint: Checkpoint?
    ) async throws -> ChunkWriteResult {
        try await write(
            ChunkWrite(table: table, columns: columns, types: types, key: key, version: version, rows: rows),
            checkpoint: checkpoint)
    }
}

public enum DataEngine: String, Sendable {
    case sqlite, postgres
}

/// Opens a store by URL.
public func openStore(_ url: DatabaseURL) async throws -> any DataStore {
    switch url {
    case .sqlite: try await SQLiteStore.open(url)
    case .postgres: try await PostgresStore.open(url)
    }
}

/// Opens a store, runs `body`, and closes it whatever happens.
public func withStore<T>(_ url: DatabaseURL, _ body: (any DataStore) async throws -> T) async throws -> T {
    let store = try await openStore(url)
    do {
        let result = try await body(store)
        try? await store.close()
        return result
    } catch {
        try? await store.close()
        throw error
    }
}

/// Quotes an identifier for SQL (both engines accept double quotes).
func quoted(_ identifier: String) -> String {
    "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}

/// `"a", "b"`
func quotedList(_ identifiers: [String]) -> String { identifiers.map(quoted).joined(separator: ", ") }

/// The checkpoint table's name in the target store.
let checkpointTable = "banyan_backfill_checkpoint"

extension RowKey {
    /// The key as stored in a checkpoint: a JSON array of its values.
    var checkpointText: String { JSONValue.array(values.map(\.jsonValue)).serializedText }

    init?(checkpointText text: String) {
        guard case .array(let elements) = try? JSONParser.parse(text) else { return nil }
        var values = [DataValue]()
        for element in elements {
            switch element {
            case .number(let number):
                guard let integer = Int64(number.lexeme) else { return nil }
                values.append(.integer(integer))
            case .string(let text): values.append(.text(text))
            default: return nil
            }
        }
        self.init(values)
    }
}
