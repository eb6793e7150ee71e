import Testing

@testable import BanyanBench

/// The playbook's reference sample set (ms): the mean, 814.5, describes no real request.
let referenceSamples: [Double] = [
    120, 130, 118, 125, 122, 119, 121, 117, 200, 9800, 124, 126, 123, 128, 131, 115, 116, 127, 129, 4200,
]

struct PercentileTests {
    @Test func nearestRankGivesTheKnownAnswers() {
        #expect(NearestRank.percentile(50, of: referenceSamples) == 124)
        #expect(NearestRank.percentile(90, of: referenceSamples) == 200)
        #expect(NearestRank.percentile(99, of: referenceSamples) == 9800)
        #expect(NearestRank.percentile(100, of: referenceSamples) == 9800)
        #expect(NearestRank.percentile(0, of: referenceSamples) == 115)
        #expect(NearestRank.percentile(99, of: []) == 0)
        let exercise: [Double] = [10, 11, 9, 12, 10, 11, 10, 9, 13, 250, 10, 11, 10, 12, 11, 9, 10, 11, 10, 180]
        #expect(NearestRank.percentile(50, of: exercise) == 10)
        #expect(NearestRank.percentile(99, of: exercise) == 250)
    }

    @Test func hdrHistogramAtThreeSignificantDigitsGivesTheKnownAnswers() {
        var histogram = LatencyHistogram()
        for sample in referenceSamples { histogram.record(UInt64(sample)) }
        let summary = histogram.summary
        #expect(summary.count == 20)
        #expect(summary.p50 == 124)
        #expect(summary.p90 == 200)
        // 9800 falls in a bucket 8 wide (8192–16383 at 3 digits): reported as its upper edge, as
        // HdrHistogram's Java and Rust libraries do.
        #expect(summary.p99 == 9807)
        #expect(summary.max == 9807)
        // The mean over bucket midpoints (the Rust crate's 814.8 uses another midpoint rule): shown
        // beside the percentiles only.
        #expect((summary.mean * 100).rounded() / 100 == 814.85)
    }

    @Test func onePercentSpikesShowOnlyAtP999AndMax() {
        var histogram = LatencyHistogram()
        for i in 0..<1000 { histogram.record(i % 100 == 99 ? 5000 : 50) }
        #expect(histogram.value(atPercentile: 50) == 50)
        #expect(histogram.value(atPercentile: 99) == 50)
        #expect(histogram.value(atPercentile: 99.9) == 5003)
        #expect(histogram.summary.max == 5003)
    }

    @Test func spectrumRisesToTheMaximumAtOneHundredPercent() {
        var histogram = LatencyHistogram()
        for sample in referenceSamples { histogram.record(UInt64(sample)) }
        let spectrum = histogram.spectrum
        #expect(spectrum.first?.value == 115)
        #expect(spectrum.last == SpectrumPoint(percentile: 100, value: 9807))
        #expect(
            zip(spectrum, spectrum.dropFirst()).allSatisfy { $0.value <= $1.value && $0.percentile <= $1.percentile })
    }

    @Test func ninesAxisPlacesEachNineOneStepFurther() {
        #expect(ninesPosition(0) == 0)
        #expect(abs(ninesPosition(90) - 1) < 1e-9)
        #expect(abs(ninesPosition(99) - 2) < 1e-9)
        #expect(abs(ninesPosition(99.9) - 3) < 1e-9)
    }

    @Test func shortRunsAreNamedForThePercentileAsked() {
        #expect(HonestyChecks.samplesNeeded(forPercentile: 99) == 1000)
        #expect(HonestyChecks.samplesNeeded(forPercentile: 99.9) == 10000)
    }
}
