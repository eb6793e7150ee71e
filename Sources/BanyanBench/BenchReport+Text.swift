import Foundation

extension BenchReport {
    /// The terminal report: latency table, ratios, process cost, closed loop, SLO search, warnings,
    /// conditions and the gate.
    public func plainText() -> String {
        var out: [String] = []
        let m = manifest
        out.append(
            "banyan bench: open loop at \(rateText(m.rate)) req/s, \(m.connections) connections, \(m.rounds) rounds × "
                + "\(secondsText(m.durationSeconds)) per target (A B A B …) after \(secondsText(m.warmupSeconds)) warm-up"
        )
        out.append("latency in ms from each request's intended send time (HdrHistogram, 3 significant digits)")
        out.append("")
        var rows = [["target", "requests", "errors", "timeouts", "p50", "p90", "p99", "p99.9", "max", "req/s"]]
        for target in targets {
            let l = target.latency
            rows.append([
                target.name, "\(target.completed)", "\(target.errors)", "\(target.timeouts)", milliseconds(l.p50),
                milliseconds(l.p90), milliseconds(l.p99), milliseconds(l.p999), milliseconds(l.max),
                rateText(target.achievedRate),
            ])
        }
        out += table(rows)
        if targets.contains(where: { $0.rounds.count > 1 }) {
            out.append("")
            out.append("p99 by round (ms):")
            for target in targets {
                out.append(
                    "  \(target.name): " + target.rounds.map { milliseconds($0.latency.p99) }.joined(separator: ", "))
            }
        }
        if !comparisons.isEmpty {
            out.append("")
            for name in Set(comparisons.map(\.target)).sorted() {
                let parts = comparisons.filter { $0.target == name }.map { c -> String in
                    var text = "\(c.metric) \(ratioText(c.ratio))"
                    if let low = c.roundMinimum, let high = c.roundMaximum {
                        text += " (rounds \(ratioText(low))–\(ratioText(high)))"
                    }
                    return text
                }
                let against = comparisons.first { $0.target == name }?.against ?? ""
                out.append("\(name) ÷ \(against): " + parts.joined(separator: ", "))
            }
        }
        let measured = targets.filter { $0.process != nil }
        if !measured.isEmpty {
            out.append("")
            out.append("the servers' own cost (from /proc):")
            out += table(processCostRows(measured) { $0.kind.rawValue })
            for target in measured {
                if let verdict = target.verdict { out.append("  \(target.name): \(verdict.explanation)") }
            }
        }
        let closed = targets.filter { $0.closedLoop != nil }
        if let label = closed.first?.closedLoop?.label {
            out.append("")
            out.append("\(label); for comparison only, latency from the actual send:")
            var rows = [["target", "requests", "p50", "p99", "p99.9", "max", "req/s"]]
            for target in closed {
                guard let c = target.closedLoop else { continue }
                rows.append([
                    target.name, "\(c.latency.count)", milliseconds(c.latency.p50), milliseconds(c.latency.p99),
                    milliseconds(c.latency.p999), milliseconds(c.latency.max), rateText(c.achievedRate),
                ])
            }
            out += table(rows)
        }
        for target in targets {
            guard let max = target.maxRate else { continue }
            out.append("")
            out.append(
                max.rate > 0
                    ? "\(target.name): highest rate meeting \(max.slo): \(rateText(max.rate)) req/s "
                        + "(\(max.steps.count) rates tried)"
                    : "\(target.name): no rate tried meets \(max.slo) (lowest tried \(rateText(max.steps.map(\.rate).min() ?? 0)) req/s)"
            )
        }
        out.append("")
        out.append(
            "generator: "
                + targets.map {
                    "\($0.name) sent \(milliseconds($0.sendLag.p99)) ms late at p99 (max \(milliseconds($0.sendLag.max)))"
                        + ($0.waitedForConnection > 0
                            ? ", \($0.waitedForConnection) requests waited for a busy connection" : "")
                }.joined(separator: "; "))
        if !warnings.isEmpty {
            out.append("")
            out.append("warnings:")
            for warning in warnings {
                out.append("  ! " + (warning.target.map { "\($0): " } ?? "") + warning.message)
            }
        }
        out.append("")
        out.append(
            "conditions: \(m.cpu), \(m.cores) cores, \(m.kernel), load \(m.loadAverage); \(m.generator) "
                + "(\(m.generatorBuild) build); \(m.date)")
        out.append(
            "  requests: " + m.requests.map { "\($0.label) (\($0.bytes) bytes)" }.joined(separator: ", ")
                + "; answers: "
                + targets.map { "\($0.name) \(Int(m.responseBytes[$0.name] ?? 0)) bytes" }.joined(separator: ", "))
        out.append(
            "  builds: " + targets.map { "\($0.name) \(m.buildProfiles[$0.name] ?? "unknown")" }.joined(separator: ", ")
                + "; samples: " + targets.map { "\($0.name) \(m.samples[$0.name] ?? 0)" }.joined(separator: ", ")
                + "; low load \(rateText(m.lowLoadRate)) req/s; timeout \(secondsText(m.timeoutSeconds))")
        if let gate {
            out.append("")
            if gate.passed {
                out.append("gate: PASS (tolerance \(Tolerance.percentText(gate.tolerance)))")
            } else {
                out.append("gate: FAIL, \(gate.regressions.count) regression\(gate.regressions.count == 1 ? "" : "s"):")
                for regression in gate.regressions { out.append("  \(regression.target): \(regression.message)") }
            }
            if !gate.unchecked.isEmpty { out.append("  not checked: " + gate.unchecked.joined(separator: ", ")) }
        }
        return out.joined(separator: "\n")
    }
}

func table(_ rows: [[String]]) -> [String] {
    guard let first = rows.first else { return [] }
    var widths = first.map(\.count)
    for row in rows {
        for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) }
    }
    return rows.map { row in
        row.enumerated().map { i, cell in
            i == 0
                ? cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
                : String(repeating: " ", count: widths[i] - cell.count) + cell
        }.joined(separator: "  ")
    }
}

func rateText(_ rate: Double) -> String {
    rate >= 100 || rate == rate.rounded() ? String(Int(rate.rounded())) : String(format: "%.1f", rate)
}

func secondsText(_ seconds: Double) -> String {
    seconds == seconds.rounded() ? "\(Int(seconds)) s" : String(format: "%.1f s", seconds)
}

func ratioText(_ ratio: Double) -> String {
    ratio >= 10 ? String(format: "%.0f×", ratio) : String(format: "%.2f×", ratio)
}

/// Megabytes of 10⁶ bytes, as the gate counts them.
/// The servers' own cost, one row per measured target, as the text and HTML reports show it;
/// `verdict` renders the last column.
func processCostRows(_ targets: [TargetReport], verdict: (CostVerdict) -> String) -> [[String]] {
    var rows = [["target", "pid", "runtime", "build", "RSS idle", "RSS load", "RSS peak", "CPU ms/req", "verdict"]]
    for target in targets {
        guard let p = target.process else { continue }
        rows.append([
            target.name, "\(p.facts.pid)", p.facts.runtime.rawValue, p.facts.buildProfile,
            megabytes(p.rssIdleBytes), megabytes(p.rssLoadBytes), megabytes(p.rssPeakBytes),
            p.cpuSecondsPerRequest.map { String(format: "%.3f", $0 * 1000) } ?? "-",
            target.verdict.map { verdict($0) } ?? "-",
        ])
    }
    return rows
}

func megabytes(_ bytes: Int) -> String {
    String(format: "%.1f MB", Double(bytes) / 1e6)
}
