import Foundation

/// The numbers a baseline keeps for one target: the p99 latency and the resident memory under load.
public struct GateMetrics: Sendable, Hashable, Codable {
    public var p99Milliseconds: Double?
    public var rssMegabytes: Double?

    public init(p99Milliseconds: Double? = nil, rssMegabytes: Double? = nil) {
        self.p99Milliseconds = p99Milliseconds
        self.rssMegabytes = rssMegabytes
    }
}

/// A committed baseline file: the metrics of each target, by name.
public struct Baseline: Sendable, Hashable, Codable {
    public var targets: [String: GateMetrics]

    public init(targets: [String: GateMetrics]) {
        self.targets = targets
    }

    /// Reads a baseline written by `--save-baseline`.
    public static func load(path: String) throws(BenchError) -> Baseline {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw BenchError(.baseline, "\(path): no such file; write one with --save-baseline \(path)")
        }
        do {
            return try JSONDecoder().decode(Baseline.self, from: data)
        } catch {
            throw BenchError(.baseline, "\(path): not a banyan baseline (\(error))", cause: error)
        }
    }

    /// The baseline as JSON, keys sorted so that a committed file diffs cleanly.
    public func jsonText() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self) + "\n"
    }
}

/// One metric past its budget.
public struct Regression: Sendable, Hashable, Codable {
    public var target: String
    /// `p99` or `rss`.
    public var metric: String
    public var baseline: Double
    public var budget: Double
    public var measured: Double
    /// `p99 regression: 138.0 ms exceeds budget 132.0 ms (baseline 120.0 ms + 10%)`.
    public var message: String
}

/// The outcome of a baseline check: every metric that regressed, not just the first.
public struct GateResult: Sendable, Hashable, Codable {
    public var tolerance: Double
    public var regressions: [Regression]
    /// Targets in the baseline that this run did not measure, or measured without the metric.
    public var unchecked: [String]
    public var passed: Bool { regressions.isEmpty }
}

/// Fails when a metric exceeds baseline × (1 + tolerance).
public struct BaselineGate: Sendable {
    /// 0.10 for 10%.
    public var tolerance: Double

    public init(tolerance: Double) {
        self.tolerance = tolerance
    }

    /// Checks the measured metrics of each target against the baseline.
    public func check(baseline: Baseline, measured: [String: GateMetrics]) -> GateResult {
        var regressions: [Regression] = []
        var unchecked: [String] = []
        for (name, base) in baseline.targets.sorted(by: { $0.key < $1.key }) {
            guard let now = measured[name] else {
                unchecked.append(name)
                continue
            }
            if let regression = check(
                target: name, metric: "p99", unit: "ms", baseline: base.p99Milliseconds, measured: now.p99Milliseconds)
            {
                regressions.append(regression)
            }
            if let regression = check(
                target: name, metric: "rss", unit: "MB", baseline: base.rssMegabytes, measured: now.rssMegabytes)
            {
                regressions.append(regression)
            }
            if (base.p99Milliseconds != nil && now.p99Milliseconds == nil)
                || (base.rssMegabytes != nil && now.rssMegabytes == nil)
            {
                unchecked.append(name)
            }
        }
        return GateResult(tolerance: tolerance, regressions: regressions, unchecked: unchecked)
    }

    private func check(target: String, metric: String, unit: String, baseline: Double?, measured: Double?)
        -> Regression?
    {
        guard let baseline, let measured else { return nil }
        let budget = baseline * (1 + tolerance)
        guard measured > budget else { return nil }
        let label = metric == "p99" ? "p99 regression:" : metric
        let message =
            "\(label) \(oneDecimal(measured)) \(unit) exceeds budget \(oneDecimal(budget)) \(unit) "
            + "(baseline \(oneDecimal(baseline)) \(unit) + \(Tolerance.percentText(tolerance)))"
        return Regression(
            target: target, metric: metric, baseline: baseline, budget: budget, measured: measured, message: message)
    }
}

/// Parses `10%` or `0.1`.
public enum Tolerance {
    public static func parse(_ text: String) -> Double? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.hasSuffix("%") {
            guard let percent = Double(trimmed.dropLast()), percent >= 0 else { return nil }
            return percent / 100
        }
        guard let fraction = Double(trimmed), fraction >= 0 else { return nil }
        return fraction
    }

    /// `10%` for 0.1, `2.5%` for 0.025.
    public static func percentText(_ tolerance: Double) -> String {
        let percent = (tolerance * 100 * 1000).rounded() / 1000
        if percent == percent.rounded() { return "\(Int(percent))%" }
        return "\(percent)%"
    }
}

func oneDecimal(_ value: Double) -> String {
    String(format: "%.1f", value)
}
