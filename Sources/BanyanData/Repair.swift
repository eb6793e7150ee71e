import BanyanCore
import Foundation

/// Settings of a repair after a reconcile.
public struct RepairOptions: Sendable {
    /// Delete rows only the new store has (`extra_in_new`); without it they are kept and listed.
    public var deleteExtra = false
    /// Work out and print every statement's effect, write nothing.
    public var dryRun = false
    /// Keys repaired per transaction (one chunk and its checkpoint commit together).
    public var chunkSize = 1000
    public var showProgress = isatty(STDERR_FILENO) == 1

    public init() {}
}

/// What a repair did (or, with `--dry-run`, would do).
public struct RepairReport: Sendable, Equatable {
    /// One statement's effect on one row.
    public struct Action: Sendable, Equatable {
        public enum Kind: String, Sendable { case insert, update, delete, keep }
        public var kind: Kind
        public var key: RowKey
        /// Why, for an update (the columns that change) or a row kept.
        public var detail: String
    }

    public var table: String
    public var newTable: String
    public var dryRun = false
    public var inserted = 0
    public var updated = 0
    public var deleted = 0
    /// Rows not overwritten because the new store's version is newer (newer wins).
    public var notNewer = 0
    /// Rows only the new store has, kept because `--delete-extra` was not given.
    public var extraKept = 0
    /// Keys the reconcile found in legacy that legacy no longer has (changed since).
    public var gone = 0
    public var chunks = 0
    /// The checkpoint of an earlier repair of this table that did not finish.
    public var resumedFrom: String?
    public var actions: [Action] = []
    public var seconds = 0.0

    public var jsonValue: JSONValue {
        func number(_ value: Int) -> JSONValue { .number(JSONNumber(value)) }
        return .object([
            JSONMember(key: "table", value: .string(table)),
            JSONMember(key: "new_table", value: .string(newTable)),
            JSONMember(key: "dry_run", value: .bool(dryRun)),
            JSONMember(key: "inserted", value: number(inserted)),
            JSONMember(key: "updated", value: number(updated)),
            JSONMember(key: "deleted", value: number(deleted)),
            JSONMember(key: "not_newer", value: number(notNewer)),
            JSONMember(key: "extra_kept", value: number(extraKept)),
            JSONMember(key: "gone", value: number(gone)),
            JSONMember(key: "chunks", value: number(chunks)),
            JSONMember(key: "resumed_from", value: resumedFrom.map(JSONValue.string) ?? .null),
            JSONMember(
                key: "actions",
                value: .array(
                    actions.map {
                        .object([
                            JSONMember(key: "action", value: .string($0.kind.rawValue)),
                            JSONMember(
                                key: "key",
                                value: $0.key.values.count == 1
                                    ? $0.key.values[0].jsonValue : .array($0.key.values.map(\.jsonValue))),
                            JSONMember(key: "detail", value: .string($0.detail)),
                        ])
                    })),
            JSONMember(key: "seconds", value: .number(JSONNumber((seconds * 1000).rounded() / 1000)!)),
        ])
    }

    public func plainText(limit: Int = 20) -> String {
        let target = newTable == table ? table : "\(table) → \(newTable)"
        let verb = dryRun ? "would " : ""
        var lines = ["repair \(target)\(dryRun ? " (dry run: nothing written)" : "")"]
        if let resumedFrom { lines.append("  an earlier repair stopped after key \(resumedFrom)") }
        lines.append("  \(verb)insert   \(inserted)")
        lines.append("  \(verb)update   \(updated)")
        lines.append("  \(verb)delete   \(deleted)")
        if notNewer > 0 { lines.append("  not newer  \(notNewer) (the new store's version is newer: kept)") }
        if extraKept > 0 { lines.append("  extra kept \(extraKept) (pass --delete-extra to delete them)") }
        if gone > 0 { lines.append("  gone       \(gone) (no longer in legacy: reconcile again)") }
        for action in actions.prefix(limit) {
            let statement: String
            switch action.kind {
            case .insert: statement = "INSERT \(newTable) \(action.key)"
            case .update: statement = "UPDATE \(newTable) \(action.key) SET \(action.detail)"
            case .delete: statement = "DELETE \(newTable) \(action.key) (\(action.detail))"
            case .keep: statement = "keep   \(newTable) \(action.key) (\(action.detail))"
            }
            lines.append("    " + statement)
        }
        if actions.count > limit { lines.append("    … (\(actions.count - limit) more)") }
        return lines.joined(separator: "\n")
    }
}

/// Brings the new store to legacy's values for exactly the rows a reconcile found: missing rows
/// inserted, mismatched rows updated through the mapping (unless the new store's version is
/// newer), tombstoned rows deleted, extra rows deleted only when asked. Rows are read from legacy
/// again and written with backfill's upsert, in key-ordered chunks, each committed with a
/// checkpoint; running it again after any interruption converges on the same table.
public enum Repair {
    public static func run(
        _ found: ReconcileReport, options: ReconcileOptions, repair: RepairOptions, legacy: any DataStore,
        new: any DataStore
    ) async throws -> RepairReport {
        let started = Date()
        let (legacyInfo, newInfo, transform) = try await RowTransform.prepare(
            options.mapping, source: legacy, target: new)
        let tombstones = try await Tombstones.load(transform: transform, newInfo: newInfo, new: new)
        let legacyKey = transform.sourceKeyIndexes.map { transform.sourceColumns[$0] }
        let newKey = transform.targetKeyIndexes.map { transform.targetColumns[$0] }
        let version = transform.versionIndex.map { transform.targetColumns[$0] }
        let job = "repair \(legacyInfo.name)->\(newInfo.name)"
        var report = RepairReport(table: legacyInfo.name, newTable: newInfo.name)
        report.dryRun = repair.dryRun
        report.resumedFrom = try await new.readCheckpoint(job: job)?.lastKey.description

        // Every differing key once, in key order, with what the reconcile saw.
        enum Planned { case missing, mismatched(ReconcileReport.Mismatch), extra, deleted }
        var plan = [(RowKey, Planned)]()
        plan += found.missingInNew.map { ($0, .missing) }
        plan += found.mismatched.map { ($0.key, .mismatched($0)) }
        plan += found.extraInNew.map { ($0, .extra) }
        plan += found.deletedInLegacy.map { ($0, .deleted) }
        plan = plan.filter { !found.allowed.contains($0.0) }.sorted { $0.0 < $1.0 }

        let progress = ProgressBar(
            label: "repair \(legacyInfo.name)", total: plan.count, enabled: repair.showProgress && !repair.dryRun)
        defer { progress.finish() }
        let sourceKeyTypes = legacyKey.map { legacyInfo.column($0)?.type ?? .text }
        var done = 0
        for start in stride(from: 0, to: plan.count, by: max(1, repair.chunkSize)) {
            let slice = plan[start..<min(plan.count, start + max(1, repair.chunkSize))]
            // Rows to bring over from legacy: read again now, so a row changed since the reconcile
            // is written as it is now.
            let wanted = slice.compactMap { entry -> RowKey? in
                switch entry.1 {
                case .missing, .mismatched: entry.0
                case .extra, .deleted: nil
                }
            }
            let sourceKeys = try wanted.map { key in
                RowKey(
                    try zip(key.values, sourceKeyTypes).map { value, type in
                        do { return try value.converted(to: type) } catch {
                            throw DataError(.row, "table \(legacyInfo.name), key \(key): \(error)")
                        }
                    })
            }
            let rows = try await legacy.readRows(
                table: legacyInfo, columns: transform.sourceColumns, key: legacyKey, keys: sourceKeys)
            let mapped = MappedChunk(rows, transform: transform, tombstones: tombstones)
            if let (error, _) = mapped.failures.first {
                throw DataError(
                    .row,
                    "table \(legacyInfo.name), key \(error.key), column \(error.column): \(error.message); "
                        + "fix the row or the mapping")
            }
            let present = Set(mapped.rows.map(transform.targetKey))
            var chunk = ChunkWrite(
                table: newInfo, columns: transform.targetColumns, types: transform.targetTypes, key: newKey,
                version: version, rows: mapped.rows)
            chunk.versionRule = .notOlder
            chunk.deleting = mapped.deleting
            var newer = 0
            var inserts = 0
            var updates = 0
            for (key, planned) in slice {
                switch planned {
                case .missing:
                    if present.contains(key) {
                        inserts += 1
                        report.actions.append(.init(kind: .insert, key: key, detail: ""))
                    }
                case .mismatched(let mismatch):
                    guard present.contains(key) else { break }
                    if let version, let column = mismatch.columns.first(where: { $0.column == version }),
                        DataValue.order(column.new, column.legacy) > 0, !column.legacy.isNull
                    {
                        newer += 1
                        report.actions.append(
                            .init(
                                kind: .keep, key: key,
                                detail: "\(version) \(column.new.displayText) is newer than legacy's "
                                    + column.legacy.displayText))
                        continue
                    }
                    updates += 1
                    report.actions.append(
                        .init(
                            kind: .update, key: key,
                            detail: mismatch.columns.map { "\($0.column) = \($0.legacy.displayText)" }.joined(
                                separator: ", ")))
                case .extra:
                    if repair.deleteExtra {
                        chunk.deleting.append(key)
                        report.actions.append(.init(kind: .delete, key: key, detail: "only in the new store"))
                    } else {
                        report.extraKept += 1
                        report.actions.append(.init(kind: .keep, key: key, detail: "only in the new store"))
                    }
                case .deleted:
                    chunk.deleting.append(key)
                    report.actions.append(.init(kind: .delete, key: key, detail: "deleted in legacy"))
                }
            }
            // A key planned for an upsert that legacy no longer has, or now marks deleted.
            report.gone += wanted.count - present.count - mapped.deleting.count
            for key in mapped.deleting {
                report.actions.append(.init(kind: .delete, key: key, detail: "deleted in legacy"))
            }
            report.chunks += 1
            done += slice.count
            if repair.dryRun {
                report.inserted += inserts
                report.updated += updates
                report.deleted += chunk.deleting.count
                report.notNewer += newer
                continue
            }
            let result = try await new.write(
                chunk, checkpoint: Checkpoint(job: job, lastKey: slice.last!.0, rowsDone: done))
            // The upsert decides newer-wins in the database; what it refused was not written.
            report.inserted += inserts
            report.updated += max(0, result.applied - inserts)
            report.notNewer += chunk.rows.count - result.applied
            report.deleted += result.deleted
            progress.update(done: done)
        }
        if !repair.dryRun { try await new.clearCheckpoint(job: job) }
        report.seconds = Date().timeIntervalSince(started)
        return report
    }
}
