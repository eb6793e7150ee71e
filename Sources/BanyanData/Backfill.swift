import BanyanCore
import Foundation

/// What to do with a row the mapping cannot convert.
public enum RowErrorPolicy: String, Sendable, CaseIterable {
    /// Stop the run, naming the table, key and column (the chunk is not written).
    case stop
    /// Write the row to the reject file and go on.
    case skip
}

/// Settings of one backfill run.
public struct BackfillOptions: Sendable {
    public var source: DatabaseURL
    public var target: DatabaseURL
    public var mapping: TableMapping
    /// A fixed chunk size; nil adapts it so a chunk takes about half a second.
    public var chunkSize: Int?
    /// At most this many rows a second; nil for no limit.
    public var rowsPerSecond: Double?
    public var onError: RowErrorPolicy = .stop
    /// Where skipped rows go (JSON lines); default `<table>.rejects.jsonl`.
    public var rejectFile: String?
    /// Read and convert everything, write nothing.
    public var dryRun = false
    /// Name of the checkpoint; default `source->target` table names.
    public var job: String?
    /// Forget the checkpoint and start from the first key.
    public var restart = false
    public var showProgress = isatty(STDERR_FILENO) == 1

    public init(source: DatabaseURL, target: DatabaseURL, mapping: TableMapping) {
        self.source = source
        self.target = target
        self.mapping = mapping
    }
}

/// What a backfill run did.
public struct BackfillReport: Sendable, Equatable {
    public var table: String
    public var targetTable: String
    public var job: String
    /// Source rows read in this run.
    public var rowsRead = 0
    /// Rows inserted or updated in the target.
    public var rowsWritten = 0
    /// Rows not written because the target already held a version as new or newer.
    public var rowsNotNewer = 0
    public var rowsRejected = 0
    /// Rows removed from the target because legacy marks them deleted (a tombstone).
    public var rowsDeleted = 0
    public var chunks = 0
    /// Workers in this process (shared-range mode), 0 for the single checkpointed run.
    public var workers = 0
    /// Ranges still pending when this process's workers found none left to claim (held by
    /// workers elsewhere), shared-range mode only.
    public var rangesLeft = 0
    /// The checkpoint the run started from (nil: the beginning).
    public var resumedFrom: String?
    /// Rows done in all runs of this job, as the checkpoint counts them.
    public var rowsDone = 0
    public var lastKey: String?
    public var versionColumn: String?
    public var dryRun = false
    public var seconds = 0.0

    public var rowsPerSecond: Double { seconds > 0 ? Double(rowsRead) / seconds : 0 }

    public var jsonValue: JSONValue {
        func number(_ value: Int) -> JSONValue { .number(JSONNumber(value)) }
        func optional(_ text: String?) -> JSONValue { text.map(JSONValue.string) ?? .null }
        return .object([
            JSONMember(key: "table", value: .string(table)),
            JSONMember(key: "target_table", value: .string(targetTable)),
            JSONMember(key: "job", value: .string(job)),
            JSONMember(key: "dry_run", value: .bool(dryRun)),
            JSONMember(key: "resumed_from", value: optional(resumedFrom)),
            JSONMember(key: "rows_read", value: number(rowsRead)),
            JSONMember(key: "rows_written", value: number(rowsWritten)),
            JSONMember(key: "rows_not_newer", value: number(rowsNotNewer)),
            JSONMember(key: "rows_rejected", value: number(rowsRejected)),
            JSONMember(key: "rows_deleted", value: number(rowsDeleted)),
            JSONMember(key: "workers", value: number(workers)),
            JSONMember(key: "ranges_left", value: number(rangesLeft)),
            JSONMember(key: "rows_done", value: number(rowsDone)),
            JSONMember(key: "chunks", value: number(chunks)),
            JSONMember(key: "last_key", value: optional(lastKey)),
            JSONMember(key: "version_column", value: optional(versionColumn)),
            JSONMember(key: "seconds", value: .number(JSONNumber((seconds * 1000).rounded() / 1000)!)),
            JSONMember(key: "rows_per_second", value: number(Int(rowsPerSecond.rounded()))),
        ])
    }

    public var plainText: String {
        let target = targetTable == table ? table : "\(table) → \(targetTable)"
        var lines = ["backfill \(target)\(dryRun ? " (dry run: nothing written)" : "")"]
        lines.append("  resumed from    \(resumedFrom ?? "the beginning")")
        lines.append("  rows read       \(rowsRead) in \(chunks) chunk(s), \(Int(rowsPerSecond.rounded())) rows/s")
        if !dryRun {
            lines.append("  rows written    \(rowsWritten)")
            lines.append(
                "  not newer       \(rowsNotNewer)\(versionColumn.map { " (\($0) in the target as new or newer)" } ?? "")"
            )
        }
        if rowsRejected > 0 { lines.append("  rejected        \(rowsRejected)") }
        if rowsDeleted > 0 { lines.append("  deleted         \(rowsDeleted) (tombstones)") }
        if workers > 0 {
            lines.append("  workers         \(workers) in this process, \(chunks) range(s) written here")
            if rangesLeft > 0 { lines.append("  ranges left     \(rangesLeft) (held by workers elsewhere)") }
        }
        lines.append(
            workers > 0
                ? "  done: \(rowsDone) rows in the whole job"
                : "  done: \(rowsDone) rows, checkpoint=\(lastKey ?? "none")")
        return lines.joined(separator: "\n")
    }
}

/// Copies a table in keyset chunks: read after the checkpoint, map each row (a pure function),
/// upsert where newer, and store the new checkpoint in the same transaction as the chunk.
public enum Backfill {
    public static func run(_ options: BackfillOptions) async throws -> BackfillReport {
        try await withStore(options.source) { source in
            try await withStore(options.target) { target in
                try await run(options, source: source, target: target)
            }
        }
    }

    public static func run(_ options: BackfillOptions, source: any DataStore, target: any DataStore) async throws
        -> BackfillReport
    {
        let started = Date()
        let (sourceInfo, targetInfo, transform) = try await RowTransform.prepare(
            options.mapping, source: source, target: target)
        let sourceKey = transform.sourceKeyIndexes.map { transform.sourceColumns[$0] }
        let targetKey = transform.targetKeyIndexes.map { transform.targetColumns[$0] }
        let version = transform.versionIndex.map { transform.targetColumns[$0] }
        let job = options.job ?? "\(options.mapping.sourceTable)->\(options.mapping.targetTable)"
        var report = BackfillReport(table: sourceInfo.name, targetTable: targetInfo.name, job: job)
        report.dryRun = options.dryRun
        report.versionColumn = version
        if options.restart && !options.dryRun { try await target.clearCheckpoint(job: job) }
        let checkpoint = options.restart ? nil : try await target.readCheckpoint(job: job)
        let after = checkpoint?.lastKey
        var done = checkpoint?.rowsDone ?? 0
        report.resumedFrom = checkpoint?.lastKey.description
        let total = try await source.count(sourceInfo.name, filter: nil)
        let progress = ProgressBar(
            label: "backfill \(sourceInfo.name)", total: total, done: done, enabled: options.showProgress)
        defer { progress.finish() }
        var sizer = options.chunkSize.map { ChunkSizer(fixed: $0) } ?? ChunkSizer()
        let tombstones = try await Tombstones.load(transform: transform, newInfo: targetInfo, new: target)
        var rejects = RejectWriter(options: options, table: sourceInfo.name, columns: transform.sourceColumns)
        defer { rejects.close() }
        /// Reads the chunk after `key` and maps it (a pure step), off the writing path.
        @Sendable func fetch(after key: RowKey?, limit: Int) async throws -> FetchedChunk {
            let rows = try await source.readChunk(
                table: sourceInfo, columns: transform.sourceColumns, key: sourceKey, after: key, through: nil,
                limit: limit, filter: nil)
            return FetchedChunk(
                requested: limit, lastKey: rows.last.map(transform.sourceKey),
                mapped: MappedChunk(rows, transform: transform, tombstones: tombstones))
        }
        var chunkStarted = Date()
        // --rate paces the copy from its first chunk: connecting and counting do not earn a burst.
        let copyStarted = chunkStarted
        var current = try await fetch(after: after, limit: sizer.size)
        while let lastKey = current.lastKey {
            // The next chunk is read and mapped while this one is written: reading SQLite or
            // PostgreSQL and writing the target overlap on two cores.
            let count = current.mapped.count
            let more = count == current.requested
            let nextLimit = sizer.size
            async let prefetched: FetchedChunk? = more ? fetch(after: lastKey, limit: nextLimit) : nil
            try rejects.take(current.mapped.failures, into: &report)
            if !options.dryRun {
                var chunk = ChunkWrite(
                    table: targetInfo, columns: transform.targetColumns, types: transform.targetTypes, key: targetKey,
                    version: version, rows: current.mapped.rows)
                chunk.deleting = current.mapped.deleting
                let result = try await target.write(
                    chunk, checkpoint: Checkpoint(job: job, lastKey: lastKey, rowsDone: done + count))
                report.add(result, written: chunk.rows.count)
            }
            done += count
            report.rowsRead += count
            report.chunks += 1
            report.lastKey = lastKey.description
            progress.update(done: done, total: max(total, done))
            if let rate = options.rowsPerSecond, rate > 0 {
                let due = Double(report.rowsRead) / rate - Date().timeIntervalSince(copyStarted)
                if due > 0 { try await Task.sleep(nanoseconds: UInt64(due * 1e9)) }
            }
            guard let next = try await prefetched else { break }
            sizer.record(rows: count, seconds: Date().timeIntervalSince(chunkStarted))
            chunkStarted = Date()
            current = next
        }
        report.rowsDone = done
        if report.lastKey == nil { report.lastKey = checkpoint?.lastKey.description }
        report.seconds = Date().timeIntervalSince(started)
        return report
    }

    /// One chunk read and mapped, waiting to be written.
    struct FetchedChunk: Sendable {
        var requested: Int
        var lastKey: RowKey?
        var mapped: MappedChunk
    }
}

/// Where rows that cannot be converted go: an error naming the table, key and column (`--on-error
/// stop`), or a line of the reject file (`--on-error skip`).
struct RejectWriter {
    let policy: RowErrorPolicy
    let path: String
    let table: String
    let columns: [String]
    var handle: FileHandle?

    init(options: BackfillOptions, table: String, columns: [String]) {
        self.policy = options.onError
        self.path = options.rejectFile ?? "\(table).rejects.jsonl"
        self.table = table
        self.columns = columns
    }

    mutating func take(_ failures: [(RowError, [DataValue])], into report: inout BackfillReport) throws {
        for (error, row) in failures {
            let located = "table \(table), key \(error.key), column \(error.column): \(error.message)"
            guard policy == .skip else {
                throw DataError(.row, located + "; fix the row or the mapping, or pass --on-error skip")
            }
            report.rowsRejected += 1
            if handle == nil { handle = try Self.open(path) }
            let line = JSONValue.object([
                JSONMember(key: "table", value: .string(table)),
                JSONMember(key: "key", value: .string(error.key.description)),
                JSONMember(key: "column", value: .string(error.column)),
                JSONMember(key: "message", value: .string(error.message)),
                JSONMember(
                    key: "row", value: .object(zip(columns, row).map { JSONMember(key: $0.0, value: $0.1.jsonValue) })),
            ])
            handle?.write(Data((line.serializedText + "\n").utf8))
        }
    }

    func close() { try? handle?.close() }

    static func open(_ path: String) throws -> FileHandle {
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw DataError(.usage, "cannot create the reject file \(path)")
            }
        }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw DataError(.usage, "cannot write the reject file \(path)")
        }
        handle.seekToEndOfFile()
        return handle
    }
}

extension BackfillReport {
    /// Counts one chunk write of `written` rows.
    mutating func add(_ result: ChunkWriteResult, written: Int) {
        rowsWritten += result.applied
        rowsNotNewer += written - result.applied
        rowsDeleted += result.deleted
    }
}

extension RowTransform {
    /// Reads the shapes of both tables and builds the mapping's transform between them; a mapping
    /// that does not fit the tables is a usage error. Shared by backfill and reconcile.
    static func prepare(
        _ mapping: TableMapping,
        source: any DataStore,
        target: any DataStore
    ) async throws -> (source: TableInfo, target: TableInfo, transform: RowTransform) {
        let sourceInfo = try await source.tableInfo(mapping.sourceTable)
        let targetInfo = try await target.tableInfo(mapping.targetTable)
        do {
            let transform = try RowTransform(
                mapping: mapping, sourceColumns: sourceInfo.columns.map(\.name),
                sourceKey: sourceInfo.primaryKey, targetTypes: targetInfo.types)
            return (sourceInfo, targetInfo, transform)
        } catch {
            throw DataError(.usage, error.message, cause: error)
        }
    }
}
