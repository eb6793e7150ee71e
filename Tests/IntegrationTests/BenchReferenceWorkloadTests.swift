import BanyanBench
import BanyanCore
import Foundation
import Testing

/// `banyan bench --target legacy=… --target candidate=…` on the reference workload: the Express shop
/// and its Swift port, on the CPU-bound price route and the light user route.
@Suite(.serialized) struct BenchReferenceWorkloadTests {
    func bench(_ path: String, legacy: ServiceProcess, port: ServiceProcess) throws -> BenchReport {
        var configuration = BenchConfiguration(targets: [
            BenchTarget(name: "legacy", base: BaseURL(host: "127.0.0.1", port: legacy.port)),
            BenchTarget(name: "candidate", base: BaseURL(host: "127.0.0.1", port: port.port)),
        ])
        configuration.requests = [HTTPRequest(method: "GET", target: path)]
        configuration.rate = 40
        configuration.connections = 8
        configuration.duration = 1.5
        configuration.rounds = 2
        configuration.warmup = 1
        configuration.lowLoadRate = 20
        configuration.lowLoadDuration = 2
        return try Bench(configuration).run()
    }

    @Test func theCPUBoundPriceRouteAndTheLightUserRouteGetTheirVerdicts() throws {
        let legacy = try ServiceProcess.legacy()
        let port = try ServiceProcess.port()
        let price = try bench("/price/AAPL", legacy: legacy, port: port)
        let users = try bench("/users/1", legacy: legacy, port: port)

        for report in [price, users] {
            #expect(report.targets.map(\.name) == ["legacy", "candidate"])
            for target in report.targets {
                #expect(target.completed == 120, "\(target.name)")
                #expect(target.errors == 0 && target.timeouts == 0)
                #expect(target.statusCounts == ["200": 120])
                #expect(target.rounds.count == 2)
                let process = try #require(target.process, "\(target.name)")
                #expect(process.rssIdleBytes > 5_000_000)
                #expect(process.rssPeakBytes >= process.rssLoadBytes)
                #expect((process.cpuSecondsPerRequest ?? 0) > 0)
                #expect(target.verdict != nil)
            }
            let legacyFacts = try #require(report.targets[0].process?.facts)
            #expect(legacyFacts.runtime == .node)
            #expect(legacyFacts.buildProfile == "production")
            #expect(legacyFacts.pid == legacy.pid)
            let portFacts = try #require(report.targets[1].process?.facts)
            #expect(portFacts.runtime == .swift)
            #expect(portFacts.pid == port.pid)
            // The port the tests start is a debug build, and its event loops run on several threads.
            #expect(portFacts.buildProfile == (port.executable.contains("/debug/") ? "debug" : "release"))
            let codes = report.warnings.map { "\($0.code) \($0.target ?? "-")" }
            #expect(codes.contains("debug-build candidate") == port.executable.contains("/debug/"))
            #expect(codes.contains("single-node-process legacy"))
            #expect(!codes.contains { $0.hasPrefix("node-env") })
            #expect(report.comparisons.map(\.metric) == ["p50", "p99", "p99.9", "rss", "cpu-per-request"])
            #expect(report.comparisons.first { $0.metric == "p99" }?.roundMinimum != nil)
        }
        // Summing a million square roots per request: Node spends most of a lone request on its CPU.
        let legacyPrice = try #require(price.targets[0].verdict)
        #expect(legacyPrice.kind == .cpuBound, "\(legacyPrice.explanation)")
        #expect(legacyPrice.cpuMillisecondsPerRequest > 1)
        // The example's user route is an in-memory lookup: light, but what little time it takes is
        // Express's own CPU work, so its share is high too; its cost per request is a fraction of price's.
        let usersCPU = try #require(users.targets[0].process?.cpuSecondsPerRequest)
        let priceCPU = try #require(price.targets[0].process?.cpuSecondsPerRequest)
        #expect(usersCPU * 2 < priceCPU, "users \(usersCPU) s, price \(priceCPU) s of CPU per request")
    }

    /// A route that waits (a 20 ms timer, as for a database answer) spends almost none of its latency
    /// on the CPU: I/O-bound, the case a rewrite does not speed up.
    @Test func aRouteThatWaitsIsIOBound() throws {
        // A process of its own: the verdict reads the CPU time of the process on the port, and the
        // test process runs other suites at the same time.
        let script = """
            require('http').createServer((req, res) => setTimeout(() => res.end('ok'), 20))
              .listen(Number(process.env.PORT), '127.0.0.1');
            """
        let server = try ServiceProcess(
            name: "a waiting Node server", executable: try findExecutable("node"), arguments: ["-e", script],
            environment: ["PORT": "{port}"])
        var configuration = BenchConfiguration(targets: [
            BenchTarget(name: "waiting", base: BaseURL(host: "127.0.0.1", port: server.port))
        ])
        configuration.rate = 50
        configuration.connections = 4
        configuration.duration = 1
        configuration.rounds = 1
        configuration.warmup = 0
        configuration.lowLoadRate = 20
        configuration.lowLoadDuration = 1
        let report = try Bench(configuration).run()
        let verdict = try #require(report.targets.first?.verdict)
        #expect(verdict.kind == .ioBound, "\(verdict.explanation)")
        #expect(verdict.lowLoadLatencyMilliseconds >= 20)
        #expect(verdict.cpuShare < 0.2)
        #expect(verdict.explanation.hasSuffix("which a rewrite does not shorten"))
    }
}
