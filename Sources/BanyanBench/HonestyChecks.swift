import Foundation

/// A reason to distrust a result, printed with it.
public struct HonestyWarning: Sendable, Hashable, Codable {
    /// `debug-build`, `node-env`, `single-node-process`, `short-run`, `generator-late`,
    /// `generator-debug`, `errors`, `status`, `no-process`.
    public var code: String
    /// The target concerned, nil for the whole run.
    public var target: String?
    public var message: String

    public init(code: String, target: String?, message: String) {
        self.code = code
        self.target = target
        self.message = message
    }
}

/// The traps that make a benchmark lie, checked against what was measured.
public enum HonestyChecks {
    /// What the checks know about one target.
    public struct Evidence: Sendable {
        public var name: String
        public var facts: ProcessFacts?
        public var latency: LatencySummary
        public var errors: Int
        public var timeouts: Int
        public var statusCounts: [Int: Int]
        /// Microseconds the generator sent behind schedule at p99.
        public var sendLagP99: UInt64

        public init(
            name: String, facts: ProcessFacts?, latency: LatencySummary, errors: Int = 0, timeouts: Int = 0,
            statusCounts: [Int: Int] = [:], sendLagP99: UInt64 = 0
        ) {
            self.name = name
            self.facts = facts
            self.latency = latency
            self.errors = errors
            self.timeouts = timeouts
            self.statusCounts = statusCounts
            self.sendLagP99 = sendLagP99
        }
    }

    /// Samples needed for a percentile to rest on at least ten samples beyond it.
    public static func samplesNeeded(forPercentile percentile: Double) -> UInt64 {
        guard percentile < 100 else { return 0 }
        // Less a hair: 10 / (1 - 0.999) is 10000.000000000002 in binary floating point.
        return UInt64((10 / (1 - percentile / 100) - 1e-6).rounded(.up))
    }

    /// Every warning for the run.
    ///
    /// - Parameters:
    ///   - percentiles: the percentiles the report relies on (those printed, and an SLO's).
    ///   - generatorProfile: how banyan itself was built (`debug` saturates far sooner).
    public static func evaluate(
        _ targets: [Evidence], percentiles: [Double], generatorProfile: String
    ) -> [HonestyWarning] {
        var warnings: [HonestyWarning] = []
        for target in targets {
            guard let facts = target.facts else {
                warnings.append(
                    HonestyWarning(
                        code: "no-process", target: target.name,
                        message:
                            "its process is not on this machine (or not readable): memory and CPU per request "
                            + "are not measured; give it with --pid"))
                continue
            }
            if (facts.runtime == .swift || facts.runtime == .rust || facts.runtime == .other)
                && facts.buildProfile == "debug"
            {
                warnings.append(
                    HonestyWarning(
                        code: "debug-build", target: target.name,
                        message:
                            "a \(facts.runtime.rawValue) debug build (\(facts.evidence)): unoptimized code is "
                            + "10-100x slower; benchmark the release build (swift build -c release, "
                            + "cargo build --release)"))
            }
            if facts.runtime == .node && facts.nodeEnvironment != "production" {
                warnings.append(
                    HonestyWarning(
                        code: "node-env", target: target.name,
                        message:
                            "Node runs without NODE_ENV=production (\(facts.evidence)): Express then skips its "
                            + "view cache and answers errors with stack traces; start it as it runs in production"))
            }
        }
        let nodes = targets.filter { $0.facts?.runtime == .node && $0.facts?.processes == 1 }
        let threaded = targets.filter {
            guard let facts = $0.facts else { return false }
            return facts.runtime != .node && facts.threads > 1
        }
        for node in nodes {
            for other in threaded {
                warnings.append(
                    HonestyWarning(
                        code: "single-node-process", target: node.name,
                        message:
                            "one Node process (one JavaScript thread) against \(other.name)'s "
                            + "\(other.facts?.threads ?? 0) threads: compare with a Node cluster on the same "
                            + "cores (the cluster module, one worker per core) before crediting the rewrite"))
            }
        }
        for target in targets {
            for percentile in percentiles where percentile < 100 {
                let needed = samplesNeeded(forPercentile: percentile)
                if target.latency.count < needed {
                    warnings.append(
                        HonestyWarning(
                            code: "short-run", target: target.name,
                            message:
                                "p\(PercentileText.label(percentile)) rests on "
                                + "\(tail(count: target.latency.count, percentile: percentile)) samples: it needs "
                                + "\(needed) requests for ten beyond it, this run had \(target.latency.count); "
                                + "run longer or at a higher rate"))
                }
            }
            if target.errors > 0 || target.timeouts > 0 {
                warnings.append(
                    HonestyWarning(
                        code: "errors", target: target.name,
                        message:
                            "\(target.errors) errors and \(target.timeouts) timeouts: a failing server can look fast"
                    ))
            }
            let answered = target.statusCounts.values.reduce(0, +)
            let failing = target.statusCounts.filter { $0.key >= 400 }.values.reduce(0, +)
            if answered > 0 && failing > 0 {
                let codes = target.statusCounts.keys.filter { $0 >= 400 }.sorted().map(String.init)
                    .joined(separator: ", ")
                warnings.append(
                    HonestyWarning(
                        code: "status", target: target.name,
                        message:
                            "\(percentText(Double(failing) / Double(answered))) of the answers were \(codes): "
                            + "the benchmark measured an error path"))
            }
            // The generator's own delay is a material part of the tail: it, not the server, was saturated.
            if target.sendLagP99 > 1000 && target.sendLagP99 * 10 > target.latency.p99 {
                warnings.append(
                    HonestyWarning(
                        code: "generator-late", target: target.name,
                        message:
                            "the generator itself sent \(milliseconds(target.sendLagP99)) ms late at p99: it was "
                            + "saturated and its delay is in the latencies; lower the rate or give it a core"))
            }
        }
        if generatorProfile == "debug" {
            warnings.append(
                HonestyWarning(
                    code: "generator-debug", target: nil,
                    message:
                        "banyan itself is a debug build: its generator saturates far sooner; use "
                        + "swift build -c release"))
        }
        return warnings
    }

    private static func tail(count: UInt64, percentile: Double) -> String {
        let beyond = Int((Double(count) * (1 - percentile / 100)).rounded())
        return beyond < 1 ? "no" : String(beyond)
    }
}

func percentText(_ fraction: Double) -> String {
    let percent = fraction * 100
    return percent >= 10 || percent == percent.rounded()
        ? "\(Int(percent.rounded()))%" : String(format: "%.1f%%", percent)
}

func milliseconds(_ microseconds: UInt64) -> String {
    milliseconds(Double(microseconds))
}

/// Milliseconds with precision that suits the size: 0.123, 12.3, 1234.
func milliseconds(_ microseconds: Double) -> String {
    let value = microseconds / 1000
    if value >= 100 { return String(format: "%.0f", value) }
    if value >= 10 { return String(format: "%.1f", value) }
    if value >= 1 { return String(format: "%.2f", value) }
    return String(format: "%.3f", value)
}
