/// A log-linear histogram of latencies in microseconds: 16 sub-buckets per power of two, so a
/// percentile is within about 6% of the exact value. Recording is two shifts and an increment.
///
/// Values below 16 µs have a bucket each; the buckets cover the whole `UInt64` range, so no value
/// is clamped. The proxy keeps one per route and backend (``RouteStats/BackendCounters/latency``),
/// and the admin API reads its p50, p90 and p99.
///
/// The proxy keeps one per route and side for its status and `/metrics`. `banyan bench` reports
/// with its own `LatencyHistogram` (an HdrHistogram, three significant digits), and a route's
/// guard with ``LatencyBuckets``, which it can subtract as its window slides.
public struct RouteLatencyHistogram: Sendable, Equatable {
    static let subBits = 4
    static let subCount = 1 << subBits
    private(set) var buckets: [UInt64]
    /// How many values were recorded.
    public private(set) var count: UInt64 = 0
    /// The largest value recorded, in microseconds; 0 while empty.
    public private(set) var max: UInt64 = 0

    /// An empty histogram: 1,024 buckets, 8 KiB.
    public init() {
        buckets = Array(repeating: 0, count: 64 * Self.subCount)
    }

    static func index(of value: UInt64) -> Int {
        if value < UInt64(subCount) { return Int(value) }
        let exponent = 63 - value.leadingZeroBitCount
        let shift = exponent - subBits
        let sub = Int((value >> UInt64(shift)) & UInt64(subCount - 1))
        return (shift + 1) * subCount + sub
    }

    /// The smallest value that falls in bucket `index`'s successor, minus one: its upper edge.
    static func upperEdge(of index: Int) -> UInt64 {
        if index < subCount { return UInt64(index) }
        let shift = index / subCount - 1
        let sub = UInt64(index % subCount)
        return ((UInt64(subCount) + sub + 1) << UInt64(shift)) - 1
    }

    /// Counts one latency of `value` microseconds.
    public mutating func record(microseconds value: UInt64) {
        buckets[Self.index(of: value)] += 1
        count += 1
        if value > max { max = value }
    }

    /// The value at or below which `quantile` (0–1) of the recordings fall, in microseconds.
    ///
    /// - Parameter quantile: the share of recordings, from 0 to 1 (0.99 for p99).
    /// - Returns: the upper edge of the bucket that holds the quantile's recording, never above
    ///   ``max``, so the value errs high by at most one bucket's width; 0 when nothing was
    ///   recorded.
    public func value(atQuantile quantile: Double) -> UInt64 {
        guard count > 0 else { return 0 }
        let rank = Swift.max(1, UInt64((quantile * Double(count)).rounded(.up)))
        var seen: UInt64 = 0
        for (index, bucket) in buckets.enumerated() where bucket > 0 {
            seen += bucket
            if seen >= rank { return Swift.min(Self.upperEdge(of: index), max) }
        }
        return max
    }
}
