import Testing

@testable import BanyanCore

/// A seeded generator, so that simulated traffic is the same on every run.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite("Guard statistics")
struct GuardStatisticsTests {
    @Test(
        "the normal quantile of a one-sided confidence",
        arguments: [
            (0.5, 0.0), (0.95, 1.644_853_627), (0.99, 2.326_347_874), (0.999, 3.090_232_306), (0.01, -2.326_347_874),
        ]
    )
    func quantile(confidence: Double, expected: Double) {
        #expect(abs(WilsonInterval.z(confidence: confidence) - expected) < 1e-8)
    }

    @Test(
        "Wilson bounds at 99.9% confidence",
        arguments: [
            (0, 200, 0.0, 0.045_571_734_02),
            (9, 200, 0.016_863_968_97, 0.114_606_309_0),
            (8, 200, 0.014_171_953_03, 0.107_754_042_3),
            (1, 1, 0.094_790_901_50, 1.0),
            (50, 100, 0.352_376_376_1, 0.647_623_623_9),
        ])
    func wilson(successes: Int, trials: Int, lower: Double, upper: Double) {
        let bounds = WilsonInterval.bounds(successes: successes, trials: trials, z: 3.090_232_306_167_813)
        #expect(abs(bounds.lower - lower) < 1e-9)
        #expect(abs(bounds.upper - upper) < 1e-9)
    }

    @Test("no trials bound nothing")
    func noTrials() {
        #expect(WilsonInterval.bounds(successes: 0, trials: 0, z: 3) == (0, 1))
    }

    @Test(
        "the natural logarithm without a C library",
        arguments: [
            (1.0, 0.0), (2, 0.693_147_180_559_945_3), (10, 2.302_585_092_994_046), (0.001, -6.907_755_278_982_137),
            (1e-12, -27.631_021_115_928_547), (123_456.789, 11.723_646_487_185_881), (0.75, -0.287_682_072_451_780_9),
        ])
    func logarithm(value: Double, expected: Double) {
        #expect(abs(naturalLog(value) - expected) <= 1e-14 * max(1, abs(expected)))
    }

    @Test(
        "latencies fall in quarter-octave buckets from 16 µs",
        arguments: [(0.000_01, 0), (0.000_016, 0), (0.000_02, 2), (0.001, 24), (0.0015, 27), (0.25, 56), (1e9, 127)])
    func bucket(seconds: Double, expected: Int) {
        #expect(LatencyBuckets.bucket(for: seconds) == expected)
    }

    @Test("a quantile reads as its bucket's upper edge; counts above a latency never overstate")
    func quantiles() {
        var buckets = LatencyBuckets()
        for _ in 0..<98 { buckets.record(0.001) }
        buckets.record(0.0015)
        buckets.record(0.25)
        #expect(buckets.total == 100)
        #expect(buckets.quantile(0.5) == LatencyBuckets.upperEdge(of: 24))
        #expect(LatencyBuckets.upperEdge(of: 24) == 0.001_024)
        #expect(buckets.quantile(0.99) == LatencyBuckets.upperEdge(of: 27))
        #expect(buckets.quantile(1) == LatencyBuckets.upperEdge(of: 56))
        #expect(buckets.count(above: 0.001) == 2)
        #expect(buckets.count(above: 0.0015) == 1)
        #expect(buckets.count(above: 0.3) == 0)
        var other = buckets
        other.subtract(buckets)
        #expect(other == LatencyBuckets())
        #expect(other.quantile(0.5) == nil)
    }

    @Test("the window slides in twelfths and keeps exact totals")
    func window() {
        var window = GuardWindow(length: 60)
        for second in 0..<60 {
            window.recordAnswer(.candidate, failed: second % 10 == 0, latency: 0.001, at: Double(second))
            window.recordAnswer(.legacy, failed: false, latency: 0.002, at: Double(second))
            window.recordComparison(differing: second == 59, at: Double(second))
        }
        #expect(window.candidate.answers == 60)
        #expect(window.candidate.failures == 6)
        #expect(window.legacy.answers == 60)
        #expect(window.comparisons == 60)
        #expect(window.differing == 1)
        // At 65 s the slice of 0–4 s has left: 5 answers, one of them (at 0 s) failed.
        window.advance(to: 65)
        #expect(window.candidate.answers == 55)
        #expect(window.candidate.failures == 5)
        #expect(window.legacy.latency.total == 55)
        window.advance(to: 119.9)
        #expect(window.candidate.answers == 5)
        #expect(window.differing == 1)
        window.advance(to: 120)
        #expect(window.candidate.answers == 0)
        #expect(window.candidate.latency == LatencyBuckets())
        #expect(window.comparisons == 0)
    }
}

@Suite("Route guard")
struct RouteGuardTests {
    static let canary = RouteMode.canary(percent: 10)

    @Test("a rate rule never trips below min_samples; at the 200th all-failing answer it does")
    func minimumSample() throws {
        var settings = GuardSettings()
        settings.consecutiveFailures = 0
        var routeGuard = RouteGuard(settings: settings, mode: .new, at: 0)
        for index in 0..<199 {
            #expect(routeGuard.recordAnswer(.candidate, failed: true, latency: 0.01, at: Double(index) / 100) == nil)
        }
        #expect(routeGuard.state(at: 2) == .waiting)
        let verdictOutcome = routeGuard.recordAnswer(.candidate, failed: true, latency: 0.01, at: 1.99)
        let verdict = try #require(verdictOutcome)
        #expect(verdict.action == .trip(to: .legacy))
        #expect(verdict.evidence.rule == .failureRate)
        #expect(verdict.evidence.samples == 200)
        #expect(verdict.evidence.hits == 200)
        #expect(verdict.evidence.threshold == 0.01)
        #expect(abs(verdict.evidence.bound - 0.954_428_265_975_842_9) < 1e-9)
        #expect(!verdict.observed)
        #expect(
            verdict.evidence.summary
                == "candidate failure rate 100% (200/200), at least 95.4% at 99.9% confidence, above the "
                + "threshold 1% (legacy 0/0) over 60 s")
        #expect(routeGuard.state(at: 2) == .tripped)
    }

    @Test("legacy's own failure rate is the baseline: a candidate as bad as legacy passes, worse trips")
    func legacyBaseline() throws {
        var settings = GuardSettings()
        settings.consecutiveFailures = 0
        var asBad = RouteGuard(settings: settings, mode: .canary(percent: 50), at: 0)
        #expect(
            Self.replay(&asBad, count: 50_000, share: 0.5, seed: 21, candidateFailure: 0.05, legacyFailure: 0.05) == nil
        )
        var worse = RouteGuard(settings: settings, mode: .canary(percent: 50), at: 0)
        let outcome = Self.replay(
            &worse, count: 50_000, share: 0.5, seed: 21, candidateFailure: 0.12, legacyFailure: 0.05)
        let (_, verdict) = try #require(outcome)
        #expect(verdict.evidence.rule == .failureRate)
        #expect(verdict.evidence.threshold > 0.06)
        #expect(verdict.evidence.threshold < 0.09)
    }

    @Test("five candidate failures in a row trip at once, whatever the sample size")
    func consecutiveFailures() throws {
        var routeGuard = RouteGuard(settings: GuardSettings(), mode: Self.canary, at: 0)
        #expect(routeGuard.recordAnswer(.candidate, failed: false, latency: 0.01, at: 0) == nil)
        for index in 1...4 {
            #expect(routeGuard.recordAnswer(.candidate, failed: true, latency: 0.01, at: Double(index)) == nil)
        }
        #expect(routeGuard.recordAnswer(.candidate, failed: false, latency: 0.01, at: 5) == nil)
        for index in 6...9 {
            #expect(routeGuard.recordAnswer(.candidate, failed: true, latency: 0.01, at: Double(index)) == nil)
        }
        let verdictOutcome = routeGuard.recordAnswer(.candidate, failed: true, latency: 0.01, at: 10)
        let verdict = try #require(verdictOutcome)
        #expect(verdict.action == .trip(to: .legacy))
        #expect(verdict.evidence.rule == .consecutiveFailures)
        #expect(verdict.evidence.consecutive == 5)
        #expect(verdict.evidence.summary == "5 candidate failures in a row")
    }

    /// Replays a canary: `count` requests 2 ms apart, each served by the candidate with
    /// probability `share`; returns the index of the request whose sample tripped, if any.
    static func replay(
        _ routeGuard: inout RouteGuard, from start: Int = 0, count: Int, share: Double, seed: UInt64,
        candidateFailure: Double, legacyFailure: Double = 0.005,
        candidateLatency: ClosedRange<Double> = 0.004...0.012, legacyLatency: ClosedRange<Double> = 0.004...0.012
    ) -> (index: Int, verdict: GuardVerdict)? {
        var random = SplitMix64(state: seed)
        for index in start..<(start + count) {
            let time = Double(index) * 0.002
            let candidate = Double.random(in: 0..<1, using: &random) < share
            let failure = candidate ? candidateFailure : legacyFailure
            let failed = Double.random(in: 0..<1, using: &random) < failure
            let latency = Double.random(in: candidate ? candidateLatency : legacyLatency, using: &random)
            if let verdict = routeGuard.recordAnswer(
                candidate ? .candidate : .legacy, failed: failed, latency: latency, at: time)
            {
                return (index, verdict)
            }
        }
        return nil
    }

    @Test("a healthy candidate at legacy's failure rate and speed never trips over 100,000 requests")
    func healthyCanary() {
        var routeGuard = RouteGuard(settings: GuardSettings(), mode: .canary(percent: 25), at: 0)
        let outcome = Self.replay(&routeGuard, count: 100_000, share: 0.25, seed: 7, candidateFailure: 0.005)
        #expect(outcome == nil)
        #expect(routeGuard.state(at: 200) == .healthy)
    }

    @Test("a candidate that starts failing 20% of its answers trips on the evidence, not before")
    func failingCanary() throws {
        var routeGuard = RouteGuard(settings: GuardSettings(), mode: .canary(percent: 25), at: 0)
        #expect(Self.replay(&routeGuard, count: 20_000, share: 0.25, seed: 11, candidateFailure: 0.005) == nil)
        let outcome = Self.replay(
            &routeGuard, from: 20_000, count: 20_000, share: 0.25, seed: 12, candidateFailure: 0.2)
        let (index, verdict) = try #require(outcome)
        #expect(verdict.action == .trip(to: .legacy))
        #expect(verdict.evidence.rule == .failureRate)
        #expect(index == 22_672)
        #expect(verdict.evidence.bound > verdict.evidence.threshold)
        #expect(verdict.evidence.legacySamples > 10_000)
    }

    @Test("a candidate three times slower than legacy trips the latency rule")
    func slowCanary() throws {
        var routeGuard = RouteGuard(settings: GuardSettings(), mode: .canary(percent: 25), at: 0)
        let (index, verdict) = try #require(
            Self.replay(
                &routeGuard, count: 20_000, share: 0.25, seed: 5, candidateFailure: 0.005,
                candidateLatency: 0.030...0.036))
        #expect(verdict.action == .trip(to: .legacy))
        #expect(verdict.evidence.rule == .latency)
        #expect(verdict.evidence.samples == 200)
        #expect(verdict.evidence.hits == 200)
        #expect(index == 728)
        #expect(verdict.evidence.legacyP99 == LatencyBuckets.upperEdge(of: LatencyBuckets.bucket(for: 0.012)))
        #expect(verdict.evidence.candidateP99 == LatencyBuckets.upperEdge(of: LatencyBuckets.bucket(for: 0.036)))
    }

    @Test("a candidate 10% slower stays within the latency rule")
    func slightlySlowerCanary() {
        var routeGuard = RouteGuard(settings: GuardSettings(), mode: .canary(percent: 25), at: 0)
        let outcome = Self.replay(
            &routeGuard, count: 50_000, share: 0.25, seed: 9, candidateFailure: 0.005,
            candidateLatency: 0.0044...0.0132)
        #expect(outcome == nil)
    }

    /// Replays shadow comparisons, one every 2 ms, each differing with probability `rate`.
    static func compare(
        _ routeGuard: inout RouteGuard, from start: Int = 0, count: Int, rate: Double, seed: UInt64
    ) -> (index: Int, verdict: GuardVerdict)? {
        var random = SplitMix64(state: seed)
        for index in start..<(start + count) {
            let differing = Double.random(in: 0..<1, using: &random) < rate
            if let verdict = routeGuard.recordComparison(differing: differing, at: Double(index) * 0.002) {
                return (index, verdict)
            }
        }
        return nil
    }

    @Test("a shadow route against an identical candidate never trips over 100,000 comparisons")
    func identicalShadow() {
        var routeGuard = RouteGuard(settings: GuardSettings(), mode: .shadow, at: 0)
        #expect(Self.compare(&routeGuard, count: 100_000, rate: 0, seed: 1) == nil)
        #expect(routeGuard.state(at: 200) == .healthy)
    }

    @Test("a shadow route whose candidate differs on 5% of comparisons is marked failing")
    func differingShadow() throws {
        var routeGuard = RouteGuard(settings: GuardSettings(), mode: .shadow, at: 0)
        let outcome = Self.compare(&routeGuard, count: 10_000, rate: 0.05, seed: 3)
        let (index, verdict) = try #require(outcome)
        #expect(verdict.action == .markFailing)
        #expect(verdict.evidence.rule == .differenceRate)
        #expect(index == 275)
        #expect(verdict.evidence.samples == 276)
        #expect(verdict.evidence.hits == 8)
        #expect(routeGuard.state(at: 1) == .failing)
        // Failing is kept: no flapping back to healthy while the differences stop.
        #expect(Self.compare(&routeGuard, from: 10_000, count: 10_000, rate: 0, seed: 4) == nil)
        #expect(routeGuard.state(at: 40) == .failing)
        // A person's change clears it.
        routeGuard.modeChanged(to: .shadow, at: 41, byPerson: true)
        #expect(routeGuard.state(at: 41) == .waiting)
    }

    @Test("observe mode reports what it would do and changes nothing")
    func observe() throws {
        var settings = GuardSettings()
        settings.observe = true
        var routeGuard = RouteGuard(settings: settings, mode: .shadow, at: 0)
        let outcome = Self.compare(&routeGuard, count: 10_000, rate: 0.05, seed: 3)
        let (index, verdict) = try #require(outcome)
        #expect(index == 275)
        #expect(verdict.observed)
        #expect(verdict.action == .markFailing)
        #expect(routeGuard.state(at: 1) == .waiting)
        #expect(routeGuard.window.comparisons == 0)
        #expect(routeGuard.lastVerdict == verdict)
    }

    @Test("a tripped route stays back until a person moves it")
    func noFlapping() throws {
        var routeGuard = RouteGuard(settings: GuardSettings(), mode: .new, at: 0)
        for index in 0..<4 { _ = routeGuard.recordAnswer(.candidate, failed: true, latency: 0.01, at: Double(index)) }
        let verdictOutcome = routeGuard.recordAnswer(.candidate, failed: true, latency: 0.01, at: 4)
        let verdict = try #require(verdictOutcome)
        #expect(verdict.action == .trip(to: .legacy))
        routeGuard.modeChanged(to: .legacy, at: 4, byPerson: false)
        #expect(routeGuard.state(at: 1_000) == .tripped)
        routeGuard.modeChanged(to: .canary(percent: 1), at: 1_000, byPerson: true)
        #expect(routeGuard.state(at: 1_000) == .waiting)
    }

    @Test("with trip_to shadow and a cooldown, fresh clean comparisons bring the route back")
    func cooldownRestore() throws {
        var settings = GuardSettings()
        settings.tripTo = .shadow
        settings.cooldown = 30
        var routeGuard = RouteGuard(settings: settings, mode: .canary(percent: 5), at: 0)
        for index in 0..<4 { _ = routeGuard.recordAnswer(.candidate, failed: true, latency: 0.01, at: Double(index)) }
        let tripOutcome = routeGuard.recordAnswer(.candidate, failed: true, latency: 0.01, at: 4)
        let trip = try #require(tripOutcome)
        #expect(trip.action == .trip(to: .shadow))
        routeGuard.modeChanged(to: .shadow, at: 4, byPerson: false)
        #expect(routeGuard.state(at: 5) == .coolingDown)
        // Clean comparisons inside the cooldown do not count.
        for index in 0..<300 {
            #expect(routeGuard.recordComparison(differing: false, at: 5 + Double(index) * 0.01) == nil)
        }
        // After it, one difference restarts the count; then 200 clean ones restore.
        #expect(routeGuard.recordComparison(differing: false, at: 34.5) == nil)
        #expect(routeGuard.recordComparison(differing: true, at: 34.6) == nil)
        for index in 0..<199 {
            #expect(routeGuard.recordComparison(differing: false, at: 35 + Double(index) * 0.01) == nil)
        }
        let restoreOutcome = routeGuard.recordComparison(differing: false, at: 37)
        let restore = try #require(restoreOutcome)
        #expect(restore.action == .restore(to: .canary(percent: 5)))
        #expect(restore.evidence.rule == .clean)
        #expect(restore.evidence.samples == 200)
    }

    @Test("promotion after enough clean samples and the minimum time, not before")
    func promotion() throws {
        var settings = GuardSettings()
        settings.promoteAfterSamples = 1_000
        settings.promoteMinimumTime = 10
        var routeGuard = RouteGuard(settings: settings, mode: .shadow, at: 0)
        // 1,000 clean comparisons in 2 s: enough samples, too early.
        #expect(Self.compare(&routeGuard, count: 1_000, rate: 0, seed: 2) == nil)
        let outcome = Self.compare(&routeGuard, from: 1_000, count: 10_000, rate: 0, seed: 2)
        let (index, verdict) = try #require(outcome)
        #expect(verdict.action == .promote)
        #expect(index == 5_000)
        #expect(verdict.evidence.rule == .clean)
        #expect(verdict.evidence.hits == 0)
    }

    @Test("the status shows samples, bounds and thresholds")
    func status() {
        var routeGuard = RouteGuard(settings: GuardSettings(), mode: .canary(percent: 25), at: 0)
        for index in 0..<300 {
            _ = routeGuard.recordAnswer(.legacy, failed: index % 100 == 0, latency: 0.004, at: Double(index) * 0.01)
        }
        for index in 0..<100 {
            _ = routeGuard.recordAnswer(.candidate, failed: index == 50, latency: 0.005, at: Double(index) * 0.01)
        }
        let status = routeGuard.status(route: "GET /users/:id", at: 3)
        #expect(status.state == .waiting)
        #expect(status.mode == "canary:25")
        #expect(status.samples == 100)
        #expect(status.minSamples == 200)
        #expect(status.candidateAnswers == 100)
        #expect(status.candidateFailures == 1)
        #expect(status.legacyAnswers == 300)
        #expect(status.legacyFailures == 3)
        #expect(abs(status.failureThreshold - 0.058_223_062_887_516) < 1e-12)
        #expect(status.consecutiveFailures == 0)
        #expect(status.lastAction == nil)
    }

    @Test("other proxies' counts add to the local window: 150 here and 50 there trip at the 200th")
    func fleetEvidence() throws {
        var settings = GuardSettings()
        settings.consecutiveFailures = 0
        var routeGuard = RouteGuard(settings: settings, mode: .new, at: 0)
        routeGuard.updatePeers(
            GuardCounts(
                candidateAnswers: 150, candidateFailures: 50, legacyAnswers: 0, legacyFailures: 0, comparisons: 0,
                differing: 0))
        for index in 0..<49 {
            #expect(routeGuard.recordAnswer(.candidate, failed: index % 3 == 2, latency: 0.01, at: 1) == nil)
        }
        let outcome = routeGuard.recordAnswer(.candidate, failed: false, latency: 0.01, at: 1)
        let verdict = try #require(outcome)
        #expect(verdict.evidence.samples == 200)
        #expect(verdict.evidence.hits == 66)
        #expect(verdict.evidence.peerSamples == 150)
        #expect(verdict.evidence.summary.hasSuffix(", 150 of the samples from other proxies"))
        // A change of mode drops what the others counted under the old one.
        routeGuard.modeChanged(to: .new, at: 2, byPerson: true)
        #expect(routeGuard.peers == GuardCounts())
        #expect(routeGuard.status(route: "GET /a", at: 2).peerSamples == 0)
    }
}
