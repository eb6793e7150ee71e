import Foundation
import Testing

@testable import BanyanBench

struct GateTests {
    let gate = BaselineGate(tolerance: 0.10)

    @Test func p99AboveBudgetFailsAndBelowPasses() {
        let baseline = Baseline(targets: ["candidate": GateMetrics(p99Milliseconds: 120)])
        let failed = gate.check(baseline: baseline, measured: ["candidate": GateMetrics(p99Milliseconds: 138)])
        #expect(!failed.passed)
        #expect(
            failed.regressions.map(\.message) == [
                "p99 regression: 138.0 ms exceeds budget 132.0 ms (baseline 120.0 ms + 10%)"
            ])
        #expect(failed.regressions.first?.budget == 120 * 1.1)
        let passed = gate.check(baseline: baseline, measured: ["candidate": GateMetrics(p99Milliseconds: 125)])
        #expect(passed.passed)
        #expect(passed.regressions.isEmpty)
    }

    @Test func memoryAloneCanFailWhileLatencyImproved() {
        let baseline = Baseline(targets: ["candidate": GateMetrics(p99Milliseconds: 120, rssMegabytes: 64)])
        let result = gate.check(
            baseline: baseline, measured: ["candidate": GateMetrics(p99Milliseconds: 95, rssMegabytes: 84)])
        #expect(!result.passed)
        #expect(result.regressions.count == 1)
        #expect(result.regressions.first?.metric == "rss")
        #expect(result.regressions.first?.message == "rss 84.0 MB exceeds budget 70.4 MB (baseline 64.0 MB + 10%)")
    }

    @Test func everyRegressedMetricOfEveryTargetIsListed() {
        let baseline = Baseline(targets: [
            "legacy": GateMetrics(p99Milliseconds: 10, rssMegabytes: 50),
            "candidate": GateMetrics(p99Milliseconds: 5, rssMegabytes: 20),
            "gone": GateMetrics(p99Milliseconds: 1),
        ])
        let result = gate.check(
            baseline: baseline,
            measured: [
                "legacy": GateMetrics(p99Milliseconds: 12, rssMegabytes: 60),
                "candidate": GateMetrics(p99Milliseconds: 5.4, rssMegabytes: 23),
            ])
        #expect(
            result.regressions.map { "\($0.target) \($0.metric)" } == ["candidate rss", "legacy p99", "legacy rss"])
        #expect(result.unchecked == ["gone"])
    }

    @Test func toleranceAndDurationsParse() throws {
        #expect(Tolerance.parse("10%") == 0.1)
        #expect(Tolerance.parse("0.25") == 0.25)
        #expect(Tolerance.parse("ten") == nil)
        #expect(Tolerance.percentText(0.025) == "2.5%")
        #expect(DurationText.seconds("500ms") == 0.5)
        #expect(DurationText.seconds("2m") == 120)
        #expect(DurationText.seconds("3") == 3)
        #expect(DurationText.seconds("fast") == nil)
    }

    @Test func serviceLevelObjectivesParseAndJudge() throws {
        let slo = try ServiceLevelObjective(parsing: "p99<50ms")
        #expect(slo == ServiceLevelObjective(percentile: 99, limitMicroseconds: 50_000))
        #expect(slo.description == "p99<50ms")
        #expect(try ServiceLevelObjective(parsing: "p99.9 <= 1s").description == "p99.9<=1s")
        #expect(throws: BenchError.self) { try ServiceLevelObjective(parsing: "99<50ms") }
        #expect(throws: BenchError.self) { try ServiceLevelObjective(parsing: "p99<fast") }
        var histogram = LatencyHistogram()
        for _ in 0..<99 { histogram.record(10_000) }
        histogram.record(60_000)
        #expect(slo.isMet(by: histogram))
        histogram.record(60_000)
        #expect(!slo.isMet(by: histogram))
    }

    @Test func baselineRoundTripsThroughItsFile() throws {
        let baseline = Baseline(targets: ["legacy": GateMetrics(p99Milliseconds: 12.5, rssMegabytes: 64)])
        let path = "/tmp/banyan-baseline-\(UInt64.random(in: 0...UInt64.max)).json"
        #expect(FileManager.default.createFile(atPath: path, contents: Data(baseline.jsonText().utf8)))
        #expect(try Baseline.load(path: path) == baseline)
        #expect(throws: BenchError.self) { try Baseline.load(path: path + ".missing") }
    }
}
