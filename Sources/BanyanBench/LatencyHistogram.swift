import Histogram

/// Latencies in microseconds, recorded in an HdrHistogram with three significant digits: constant
/// memory and O(1) recording whatever the sample count, with a bounded quantization error.
/// (The proxy's per-route counters are its coarser `RouteLatencyHistogram`.)
public struct LatencyHistogram: Sendable {
    /// The recorded values; one unit is one microsecond.
    public private(set) var histogram: Histogram<UInt64>

    /// The largest value a histogram tracks: one hour. Larger values are recorded as one hour.
    public static let highestTrackableValue: UInt64 = 3_600_000_000

    public init() {
        histogram = Histogram(
            lowestDiscernibleValue: 1, highestTrackableValue: Self.highestTrackableValue,
            numberOfSignificantValueDigits: .three)
    }

    /// Records one value (microseconds for latencies).
    @inline(__always)
    public mutating func record(_ value: UInt64) {
        histogram.record(Swift.min(value, Self.highestTrackableValue))
    }

    /// Adds every value recorded in another histogram.
    public mutating func add(_ other: LatencyHistogram) {
        histogram.add(other.histogram)
    }

    /// How many values were recorded.
    public var count: UInt64 { histogram.totalCount }

    /// The value at a percentile (0–100), reported as HdrHistogram's Java and Rust libraries report
    /// it: the highest value equivalent to the bucket the percentile falls in. (hdrhistogram-swift
    /// clamps to the largest value recorded; the bucket's upper edge keeps the error on the safe side.)
    public func value(atPercentile percentile: Double) -> UInt64 {
        guard count > 0 else { return 0 }
        if percentile >= 100 { return histogram.max }
        return histogram.highestEquivalentForValue(histogram.valueAtPercentile(percentile))
    }

    /// p50, p90, p99, p99.9, max, mean and count.
    public var summary: LatencySummary {
        LatencySummary(
            count: count, p50: value(atPercentile: 50), p90: value(atPercentile: 90),
            p99: value(atPercentile: 99), p999: value(atPercentile: 99.9),
            max: count > 0 ? histogram.max : 0, mean: count > 0 ? histogram.mean : 0)
    }

    /// The full percentile spectrum, in steps that halve the distance to 100% (five per half),
    /// as HdrHistogram's percentile distribution prints it.
    public var spectrum: [SpectrumPoint] {
        guard count > 0 else { return [] }
        var points: [SpectrumPoint] = []
        for step in histogram.percentiles(ticksPerHalfDistance: 5) {
            points.append(
                SpectrumPoint(
                    percentile: step.percentileLevelIteratedTo,
                    value: histogram.highestEquivalentForValue(step.value)))
        }
        return points
    }
}

/// The numbers a latency report gives: percentiles, max and count, never the mean alone.
/// Values are in the histogram's unit (microseconds for latencies).
public struct LatencySummary: Sendable, Hashable, Codable {
    public var count: UInt64
    public var p50: UInt64
    public var p90: UInt64
    public var p99: UInt64
    public var p999: UInt64
    public var max: UInt64
    /// Shown only beside the percentiles: a mean describes no real request.
    public var mean: Double

    public init(count: UInt64, p50: UInt64, p90: UInt64, p99: UInt64, p999: UInt64, max: UInt64, mean: Double) {
        self.count = count
        self.p50 = p50
        self.p90 = p90
        self.p99 = p99
        self.p999 = p999
        self.max = max
        self.mean = mean
    }

    /// The value at one of the reported percentiles (50, 90, 99, 99.9, 100).
    public func value(atPercentile percentile: Double) -> UInt64? {
        switch percentile {
        case 50: p50
        case 90: p90
        case 99: p99
        case 99.9: p999
        case 100: max
        default: nil
        }
    }
}

/// One step of a percentile spectrum.
public struct SpectrumPoint: Sendable, Hashable, Codable {
    /// 0–100.
    public var percentile: Double
    /// In the histogram's unit (microseconds for latencies).
    public var value: UInt64

    public init(percentile: Double, value: UInt64) {
        self.percentile = percentile
        self.value = value
    }
}
