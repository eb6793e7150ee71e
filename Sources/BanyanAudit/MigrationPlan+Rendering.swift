import BanyanCore
import Foundation

extension MigrationPlan {
    /// The slices in order: the routes to migrate now or later, numbered.
    public var slices: [RoutePlan] { routes.filter { $0.order != nil } }

    /// The plan for a reader: the order of slices, then each route with its verdict, reason and goal.
    public func plainText() -> String {
        var lines: [String] = []
        lines.append("migration plan for a \(target.rawValue) rewrite: \(routes.count) routes")
        if let measurementSource { lines.append("measured by \(measurementSource)") }
        if let conditions { lines.append("conditions: \(conditions)") }
        let now = routes.filter { $0.verdict == .migrateNow }.count
        let later = routes.filter { $0.verdict == .later }.count
        let dont = routes.filter { $0.verdict == .dont }.count
        lines.append("\(now) migrate now, \(later) later, \(dont) don't")
        if slices.first.map({ $0.verdict != .migrateNow }) ?? true {
            lines.append("no route is worth migrating first on these figures")
        }
        for plan in routes {
            lines.append("")
            let order = plan.order.map { "\($0). " } ?? "-  "
            lines.append("\(order)\(plan.route): \(plan.verdict.rawValue) [\(plan.profile.rawValue)]")
            if let measurement = plan.measurement {
                lines.append("   " + figures(measurement))
            }
            lines.append("   why: \(plan.reason)")
            if let goal = plan.goal { lines.append("   goal: \(goal)") }
        }
        if !dependencyGaps.isEmpty {
            lines.append("")
            lines.append(
                "dependencies with no \(target.rawValue) equivalent or to keep in Node: "
                    + dependencyGaps.joined(separator: ", ") + " (see banyan audit)")
        }
        return lines.joined(separator: "\n")
    }

    private func figures(_ measurement: RouteMeasurement) -> String {
        var parts: [String] = []
        if let rps = measurement.requestsPerSecond { parts.append("\(formatNumber(rps)) req/s") }
        parts.append("p50 \(formatMilliseconds(measurement.p50Milliseconds))")
        parts.append("p99 \(formatMilliseconds(measurement.p99Milliseconds))")
        if let cpu = measurement.cpuSecondsPerRequest {
            parts.append("CPU \(formatMilliseconds(cpu * 1000))/request")
        }
        if let wait = measurement.cpuWaitSecondsPerRequest, wait > 0 {
            parts.append("waiting for a CPU \(formatMilliseconds(wait * 1000))/request")
        }
        if let share = measurement.cpuShare { parts.append("CPU share \(Int((share * 100).rounded()))%") }
        if let samples = measurement.samples { parts.append("\(samples) samples") }
        return parts.joined(separator: ", ")
    }

    /// The plan as a Markdown document to commit beside the migration.
    public func markdown() -> String {
        var lines: [String] = ["# Migration plan (\(target.rawValue) rewrite)", ""]
        if let measurementSource { lines.append("Measured by `\(measurementSource)`.") }
        if let conditions { lines.append("Conditions: \(conditions).") }
        lines += [
            "", "| # | route | verdict | profile | p50 | p99 | CPU/request | why | goal |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for plan in routes {
            let measurement = plan.measurement
            let order: String = plan.order.map { String($0) } ?? "—"
            let p50: String = measurement.map { formatMilliseconds($0.p50Milliseconds) } ?? "—"
            let p99: String = measurement.map { formatMilliseconds($0.p99Milliseconds) } ?? "—"
            let cpu: String = measurement?.cpuSecondsPerRequest.map { formatMilliseconds($0 * 1000) } ?? "—"
            let cells: [String] = [
                order, "`\(plan.route)`", "**\(plan.verdict.rawValue)**", plan.profile.rawValue, p50, p99, cpu,
                plan.reason, plan.goal ?? "",
            ]
            lines.append(
                "| " + cells.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |")
        }
        if !dependencyGaps.isEmpty {
            lines += [
                "",
                "Dependencies with no \(target.rawValue) equivalent, or to keep in Node: "
                    + dependencyGaps.map { "`\($0)`" }.joined(separator: ", ") + ".",
            ]
        }
        return lines.joined(separator: "\n")
    }

    /// The plan as JSON: `{"target", "source", "conditions", "order": [ROUTE…], "routes": [{"route", "order",
    /// "verdict", "profile", "reason", "goal", "measurement": {…}, "churn": {"files", "commits", "days"},
    /// "blocking_dependencies"}], "dependency_gaps"}`; verdicts are `migrate_now`, `later`, `dont`.
    public var json: JSONValue {
        let measurementJSON = MeasurementSet(routes: routes.compactMap(\.measurement)).json["routes"]?.arrayValue ?? []
        var index = 0
        let routeValues: [JSONValue] = routes.map { plan in
            var measurement: JSONValue = .null
            if plan.measurement != nil {
                measurement = measurementJSON[index]
                index += 1
            }
            let churn: JSONValue =
                plan.churn.map {
                    [
                        "files": .array($0.files.map(JSONValue.string)), "commits": .number(JSONNumber($0.commits)),
                        "days": .number(JSONNumber($0.days)),
                    ]
                } ?? .null
            return [
                "route": .string(plan.route), "order": plan.order.map { .number(JSONNumber($0)) } ?? .null,
                "verdict": .string(plan.verdict.key), "profile": .string(plan.profile.rawValue),
                "reason": .string(plan.reason), "goal": plan.goal.map(JSONValue.string) ?? .null,
                "measurement": measurement, "churn": churn,
                "blocking_dependencies": .array(plan.blockingDependencies.map(JSONValue.string)),
            ]
        }
        return [
            "target": .string(target.rawValue),
            "source": measurementSource.map(JSONValue.string) ?? .null,
            "conditions": conditions.map(JSONValue.string) ?? .null,
            "order": .array(slices.map { .string($0.route) }),
            "routes": .array(routeValues),
            "dependency_gaps": .array(dependencyGaps.map(JSONValue.string)),
        ]
    }
}

/// The npm packages a handler file requires or imports (`require('x')`, `import … from 'x'`), by
/// package name; relative and Node built-in modules are left out.
public func requiredPackages(inSource text: String) -> [String] {
    var names: [String] = []
    let scalars = Array(text.unicodeScalars)
    let markers = [Array("require(".unicodeScalars), Array("from ".unicodeScalars), Array("import(".unicodeScalars)]
    var i = 0
    while i < scalars.count {
        var matched: Int?
        for marker in markers
        where i + marker.count <= scalars.count && Array(scalars[i..<(i + marker.count)]) == marker {
            matched = marker.count
        }
        guard let length = matched else {
            i += 1
            continue
        }
        var j = i + length
        while j < scalars.count && scalars[j] == " " { j += 1 }
        guard j < scalars.count, scalars[j] == "'" || scalars[j] == "\"" || scalars[j] == "`" else {
            i = j
            continue
        }
        let quote = scalars[j]
        var k = j + 1
        var specifier = ""
        while k < scalars.count && scalars[k] != quote && scalars[k] != "\n" {
            specifier.unicodeScalars.append(scalars[k])
            k += 1
        }
        i = k + 1
        guard !specifier.hasPrefix("."), !specifier.hasPrefix("/"), !specifier.hasPrefix("node:"), !specifier.isEmpty
        else { continue }
        let parts = specifier.split(separator: "/")
        let name = specifier.hasPrefix("@") && parts.count >= 2 ? "\(parts[0])/\(parts[1])" : String(parts[0])
        if !nodeBuiltins.contains(name) && !names.contains(name) { names.append(name) }
    }
    return names
}

private let nodeBuiltins: Set<String> = [
    "assert", "async_hooks", "buffer", "child_process", "cluster", "console", "crypto", "dgram", "dns", "events",
    "fs", "http", "http2", "https", "net", "os", "path", "perf_hooks", "process", "querystring", "readline",
    "stream", "string_decoder", "timers", "tls", "tty", "url", "util", "v8", "vm", "worker_threads", "zlib",
]
