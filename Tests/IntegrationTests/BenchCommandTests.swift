import Foundation
import Testing

/// `banyan bench` as a user runs it: the JSON report, saving a baseline, and the gate's exit status.
@Suite(.serialized) struct BenchCommandTests {
    @Test func theGateExitsOneListingEveryRegressedMetric() throws {
        try withStallingServer(period: 10, stall: 0, firstStallAfter: 0) { server in
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("banyan-gate-\(UUID())")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let saved = folder.appendingPathComponent("baseline.json").path
            let common = [
                "bench", "--target", "svc=http://127.0.0.1:\(server.port)/health", "--rate", "100", "--duration", "1s",
                "--rounds", "1", "--warmup", "0", "--low-load-duration", "0",
            ]
            let first = try CommandLineTests.banyan(common + ["--json", "--save-baseline", saved])
            #expect(first.status == 0, "\(first.error)")
            let report = try JSONSerialization.jsonObject(with: Data(first.output.utf8)) as? [String: Any]
            let targets = report?["targets"] as? [[String: Any]]
            #expect((targets?.first?["completed"] as? Int) == 100)
            #expect(first.error.contains("bench [1/1] round 1/1: svc"))
            let baseline =
                try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: saved))) as? [String: Any]
            let metrics = (baseline?["targets"] as? [String: Any])?["svc"] as? [String: Double]
            #expect((metrics?["p99Milliseconds"] ?? 0) > 0)
            #expect((metrics?["rssMegabytes"] ?? 0) > 1)

            let tight = folder.appendingPathComponent("tight.json").path
            try Data(#"{"targets":{"svc":{"p99Milliseconds":0.001,"rssMegabytes":0.5}}}"#.utf8).write(
                to: URL(fileURLWithPath: tight))
            let gated = try CommandLineTests.banyan(common + ["--baseline", tight, "--tolerance", "10%"])
            #expect(gated.status == 1)
            #expect(gated.output.contains("gate: FAIL, 2 regressions:"))
            #expect(gated.output.contains("  svc: p99 regression: "))
            #expect(gated.output.contains("exceeds budget 0.0 ms (baseline 0.0 ms + 10%)"))
            #expect(gated.output.contains("exceeds budget 0.6 MB (baseline 0.5 MB + 10%)"))
            let loose = try CommandLineTests.banyan(common + ["--baseline", saved, "--tolerance", "900%"])
            #expect(loose.status == 0, "\(loose.output)")
            #expect(loose.output.contains("gate: PASS (tolerance 900%)"))
        }
    }

    @Test func usageErrorsAndUnreachableTargetsExitTwo() throws {
        let noSLO = try CommandLineTests.banyan(["bench", "--target", "http://127.0.0.1:9/", "--find-max"])
        #expect(noSLO.status == 2)
        #expect(noSLO.error.contains("--find-max needs --slo"))
        let badSLO = try CommandLineTests.banyan([
            "bench", "--target", "http://127.0.0.1:9/", "--find-max", "--slo", "p99 under 50ms",
        ])
        #expect(badSLO.status == 2)
        #expect(badSLO.error.contains("--slo 'p99 under 50ms'"))
        let unreachable = try CommandLineTests.banyan([
            "bench", "--target", "legacy=http://127.0.0.1:9/", "--warmup", "0", "--rounds", "1", "--duration", "1s",
        ])
        #expect(unreachable.status == 2)
        #expect(
            unreachable.error.contains("\nerror: legacy (http://127.0.0.1:9): 127.0.0.1:9: "), "\(unreachable.error)")
    }
}
