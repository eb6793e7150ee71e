import BanyanCore

/// The deletes a mapping names: legacy rows whose `deleted_column` is set, and keys the dual-write
/// recorded in the new store's `deletes_table`. Backfill does not copy them and removes them from
/// the target, reconcile reports the new rows they should have removed, and repair deletes those.
struct Tombstones: Sendable {
    let transform: RowTransform
    /// Keys in the deletes table, in the target key's types.
    let keys: Set<RowKey>

    /// Reads the deletes table (if the mapping names one) from the new store.
    static func load(transform: RowTransform, newInfo: TableInfo, new: any DataStore) async throws -> Tombstones {
        guard let table = transform.mapping.deletesTable else { return Tombstones(transform: transform, keys: []) }
        let key = transform.targetKeyIndexes.map { transform.targetColumns[$0] }
        let info = try await new.tableInfo(table)
        for column in key where info.column(column) == nil {
            throw DataError(
                .usage, "deletes_table \(table) has no column \(column): it needs the key columns of \(newInfo.name)")
        }
        var keys = Set<RowKey>()
        let types = transform.targetKeyIndexes.map { transform.targetTypes[$0] }
        var after: RowKey?
        while true {
            let rows = try await new.readChunk(
                table: info, columns: key, key: key, after: after, through: nil, limit: 50_000, filter: nil)
            for row in rows {
                do {
                    keys.insert(RowKey(try zip(row, types).map { try $0.0.converted(to: $0.1) }))
                } catch {
                    throw DataError(.row, "deletes_table \(table), key \(RowKey(row)): \(error)", cause: error)
                }
            }
            guard rows.count == 50_000, let last = rows.last else { break }
            after = RowKey(last)
        }
        return Tombstones(transform: transform, keys: keys)
    }

    var isEmpty: Bool { transform.deletedIndex == nil && keys.isEmpty }

    /// Whether a source row (values in `sourceColumns` order) whose target key is `key` is deleted.
    func isDeleted(_ row: [DataValue], key: RowKey) -> Bool {
        transform.isDeleted(row) || keys.contains(key)
    }
}

/// A chunk of source rows mapped for writing: rows to upsert, tombstoned keys to delete, and the
/// rows that could not be converted. Shared by backfill (one process or many workers) and repair.
struct MappedChunk: Sendable {
    var count = 0
    var rows: [[DataValue]] = []
    var deleting: [RowKey] = []
    var failures: [(RowError, [DataValue])] = []

    init(_ source: [[DataValue]], transform: RowTransform, tombstones: Tombstones) {
        count = source.count
        rows.reserveCapacity(source.count)
        for row in source {
            switch transform.apply(row) {
            case .success(let values):
                let key = transform.targetKey(values)
                if !tombstones.isEmpty && tombstones.isDeleted(row, key: key) {
                    deleting.append(key)
                } else {
                    rows.append(values)
                }
            case .failure(let error):
                if !tombstones.isEmpty, let key = try? transform.targetKeyFromSource(row),
                    tombstones.isDeleted(row, key: key)
                {
                    deleting.append(key)
                } else {
                    failures.append((error, row))
                }
            }
        }
    }
}
