import Foundation

extension BenchReport {
    /// A self-contained page (no script, no external resource): the latency spectrum of every target
    /// on one chart, percentile on a log "nines" axis as HdrHistogram plots do, then memory over time,
    /// the tables, the warnings and the conditions.
    public func html() -> String {
        let colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]
        var body = ""
        body += "<h1>banyan bench</h1>\n"
        body +=
            "<p class=\"sub\">open loop at \(rateText(manifest.rate)) req/s, \(manifest.connections) connections, "
            + "\(manifest.rounds) rounds × \(secondsText(manifest.durationSeconds)) per target after "
            + "\(secondsText(manifest.warmupSeconds)) warm-up; latency from each request's intended send time</p>\n"
        if !warnings.isEmpty {
            body += "<section class=\"warnings\"><h2>Warnings</h2><ul>\n"
            for warning in warnings {
                body += "<li><b>\(escape(warning.target ?? "run"))</b>: \(escape(warning.message))</li>\n"
            }
            body += "</ul></section>\n"
        }
        var series: [(name: String, points: [SpectrumPoint], color: String, dashed: Bool)] = []
        for (index, target) in targets.enumerated() {
            let color = colors[index % colors.count]
            series.append((target.name, target.spectrum, color, false))
            if let closed = target.closedLoop {
                series.append(("\(target.name), closed loop (hides stalls)", closed.spectrum, color, true))
            }
        }
        body += "<h2>Latency by percentile</h2>\n" + spectrumChart(series)
        body += "<h2>Latency (ms)</h2>\n"
        var rows = [["target", "requests", "errors", "timeouts", "p50", "p90", "p99", "p99.9", "max", "req/s"]]
        for target in targets {
            let l = target.latency
            rows.append([
                target.name, "\(target.completed)", "\(target.errors)", "\(target.timeouts)", milliseconds(l.p50),
                milliseconds(l.p90), milliseconds(l.p99), milliseconds(l.p999), milliseconds(l.max),
                rateText(target.achievedRate),
            ])
        }
        body += htmlTable(rows, id: "latency")
        if !comparisons.isEmpty {
            var rows = [["target", "against", "metric", "ratio", "rounds"]]
            for c in comparisons {
                let spread = c.roundMinimum.flatMap { low in c.roundMaximum.map { "\(ratioText(low))–\(ratioText($0))" }
                }
                rows.append([c.target, c.against, c.metric, ratioText(c.ratio), spread ?? "-"])
            }
            body += "<h2>Ratios</h2>\n" + htmlTable(rows, id: "ratios")
        }
        let measured = targets.filter { $0.process != nil }
        if !measured.isEmpty {
            var memory: [(name: String, points: [MemoryPoint], color: String)] = []
            for (index, target) in targets.enumerated() {
                if let process = target.process {
                    memory.append((target.name, process.timeline, colors[index % colors.count]))
                }
            }
            body += "<h2>Memory over time (RSS)</h2>\n" + memoryChart(memory)
            let rows = processCostRows(measured) { "\($0.kind.rawValue): \($0.explanation)" }
            body += "<h2>The servers' own cost</h2>\n" + htmlTable(rows, id: "cost")
        }
        let closed = targets.filter { $0.closedLoop != nil }
        if let label = closed.first?.closedLoop?.label {
            var rows = [["target", "requests", "p50", "p99", "p99.9", "max", "req/s"]]
            for target in closed {
                guard let c = target.closedLoop else { continue }
                rows.append([
                    target.name, "\(c.latency.count)", milliseconds(c.latency.p50), milliseconds(c.latency.p99),
                    milliseconds(c.latency.p999), milliseconds(c.latency.max), rateText(c.achievedRate),
                ])
            }
            body += "<h2>\(escape(label))</h2>\n" + htmlTable(rows, id: "closed-loop")
        }
        for target in targets {
            guard let max = target.maxRate else { continue }
            body +=
                "<p>\(escape(target.name)): highest rate meeting \(escape(max.slo)): "
                + "<b>\(rateText(max.rate)) req/s</b> (\(max.steps.count) rates tried)</p>\n"
        }
        if let gate {
            body += "<h2>Baseline gate: \(gate.passed ? "PASS" : "FAIL")</h2>\n<ul>"
            for regression in gate.regressions {
                body += "<li>\(escape(regression.target)): \(escape(regression.message))</li>"
            }
            body += "</ul>\n"
        }
        let m = manifest
        var conditions = [
            ["date", m.date], ["cpu", m.cpu], ["cores", "\(m.cores)"], ["kernel", m.kernel],
            ["load average at start", m.loadAverage], ["generator", "\(m.generator), \(m.generatorBuild) build"],
            ["mode", m.mode], ["rate", "\(rateText(m.rate)) req/s"], ["connections", "\(m.connections)"],
            ["duration", "\(m.rounds) rounds × \(secondsText(m.durationSeconds))"],
            ["warm-up", secondsText(m.warmupSeconds)], ["low load", "\(rateText(m.lowLoadRate)) req/s"],
            ["requests", m.requests.map { "\($0.label) (\($0.bytes) bytes)" }.joined(separator: ", ")],
        ]
        for target in targets {
            conditions.append([
                target.name,
                "\(target.url); build \(m.buildProfiles[target.name] ?? "unknown"); "
                    + "\(m.samples[target.name] ?? 0) samples; answers \(Int(m.responseBytes[target.name] ?? 0)) bytes",
            ])
        }
        body += "<h2>Conditions</h2>\n" + htmlTable([["", ""]] + conditions, id: "conditions")
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>banyan bench</title>
            <style>
            body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1000px}
            h1{margin:0}.sub{color:#555;margin-top:4px}
            table{border-collapse:collapse;margin:8px 0}td,th{padding:3px 10px;border-bottom:1px solid #ddd;text-align:right}
            td:first-child,th:first-child{text-align:left}
            .warnings{background:#fff4e5;border:1px solid #f0b37e;padding:4px 12px;margin:12px 0}
            svg{background:#fff;border:1px solid #ccc}svg text{font:11px system-ui,sans-serif}
            </style></head><body>
            \(body)</body></html>

            """
    }
}

/// x position of a percentile on the "nines" axis: 0 at 0%, 1 at 90%, 2 at 99%, 3 at 99.9%.
func ninesPosition(_ percentile: Double) -> Double {
    let remainder = Swift.max(1 - percentile / 100, 1e-6)
    return -log10(remainder)
}

private func spectrumChart(_ series: [(name: String, points: [SpectrumPoint], color: String, dashed: Bool)]) -> String {
    let width = 900.0
    let height = 380.0
    let left = 70.0
    let right = 290.0
    let top = 20.0
    let bottom = 50.0
    let plotW = width - left - right
    let plotH = height - top - bottom
    let maxNines = Swift.max(
        2,
        Swift.min(6, ceil(series.flatMap(\.points).map { ninesPosition($0.percentile) }.filter { $0 < 6 }.max() ?? 2)))
    let maxValue = Swift.max(1, Double(series.flatMap(\.points).map(\.value).max() ?? 1)) / 1000 * 1.05
    func x(_ nines: Double) -> Double { left + Swift.min(nines, maxNines) / maxNines * plotW }
    func y(_ ms: Double) -> Double { top + plotH - ms / maxValue * plotH }
    var svg =
        "<svg id=\"spectrum\" width=\"\(Int(width))\" height=\"\(Int(height))\" xmlns=\"http://www.w3.org/2000/svg\">\n"
    let labels = ["0%", "90%", "99%", "99.9%", "99.99%", "99.999%", "99.9999%"]
    for tick in 0...Int(maxNines) {
        let px = x(Double(tick))
        svg += "<line x1=\"\(f(px))\" y1=\"\(f(top))\" x2=\"\(f(px))\" y2=\"\(f(top + plotH))\" stroke=\"#eee\"/>"
        svg += "<text x=\"\(f(px))\" y=\"\(f(top + plotH + 16))\" text-anchor=\"middle\">\(labels[tick])</text>\n"
    }
    for step in 0...4 {
        let value = maxValue * Double(step) / 4
        svg +=
            "<line x1=\"\(f(left))\" y1=\"\(f(y(value)))\" x2=\"\(f(left + plotW))\" y2=\"\(f(y(value)))\" stroke=\"#eee\"/>"
        svg +=
            "<text x=\"\(f(left - 6))\" y=\"\(f(y(value) + 4))\" text-anchor=\"end\">\(milliseconds(value * 1000))</text>\n"
    }
    svg += "<text x=\"\(f(left + plotW / 2))\" y=\"\(f(height - 12))\" text-anchor=\"middle\">percentile</text>"
    svg +=
        "<text x=\"16\" y=\"\(f(top + plotH / 2))\" transform=\"rotate(-90 16 \(f(top + plotH / 2)))\" text-anchor=\"middle\">latency (ms)</text>\n"
    for (index, entry) in series.enumerated() {
        let points = entry.points.map { "\(f(x(ninesPosition($0.percentile)))),\(f(y(Double($0.value) / 1000)))" }
        svg +=
            "<polyline class=\"series\" fill=\"none\" stroke=\"\(entry.color)\" stroke-width=\"2\""
            + (entry.dashed ? " stroke-dasharray=\"6 4\"" : "") + " points=\"\(points.joined(separator: " "))\"/>\n"
        let ly = top + 14 + Double(index) * 18
        svg +=
            "<line x1=\"\(f(left + plotW + 12))\" y1=\"\(f(ly - 4))\" x2=\"\(f(left + plotW + 36))\" y2=\"\(f(ly - 4))\" stroke=\"\(entry.color)\" stroke-width=\"2\""
            + (entry.dashed ? " stroke-dasharray=\"6 4\"" : "") + "/>"
        svg += "<text x=\"\(f(left + plotW + 40))\" y=\"\(f(ly))\">\(escape(entry.name))</text>\n"
    }
    return svg + "</svg>\n"
}

private func memoryChart(_ series: [(name: String, points: [MemoryPoint], color: String)]) -> String {
    let width = 900.0
    let height = 300.0
    let left = 70.0
    let right = 200.0
    let top = 20.0
    let bottom = 45.0
    let plotW = width - left - right
    let plotH = height - top - bottom
    let all = series.flatMap(\.points)
    let maxTime = Swift.max(1, all.map(\.time).max() ?? 1)
    let maxMB = Swift.max(1, Double(all.map(\.rssBytes).max() ?? 1) / 1e6 * 1.1)
    func x(_ t: Double) -> Double { left + t / maxTime * plotW }
    func y(_ mb: Double) -> Double { top + plotH - mb / maxMB * plotH }
    var svg =
        "<svg id=\"memory\" width=\"\(Int(width))\" height=\"\(Int(height))\" xmlns=\"http://www.w3.org/2000/svg\">\n"
    for step in 0...4 {
        let t = maxTime * Double(step) / 4
        let mb = maxMB * Double(step) / 4
        svg +=
            "<text x=\"\(f(x(t)))\" y=\"\(f(top + plotH + 16))\" text-anchor=\"middle\">\(String(format: "%.0f", t)) s</text>"
        svg +=
            "<line x1=\"\(f(left))\" y1=\"\(f(y(mb)))\" x2=\"\(f(left + plotW))\" y2=\"\(f(y(mb)))\" stroke=\"#eee\"/>"
        svg +=
            "<text x=\"\(f(left - 6))\" y=\"\(f(y(mb) + 4))\" text-anchor=\"end\">\(String(format: "%.0f", mb)) MB</text>\n"
    }
    svg +=
        "<text x=\"\(f(left + plotW / 2))\" y=\"\(f(height - 8))\" text-anchor=\"middle\">seconds since the start</text>\n"
    for (index, entry) in series.enumerated() {
        let points = entry.points.map { "\(f(x($0.time))),\(f(y(Double($0.rssBytes) / 1e6)))" }
        svg +=
            "<polyline class=\"series\" fill=\"none\" stroke=\"\(entry.color)\" stroke-width=\"2\" points=\"\(points.joined(separator: " "))\"/>\n"
        let ly = top + 14 + Double(index) * 18
        svg +=
            "<line x1=\"\(f(left + plotW + 12))\" y1=\"\(f(ly - 4))\" x2=\"\(f(left + plotW + 36))\" y2=\"\(f(ly - 4))\" stroke=\"\(entry.color)\" stroke-width=\"2\"/>"
        svg += "<text x=\"\(f(left + plotW + 40))\" y=\"\(f(ly))\">\(escape(entry.name))</text>\n"
    }
    return svg + "</svg>\n"
}

private func htmlTable(_ rows: [[String]], id: String) -> String {
    guard let head = rows.first else { return "" }
    var html = "<table id=\"\(id)\"><tr>" + head.map { "<th>\(escape($0))</th>" }.joined() + "</tr>\n"
    for row in rows.dropFirst() { html += "<tr>" + row.map { "<td>\(escape($0))</td>" }.joined() + "</tr>\n" }
    return html + "</table>\n"
}

private func f(_ value: Double) -> String { String(format: "%.1f", value) }

func escape(_ text: String) -> String {
    var out = ""
    for character in text {
        switch character {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        default: out.append(character)
        }
    }
    return out
}
