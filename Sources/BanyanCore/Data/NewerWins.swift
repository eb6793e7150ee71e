/// Newer wins: the rule of every backfill write. A row is written when the target has none, or
/// when the incoming version is strictly greater; a replay of the same version is a no-op.
///
/// This is what lets a backfill run beside a live dual-write, and run again, without ever
/// overwriting a fresher row. The SQL each engine runs (`WHERE target.updated_at IS NULL OR
/// excluded.updated_at > target.updated_at`) implements the same rule; this is its reference.
public enum NewerWins {
    /// Whether an incoming row replaces the stored one.
    ///
    /// Versions are compared with ``DataValue/order(_:_:)``. A stored row without a version (NULL)
    /// is always replaced; an incoming row without one never replaces a stored row.
    ///
    /// - Parameters:
    ///   - incoming: The version column's value in the row being written.
    ///   - existing: The version column's value in the stored row; nil when there is no stored row.
    /// - Returns: Whether the write applies.
    public static func applies(incoming: DataValue, existing: DataValue?) -> Bool {
        guard let existing else { return true }
        if existing.isNull { return true }
        if incoming.isNull { return false }
        return DataValue.order(incoming, existing) > 0
    }
}

/// An in-memory table with newer-wins upserts: the semantics the SQL of each engine implements,
/// held in memory so that the rule can be tried without a database.
public struct VersionedTable<Key: Hashable & Sendable, Row: Sendable>: Sendable {
    /// Every stored row by key, with the version it was written at.
    public private(set) var rows: [Key: (version: DataValue, row: Row)] = [:]

    /// Creates an empty table.
    public init() {}

    /// Writes a row unless the stored version is as new or newer (``NewerWins``).
    ///
    /// - Parameters:
    ///   - key: The row's primary key.
    ///   - version: The row's version column value.
    ///   - row: The row.
    /// - Returns: Whether the row was written; false when the stored row is as new or newer.
    @discardableResult
    public mutating func upsert(key: Key, version: DataValue, row: Row) -> Bool {
        guard NewerWins.applies(incoming: version, existing: rows[key]?.version) else { return false }
        rows[key] = (version, row)
        return true
    }

    /// The stored row with this key, or nil when there is none.
    public subscript(key: Key) -> Row? { rows[key]?.row }
}

/// Picks the size of the next chunk so that one chunk takes about `targetSeconds`: large enough
/// to amortise the round trips, small enough that a transaction stays short.
///
/// Backfill reads ``size`` rows, writes them with their checkpoint, reports how long that took
/// with ``record(rows:seconds:)``, and reads the next chunk at the new size. With `--chunk-size N`
/// the size is fixed instead.
public struct ChunkSizer: Sendable, Equatable {
    /// How many rows the next chunk reads.
    public private(set) var size: Int
    /// The smallest size the sizer picks; 100 by default.
    public let minimum: Int
    /// The largest size the sizer picks; 50,000 by default.
    public let maximum: Int
    /// How long one chunk should take, in seconds; 0.5 by default, 0 for a fixed size.
    public let targetSeconds: Double
    /// Whether the size never changes (`--chunk-size`).
    public let fixed: Bool

    /// Creates a sizer that always answers the same size, for `--chunk-size N`.
    ///
    /// - Parameter size: The number of rows in every chunk.
    public init(fixed size: Int) {
        self.size = size
        minimum = size
        maximum = size
        targetSeconds = 0
        fixed = true
    }

    /// Creates a sizer that adapts the size to how long chunks take.
    ///
    /// - Parameters:
    ///   - initial: The size of the first chunk, in rows.
    ///   - minimum: The smallest size it picks.
    ///   - maximum: The largest size it picks.
    ///   - targetSeconds: How long one chunk should take, in seconds.
    public init(initial: Int = 1000, minimum: Int = 100, maximum: Int = 50_000, targetSeconds: Double = 0.5) {
        size = initial
        self.minimum = minimum
        self.maximum = maximum
        self.targetSeconds = targetSeconds
        fixed = false
    }

    /// Records how long the last chunk took and picks the next ``size``.
    ///
    /// The size moves toward the number of rows that would take ``targetSeconds`` at the rate just
    /// seen, at most doubling or halving in one step so that one slow chunk does not collapse it,
    /// and stays between ``minimum`` and ``maximum``. A fixed sizer, an empty chunk or a zero time
    /// changes nothing.
    ///
    /// - Parameters:
    ///   - rows: How many rows the chunk held.
    ///   - seconds: How long reading and writing it took, in seconds.
    public mutating func record(rows: Int, seconds: Double) {
        guard !fixed, rows > 0, seconds > 0 else { return }
        let ideal = Double(rows) * targetSeconds / seconds
        // Move at most ×2 / ÷2 a step, so one slow chunk does not collapse the size.
        let bounded = min(Double(size) * 2, max(Double(size) / 2, ideal))
        size = min(maximum, max(minimum, Int(bounded)))
    }
}
