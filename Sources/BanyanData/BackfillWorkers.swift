import BanyanCore
import Foundation
import PostgresNIO

/// Backfill by many workers, in one process or on many machines, sharing progress through the
/// target PostgreSQL database: the job's key space is cut once into ranges (a table of them), and
/// each worker claims a pending range with `FOR UPDATE SKIP LOCKED`, writes its rows and marks it
/// done in that same transaction. A worker killed at any moment rolls its transaction back: the
/// range is pending again, with none of its rows written, and another worker takes it.
public enum BackfillWorkers {
    static let jobsTable = "banyan_backfill_jobs"
    static let rangesTable = "banyan_backfill_ranges"

    public static func run(_ options: BackfillOptions, workers: Int) async throws -> BackfillReport {
        guard case .postgres = options.target else {
            throw DataError(
                .usage,
                "--workers needs a PostgreSQL target: the workers share their progress through it (got \(options.target))"
            )
        }
        guard !options.dryRun else { throw DataError(.usage, "--workers cannot be combined with --dry-run") }
        let started = Date()
        let rangeRows = options.chunkSize ?? 10_000
        return try await withStore(options.source) { source in
            try await withStore(options.target) { target in
                let coordinator = target as! PostgresStore
                let (sourceInfo, targetInfo, transform) = try await RowTransform.prepare(
                    options.mapping, source: source, target: target)
                let job = options.job ?? "\(options.mapping.sourceTable)->\(options.mapping.targetTable)"
                var report = BackfillReport(table: sourceInfo.name, targetTable: targetInfo.name, job: job)
                report.workers = workers
                report.versionColumn = transform.versionIndex.map { transform.targetColumns[$0] }
                let total = try await plan(
                    job: job, rangeRows: rangeRows, restart: options.restart, source: source, sourceInfo: sourceInfo,
                    sourceKey: transform.sourceKeyIndexes.map { transform.sourceColumns[$0] }, target: coordinator)
                let tombstones = try await Tombstones.load(transform: transform, newInfo: targetInfo, new: target)
                let rejects = SharedRejects(
                    RejectWriter(options: options, table: sourceInfo.name, columns: transform.sourceColumns))
                defer { rejects.close() }
                let progress = ProgressBar(
                    label: "backfill \(sourceInfo.name) (\(workers) worker(s) here)", total: total,
                    done: try await doneRows(job: job, target: coordinator), enabled: options.showProgress)
                defer { progress.finish() }
                let context = WorkerContext(
                    options: options, job: job, sourceInfo: sourceInfo, targetInfo: targetInfo, transform: transform,
                    tombstones: tombstones, rejects: rejects)
                try await withThrowingTaskGroup(of: BackfillReport?.self) { group in
                    for number in 1...workers {
                        group.addTask { try await work(context, name: workerName(number)) }
                    }
                    // The whole job's progress, every worker's on every machine, read from the
                    // ranges table until the workers here are done.
                    group.addTask {
                        while !Task.isCancelled {
                            if let done = try? await doneRows(job: job, target: coordinator) {
                                progress.update(done: done)
                            }
                            try? await Task.sleep(nanoseconds: 500_000_000)
                        }
                        return nil
                    }
                    var finished = 0
                    while finished < workers, let result = try await group.next() {
                        guard let part = result else { continue }
                        finished += 1
                        report.rowsRead += part.rowsRead
                        report.rowsWritten += part.rowsWritten
                        report.rowsNotNewer += part.rowsNotNewer
                        report.rowsDeleted += part.rowsDeleted
                        report.chunks += part.chunks
                    }
                    group.cancelAll()
                }
                report.rowsRejected = rejects.count
                report.rowsDone = try await doneRows(job: job, target: coordinator)
                let pending = try await coordinator.query(
                    "SELECT count(*) FROM \(rangesTable) WHERE job = $1 AND state = 'pending'", binds(job))
                report.rangesLeft = Int(try pending.first?.decode(Int64.self) ?? 0)
                report.seconds = Date().timeIntervalSince(started)
                return report
            }
        }
    }

    /// `host:pid/n`: which worker wrote a range, in the ranges table.
    static func workerName(_ number: Int) -> String {
        "\(ProcessInfo.processInfo.hostName):\(getpid())/\(number)"
    }

    static func binds(_ values: String...) -> PostgresBindings {
        var binds = PostgresBindings()
        for value in values { binds.append(value) }
        return binds
    }

    static func doneRows(job: String, target: PostgresStore) async throws -> Int {
        let rows = try await target.query(
            "SELECT coalesce(sum(rows), 0)::int8 FROM \(rangesTable) WHERE job = $1 AND state = 'done'", binds(job))
        return Int(try rows.first?.decode(Int64.self) ?? 0)
    }

    /// Cuts the job into ranges of about `rangeRows` source rows, once: the first process to get
    /// the lock plans, the others find the plan. The last range is open-ended, so rows inserted
    /// after the plan beyond the highest key are copied too.
    static func plan(
        job: String, rangeRows: Int, restart: Bool, source: any DataStore, sourceInfo: TableInfo, sourceKey: [String],
        target: PostgresStore
    ) async throws -> Int {
        try await target.inTransaction {
            // One planner at a time, on every machine: a transaction-scoped advisory lock.
            _ = try await target.query("SELECT pg_advisory_xact_lock(hashtext('banyan_backfill_ranges'))")
            try await target.execute(
                "CREATE TABLE IF NOT EXISTS \(jobsTable) (job text PRIMARY KEY, total_rows bigint NOT NULL, "
                    + "ranges integer NOT NULL, range_rows integer NOT NULL, created_at timestamptz NOT NULL DEFAULT now())"
            )
            try await target.execute(
                "CREATE TABLE IF NOT EXISTS \(rangesTable) (job text NOT NULL, range_no integer NOT NULL, "
                    + "after_key text, through_key text, state text NOT NULL DEFAULT 'pending', rows bigint, "
                    + "writes integer NOT NULL DEFAULT 0, worker text, done_at timestamptz, PRIMARY KEY (job, range_no))"
            )
            if restart {
                _ = try await target.query("DELETE FROM \(rangesTable) WHERE job = $1", binds(job))
                _ = try await target.query("DELETE FROM \(jobsTable) WHERE job = $1", binds(job))
            }
            if let existing = try await target.query("SELECT total_rows FROM \(jobsTable) WHERE job = $1", binds(job))
                .first
            {
                return Int(try existing.decode(Int64.self))
            }
            let total = try await source.count(sourceInfo.name, filter: nil)
            var boundaries = [RowKey]()
            var after: RowKey?
            while let next = try await source.keyAfter(
                table: sourceInfo, key: sourceKey, after: after, skipping: rangeRows)
            {
                boundaries.append(next)
                after = next
            }
            // Ranges (nil, b1], (b1, b2], …, (bn, nil): every key falls in exactly one.
            let edges: [RowKey?] = [nil] + boundaries.map { Optional($0) }
            for start in stride(from: 0, to: edges.count, by: 1000) {
                var values = [String]()
                var binds = PostgresBindings()
                binds.append(job)
                for index in start..<min(edges.count, start + 1000) {
                    let through = index + 1 < edges.count ? edges[index + 1] : nil
                    for edge in [edges[index], through] {
                        if let edge { binds.append(edge.checkpointText) } else { binds.appendNull() }
                    }
                    values.append("($1, \(index), $\(binds.count - 1), $\(binds.count))")
                }
                _ = try await target.query(
                    "INSERT INTO \(rangesTable) (job, range_no, after_key, through_key) VALUES "
                        + values.joined(separator: ", "), binds)
            }
            var binds = PostgresBindings()
            binds.append(job)
            binds.append(Int64(total))
            binds.append(Int32(edges.count))
            binds.append(Int32(rangeRows))
            _ = try await target.query(
                "INSERT INTO \(jobsTable) (job, total_rows, ranges, range_rows) VALUES ($1, $2, $3, $4)", binds)
            return total
        }
    }

    struct WorkerContext: Sendable {
        let options: BackfillOptions
        let job: String
        let sourceInfo: TableInfo
        let targetInfo: TableInfo
        let transform: RowTransform
        let tombstones: Tombstones
        let rejects: SharedRejects
    }

    /// One worker: its own connections; claims, copies and completes ranges until none is pending.
    static func work(_ context: WorkerContext, name: String) async throws -> BackfillReport {
        let transform = context.transform
        let sourceKey = transform.sourceKeyIndexes.map { transform.sourceColumns[$0] }
        let targetKey = transform.targetKeyIndexes.map { transform.targetColumns[$0] }
        let version = transform.versionIndex.map { transform.targetColumns[$0] }
        var report = BackfillReport(
            table: context.sourceInfo.name, targetTable: context.targetInfo.name, job: context.job)
        let started = Date()
        return try await withStore(context.options.source) { source in
            try await withStore(context.options.target) { store in
                let target = store as! PostgresStore
                while true {
                    try Task.checkCancellation()
                    let claimed = try await target.inTransaction { () -> Bool in
                        let rows = try await target.query(
                            "SELECT range_no, after_key, through_key FROM \(rangesTable) "
                                + "WHERE job = $1 AND state = 'pending' ORDER BY range_no LIMIT 1 FOR UPDATE SKIP LOCKED",
                            binds(context.job))
                        guard let row = rows.first else { return false }
                        let (number, afterText, throughText) = try row.decode((Int32, String?, String?).self)
                        let after = afterText.flatMap(RowKey.init(checkpointText:))
                        let through = throughText.flatMap(RowKey.init(checkpointText:))
                        // The whole range, read in pieces, written with its completion in this transaction.
                        var sourceRows = [[DataValue]]()
                        var cursor = after
                        while true {
                            let piece = try await source.readChunk(
                                table: context.sourceInfo, columns: transform.sourceColumns, key: sourceKey,
                                after: cursor, through: through, limit: 20_000, filter: nil)
                            sourceRows += piece
                            guard piece.count == 20_000, let last = piece.last else { break }
                            cursor = transform.sourceKey(last)
                        }
                        let mapped = MappedChunk(sourceRows, transform: transform, tombstones: context.tombstones)
                        try context.rejects.take(mapped.failures, into: &report)
                        var chunk = ChunkWrite(
                            table: context.targetInfo, columns: transform.targetColumns, types: transform.targetTypes,
                            key: targetKey, version: version, rows: mapped.rows)
                        chunk.deleting = mapped.deleting
                        let result = try await target.writeRows(chunk)
                        var binds = PostgresBindings()
                        binds.append(context.job)
                        binds.append(number)
                        binds.append(Int64(mapped.count))
                        binds.append(name)
                        _ = try await target.query(
                            "UPDATE \(rangesTable) SET state = 'done', rows = $3, writes = writes + 1, worker = $4, "
                                + "done_at = now() WHERE job = $1 AND range_no = $2", binds)
                        report.add(result, written: chunk.rows.count)
                        report.rowsRead += mapped.count
                        report.chunks += 1
                        return true
                    }
                    guard claimed else { break }
                    if let rate = context.options.rowsPerSecond, rate > 0 {
                        let due = Double(report.rowsRead) / rate - Date().timeIntervalSince(started)
                        if due > 0 { try await Task.sleep(nanoseconds: UInt64(due * 1e9)) }
                    }
                }
                return report
            }
        }
    }
}

/// The reject writer shared by the workers of one process.
final class SharedRejects: @unchecked Sendable {
    // @unchecked: `writer` and `taken` are only touched under `lock`.
    private let lock = NSLock()
    private var writer: RejectWriter
    private var taken = 0

    init(_ writer: RejectWriter) { self.writer = writer }

    func take(_ failures: [(RowError, [DataValue])], into report: inout BackfillReport) throws {
        guard !failures.isEmpty else { return }
        try lock.withLock {
            var counted = BackfillReport(table: "", targetTable: "", job: "")
            try writer.take(failures, into: &counted)
            taken += counted.rowsRejected
        }
    }

    var count: Int { lock.withLock { taken } }

    func close() { lock.withLock { writer.close() } }
}
