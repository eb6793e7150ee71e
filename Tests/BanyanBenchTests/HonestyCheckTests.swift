import Testing

@testable import BanyanBench

struct HonestyCheckTests {
    func facts(_ executable: String, maps: String = "", env: String? = nil, processes: Int = 1, threads: Int = 1)
        -> ProcessFacts
    {
        ProcessFacts.inspect(
            pid: 42, executable: executable, commandLine: [executable], nodeEnvironment: env, mappedLibraries: maps,
            processes: processes, threads: threads, binaryContains: { executable.contains("rust") && $0 == "/rustc/" })
    }

    @Test func buildProfilesAndRuntimesAreJudgedFromTheProcess() {
        let swiftDebug = facts(
            "/srv/port/.build/x86_64-unknown-linux-gnu/debug/ShopPort", maps: "/usr/lib/libswiftCore.so")
        #expect(swiftDebug.runtime == .swift)
        #expect(swiftDebug.buildProfile == "debug")
        #expect(swiftDebug.evidence == "built under .build/x86_64-unknown-linux-gnu/debug")
        let rustRelease = facts("/srv/rust-svc/target/release/pricing")
        #expect(rustRelease.runtime == .rust)
        #expect(rustRelease.buildProfile == "release")
        let node = facts("/usr/bin/node", env: nil)
        #expect(node.runtime == .node)
        #expect(node.buildProfile == "development")
        #expect(node.evidence == "NODE_ENV is not set")
        #expect(facts("/usr/local/bin/app", maps: "libswiftCore").buildProfile == "unknown")
    }

    @Test func everyTrapIsReported() {
        let summary = LatencySummary(count: 2000, p50: 900, p90: 1000, p99: 5000, p999: 9000, max: 9000, mean: 1000)
        let warnings = HonestyChecks.evaluate(
            [
                .init(
                    name: "legacy", facts: facts("/usr/bin/node", env: "development", threads: 11), latency: summary,
                    statusCounts: [200: 1800, 404: 200]),
                .init(
                    name: "candidate",
                    facts: facts("/w/.build/x86_64-unknown-linux-gnu/debug/Port", maps: "libswiftCore", threads: 6),
                    latency: summary, errors: 3, sendLagP99: 2000),
                .init(name: "remote", facts: nil, latency: summary),
            ], percentiles: [99, 99.9], generatorProfile: "debug")
        #expect(
            warnings.map { "\($0.code) \($0.target ?? "-")" } == [
                "node-env legacy", "debug-build candidate", "no-process remote", "single-node-process legacy",
                "short-run legacy", "status legacy", "short-run candidate", "errors candidate",
                "generator-late candidate", "short-run remote", "generator-debug -",
            ])
        #expect(warnings.contains { $0.message.contains("10% of the answers were 404") })
        #expect(
            warnings.contains { $0.message.contains("against candidate's 6 threads") && $0.message.contains("cluster") }
        )
        #expect(
            warnings.contains {
                $0.message
                    == "p99.9 rests on 2 samples: it needs 10000 requests for ten beyond it, this run had 2000; run longer or at a higher rate"
            })
    }

    @Test func aReleaseTargetInProductionWithEnoughSamplesIsClean() {
        let summary = LatencySummary(count: 20000, p50: 900, p90: 1000, p99: 5000, p999: 9000, max: 9000, mean: 1000)
        let warnings = HonestyChecks.evaluate(
            [
                .init(name: "legacy", facts: facts("/usr/bin/node", env: "production", processes: 2), latency: summary),
                .init(
                    name: "candidate", facts: facts("/w/.build/release/Port", maps: "libswiftCore", threads: 4),
                    latency: summary),
            ], percentiles: [99, 99.9], generatorProfile: "release")
        #expect(warnings == [])
    }

    @Test func theVerdictSetsCPUTimeAgainstLowLoadLatency() {
        let cpu = CostVerdict.judge(cpuSecondsPerRequest: 0.004, lowLoadLatencySeconds: 0.0045)
        #expect(cpu.kind == .cpuBound)
        #expect(cpu.explanation.hasPrefix("4.000 ms CPU per request, 89% of its 4.500 ms latency at low load (p10)"))
        let io = CostVerdict.judge(cpuSecondsPerRequest: 0.0002, lowLoadLatencySeconds: 0.020)
        #expect(io.kind == .ioBound)
        #expect(io.cpuShare == 0.01)
    }
}
