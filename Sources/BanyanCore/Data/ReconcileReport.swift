/// What reconcile found between the legacy table (through the mapping) and the new one.
///
/// Both sides are compared row by row in each column's canonical form; every row that differs is
/// listed by key in one of four lists: ``missingInNew``, ``extraInNew``, ``mismatched`` (with the
/// differing columns and both values) and ``deletedInLegacy``. ``isClean`` is the gate of the
/// `NewPrimary` phase. The report has a JSON form (``jsonValue``), a text form for a person
/// (``plainText(limit:)``) and a Prometheus form (``metricText()``).
public struct ReconcileReport: Sendable, Equatable {
    /// One row present on both sides whose canonical forms differ.
    public struct Mismatch: Sendable, Equatable {
        /// The row's primary key.
        public var key: RowKey
        /// The columns that differ, with legacy's and the new store's values.
        public var columns: [ColumnDifference]
        /// Creates a mismatch.
        ///
        /// - Parameters:
        ///   - key: The row's primary key.
        ///   - columns: The differing columns, at least one.
        public init(key: RowKey, columns: [ColumnDifference]) {
            self.key = key
            self.columns = columns
        }
    }

    /// The legacy table.
    public var table: String
    /// The table in the new store (the mapping's `target:`); the same name as ``table`` when the
    /// mapping does not rename it.
    public var newTable: String
    /// How many legacy rows were examined.
    public var checked: Int
    /// Keys of legacy rows the new store lacks, in key order.
    public var missingInNew: [RowKey]
    /// Keys of rows only the new store has, in key order (a row deleted in legacy that the mapping
    /// does not mark is counted here).
    public var extraInNew: [RowKey]
    /// Rows on both sides whose canonical forms differ, in key order.
    public var mismatched: [Mismatch]
    /// Rows the new store still holds although legacy marks them deleted (a tombstone the
    /// mapping names: `deleted_column` set, or the key in `deletes_table`).
    public var deletedInLegacy: [RowKey] = []
    /// Keys accepted as differing by `--allow` or `--allow-file`; they are still listed but do not
    /// count as drift.
    public var allowed: Set<RowKey>
    /// How the tables were compared: `checksum-bisection` (both stores in PostgreSQL) or
    /// `streaming-merge` (the default).
    public var method: String
    /// The watermark filter (`column >= value`) when only recent rows were checked (`--since`);
    /// nil for a full reconcile. A partial run cannot open the gate.
    public var since: String?
    /// How long the reconcile took, in seconds.
    public var seconds: Double

    /// Creates a report; the lists start empty and are filled as the comparison goes.
    ///
    /// - Parameters:
    ///   - table: The legacy table.
    ///   - newTable: The table in the new store.
    ///   - checked: How many legacy rows were examined.
    ///   - missingInNew: Keys the new store lacks.
    ///   - extraInNew: Keys only the new store has.
    ///   - mismatched: Rows whose canonical forms differ.
    ///   - allowed: Keys accepted as differing.
    ///   - method: `checksum-bisection` or `streaming-merge`.
    ///   - since: The watermark filter, or nil for a full reconcile.
    ///   - seconds: How long the reconcile took.
    public init(
        table: String, newTable: String, checked: Int = 0, missingInNew: [RowKey] = [], extraInNew: [RowKey] = [],
        mismatched: [Mismatch] = [], allowed: Set<RowKey> = [], method: String = "streaming-merge",
        since: String? = nil, seconds: Double = 0
    ) {
        self.table = table
        self.newTable = newTable
        self.checked = checked
        self.missingInNew = missingInNew
        self.extraInNew = extraInNew
        self.mismatched = mismatched
        self.allowed = allowed
        self.method = method
        self.since = since
        self.seconds = seconds
    }

    /// Every differing key from the four lists, allowed ones included, in key order: the list
    /// `--export-ids` writes and `--repair` works through.
    public var differingKeys: [RowKey] {
        (missingInNew + extraInNew + deletedInLegacy + mismatched.map(\.key)).sorted()
    }

    /// How many differing rows are not in ``allowed``.
    public var drift: Int { differingKeys.filter { !allowed.contains($0) }.count }

    /// The gate: whether it is safe to cut over, which is when nothing differs outside the allow
    /// list.
    public var isClean: Bool { drift == 0 }

    /// The report as `--format json` prints it and the state database keeps it: `table`,
    /// `new_table`, `checked`, `missing_in_new`, `extra_in_new`, `mismatched` (each with `key` and
    /// `columns` of `{column, legacy, new}`), `deleted_in_legacy`, `allowed`, `drift`, `clean`,
    /// `method`, `since` when set and `seconds`. A single-column key is its value, a composite key an
    /// array.
    public var jsonValue: JSONValue {
        func keys(_ list: [RowKey]) -> JSONValue {
            .array(list.map { $0.values.count == 1 ? $0.values[0].jsonValue : .array($0.values.map(\.jsonValue)) })
        }
        let mismatches: [JSONValue] = mismatched.map { mismatch in
            let columns: [JSONValue] = mismatch.columns.map {
                .object([
                    JSONMember(key: "column", value: .string($0.column)),
                    JSONMember(key: "legacy", value: $0.legacy.jsonValue),
                    JSONMember(key: "new", value: $0.new.jsonValue),
                ])
            }
            return .object([
                JSONMember(key: "key", value: keys([mismatch.key]).arrayFirst),
                JSONMember(key: "columns", value: .array(columns)),
            ])
        }
        var members = [
            JSONMember(key: "table", value: .string(table)),
            JSONMember(key: "new_table", value: .string(newTable)),
            JSONMember(key: "checked", value: .number(JSONNumber(checked))),
            JSONMember(key: "missing_in_new", value: keys(missingInNew)),
            JSONMember(key: "extra_in_new", value: keys(extraInNew)),
            JSONMember(key: "mismatched", value: .array(mismatches)),
            JSONMember(key: "deleted_in_legacy", value: keys(deletedInLegacy)),
            JSONMember(key: "allowed", value: keys(allowed.sorted())),
            JSONMember(key: "drift", value: .number(JSONNumber(drift))),
            JSONMember(key: "clean", value: .bool(isClean)),
            JSONMember(key: "method", value: .string(method)),
        ]
        if let since { members.append(JSONMember(key: "since", value: .string(since))) }
        members.append(JSONMember(key: "seconds", value: .number(JSONNumber((seconds * 1000).rounded() / 1000)!)))
        return .object(members)
    }

    /// The report for a person, as `banyan data reconcile` prints it: the counts, the keys of each
    /// list, every differing column with both values, and a last line that says whether it is safe
    /// to cut over or what to do.
    ///
    /// - Parameter limit: How many keys of each list, and how many mismatched rows, are shown; the
    ///   rest are counted (`… (12 more)`).
    /// - Returns: The report as lines joined by newlines, without a trailing newline.
    public func plainText(limit: Int = 20) -> String {
        func list(_ keys: [RowKey]) -> String {
            let shown = keys.prefix(limit).map(\.description).joined(separator: ", ")
            return keys.count > limit ? shown + ", … (\(keys.count - limit) more)" : shown
        }
        let target = newTable == table ? table : "\(table) → \(newTable)"
        var lines = ["reconcile \(target) (\(method)\(since.map { ", since \($0)" } ?? ""))"]
        lines.append("  checked         \(checked)")
        lines.append("  missing_in_new  \(missingInNew.count)\(missingInNew.isEmpty ? "" : ": " + list(missingInNew))")
        lines.append("  extra_in_new    \(extraInNew.count)\(extraInNew.isEmpty ? "" : ": " + list(extraInNew))")
        if !deletedInLegacy.isEmpty {
            lines.append("  deleted_in_legacy \(deletedInLegacy.count): " + list(deletedInLegacy))
        }
        lines.append("  mismatched      \(mismatched.count)")
        for mismatch in mismatched.prefix(limit) {
            for column in mismatch.columns {
                lines.append(
                    "    \(mismatch.key)  \(column.column): legacy \(column.legacy.displayText), new \(column.new.displayText)"
                )
            }
        }
        if mismatched.count > limit { lines.append("    … (\(mismatched.count - limit) more rows)") }
        if !allowed.isEmpty { lines.append("  allowed         \(allowed.count)") }
        lines.append(
            isClean
                ? "clean: safe to cut over"
                : "not clean: \(drift) row(s) differ; repair them (--repair) and reconcile again")
        return lines.joined(separator: "\n")
    }

    /// The drift as Prometheus text-format gauges, for a node exporter's textfile collector
    /// (`--metrics-file`): `banyan_data_drift_rows`, `banyan_data_drift_rows_by_kind` per list and
    /// `banyan_data_reconcile_checked_rows`, each labelled with the table. Ends with a newline.
    public func metricText() -> String {
        let label = "table=\"\(table)\""
        return """
            # HELP banyan_data_drift_rows Rows that differ between the legacy and the new store.
            # TYPE banyan_data_drift_rows gauge
            banyan_data_drift_rows{\(label)} \(drift)
            banyan_data_drift_rows_by_kind{\(label),kind="missing_in_new"} \(missingInNew.count)
            banyan_data_drift_rows_by_kind{\(label),kind="extra_in_new"} \(extraInNew.count)
            banyan_data_drift_rows_by_kind{\(label),kind="mismatched"} \(mismatched.count)
            banyan_data_drift_rows_by_kind{\(label),kind="deleted_in_legacy"} \(deletedInLegacy.count)
            # HELP banyan_data_reconcile_checked_rows Legacy rows the last reconcile examined.
            # TYPE banyan_data_reconcile_checked_rows gauge
            banyan_data_reconcile_checked_rows{\(label)} \(checked)

            """
    }
}

extension JSONValue {
    fileprivate var arrayFirst: JSONValue {
        if case .array(let elements) = self, let first = elements.first { return first }
        return self
    }
}
