/// The rule behind a guard's decision.
public enum GuardRule: String, Sendable, Hashable, Codable {
    /// The candidate's failure rate is above legacy's plus the margin, with confidence.
    case failureRate = "failure_rate"
    /// Too many of the candidate's answers are slower than legacy's p99 allows, with confidence.
    case latency
    /// Too many comparisons differ at or above `fail_at`, with confidence.
    case differenceRate = "difference_rate"
    /// The candidate failed this many times in a row.
    case consecutiveFailures = "consecutive_failures"
    /// Enough clean samples (for a promotion or a return after a cooldown).
    case clean
}

/// The numbers that made the guard act, recorded with the event and shown by `banyan guard status`.
public struct GuardEvidence: Sendable, Hashable, Codable {
    /// The rule that decided.
    public var rule: GuardRule
    /// The window's length in seconds.
    public var window: Double
    /// The samples the rule counted: the candidate's answers, or the comparisons.
    public var samples: Int
    /// Of those, the ones with the property: failed, slow, or differing.
    public var hits: Int
    /// `hits / samples`.
    public var rate: Double
    /// The rate's lower confidence bound (upper bound for ``GuardRule/clean``).
    public var bound: Double
    /// What the bound was held against.
    public var threshold: Double
    /// Legacy's answers and failures in the window, where the rule compares with legacy.
    public var legacySamples: Int
    /// Legacy's failures in the window, of ``legacySamples``.
    public var legacyFailures: Int
    /// Legacy's and the candidate's p99 in seconds, for ``GuardRule/latency``.
    public var legacyP99: Double?
    /// The candidate's p99 in seconds, for ``GuardRule/latency``.
    public var candidateP99: Double?
    /// The run of failures, for ``GuardRule/consecutiveFailures``.
    public var consecutive: Int
    /// The confidence of the bound.
    public var confidence: Double
    /// Of ``samples``, those other proxies of the fleet counted.
    public var peerSamples: Int

    /// A line a person reads in the event log.
    public var summary: String {
        let percent = { (value: Double) in Self.percent(value) }
        switch rule {
        case .consecutiveFailures:
            return "\(consecutive) candidate failures in a row"
        case .failureRate:
            return "candidate failure rate \(percent(rate)) (\(hits)/\(samples)), at least \(percent(bound)) "
                + "at \(percent(confidence)) confidence, above the threshold \(percent(threshold)) "
                + "(legacy \(legacyFailures)/\(legacySamples)) over \(Self.seconds(window))" + fleetNote
        case .latency:
            return "\(hits)/\(samples) candidate answers slower than \(Self.milliseconds(threshold)): at least "
                + "\(percent(bound)) at \(percent(confidence)) confidence, legacy p99 "
                + "\(legacyP99.map(Self.milliseconds) ?? "-"), candidate p99 \(candidateP99.map(Self.milliseconds) ?? "-")"
                + " over \(Self.seconds(window))"
        case .differenceRate:
            return "difference rate \(percent(rate)) (\(hits)/\(samples) comparisons), at least \(percent(bound)) "
                + "at \(percent(confidence)) confidence, above the allowed \(percent(threshold)) over "
                + "\(Self.seconds(window))" + fleetNote
        case .clean:
            return "\(samples) clean samples, at most \(percent(bound)) failing at \(percent(confidence)) confidence"
        }
    }

    /// Where other proxies' samples are part of the evidence, how many.
    private var fleetNote: String {
        peerSamples > 0 ? ", \(peerSamples) of the samples from other proxies" : ""
    }

    static func percent(_ value: Double) -> String {
        let tenths = (value * 1000).rounded()
        let whole = Int(tenths) / 10
        let fraction = Int(tenths) % 10
        return fraction == 0 ? "\(whole)%" : "\(whole).\(fraction)%"
    }

    static func milliseconds(_ seconds: Double) -> String {
        let value = (seconds * 10_000).rounded() / 10
        return value == value.rounded() ? "\(Int(value)) ms" : "\(value) ms"
    }

    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value)) s" : "\(value) s"
    }
}
