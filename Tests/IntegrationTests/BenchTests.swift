import BanyanBench
import BanyanCore
import Foundation
import SharedTestSupport
import Testing

/// `banyan bench` against real servers: a server that stalls on a known schedule, and the reference
/// workload (the Express shop against its Swift port).
@Suite(.serialized) struct BenchTests {
    /// Open loop at 500 req/s for 4 s against a server that stalls 200 ms every second: a fifth of the
    /// requests are due during a stall and wait for its end, so p99 is near 190 ms. A closed loop on 4
    /// connections sends only 4 requests into each stall and reports a p99 of a millisecond or so.
    @Test func aStallShowsInTheOpenLoopTailAndHidesFromTheClosedLoop() throws {
        try withStallingServer(period: 1.0, stall: 0.2, firstStallAfter: 0.3) { server in
            var configuration = BenchConfiguration(targets: [
                BenchTarget(name: "stalling", base: BaseURL(host: "127.0.0.1", port: server.port, pathPrefix: "/a"))
            ])
            configuration.rate = 500
            configuration.connections = 128
            configuration.duration = 4
            configuration.rounds = 1
            configuration.warmup = 0
            configuration.lowLoadDuration = 0
            configuration.closedLoop = true
            configuration.closedLoopConnections = 4
            configuration.closedLoopDuration = 2
            let report = try Bench(configuration).run()
            let target = try #require(report.targets.first)
            let round = try #require(target.rounds.first)
            #expect(target.completed == 2000)
            #expect(target.errors == 0 && target.timeouts == 0)

            // What the stall schedule says each request should wait, from its intended send time.
            let expected = (0..<2000).map { i -> Double in
                let due = round.startUptimeNanoseconds + UInt64(Double(i) * 1e9 / 500)
                let answered = StallingServer.answerTime(
                    due, origin: server.origin, period: server.period, stall: server.stall)
                return Double(answered - due) / 1000
            }
            let expectedP99 = NearestRank.percentile(99, of: expected)
            #expect(expectedP99 > 150_000)
            let measured = Double(target.latency.p99)
            #expect(
                abs(measured - expectedP99) <= 0.10 * expectedP99,
                "open-loop p99 \(measured) µs, schedule \(expectedP99) µs")

            let closed = try #require(target.closedLoop)
            #expect(closed.label == "closed loop (waits for each answer: coordinated omission hides stalls)")
            #expect(closed.latency.count > 1000)
            #expect(Double(closed.latency.p99) * 10 < expectedP99, "closed-loop p99 \(closed.latency.p99) µs")
            let text = report.plainText()
            #expect(
                text.contains(
                    "closed loop (waits for each answer: coordinated omission hides stalls); for comparison only")
            )
            #expect(report.jsonText().contains(#""label" : "closed loop (waits for each answer"#))
        }
    }

    /// The HTML report of a run opens in headless Chromium, which draws both charts.
    @Test func theHTMLReportOpensInHeadlessChromium() throws {
        let chromium = try findExecutable("chromium")
        try withStallingServer(period: 0.5, stall: 0.05, firstStallAfter: 0.1) { server in
            var configuration = BenchConfiguration(targets: [
                BenchTarget(name: "legacy", base: BaseURL(host: "127.0.0.1", port: server.port)),
                BenchTarget(name: "candidate", base: BaseURL(host: "127.0.0.1", port: server.port)),
            ])
            configuration.rate = 200
            configuration.connections = 16
            configuration.duration = 1
            configuration.rounds = 2
            configuration.warmup = 0.2
            configuration.lowLoadDuration = 0.5
            configuration.closedLoop = true
            configuration.closedLoopConnections = 2
            configuration.closedLoopDuration = 0.5
            let report = try Bench(configuration).run()
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("banyan-html-\(UUID())")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let page = folder.appendingPathComponent("bench.html")
            try Data(report.html().utf8).write(to: page)
            let screenshot = folder.appendingPathComponent("bench.png")

            let shot = try run(
                chromium,
                [
                    "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1000,1600",
                    "--screenshot=\(screenshot.path)", page.absoluteString,
                ])
            #expect(shot.status == 0, "\(shot.error)")
            let png = try Data(contentsOf: screenshot)
            #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
            #expect(png.count > 20_000)
            // The page Chromium built: both charts, a line per target (and per closed loop), no console errors.
            let dom = try run(
                chromium,
                [
                    "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--dump-dom",
                    page.absoluteString,
                ])
            #expect(dom.status == 0)
            #expect(dom.output.contains("<svg id=\"spectrum\""))
            #expect(dom.output.contains("<svg id=\"memory\""))
            #expect(dom.output.components(separatedBy: "class=\"series\"").count - 1 == 6)
            #expect(!dom.error.contains("CONSOLE"), "\(dom.error)")
        }
    }

    func run(_ executable: String, _ arguments: [String]) throws -> ProcessOutput {
        try runToEnd(executable, arguments)
    }
}
