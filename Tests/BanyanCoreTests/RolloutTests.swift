import Testing

@testable import BanyanCore

@Suite("Rollout decisions")
struct RolloutTests {
    @Test("a key's bucket is the same on every run and every machine")
    func bucketIsStable() {
        #expect(StickyBucket.bucket(for: "user-42") == 8_355)
        #expect(StickyBucket.bucket(for: "") == 6_203)
        #expect(StickyBucket.bucket(for: "user-1") == 7_624)
        #expect(StickyBucket.bucket(for: "127.0.0.1") == 9_370)
    }

    @Test("a key inside 5% stays on the candidate at 25%, and 25% only adds keys")
    func canaryIsMonotonic() {
        let keys = (0..<20_000).map { "user-\($0)" }
        let at5 = Set(keys.filter { StickyBucket.isCandidate(bucket: StickyBucket.bucket(for: $0), percent: 5) })
        let at25 = Set(keys.filter { StickyBucket.isCandidate(bucket: StickyBucket.bucket(for: $0), percent: 25) })
        #expect(at5.isSubset(of: at25))
        // Spread: within 1.5 points of the target share over 20,000 keys.
        #expect(abs(Double(at5.count) / 200 - 5) < 1.5)
        #expect(abs(Double(at25.count) / 200 - 25) < 1.5)
    }

    @Test("the canary threshold has 0.01% resolution")
    func threshold() {
        #expect(StickyBucket.isCandidate(bucket: 499, percent: 5))
        #expect(!StickyBucket.isCandidate(bucket: 500, percent: 5))
        #expect(!StickyBucket.isCandidate(bucket: 0, percent: 0))
        #expect(StickyBucket.isCandidate(bucket: 9_999, percent: 100))
        #expect(StickyBucket.isCandidate(bucket: 12, percent: 0.13))
        #expect(!StickyBucket.isCandidate(bucket: 13, percent: 0.13))
    }

    @Test(
        "who serves, per mode",
        arguments: [
            (RouteMode.legacy, "GET", 0, RolloutDecision(primary: .legacy)),
            (.new, "POST", 0, RolloutDecision(primary: .candidate, fallback: true)),
            (.canary(percent: 5), "GET", 499, RolloutDecision(primary: .candidate, fallback: true)),
            (.canary(percent: 5), "GET", 500, RolloutDecision(primary: .legacy)),
            (.canary(percent: 0), "GET", 0, RolloutDecision(primary: .legacy)),
            (.canary(percent: 100), "GET", 9_999, RolloutDecision(primary: .candidate, fallback: true)),
            (.shadow, "GET", 0, RolloutDecision(primary: .legacy, shadow: .send)),
            (.shadow, "DELETE", 0, RolloutDecision(primary: .legacy, shadow: .send)),
            (.shadow, "POST", 0, RolloutDecision(primary: .legacy, shadow: .skippedUnsafe)),
            (.shadow, "PATCH", 0, RolloutDecision(primary: .legacy, shadow: .skippedUnsafe)),
        ])
    func decide(mode: RouteMode, method: String, bucket: Int, expected: RolloutDecision) {
        let decision = RolloutDecision.decide(
            mode: mode, method: method, fallback: true, bucket: { bucket }, draw: { 0.5 })
        #expect(decision == expected)
    }

    @Test("a route may allow shadowing writes, and sampling skips the rest")
    func shadowOptions() {
        let unsafeAllowed = RolloutDecision.decide(
            mode: .shadow, method: "POST", shadowNonIdempotent: true, bucket: { 0 }, draw: { 0.5 })
        #expect(unsafeAllowed.shadow == .send)
        let sampledOut = RolloutDecision.decide(
            mode: .shadow, method: "GET", shadowSample: 0.25, bucket: { 0 }, draw: { 0.25 })
        #expect(sampledOut.shadow == .skippedSample)
        let sampledIn = RolloutDecision.decide(
            mode: .shadow, method: "GET", shadowSample: 0.25, bucket: { 0 }, draw: { 0.2499 })
        #expect(sampledIn.shadow == .send)
    }

    @Test(
        "fallback only when the candidate never got the request, or the method is idempotent",
        arguments: [
            ("GET", UpstreamFailure.reset, true, true),
            ("GET", .timeout, true, true),
            ("GET", .serverError, true, true),
            ("PUT", .serverError, true, true),
            ("POST", .refused, true, true),
            ("POST", .reset, true, false),
            ("POST", .timeout, true, false),
            ("POST", .serverError, true, false),
            ("GET", .reset, false, false),
        ])
    func fallback(method: String, failure: UpstreamFailure, replayable: Bool, expected: Bool) {
        #expect(
            FallbackRule.shouldFallBack(enabled: true, method: method, failure: failure, replayable: replayable)
                == expected)
        #expect(!FallbackRule.shouldFallBack(enabled: false, method: method, failure: failure, replayable: true))
    }

    @Test("a request that fails without fallback gets 504 for a timeout, 502 otherwise")
    func gatewayStatus() {
        #expect(FallbackRule.gatewayStatus(for: .timeout) == 504)
        #expect(FallbackRule.gatewayStatus(for: .refused) == 502)
        #expect(FallbackRule.gatewayStatus(for: .reset) == 502)
    }

    @Test("a runtime change wins until the file changes that route")
    func modeResolution() {
        let override = RouteOverride(
            route: "GET /users/:id", mode: .legacy, fileMode: .canary(percent: 25), reason: "rollback", changedAt: 0)
        #expect(ModeResolution.effectiveMode(file: .canary(percent: 25), override: override) == (.legacy, false))
        #expect(
            ModeResolution.effectiveMode(file: .canary(percent: 50), override: override) == (.canary(percent: 50), true)
        )
        #expect(ModeResolution.effectiveMode(file: .shadow, override: nil) == (.shadow, false))
    }

    @Test("modes round-trip through their stored form")
    func storageText() {
        for mode in [RouteMode.legacy, .shadow, .new, .canary(percent: 5), .canary(percent: 12.5)] {
            #expect(RouteMode(storageText: mode.storageText) == mode)
        }
        #expect(RouteMode.canary(percent: 5).storageText == "canary:5")
        #expect(RouteMode(storageText: "canary", percent: 25) == .canary(percent: 25))
        #expect(RouteMode(storageText: "canary") == nil)
        #expect(RouteMode(storageText: "canary:140") == nil)
        #expect(RouteMode(storageText: "blue") == nil)
    }

    @Test("cookie values are found by exact name")
    func cookies() {
        #expect(cookieValue(named: "session", in: "a=1; session=abc; sessionid=x") == "abc")
        #expect(cookieValue(named: "a", in: "a=\"quoted\"") == "quoted")
        #expect(cookieValue(named: "missing", in: "a=1") == nil)
    }

    @Test("idempotent and safe methods per RFC 9110")
    func methods() {
        #expect(["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"].allSatisfy(MethodSemantics.isIdempotent))
        #expect(!["POST", "PATCH", "CONNECT"].contains(where: MethodSemantics.isIdempotent))
        #expect(!MethodSemantics.isSafe("PUT"))
        #expect(MethodSemantics.isSafe("HEAD"))
    }
}
