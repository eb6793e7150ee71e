import BanyanCore
import Foundation

/// Checksum bisection: both PostgreSQL databases hash the canonical form of every row of a key
/// range and sum the hashes; equal (count, sum) pairs mean equal ranges, unequal ones are split
/// until they are small enough to compare row by row with the streaming merge — so the report
/// is the one the merge alone would give.
enum Bisection {
    /// A range is compared row by row once neither side has more rows than this.
    static let mergeBelow = 2_000
    static let fanOut = 64

    /// The canonical SQL expression of each column on both sides, or nil when the hashing cannot be
    /// pushed into the databases.
    static func sqlColumns(plan: Reconcile.Plan, legacy: any DataStore, new: any DataStore) -> [(String, String)]? {
        guard legacy.engine == .postgres, new.engine == .postgres, plan.legacyKey.count == 1,
            plan.legacyInfo.column(plan.legacyKey[0])?.type == .integer,
            plan.newInfo.column(plan.newKey[0])?.type == .integer
        else { return nil }
        var out = [(String, String)]()
        for (index, column) in plan.transform.mapping.columnsOrIdentity(plan.transform).enumerated() {
            guard case .column(let sourceName) = column.source,
                let source = plan.legacyInfo.column(sourceName), let target = plan.newInfo.column(column.target)
            else { return nil }
            let type = plan.transform.targetTypes[index]
            guard sameClass(source.type, type), sameClass(target.type, type) else { return nil }
            guard let legacyExpression = expression(quoted(source.name), type: type, rule: column.canonical),
                let newExpression = expression(quoted(target.name), type: type, rule: column.canonical)
            else { return nil }
            out.append((legacyExpression, newExpression))
        }
        return out
    }

    static func sameClass(_ a: ColumnType, _ b: ColumnType) -> Bool {
        switch (a, b) {
        case (.numeric, .numeric): true
        default: a == b
        }
    }

    /// The same canonical form as `CanonicalRule.apply`, in SQL. Where SQL is stricter than Swift
    /// (PostgreSQL's `btrim` trims fewer characters), a range only looks different and the merge
    /// decides; it is never more forgiving.
    static func expression(_ column: String, type: ColumnType, rule: CanonicalRule) -> String? {
        switch type {
        case .text:
            var value = column
            if rule.trim { value = "btrim(\(value), E' \\t\\n\\r')" }
            if rule.lowercase { value = "lower(\(value))" }
            if rule.emptyIsNull { value = "nullif(\(value), '')" }
            return value
        case .timestamp:
            let unit: String
            switch rule.timestampDigits {
            case nil, 6?: unit = "microseconds"
            case 3?: unit = "milliseconds"
            case 0?: unit = "second"
            default: return nil
            }
            return "(extract(epoch FROM date_trunc('\(unit)', \(column))) * 1000000)::int8"
        case .integer, .real, .numeric:
            if let scale = rule.numericScale { return "round(\(column)::numeric, \(scale))" }
            if case .numeric = type { return "trim_scale(\(column))" }
            return column
        case .boolean, .blob: return column
        case .json: return "\(column)::jsonb"
        }
    }

    struct Bucket: Equatable {
        var count: Int64
        var sum: String
    }

    static func run(
        plan: Reconcile.Plan, columns: [(String, String)], legacy: any DataStore, new: any DataStore,
        options: ReconcileOptions, into report: inout ReconcileReport
    ) async throws {
        report.method = "checksum-bisection"
        let legacyKey = quoted(plan.legacyKey[0])
        let newKey = quoted(plan.newKey[0])
        func bounds(_ store: any DataStore, _ table: String, _ key: String, _ filter: WatermarkFilter?) async throws
            -> (Int64, Int64, Int64)?
        {
            let (condition, parameters) = where_(filter, firstIndex: 1)
            let rows = try await store.select(
                "SELECT min(\(key))::int8, max(\(key))::int8, count(*) FROM \(quoted(table))\(condition)", parameters)
            guard let row = rows.first, case .integer(let low) = row[0], case .integer(let high) = row[1],
                case .integer(let count) = row[2]
            else { return nil }
            return (low, high, count)
        }
        async let legacyBounds = bounds(legacy, plan.legacyInfo.name, legacyKey, plan.legacyFilter)
        async let newBounds = bounds(new, plan.newInfo.name, newKey, plan.newFilter)
        let (l, n) = try await (legacyBounds, newBounds)
        guard l != nil || n != nil else { return }
        let low = min(l?.0 ?? Int64.max, n?.0 ?? Int64.max)
        let high = max(l?.1 ?? Int64.min, n?.1 ?? Int64.min)
        let total = Int(l?.2 ?? 0)
        let progress = ProgressBar(
            label: "reconcile \(plan.legacyInfo.name)", total: total, enabled: options.showProgress)
        defer { progress.finish() }
        var verified = 0
        let legacyHash = rowHash(columns.map(\.0))
        let newHash = rowHash(columns.map(\.1))
        // Work list of inclusive key ranges that still need a look.
        var ranges = [(low, high)]
        while let (rangeLow, rangeHigh) = ranges.popLast() {
            let span = rangeHigh - rangeLow + 1
            let width = max(1, (span + Int64(fanOut) - 1) / Int64(fanOut))
            async let legacyBuckets = buckets(
                legacy, plan.legacyInfo.name, legacyKey, legacyHash, rangeLow, rangeHigh, width, plan.legacyFilter)
            async let newBuckets = buckets(
                new, plan.newInfo.name, newKey, newHash, rangeLow, rangeHigh, width, plan.newFilter)
            let (left, right) = try await (legacyBuckets, newBuckets)
            for index in Set(left.keys).union(right.keys).sorted() {
                let a = left[index]
                let b = right[index]
                let bucketLow = rangeLow + index * width
                let bucketHigh = min(rangeHigh, bucketLow + width - 1)
                if a == b {
                    let rows = Int(a?.count ?? 0)
                    report.checked += rows
                    verified += rows
                    progress.update(done: verified)
                    continue
                }
                let larger = max(a?.count ?? 0, b?.count ?? 0)
                if larger <= Int64(mergeBelow) || width == 1 {
                    let before = report.checked
                    try await Reconcile.merge(
                        plan: plan, legacy: legacy, new: new,
                        after: bucketLow == Int64.min ? nil : RowKey([.integer(bucketLow - 1)]),
                        through: RowKey([.integer(bucketHigh)]), chunkSize: options.chunkSize, into: &report,
                        progress: nil)
                    verified += report.checked - before
                    progress.update(done: verified)
                } else {
                    ranges.append((bucketLow, bucketHigh))
                }
            }
        }
    }

    /// A 60-bit integer from the MD5 of the row's canonical text; summed per bucket as numeric.
    static func rowHash(_ expressions: [String]) -> String {
        "('x' || substr(md5(ROW(\(expressions.joined(separator: ", ")))::text), 1, 15))::bit(60)::int8"
    }

    static func where_(_ filter: WatermarkFilter?, firstIndex: Int, extra: [String] = []) -> (String, [DataValue]) {
        var conditions = extra
        var parameters = [DataValue]()
        if let filter {
            let cast: String
            switch filter.value {
            case .timestamp: cast = "::timestamptz"
            default: cast = ""
            }
            conditions.append("\(quoted(filter.column)) >= $\(firstIndex)\(cast)")
            parameters.append(filter.value)
        }
        return (conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND "), parameters)
    }

    static func buckets(
        _ store: any DataStore, _ table: String, _ key: String, _ hash: String, _ low: Int64, _ high: Int64,
        _ width: Int64, _ filter: WatermarkFilter?
    ) async throws -> [Int64: Bucket] {
        let (condition, parameters) = where_(
            filter, firstIndex: 1, extra: ["\(key) BETWEEN \(low) AND \(high)"])
        let rows = try await store.select(
            "SELECT div(\(key)::numeric - \(low), \(width))::int8 AS bucket, count(*), sum(\(hash))::text "
                + "FROM \(quoted(table))\(condition) GROUP BY 1",
            parameters)
        var out = [Int64: Bucket]()
        for row in rows {
            guard case .integer(let bucket) = row[0], case .integer(let count) = row[1] else { continue }
            let sum: String
            if case .text(let text) = row[2] { sum = text } else { sum = "" }
            out[bucket] = Bucket(count: count, sum: sum)
        }
        return out
    }
}

extension TableMapping {
    /// The mapping's columns, or the identity columns the transform compiled when it names none.
    func columnsOrIdentity(_ transform: RowTransform) -> [ColumnMapping] {
        if !columns.isEmpty { return columns }
        return transform.targetColumns.map { ColumnMapping(target: $0, source: .column($0)) }
    }
}
