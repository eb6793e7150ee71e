import Testing

@testable import BanyanCore

@Suite struct NoiseProfileTests {
    func legacyAnswer(_ requestId: String, _ generatedAt: String, items: String) -> HTTPResponse {
        var response = jsonResponse(#"{"meta":{"generatedAt":"\#(generatedAt)"},"items":\#(items)}"#)
        response.headers.add(name: "X-Request-Id", value: requestId)
        response.headers.add(name: "Date", value: "Sun, 22 Nov 2026 00:48:4\(requestId.count % 10) GMT")
        return response
    }

    @Test func learnsEveryHeaderAndLeafThatVariesBetweenLegacyAnswers() {
        let profile = NoiseProfile.learn(from: [
            legacyAnswer("r1", "2026-06-02T10:00:00.000Z", items: #"[{"id":1,"seen":"a"}]"#),
            legacyAnswer("r2", "2026-06-02T10:00:01.000Z", items: #"[{"id":1,"seen":"a"}]"#),
            legacyAnswer("r333", "2026-06-02T10:00:01.000Z", items: #"[{"id":1,"seen":"b"}]"#),
        ])
        #expect(
            profile
                == NoiseProfile(headers: ["x-request-id", "date"], paths: ["$.meta.generatedAt", "$.items[0].seen"]))
        #expect(NoiseProfile.learn(from: [jsonResponse("{}")]).isEmpty)
        #expect(NoiseProfile.learn(from: []).isEmpty)
    }

    @Test func differencesAtNoisyPlacesGetSeverityNoise() {
        let profile = NoiseProfile(headers: ["x-request-id"], paths: ["$.meta.generatedAt", "$.items[*].seen"])
        var legacy = jsonResponse(#"{"meta":{"generatedAt":"a"},"items":[{"seen":1},{"seen":2}],"n":1}"#)
        legacy.headers.add(name: "X-Request-Id", value: "r1")
        var candidate = jsonResponse(#"{"meta":{"generatedAt":"b"},"items":[{"seen":3},{"seen":4}],"n":2}"#)
        candidate.headers.add(name: "x-request-id", value: "r2")
        let differences = DiffEngine().compare(legacy: legacy, candidate: candidate, noise: profile)
        #expect(differences.map(\.severity) == [.noise, .noise, .noise, .noise, .breaking])
        #expect(
            differences.first
                == Difference(
                    kind: .headerValue, severity: .noise, header: "x-request-id", legacy: "r1", candidate: "r2",
                    explanation:
                        "candidate sends `r2` where legacy sends `r1`; custom header: clients, gateways or logs that "
                        + "read it will see the change (learned as noise: legacy's own answers to this request "
                        + "differ here)"))
    }

    @Test func aNoisyPathCoversWhatLiesBelowItAndDollarCoversNonJSONBodies() {
        let profile = NoiseProfile(paths: ["$.meta", "$"])
        #expect(
            profile.contains(
                Difference(
                    kind: .bodyValue, severity: .breaking, path: "$.meta.a[0]", legacy: "1", candidate: "2",
                    explanation: "")))
        #expect(
            profile.contains(
                Difference(kind: .bodyBytes, severity: .breaking, legacy: "a", candidate: "b", explanation: "")))
        #expect(
            !NoiseProfile(paths: ["$.meta"]).contains(
                Difference(
                    kind: .bodyValue, severity: .breaking, path: "$.metadata", legacy: "1", candidate: "2",
                    explanation: "")))
        #expect(
            !profile.contains(
                Difference(kind: .status, severity: .breaking, legacy: "200", candidate: "500", explanation: "")))
    }
}

@Suite struct DifferencePolicyTests {
    let legacy: HTTPResponse = {
        var response = jsonResponse(#"{"meta":{"generatedAt":"a","v":1},"items":[{"sku":"A","n":1}],"id":1}"#)
        response.headers.add(name: "X-Powered-By", value: "Express")
        response.headers.add(name: "X-Request-Id", value: "r1")
        return response
    }()
    let candidate: HTTPResponse = {
        var response = jsonResponse(#"{"meta":{"generatedAt":"b","v":2},"items":[{"sku":"B","n":1.0}],"id":2}"#)
        response.headers.add(name: "x-request-id", value: "r2")
        return response
    }()

    func locations(_ policy: DifferencePolicy, route: String? = nil) -> [String] {
        DiffEngine(policy: policy).compare(legacy: legacy, candidate: candidate, route: route).map {
            "\($0.location) \($0.severity)"
        }
    }

    @Test func defaults() {
        #expect(
            locations(.default) == [
                "x-powered-by cosmetic", "x-request-id risky", "$.meta.generatedAt breaking", "$.meta.v breaking",
                "$.items[0].sku breaking", "$.items[0].n risky", "$.id breaking",
            ])
    }

    @Test func ignoredHeadersAreNotCompared() {
        let policy = DifferencePolicy(ignoredHeaders: DifferencePolicy.defaultIgnoredHeaders.union(["x-request-id"]))
        #expect(!locations(policy).contains("x-request-id risky"))
    }

    @Test(arguments: [
        (PolicyRule(header: "X-Request-Id"), ["x-request-id risky"]),
        (PolicyRule(kind: .headerMissing), ["x-powered-by cosmetic"]),
        (PolicyRule(path: "$.meta.generatedAt"), ["$.meta.generatedAt breaking"]),
        (PolicyRule(path: "$.meta.*"), ["$.meta.generatedAt breaking", "$.meta.v breaking"]),
        (
            PolicyRule(path: "$..*"),
            [
                "$.meta.generatedAt breaking", "$.meta.v breaking", "$.items[0].sku breaking", "$.items[0].n risky",
                "$.id breaking",
            ]
        ),
        (PolicyRule(path: "$.items[*].sku"), ["$.items[0].sku breaking"]),
        (PolicyRule(kind: .bodyValue, path: "$.items..*"), ["$.items[0].sku breaking"]),
        (PolicyRule(route: "GET /other"), []),
        (PolicyRule(path: "$.id", route: "GET /things/:id"), ["$.id breaking"]),
        (PolicyRule(path: "$.id", route: "GET /other"), []),
    ])
    func ignoreRulesDropWhatTheyMatch(_ rule: PolicyRule, dropped: [String]) {
        let all = locations(.default)
        let policy = DifferencePolicy(ignore: [rule])
        #expect(locations(policy, route: "GET /things/:id") == all.filter { !dropped.contains($0) })
    }

    @Test func downgradeRulesSetTheSeverityAndReasonFirstMatchWins() {
        let policy = DifferencePolicy(downgrade: [
            DowngradeRule(rule: PolicyRule(path: "$.meta.generatedAt", reason: "render time"), to: .cosmetic),
            DowngradeRule(rule: PolicyRule(path: "$.meta.*", reason: "metadata"), to: .risky),
            DowngradeRule(
                rule: PolicyRule(kind: .bodyNumberFormat, route: "GET /things/:id", reason: "JS only"), to: .noise),
        ])
        let differences = DiffEngine(policy: policy).compare(
            legacy: legacy, candidate: candidate, route: "GET /things/:id")
        let byPath = Dictionary(differences.compactMap { d in d.path.map { ($0, d) } }, uniquingKeysWith: { a, _ in a })
        #expect(byPath["$.meta.generatedAt"]?.severity == .cosmetic)
        #expect(byPath["$.meta.generatedAt"]?.policyReason == "render time")
        #expect(byPath["$.meta.v"]?.severity == .risky)
        #expect(byPath["$.meta.v"]?.policyReason == "metadata")
        #expect(byPath["$.items[0].n"]?.severity == .noise)
        #expect(byPath["$.items[0].sku"]?.policyReason == nil)
        // Without the route, the route rule does not apply.
        let unrouted = DiffEngine(policy: policy).compare(legacy: legacy, candidate: candidate)
        #expect(unrouted.first { $0.path == "$.items[0].n" }?.severity == .risky)
    }

    @Test func anEmptyRuleMatchesNothing() {
        #expect(locations(DifferencePolicy(ignore: [PolicyRule(reason: "nothing")])) == locations(.default))
        // A rule that names only a route silences the whole route.
        #expect(
            locations(DifferencePolicy(ignore: [PolicyRule(route: "GET /things/:id")]), route: "GET /things/:id")
                .isEmpty)
    }
}
