import BanyanCore
import Foundation

/// The shadow differences a proxy stored, as `banyan diff --proxy` shows them.
struct ProxyDifferences {
    let document: JSONValue
    let failAt: Severity
    let report: DiffReport

    init(document: JSONValue) {
        self.document = document
        failAt = document["failAt"]?.stringValue.flatMap(Severity.init(rawValue:)) ?? .risky
        // The sample exchanges, each with the differences it showed: the diff report's shape.
        var order: [String] = []
        var exchanges: [String: ExchangeReport] = [:]
        if case .array(let aggregates)? = document["differences"] {
            for aggregate in aggregates {
                guard let kind = aggregate["kind"]?.stringValue.flatMap(DifferenceKind.init(rawValue:)),
                    let severity = aggregate["severity"]?.stringValue.flatMap(Severity.init(rawValue:))
                else { continue }
                let route = aggregate["route"]?.stringValue
                let location = aggregate["location"]?.stringValue ?? ""
                guard case .array(let samples)? = aggregate["samples"] else { continue }
                for sample in samples {
                    let method = sample["method"]?.stringValue ?? "GET"
                    let target = sample["target"]?.stringValue ?? "/"
                    let key = "\(route ?? "")\u{1}\(method) \(target)"
                    let difference = Difference(
                        kind: kind, severity: severity, path: kind.isHeaderKind || location.isEmpty ? nil : location,
                        header: kind.isHeaderKind ? location : nil, legacy: sample["legacyValue"]?.stringValue,
                        candidate: sample["candidateValue"]?.stringValue,
                        explanation: aggregate["explanation"]?.stringValue ?? "",
                        policyReason: aggregate["policyReason"]?.stringValue)
                    if exchanges[key] == nil {
                        order.append(key)
                        exchanges[key] = ExchangeReport(
                            method: method, path: target, route: route, differences: [], failAt: failAt)
                    }
                    var exchange = exchanges[key]!
                    exchange.differences.append(difference)
                    exchange = ExchangeReport(
                        method: exchange.method, path: exchange.path, route: exchange.route,
                        differences: exchange.differences, failAt: failAt)
                    exchanges[key] = exchange
                }
            }
        }
        report = DiffReport(exchanges: order.compactMap { exchanges[$0] })
    }

    func jsonText() -> String {
        guard case .object(var members) = (try? JSONParser.parse(Array(report.jsonText().utf8))) ?? .null else {
            return report.jsonText()
        }
        members.append(.init(key: "routes", value: document["routes"] ?? .array([])))
        members.append(.init(key: "aggregates", value: document["differences"] ?? .array([])))
        return JSONValue.object(members).prettyText() + "\n"
    }

    func plainText() -> String {
        var lines: [String] = []
        var aggregatesByRoute: [String: [JSONValue]] = [:]
        if case .array(let aggregates)? = document["differences"] {
            for aggregate in aggregates {
                aggregatesByRoute[aggregate["route"]?.stringValue ?? "", default: []].append(aggregate)
            }
        }
        guard case .array(let routes)? = document["routes"], !routes.isEmpty else {
            return "no shadow comparisons stored yet: put a route in shadow mode (banyan route set ROUTE shadow) "
                + "and send it traffic\n"
        }
        for route in routes {
            let name = route["route"]?.stringValue ?? "?"
            let compared = Int(route["compared"]?.numberValue ?? 0)
            let differing = Int(route["differing"]?.numberValue ?? 0)
            let failing = Int(route["failing"]?.numberValue ?? 0)
            let percent = compared == 0 ? 0 : Double(differing) * 100 / Double(compared)
            lines.append(
                "\(failing > 0 ? "FAIL" : "PASS") \(name): \(compared) compared, \(differing) differing "
                    + String(format: "(%.1f%%)", percent) + ", \(failing) at or above \(failAt)")
            for aggregate in aggregatesByRoute[name] ?? [] {
                let kind = aggregate["kind"]?.stringValue ?? "?"
                let location = aggregate["location"]?.stringValue ?? ""
                let severity = aggregate["severity"]?.stringValue ?? "?"
                let count = Int(aggregate["count"]?.numberValue ?? 0)
                var line = "  \(severity) \(kind)"
                if !location.isEmpty { line += " \(location)" }
                line += " ×\(count): \(aggregate["explanation"]?.stringValue ?? "")"
                if let reason = aggregate["policyReason"]?.stringValue { line += " (policy: \(reason))" }
                lines.append(line)
                if case .array(let samples)? = aggregate["samples"], let sample = samples.first {
                    var example =
                        "      e.g. \(sample["method"]?.stringValue ?? "") \(sample["target"]?.stringValue ?? "")"
                    example += " → legacy \(Int(sample["legacyStatus"]?.numberValue ?? 0))"
                    if let value = sample["legacyValue"]?.stringValue { example += " \(value)" }
                    example += ", candidate \(Int(sample["candidateStatus"]?.numberValue ?? 0))"
                    if let value = sample["candidateValue"]?.stringValue { example += " \(value)" }
                    if sample["origin"]?.stringValue == "canary" { example += " (canary comparison)" }
                    lines.append(example)
                }
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
