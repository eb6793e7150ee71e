import Foundation

/// Everything one `banyan bench` run measured, with the conditions it ran under. Latencies are in
/// microseconds, memory in bytes, CPU time in seconds.
public struct BenchReport: Sendable, Codable {
    public var manifest: ConditionsManifest
    public var targets: [TargetReport]
    /// Each target after the first against the first (candidate against legacy).
    public var comparisons: [Comparison]
    public var warnings: [HonestyWarning]
    /// Set when the run was checked against a baseline.
    public var gate: GateResult?

    /// The metrics a baseline keeps, by target: p99 in ms, RSS under load in MB (10⁶ bytes).
    public var gateMetrics: [String: GateMetrics] {
        var metrics: [String: GateMetrics] = [:]
        for target in targets {
            metrics[target.name] = GateMetrics(
                p99Milliseconds: target.latency.count > 0 ? Double(target.latency.p99) / 1000 : nil,
                rssMegabytes: target.process.map { Double($0.rssLoadBytes) / 1e6 })
        }
        return metrics
    }

    /// The report as JSON, keys sorted.
    public func jsonText() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }
}

/// One target's results.
public struct TargetReport: Sendable, Codable {
    public var name: String
    public var url: String
    /// Open loop, every round merged; from each request's intended send time.
    public var latency: LatencySummary
    public var spectrum: [SpectrumPoint]
    public var scheduled: Int
    public var sent: Int
    public var completed: Int
    public var errors: Int
    public var timeouts: Int
    /// Status code → count.
    public var statusCounts: [String: Int]
    /// Answers per second over the rounds.
    public var achievedRate: Double
    /// How late the generator itself sent (microseconds): not the server's doing.
    public var sendLag: LatencySummary
    /// Requests due while every connection was busy (the server was slow; the wait is in the latency).
    public var waitedForConnection: Int
    public var rounds: [RoundReport]
    public var lowLoad: LowLoadReport?
    public var process: ProcessReport?
    public var verdict: CostVerdict?
    public var closedLoop: ClosedLoopReport?
    public var maxRate: MaxRateReport?
    public var firstError: String?
}

/// One round of one target.
public struct RoundReport: Sendable, Codable, Hashable {
    public var round: Int
    /// The round's time zero (NIODeadline uptime, nanoseconds): request i was due at this + i × 10⁹ / rate.
    public var startUptimeNanoseconds: UInt64
    public var latency: LatencySummary
    public var achievedRate: Double
    /// CPU seconds the target's processes spent per answer in this round, when measured.
    public var cpuSecondsPerRequest: Double?
}

/// The target at a low rate: the latency a request costs when nothing queues.
public struct LowLoadReport: Sendable, Codable, Hashable {
    public var rate: Double
    public var latency: LatencySummary
    /// Microseconds.
    public var latencyP10: UInt64
    public var cpuSecondsPerRequest: Double?
}

/// The target's own cost, read from /proc.
public struct ProcessReport: Sendable, Codable, Hashable {
    public var facts: ProcessFacts
    public var rssIdleBytes: Int
    /// Mean of the samples taken during the measured rounds.
    public var rssLoadBytes: Int
    /// The highest of VmHWM (the kernel's peak) and the samples.
    public var rssPeakBytes: Int
    public var cpuSecondsPerRequest: Double?
    /// Resident memory over the whole run, for the report's chart.
    public var timeline: [MemoryPoint]
}

public struct MemoryPoint: Sendable, Codable, Hashable {
    /// Seconds since the bench started.
    public var time: Double
    public var rssBytes: Int
    /// `idle`, `warm-up`, `low load`, `round 2`, `closed loop`, `find-max`.
    public var phase: String
}

/// A closed-loop measurement of the same target, labelled as such: it waits for each answer before
/// sending the next request, so stalls hold back the requests that would have seen them.
public struct ClosedLoopReport: Sendable, Codable, Hashable {
    public var label: String
    public var connections: Int
    public var latency: LatencySummary
    public var spectrum: [SpectrumPoint]
    public var achievedRate: Double
}

/// The highest rate found that meets an SLO.
public struct MaxRateReport: Sendable, Codable, Hashable {
    public struct Step: Sendable, Codable, Hashable {
        public var rate: Double
        /// The SLO percentile's value, microseconds.
        public var value: UInt64
        public var errors: Int
        public var met: Bool
    }
    public var slo: String
    /// 0 when no rate tried met it.
    public var rate: Double
    public var steps: [Step]
}

/// A ratio between two targets, with its spread across rounds.
public struct Comparison: Sendable, Codable, Hashable {
    public var target: String
    public var against: String
    /// `p50`, `p99`, `p99.9`, `rss`, `cpu-per-request`.
    public var metric: String
    /// target ÷ against over the merged rounds; below 1 means the target is lower (better).
    public var ratio: Double
    public var roundMinimum: Double?
    public var roundMaximum: Double?
}

/// Where a route's time goes: its CPU time per request against its latency when nothing queues.
/// The "profile first" rule: a rewrite speeds up CPU; an I/O-bound route gains little.
public struct CostVerdict: Sendable, Codable, Hashable {
    public enum Kind: String, Sendable, Codable, Hashable {
        case cpuBound = "cpu-bound"
        case ioBound = "io-bound"
    }
    public var kind: Kind
    public var cpuMillisecondsPerRequest: Double
    /// p10 of the low-load latency: the requests that did not queue behind other work on the machine.
    public var lowLoadLatencyMilliseconds: Double
    /// CPU time ÷ latency.
    public var cpuShare: Double
    public var explanation: String

    /// The share of the low-load latency spent on the server's CPU at or above which a route is CPU-bound.
    public static let cpuBoundShare = 0.5

    /// The percentile of the low-load latency the CPU time is set against: low enough to leave out
    /// requests that waited for a CPU taken by other work on a shared machine.
    public static let latencyPercentile = 10.0

    public static func judge(cpuSecondsPerRequest: Double, lowLoadLatencySeconds: Double) -> CostVerdict {
        let share = lowLoadLatencySeconds > 0 ? cpuSecondsPerRequest / lowLoadLatencySeconds : 0
        let cpu = cpuSecondsPerRequest * 1000
        let latency = lowLoadLatencySeconds * 1000
        let kind: Kind = share >= cpuBoundShare ? .cpuBound : .ioBound
        let numbers =
            "\(String(format: "%.3f", cpu)) ms CPU per request, \(percentText(Swift.min(share, 9.99))) of its "
            + "\(String(format: "%.3f", latency)) ms latency at low load (p10)"
        let explanation =
            kind == .cpuBound
            ? "\(numbers): compute dominates, so a faster runtime shortens it"
            : "\(numbers): most of the time is spent waiting (I/O, network, queues), which a rewrite does not shorten"
        return CostVerdict(
            kind: kind, cpuMillisecondsPerRequest: cpu, lowLoadLatencyMilliseconds: latency, cpuShare: share,
            explanation: explanation)
    }
}

/// The conditions a result was measured under, printed with it.
public struct ConditionsManifest: Sendable, Codable, Hashable {
    public struct RequestInfo: Sendable, Codable, Hashable {
        public var label: String
        public var bytes: Int
    }
    public var date: String
    public var cpu: String
    public var cores: Int
    public var kernel: String
    /// /proc/loadavg at the start: other work on the machine.
    public var loadAverage: String
    public var generator: String
    /// How banyan itself was built.
    public var generatorBuild: String
    public var mode: String
    public var rate: Double
    public var connections: Int
    public var durationSeconds: Double
    public var rounds: Int
    public var warmupSeconds: Double
    public var lowLoadRate: Double
    public var timeoutSeconds: Double
    public var requests: [RequestInfo]
    /// Mean answer size in bytes, head included, by target.
    public var responseBytes: [String: Double]
    /// By target: debug, release, production, development, unknown.
    public var buildProfiles: [String: String]
    /// Latency samples by target.
    public var samples: [String: UInt64]
}
