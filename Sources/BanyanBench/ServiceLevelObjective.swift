import Foundation

/// A latency objective such as `p99<50ms`: the percentile must stay under (or at) the limit.
public struct ServiceLevelObjective: Sendable, Hashable, Codable, CustomStringConvertible {
    /// 0–100.
    public var percentile: Double
    public var limitMicroseconds: UInt64
    /// `<=` rather than `<`.
    public var inclusive: Bool

    public init(percentile: Double, limitMicroseconds: UInt64, inclusive: Bool = false) {
        self.percentile = percentile
        self.limitMicroseconds = limitMicroseconds
        self.inclusive = inclusive
    }

    /// Parses `p99<50ms`, `p99.9<=200ms`, `p50<800us`, `p99<1s`.
    public init(parsing text: String) throws(BenchError) {
        let compact = text.filter { !$0.isWhitespace }.lowercased()
        let hint = "write it like 'p99<50ms' (a percentile, < or <=, a duration in us, ms or s)"
        guard compact.hasPrefix("p"), let less = compact.firstIndex(of: "<") else {
            throw BenchError(.usage, "--slo '\(text)': \(hint)")
        }
        let percentileText = compact[compact.index(after: compact.startIndex)..<less]
        guard let percentile = Double(percentileText), percentile > 0, percentile <= 100 else {
            throw BenchError(.usage, "--slo '\(text)': '\(percentileText)' is not a percentile between 0 and 100")
        }
        var rest = compact[compact.index(after: less)...]
        let inclusive = rest.hasPrefix("=")
        if inclusive { rest = rest.dropFirst() }
        guard let seconds = DurationText.seconds(String(rest)), seconds > 0 else {
            throw BenchError(.usage, "--slo '\(text)': '\(rest)' is not a duration; \(hint)")
        }
        self.init(
            percentile: percentile, limitMicroseconds: UInt64((seconds * 1_000_000).rounded()), inclusive: inclusive)
    }

    /// Whether a histogram meets the objective.
    public func isMet(by histogram: LatencyHistogram) -> Bool {
        let value = histogram.value(atPercentile: percentile)
        return inclusive ? value <= limitMicroseconds : value < limitMicroseconds
    }

    public var description: String {
        "p\(PercentileText.label(percentile))\(inclusive ? "<=" : "<")\(DurationText.describe(microseconds: limitMicroseconds))"
    }
}

/// Durations written on the command line: `10s`, `500ms`, `250us`, `2m`, or a plain number of seconds.
public enum DurationText {
    public static func seconds(_ text: String) -> Double? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        for (suffix, scale) in [("us", 1e-6), ("µs", 1e-6), ("ms", 1e-3), ("s", 1.0), ("m", 60.0)]
        where trimmed.hasSuffix(suffix) {
            guard let value = Double(trimmed.dropLast(suffix.count)), value >= 0 else { return nil }
            return value * scale
        }
        guard let value = Double(trimmed), value >= 0 else { return nil }
        return value
    }

    /// `50ms`, `1.5s`, `800us`.
    public static func describe(microseconds: UInt64) -> String {
        if microseconds >= 1_000_000 && microseconds % 100_000 == 0 {
            return "\(trimmed(Double(microseconds) / 1e6))s"
        }
        if microseconds >= 1000 && microseconds % 100 == 0 { return "\(trimmed(Double(microseconds) / 1e3))ms" }
        return "\(microseconds)us"
    }

    private static func trimmed(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}

/// `99`, `99.9`, `50` for report labels.
public enum PercentileText {
    public static func label(_ percentile: Double) -> String {
        percentile == percentile.rounded() ? String(Int(percentile)) : String(percentile)
    }
}
