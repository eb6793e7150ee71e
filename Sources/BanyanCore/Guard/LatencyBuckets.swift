/// Latencies counted in logarithmic buckets: four to an octave (each about 19% wide), from 16 µs
/// to about 16 hours, in 128 counters.
///
/// The guard keeps one of these per side and per slice of its window. It adds and subtracts
/// them as slices enter and leave the window, which an HDR histogram or a sample reservoir would
/// not allow as cheaply, and a quantile read from it is within one bucket (19%) of the exact one:
/// ample for "the candidate's answers are 50% slower than legacy's".
public struct LatencyBuckets: Sendable, Hashable {
    /// The number of buckets.
    public static let count = 128
    /// The upper edge of bucket 0, in seconds.
    static let first = 16e-6
    static let perOctave = 4.0

    /// Samples per bucket.
    public private(set) var counts: [Int]
    /// The number of samples.
    public private(set) var total: Int

    /// An empty set of buckets.
    public init() {
        counts = Array(repeating: 0, count: Self.count)
        total = 0
    }

    /// The bucket a latency falls in.
    ///
    /// - Parameter seconds: the latency; anything at or below 16 µs goes to bucket 0, anything past
    ///   the last edge to the last bucket.
    public static func bucket(for seconds: Double) -> Int {
        guard seconds > first else { return 0 }
        // ceil(4·log2(x)) from the binary exponent and a comparison of the significand with the
        // quarter-octave edges: exact, and no logarithm on the data path.
        let ratio = seconds / first
        let significand = ratio.significand
        var index = 4 * Int(ratio.exponent)
        if significand > 1 {
            index +=
                significand <= quarterEdges[1]
                ? 1 : significand <= quarterEdges[2] ? 2 : significand <= quarterEdges[3] ? 3 : 4
        }
        return min(index, count - 1)
    }

    /// 2^(k/4) for k = 0…3.
    static let quarterEdges = [1.0, 1.189_207_115_002_721, 1.414_213_562_373_095_1, 1.681_792_830_507_429]

    /// The upper edge of a bucket, in seconds: what a quantile that falls in it reads as.
    public static func upperEdge(of bucket: Int) -> Double {
        var value = first
        // 2^(bucket/4) as whole octaves times the quarter-octave remainder.
        for _ in 0..<(bucket / 4) { value *= 2 }
        return value * quarterEdges[bucket % 4]
    }

    /// Counts one latency.
    public mutating func record(_ seconds: Double) {
        record(bucket: Self.bucket(for: seconds))
    }

    /// Counts one latency already turned into its bucket (``bucket(for:)``).
    public mutating func record(bucket: Int) {
        counts[bucket] += 1
        total += 1
    }

    /// Adds another set of buckets to this one.
    public mutating func add(_ other: LatencyBuckets) {
        guard other.total > 0 else { return }
        for index in 0..<Self.count { counts[index] += other.counts[index] }
        total += other.total
    }

    /// Removes a set of buckets that was added before.
    public mutating func subtract(_ other: LatencyBuckets) {
        guard other.total > 0 else { return }
        for index in 0..<Self.count { counts[index] -= other.counts[index] }
        total -= other.total
    }

    /// The latency at or below which `fraction` of the samples lie, as the upper edge of its
    /// bucket; nil when empty.
    ///
    /// - Parameter fraction: 0.5 for the median, 0.99 for p99.
    public func quantile(_ fraction: Double) -> Double? {
        guard total > 0 else { return nil }
        let rank = max(1, Int((fraction * Double(total)).rounded(.up)))
        var seen = 0
        for index in 0..<Self.count {
            seen += counts[index]
            if seen >= rank { return Self.upperEdge(of: index) }
        }
        return Self.upperEdge(of: Self.count - 1)
    }

    /// How many samples lie in buckets wholly above `seconds` (a sample in the bucket that holds
    /// `seconds` is not counted: the count never overstates how many were slower).
    public func count(above seconds: Double) -> Int {
        let from = Self.bucket(for: seconds) + 1
        guard from < Self.count else { return 0 }
        var sum = 0
        for index in from..<Self.count { sum += counts[index] }
        return sum
    }
}
