/// What reconcile found between the legacy table (through the mapping) and the new one.
public struct ReconcileReport: Sendable, Equatable {
    /// One row present on both sides whose canonical forms differ.
    public struct Mismatch: Sendable, Equatable {
        public var key: RowKey
        public var columns: [ColumnDifference]
        public init(key: RowKey, columns: [ColumnDifference]) {
            self.key = key
            self.columns = columns
        }
    }

    public var table: String
    public var newTable: String
    /// Legacy rows examined.
    public var checked: Int
    public var missingInNew: [RowKey]
    public var extraInNew: [RowKey]
    public var mismatched: [Mismatch]
    /// Rows the new store still holds although legacy marks them deleted (a tombstone the
    /// mapping names: `deleted_column` set, or the key in `deletes_table`).
    public var deletedInLegacy: [RowKey] = []
    /// Keys accepted as differing by `--allow`; they do not fail the gate.
    public var allowed: Set<RowKey>
    /// `checksum-bisection` or `streaming-merge`.
    public var method: String
    /// Watermark filter (`column >= value`) when only recent rows were checked.
    public var since: String?
    public var seconds: Double

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

    /// Every differing key, in key order.
    public var differingKeys: [RowKey] {
        (missingInNew + extraInNew + deletedInLegacy + mismatched.map(\.key)).sorted()
    }

    /// Differences not covered by `allowed`.
    public var drift: Int { differingKeys.filter { !allowed.contains($0) }.count }

    /// The gate: safe to cut over only when nothing differs outside the allow list.
    public var isClean: Bool { drift == 0 }

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

    /// The report for a person; at most `limit` keys of each list are shown.
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

    /// The drift as a Prometheus text-format metric.
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
