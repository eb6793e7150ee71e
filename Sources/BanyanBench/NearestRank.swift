/// Exact percentiles of a small sample set by the nearest-rank method, for checks and tests where
/// every sample is at hand (the load generator records into a ``LatencyHistogram`` instead).
public enum NearestRank {
    /// The sample at rank ⌈p/100 × N⌉ (1-based) of the sorted samples; 0 for no samples.
    public static func percentile(_ percentile: Double, of samples: [Double]) -> Double {
        guard !samples.isEmpty else { return 0 }
        let sorted = samples.sorted()
        // p × N / 100 rather than p / 100 × N: 90 × 20 / 100 is exactly 18, 0.9 × 20 is not.
        let rank = Int((percentile * Double(sorted.count) / 100).rounded(.up))
        return sorted[Swift.min(Swift.max(rank - 1, 0), sorted.count - 1)]
    }
}
