import ArgumentParser
import BanyanDemo
import BanyanProxy
import Foundation

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Watch Banyan shadow the example Express shop with its Swift port, naive then careful.",
        discussion: """
            Run from the repository root. Starts the Express shop (Examples/shop-legacy), its Swift port \
            (Examples/ShopPort, built when missing) and the proxy with every route in shadow mode and its \
            state in .banyan/demo; sends realistic traffic through it; and prints what the candidate \
            answered differently. First the naive port (classic porting mistakes), then the careful one, \
            then a promotion and a rollback.
            """
    )

    @Flag(help: "Keep the naive setup running at the end, to explore it with status, diff --proxy and route set.")
    var keep = false
    @Option(help: "How many requests of the realistic mix to send after the scripted ones.") var requests = 300
    @Option(help: "The careful candidate: swift (Examples/ShopPort) or rust (Examples/shop-rust).")
    var port: CarefulPort = .swift

    enum CarefulPort: String, ExpressibleByArgument, CaseIterable {
        case swift, rust
    }

    func validate() throws {
        if requests < 0 { throw ValidationError("--requests must be 0 or more") }
    }

    func run() async throws {
        let root = FileManager.default.currentDirectoryPath
        guard FileManager.default.fileExists(atPath: "\(root)/Examples/banyan.yaml") else {
            throw UsageError("run 'banyan demo' from the repository root (the folder holding Examples/)")
        }
        let careful: Demo.CarefulPort = port == .rust ? .rust : .swift
        do {
            let swiftPort = try await Demo.swiftPort(root: root, note: printError)
            let carefulPort = careful == .rust ? try await Demo.rustPort(root: root, note: printError) : swiftPort
            let options = Demo.Options(
                root: root, stateFolder: "\(root)/.banyan/demo", requests: requests, naiveExecutable: swiftPort,
                careful: careful, carefulExecutable: carefulPort, keep: keep)
            try await Demo.run(options) { event in print(DemoText.lines(event).joined(separator: "\n")) }
        } catch let error as DemoError {
            throw UsageError(error.description)
        }
    }
}

/// What `banyan demo` prints for each of the demo's events.
enum DemoText {
    static func lines(_ event: DemoEvent) -> [String] {
        switch event {
        case .overview(let routes):
            return [
                heading("the example migration: Examples/banyan.yaml (\(routes) routes), every route in shadow mode"),
                """
                Legacy serves every request; the proxy copies each one to the Swift port off the client's path,
                compares the two answers with the policy, and keeps the differences in .banyan/demo/*.sqlite.
                Both services keep their data in memory, so writes are copied too (shadow_non_idempotent) to keep
                them in step; against a shared database you would leave that off.
                """,
            ]
        case .naiveStep:
            return [heading("1. the naive port (ShopPort --naive): the classic porting mistakes")]
        case .carefulStep(let port):
            return [heading("2. the careful \(port == .rust ? "Rust" : "Swift") port (\(port.name)): the same traffic")]
        case .promotionStep:
            return [heading("3. promote a route, then roll it back (no restart)")]
        case .liveConnectionStep:
            return [heading("4. one live connection: a WebSocket on GET /live through the proxy")]
        case .started(let pass):
            return [
                "started the Express shop on :\(pass.legacyPort), \(pass.candidate) on :\(pass.candidatePort), "
                    + "the proxy on :\(pass.proxyPort) (admin :\(pass.adminPort))"
            ]
        case .sent(let traffic):
            let served = traffic.servedBy.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
                .joined(separator: ", ")
            return ["sent \(traffic.requests) requests through the proxy; served-by: \(served)"]
        case .summary(let summary):
            return summaryLines(summary)
        case .promotion(let promotion):
            let took = promotion.took.formatted(.units(allowed: [.milliseconds], fractionalPart: .show(length: 1)))
            return [
                "banyan route set '\(promotion.route)' new      → next GET /users/1 served-by: "
                    + promotion.servedByAfterSet,
                "banyan rollback '\(promotion.route)'           → next GET /users/1 served-by: "
                    + "\(promotion.servedByAfterRollback) (the change took \(took), persisted in the state database)",
            ]
        case .liveConnection(let live):
            return [
                "GET /live switched to WebSocket (101, served-by: \(live.servedBy)); the echo: \"\(live.echo)\"",
                "banyan status, while it is open:",
            ] + StatusText.tunnelLines(live.status).map { "  " + $0 } + [
                "The route is in shadow mode, but a tunnel is never copied: legacy serves it, and a rollback leaves "
                    + "it open unless you add --close-tunnels."
            ]
        case .finished(let admin, let proxyPort, let dashboard, let keeping):
            var lines = [
                heading("look deeper"),
                """
                The naive run's differences, with sample exchanges, are what 'banyan diff --proxy' prints
                (--format json for tools). Against a running proxy (banyan demo --keep keeps this one):
                    banyan status --admin \(admin)
                    banyan diff --proxy --admin \(admin)
                    banyan route set 'GET /users/:id' canary 5 --admin \(admin)
                    banyan rollback --all --admin \(admin)
                Your own migration: write a banyan.yaml (docs/configuration.md) and run 'banyan proxy' (docs/proxy.md).
                """,
            ]
            if keeping {
                lines.append(
                    "\nkeeping the naive setup: proxy on 127.0.0.1:\(proxyPort), admin API on \(admin); "
                        + "Ctrl-C stops it")
                lines.append("dashboard: \(dashboard)")
            } else {
                lines.append("\ndashboard: \(dashboard) (up while the demo runs; 'banyan demo --keep' keeps it up)")
            }
            return lines
        }
    }

    private static func heading(_ text: String) -> String {
        "\n\u{1B}[1m== \(text)\u{1B}[0m"
    }

    /// The pass's totals per route, then one line per kind of difference and place, with a sample.
    static func summaryLines(_ summary: DemoSummary) -> [String] {
        var lines = [
            "\(summary.compared) shadow copies compared; \(summary.failing) showed a difference at or above "
                + "\(summary.failAt) (the policy's fail_at)\n"
        ]
        let width = summary.routes.map(\.route.count).max() ?? 10
        lines.append(
            "    " + "route".padding(toLength: width, withPad: " ", startingAt: 0)
                + "  compared  failing (\(summary.failAt) or worse)  only milder differences")
        for total in summary.routes {
            lines.append(
                "    " + total.route.padding(toLength: width, withPad: " ", startingAt: 0)
                    + String(
                        format: "  %8d  %21d  %23d", total.compared, total.failing, total.differing - total.failing))
        }
        guard !summary.differences.isEmpty else {
            lines.append("\nno differences above noise: the port answers like Express on this traffic")
            return lines
        }
        lines.append("\nwhat differs, most serious first (severity, kind, place, count), with one sample exchange:")
        for group in summary.differences.prefix(12) {
            var line = "  \(group.severity) \(group.kind)"
            if !group.location.isEmpty { line += " \(group.location)" }
            line += " ×\(group.count) on "
            line += group.routes.count == 1 ? group.routes[0] : "\(group.routes.count) routes"
            lines.append(line)
            let aggregate = group.first
            lines.append("      \(aggregate.explanation)\(aggregate.policyReason.map { " (policy: \($0))" } ?? "")")
            if let sample = aggregate.samples.first {
                var example = "      e.g. \(sample.method) \(sample.target): legacy \(sample.legacyStatus)"
                if group.kind != .status, let value = sample.legacyValue { example += " \(value.prefix(50))" }
                example += ", candidate \(sample.candidateStatus)"
                if group.kind != .status, let value = sample.candidateValue { example += " \(value.prefix(50))" }
                lines.append(example)
            }
        }
        if summary.differences.count > 12 {
            lines.append("  … and \(summary.differences.count - 12) more (banyan diff --proxy lists them all)")
        }
        return lines
    }
}
