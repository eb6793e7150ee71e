/// Newer wins: the rule of every backfill write. A row is written when the target has none, or
/// when the incoming version is strictly greater; a replay of the same version is a no-op.
public enum NewerWins {
    public static func applies(incoming: DataValue, existing: DataValue?) -> Bool {
        guard let existing else { return true }
        if existing.isNull { return true }
        if incoming.isNull { return false }
        return DataValue.order(incoming, existing) > 0
    }
}

/// An in-memory table with newer-wins upserts: the semantics the SQL of each engine implements.
public struct VersionedTable<Key: Hashable & Sendable, Row: Sendable>: Sendable {
    public private(set) var rows: [Key: (version: DataValue, row: Row)] = [:]

    public init() {}

    /// Writes `row` unless the stored version is as new or newer; returns whether it was applied.
    @discardableResult
    public mutating func upsert(key: Key, version: DataValue, row: Row) -> Bool {
        guard NewerWins.applies(incoming: version, existing: rows[key]?.version) else { return false }
        rows[key] = (version, row)
        return true
    }

    public subscript(key: Key) -> Row? { rows[key]?.row }
}

/// Picks the size of the next chunk so that one chunk takes about `targetSeconds`: large enough
/// to amortise the round trips, small enough that a transaction stays short.
public struct ChunkSizer: Sendable, Equatable {
    public private(set) var size: Int
    public let minimum: Int
    public let maximum: Int
    public let targetSeconds: Double
    public let fixed: Bool

    public init(fixed size: Int) {
        self.size = size
        minimum = size
        maximum = size
        targetSeconds = 0
        fixed = true
    }

    public init(initial: Int = 1000, minimum: Int = 100, maximum: Int = 50_000, targetSeconds: Double = 0.5) {
        size = initial
        self.minimum = minimum
        self.maximum = maximum
        self.targetSeconds = targetSeconds
        fixed = false
    }

    /// Records how long the last chunk of `rows` rows took.
    public mutating func record(rows: Int, seconds: Double) {
        guard !fixed, rows > 0, seconds > 0 else { return }
        let ideal = Double(rows) * targetSeconds / seconds
        // Move at most ×2 / ÷2 a step, so one slow chunk does not collapse the size.
        let bounded = min(Double(size) * 2, max(Double(size) / 2, ideal))
        size = min(maximum, max(minimum, Int(bounded)))
    }
}
