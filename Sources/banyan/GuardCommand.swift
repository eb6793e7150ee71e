import ArgumentParser
import BanyanCore
import BanyanProxy
import Foundation

struct GuardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "guard",
        abstract: "Show the automatic rollback guard of a running proxy's routes.",
        subcommands: [GuardStatusCommand.self])
}

struct GuardStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Each route's guard: samples in the window, rates with their bounds, thresholds, state.",
        discussion: """
            States: waiting (fewer samples than min_samples: rate rules cannot trip yet), healthy, tripped \
            (sent back; stays back until a person promotes it), cooling_down, failing (a shadow route whose \
            differences tripped: promotion is blocked), idle (on legacy), off. Rates are shown with their \
            Wilson bounds at the configured confidence. See docs/fleet.md.
            """)

    @Argument(help: "A route, e.g. 'GET /users/:id' (default: every route).") var route: String?
    @OptionGroup var admin: AdminOptions
    @Option(help: "Output format: text or json.") var format: StatusFormat = .text

    func run() throws {
        var path = "/api/guard"
        if let route {
            path += "?route=" + (route.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? route)
        }
        let answer = try admin.request("GET", path)
        switch format {
        case .json:
            print(answer.prettyText())
        case .text:
            let decoder = JSONDecoder()
            decoder.keyDecodingStrategy = .convertFromSnakeCase
            decoder.nonConformingFloatDecodingStrategy = .convertFromString(
                positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
            let report = try decoder.decode(GuardReport.self, from: Data(answer.serialized()))
            print(GuardText.render(report))
        }
    }
}

/// The human form of `banyan guard status`.
enum GuardText {
    static func render(_ report: GuardReport) -> String {
        guard !report.guards.isEmpty else { return "no route has a guard (guard: false everywhere)" }
        var lines: [String] = []
        for status in report.guards {
            var head = "\(status.route)  \(status.mode)  \(status.state.rawValue)"
            if status.observe { head += " (observe)" }
            if status.state == .waiting { head += " \(status.samples)/\(status.minSamples)" }
            lines.append(head + "  window \(seconds(status.window))")
            if status.candidateAnswers > 0 || status.legacyAnswers > 0 {
                lines.append(
                    "  failures: candidate \(status.candidateFailures)/\(status.candidateAnswers) "
                        + "\(percent(status.candidateFailureRate)) [\(bounds(status.candidateFailureBounds))], "
                        + "legacy \(status.legacyFailures)/\(status.legacyAnswers); trips above "
                        + percent(status.failureThreshold))
                lines.append(
                    "  p99: legacy \(status.legacyP99.map(milliseconds) ?? "–"), candidate "
                        + "\(status.candidateP99.map(milliseconds) ?? "–"); failures in a row "
                        + "\(status.consecutiveFailures)/\(status.consecutiveLimit)")
            }
            if status.comparisons > 0 {
                lines.append(
                    "  differences: \(status.differing)/\(status.comparisons) "
                        + "[\(bounds(status.differenceBounds))]; trips above \(percent(status.differenceThreshold))")
            }
            if let action = status.lastAction, let evidence = status.lastEvidence {
                lines.append("  last: \(action): \(evidence.summary)")
            }
        }
        return lines.joined(separator: "\n")
    }

    static func percent(_ value: Double) -> String { String(format: "%.2f%%", value * 100) }

    static func bounds(_ values: [Double]) -> String { values.map(percent).joined(separator: ", ") }

    static func milliseconds(_ value: Double) -> String { String(format: "%.1f ms", value * 1000) }

    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value)) s" : String(format: "%.1f s", value)
    }
}
