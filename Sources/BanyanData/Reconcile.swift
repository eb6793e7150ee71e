import BanyanCore
import Foundation

/// How reconcile compares.
public enum ReconcileMethod: String, Sendable, CaseIterable {
    /// Checksum bisection when both stores can compute the same canonical hash, else streaming merge.
    case auto
    /// Checksum bisection over key ranges, hashing inside PostgreSQL (both stores PostgreSQL, one
    /// integer key, every column copied or renamed).
    case bisect
    /// Read both tables in key order and compare every row in canonical form.
    case merge
}

/// Settings of one reconcile run.
public struct ReconcileOptions: Sendable {
    public var legacy: DatabaseURL
    public var new: DatabaseURL
    public var mapping: TableMapping
    public var method: ReconcileMethod = .auto
    /// Only rows whose watermark is at or after this value: an ISO 8601 time, epoch milliseconds,
    /// or a duration before now (`15m`, `2h`, `1d`).
    public var since: String?
    /// The legacy watermark column; default: the source column of the version column.
    public var watermark: String?
    /// Keys (as printed in reports) whose difference is accepted.
    public var allow: Set<String> = []
    /// Rows read per query in the streaming merge.
    public var chunkSize = 10_000
    public var showProgress = isatty(STDERR_FILENO) == 1

    public init(legacy: DatabaseURL, new: DatabaseURL, mapping: TableMapping) {
        self.legacy = legacy
        self.new = new
        self.mapping = mapping
    }
}

/// Compares the legacy table, through the mapping, with the new one.
public enum Reconcile {
    public static func run(_ options: ReconcileOptions) async throws -> ReconcileReport {
        try await withStore(options.legacy) { legacy in
            try await withStore(options.new) { new in
                try await run(options, legacy: legacy, new: new)
            }
        }
    }

    struct Plan {
        let legacyInfo: TableInfo
        let newInfo: TableInfo
        let transform: RowTransform
        /// The new table's columns in `transform.targetColumns` order.
        let legacyKey: [String]
        let newKey: [String]
        let legacyFilter: WatermarkFilter?
        let newFilter: WatermarkFilter?
        let tombstones: Tombstones
    }

    public static func run(_ options: ReconcileOptions, legacy: any DataStore, new: any DataStore) async throws
        -> ReconcileReport
    {
        let started = Date()
        let (legacyInfo, newInfo, transform) = try await RowTransform.prepare(
            options.mapping, source: legacy, target: new)
        var legacyFilter: WatermarkFilter?
        var newFilter: WatermarkFilter?
        if let since = options.since {
            (legacyFilter, newFilter) = try watermarkFilters(
                since: since, options: options, transform: transform, legacyInfo: legacyInfo, newInfo: newInfo)
        }
        let plan = Plan(
            legacyInfo: legacyInfo, newInfo: newInfo, transform: transform,
            legacyKey: transform.sourceKeyIndexes.map { transform.sourceColumns[$0] },
            newKey: transform.targetKeyIndexes.map { transform.targetColumns[$0] }, legacyFilter: legacyFilter,
            newFilter: newFilter,
            tombstones: try await Tombstones.load(transform: transform, newInfo: newInfo, new: new))
        var report = ReconcileReport(table: legacyInfo.name, newTable: newInfo.name, since: options.since)
        // Tombstones are decided row by row: bisection's hashes cannot see them.
        let bisectable = plan.tombstones.isEmpty ? Bisection.sqlColumns(plan: plan, legacy: legacy, new: new) : nil
        switch options.method {
        case .bisect:
            guard let columns = bisectable else {
                throw DataError(
                    .usage,
                    "--method bisect needs both stores in PostgreSQL, a single integer key, every column "
                        + "copied or renamed with the same type, and no tombstones; use --method merge (or auto)")
            }
            try await Bisection.run(
                plan: plan, columns: columns, legacy: legacy, new: new, options: options, into: &report)
        case .auto where bisectable != nil:
            try await Bisection.run(
                plan: plan, columns: bisectable!, legacy: legacy, new: new, options: options, into: &report)
        default:
            let total = try await legacy.count(legacyInfo.name, filter: legacyFilter)
            let progress = ProgressBar(
                label: "reconcile \(legacyInfo.name)", total: total, enabled: options.showProgress)
            defer { progress.finish() }
            try await merge(
                plan: plan, legacy: legacy, new: new, after: nil, through: nil, chunkSize: options.chunkSize,
                into: &report, progress: progress)
        }
        report.missingInNew.sort()
        report.extraInNew.sort()
        report.deletedInLegacy.sort()
        report.mismatched.sort { $0.key < $1.key }
        report.allowed = Set(report.differingKeys.filter { options.allow.contains($0.description) })
        report.seconds = Date().timeIntervalSince(started)
        return report
    }

    /// Streams both tables in key order over `(after, through]` and compares row by row.
    static func merge(
        plan: Plan, legacy: any DataStore, new: any DataStore, after: RowKey?, through: RowKey?, chunkSize: Int,
        into report: inout ReconcileReport, progress: ProgressBar?
    ) async throws {
        let transform = plan.transform
        var legacyCursor = Cursor(
            store: legacy, table: plan.legacyInfo, columns: transform.sourceColumns, key: plan.legacyKey,
            keyIndexes: transform.sourceKeyIndexes, after: after, through: through, filter: plan.legacyFilter,
            chunkSize: chunkSize)
        var newCursor = Cursor(
            store: new, table: plan.newInfo, columns: transform.targetColumns, key: plan.newKey,
            keyIndexes: transform.targetKeyIndexes, after: after, through: through, filter: plan.newFilter,
            chunkSize: chunkSize)
        var legacyRow = try await legacyCursor.next()
        var newRow = try await newCursor.next()
        var checked = 0
        while legacyRow != nil || newRow != nil {
            // Legacy rows are mapped first; their key is the mapped (typed) key, as in the new table.
            var legacyMapped: (key: RowKey, values: [DataValue]?, error: RowError?, deleted: Bool)?
            if let row = legacyRow {
                switch transform.apply(row) {
                case .success(let values):
                    let key = transform.targetKey(values)
                    legacyMapped = (key, values, nil, plan.tombstones.isDeleted(row, key: key))
                case .failure(let error):
                    let key = (try? transform.targetKeyFromSource(row)) ?? transform.sourceKey(row)
                    legacyMapped = (key, nil, error, plan.tombstones.isDeleted(row, key: key))
                }
            }
            var newMapped: (key: RowKey, values: [DataValue])?
            if let row = newRow {
                switch transform.normalizeTarget(row) {
                case .success(let values): newMapped = (transform.targetKey(values), values)
                case .failure(let error):
                    throw DataError(
                        .row, "table \(plan.newInfo.name), key \(error.key), column \(error.column): \(error.message)")
                }
            }
            let order: Int
            if let l = legacyMapped, let n = newMapped {
                order = l.key < n.key ? -1 : (n.key < l.key ? 1 : 0)
            } else {
                order = legacyMapped != nil ? -1 : 1
            }
            if order < 0 {
                // A deleted legacy row absent from the new store is as it should be.
                if !legacyMapped!.deleted { report.missingInNew.append(legacyMapped!.key) }
                checked += 1
                legacyRow = try await legacyCursor.next()
            } else if order > 0 {
                report.extraInNew.append(newMapped!.key)
                newRow = try await newCursor.next()
            } else if legacyMapped!.deleted {
                checked += 1
                report.deletedInLegacy.append(legacyMapped!.key)
                legacyRow = try await legacyCursor.next()
                newRow = try await newCursor.next()
            } else {
                checked += 1
                if let values = legacyMapped!.values {
                    let differences = transform.differences(
                        legacy: transform.canonical(values), new: transform.canonical(newMapped!.values))
                    if !differences.isEmpty {
                        report.mismatched.append(.init(key: legacyMapped!.key, columns: differences))
                    }
                } else if let error = legacyMapped!.error {
                    let position = transform.targetColumns.firstIndex(of: error.column) ?? 0
                    report.mismatched.append(
                        .init(
                            key: legacyMapped!.key,
                            columns: [
                                ColumnDifference(
                                    column: error.column, legacy: .text("cannot convert: \(error.message)"),
                                    new: newMapped!.values[position])
                            ]))
                }
                legacyRow = try await legacyCursor.next()
                newRow = try await newCursor.next()
            }
            if checked % 4096 == 0 { progress?.update(done: report.checked + checked) }
        }
        report.checked += checked
        progress?.update(done: report.checked)
    }

    /// Reads a table in key order, one chunk at a time.
    struct Cursor {
        let store: any DataStore
        let table: TableInfo
        let columns: [String]
        let key: [String]
        let keyIndexes: [Int]
        var after: RowKey?
        let through: RowKey?
        let filter: WatermarkFilter?
        let chunkSize: Int
        var buffer: [[DataValue]] = []
        var position = 0
        var exhausted = false

        init(
            store: any DataStore, table: TableInfo, columns: [String], key: [String], keyIndexes: [Int],
            after: RowKey?, through: RowKey?, filter: WatermarkFilter?, chunkSize: Int
        ) {
            self.store = store
            self.table = table
            self.columns = columns
            self.key = key
            self.keyIndexes = keyIndexes
            self.after = after
            self.through = through
            self.filter = filter
            self.chunkSize = chunkSize
        }

        mutating func next() async throws -> [DataValue]? {
            if position == buffer.count {
                guard !exhausted else { return nil }
                buffer = try await store.readChunk(
                    table: table, columns: columns, key: key, after: after, through: through, limit: chunkSize,
                    filter: filter)
                position = 0
                if buffer.count < chunkSize { exhausted = true }
                guard let last = buffer.last else { return nil }
                after = RowKey(keyIndexes.map { last[$0] })
            }
            position += 1
            return buffer[position - 1]
        }
    }

    static func watermarkFilters(
        since: String, options: ReconcileOptions, transform: RowTransform, legacyInfo: TableInfo, newInfo: TableInfo
    ) throws -> (WatermarkFilter, WatermarkFilter) {
        guard
            let versionIndex = transform.versionIndex
                ?? options.watermark.flatMap({ name in
                    transform.targetColumns.firstIndex { column in
                        if case .column(let source) = options.mapping.columns.first(where: { $0.target == column })?
                            .source
                            ?? .column(column)
                        {
                            return source == name
                        }
                        return false
                    }
                })
        else {
            throw DataError(
                .usage, "--since needs a watermark column: map a version column (updated_at) or pass --watermark")
        }
        let newColumn = transform.targetColumns[versionIndex]
        let mappingColumn = options.mapping.columns.first { $0.target == newColumn }
        var legacyColumn = options.watermark ?? newColumn
        if options.watermark == nil, case .column(let source) = mappingColumn?.source ?? .column(newColumn) {
            legacyColumn = source
        }
        guard let micros = parseSince(since, now: Date()) else {
            throw DataError(
                .usage,
                "--since '\(since)': write an ISO 8601 time (2026-06-02T10:00:00Z), epoch milliseconds, "
                    + "or a duration before now (15m, 2h, 1d)")
        }
        func value(for column: TableInfo.Column?) -> DataValue {
            switch column?.type {
            case .integer?: .integer(UTCTimestamp.floorDivide(micros, 1000).0)
            case .text?: .text(UTCTimestamp.iso8601(micros: micros, minimumDigits: 3))
            default: .timestamp(micros)
            }
        }
        return (
            WatermarkFilter(column: legacyColumn, value: value(for: legacyInfo.column(legacyColumn))),
            WatermarkFilter(column: newColumn, value: value(for: newInfo.column(newColumn)))
        )
    }

    /// `15m`, `2h`, `1d`, `30s` before `now`; an ISO 8601 time; or epoch milliseconds.
    static func parseSince(_ text: String, now: Date) -> Int64? {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        if let unit = text.last, let seconds = units[unit], let amount = Double(text.dropLast()) {
            return Int64((now.timeIntervalSince1970 - amount * seconds) * 1_000_000)
        }
        if let millis = Int64(text) { return millis * 1000 }
        return UTCTimestamp.parse(text)
    }
}

extension RowTransform {
    /// The key of a source row converted to the target key's types.
    func targetKeyFromSource(_ row: [DataValue]) throws -> RowKey {
        RowKey(
            try zip(sourceKeyIndexes, targetKeyIndexes).map { sourceIndex, targetIndex in
                try row[sourceIndex].converted(to: targetTypes[targetIndex])
            })
    }
}
