import Testing

@testable import BanyanCore

@Suite struct ReportTests {
    let report = DiffReport(exchanges: [
        ExchangeReport(
            request: HTTPRequest(method: "GET", target: "/users/42?x=\"1\""), route: "GET /users/:id",
            differences: [
                Difference(
                    kind: .bodyNullVsAbsent, severity: .risky, path: "$.avatarUrl", legacy: nil, candidate: "null",
                    explanation: "candidate sends `null` where legacy omits the key"),
                Difference(
                    kind: .headerMissing, severity: .cosmetic, header: "x-powered-by", legacy: "Express",
                    candidate: nil,
                    explanation: "no client reads it", policyReason: "a \"known\" gap\n"),
            ]),
        ExchangeReport(
            request: HTTPRequest(method: "HEAD", target: "/users/1"), probe: "head", differences: [], failAt: .breaking),
    ])

    @Test func summaryCountsExchangesAndSeverities() {
        #expect(
            report.summary
                == DiffReport.Summary(exchanges: 2, passed: 1, failed: 1, breaking: 0, risky: 1, cosmetic: 1, noise: 0))
        #expect(!report.passed)
    }

    @Test func passedDependsOnFailAt() {
        let differences = [
            Difference(kind: .bodyExtra, severity: .cosmetic, path: "$.a", legacy: nil, candidate: "1", explanation: "")
        ]
        #expect(ExchangeReport(method: "GET", path: "/", differences: differences, failAt: .risky).passed)
        #expect(!ExchangeReport(method: "GET", path: "/", differences: differences, failAt: .cosmetic).passed)
    }

    @Test func jsonTextIsByteExact() {
        let expected = #"""
            {
              "summary": {
                "exchanges": 2,
                "passed": 1,
                "failed": 1,
                "breaking": 0,
                "risky": 1,
                "cosmetic": 1,
                "noise": 0
              },
              "exchanges": [
                {
                  "request": {
                    "method": "GET",
                    "path": "/users/42?x=\"1\""
                  },
                  "route": "GET /users/:id",
                  "probe": null,
                  "passed": false,
                  "differences": [
                    {
                      "kind": "body.null_vs_absent",
                      "severity": "risky",
                      "path": "$.avatarUrl",
                      "header": null,
                      "legacy": null,
                      "candidate": "null",
                      "explanation": "candidate sends `null` where legacy omits the key",
                      "reason": null
                    },
                    {
                      "kind": "header.missing",
                      "severity": "cosmetic",
                      "path": null,
                      "header": "x-powered-by",
                      "legacy": "Express",
                      "candidate": null,
                      "explanation": "no client reads it",
                      "reason": "a \"known\" gap\n"
                    }
                  ]
                },
                {
                  "request": {
                    "method": "HEAD",
                    "path": "/users/1"
                  },
                  "route": null,
                  "probe": "head",
                  "passed": true,
                  "differences": []
                }
              ]
            }

            """#
        #expect(report.jsonText() == expected)
        // Other tools read it: it must be valid JSON.
        #expect((try? JSONParser.parse(report.jsonText())) != nil)
    }

    @Test func plainText() {
        #expect(
            report.plainText() == """
                FAIL GET /users/42?x="1" (route GET /users/:id)
                  risky    body.null_vs_absent $.avatarUrl: (absent) → null — candidate sends `null` where legacy omits the key
                  cosmetic header.missing x-powered-by: Express → (absent) — no client reads it [policy: a "known" gap\\n]

                PASS HEAD /users/1 [probe head]

                2 exchanges: 1 passed, 1 failed; differences: 0 breaking, 1 risky, 1 cosmetic, 0 noise

                """)
    }

    @Test func junitXML() {
        #expect(
            report.junitXML() == """
                <?xml version="1.0" encoding="UTF-8"?>
                <testsuites name="banyan" tests="2" failures="1">
                  <testsuite name="banyan" tests="2" failures="1">
                    <testcase classname="GET /users/:id" name="GET /users/42?x=&quot;1&quot;">
                      <failure message="1 difference at or above risky" type="risky">risky    body.null_vs_absent $.avatarUrl: (absent) → null — candidate sends `null` where legacy omits the key</failure>
                    </testcase>
                    <testcase classname="head" name="HEAD /users/1"/>
                  </testsuite>
                </testsuites>

                """)
    }
}

/// The example shop's order endpoint against a naive port.
@Suite struct ShopComparisonTests {
    @Test func naivePortOfTheOrderEndpoint() {
        let legacyBody =
            #"{"id":"ord_123","accountId":"9007199254740993","amountCents":4999,"currency":"USD","status":"paid","#
            + #""createdAt":"2026-06-02T10:00:00.000Z"}"#
        let candidateBody =
            #"{"id":"ord_123","accountId":9007199254740993,"amount_cents":4999,"currency":"USD","status":"paid","#
            + #""createdAt":"2026-06-02T10:00:00Z","coupon":null}"#
        let legacy = HTTPResponse(
            status: 200, reason: "OK",
            headers: HTTPHeaders([
                ("X-Powered-By", "Express"), ("Content-Type", "application/json; charset=utf-8"),
                ("Content-Length", String(legacyBody.utf8.count)), ("ETag", "W/\"93-Xc5tBa7kYc0dS0m1HhH8m2p0yVw\""),
                ("Cache-Control", "private, max-age=60"), ("Date", "Sun, 22 Nov 2026 00:48:49 GMT"),
                ("Connection", "keep-alive"), ("Keep-Alive", "timeout=5"),
            ]),
            body: Array(legacyBody.utf8))
        let candidate = HTTPResponse(
            status: 200, reason: "OK",
            headers: HTTPHeaders([
                ("content-type", "application/json"), ("content-length", String(candidateBody.utf8.count)),
                ("date", "Sun, 22 Nov 2026 00:48:50 GMT"),
            ]),
            body: Array(candidateBody.utf8))
        let differences = DiffEngine().compare(legacy: legacy, candidate: candidate, route: "GET /orders/:id")
        #expect(
            differences == [
                Difference(
                    kind: .headerMissing, severity: .cosmetic, header: "x-powered-by", legacy: "Express",
                    candidate: nil,
                    explanation:
                        "candidate omits `x-powered-by` (legacy sends `Express`); no client is expected to read it"),
                Difference(
                    kind: .headerValue, severity: .risky, header: "content-type",
                    legacy: "application/json; charset=utf-8", candidate: "application/json",
                    explanation:
                        "candidate sends `application/json` where legacy sends `application/json; charset=utf-8`; "
                        + "same media type, other parameters (`charset` `utf-8` vs absent): clients that decode by charset "
                        + "may read text differently"),
                Difference(
                    kind: .headerValue, severity: .cosmetic, header: "content-length", legacy: "138", candidate: "147",
                    explanation:
                        "candidate sends `147` where legacy sends `138`; this follows from the body difference reported below"
                ),
                Difference(
                    kind: .headerMissing, severity: .risky, header: "etag",
                    legacy: "W/\"93-Xc5tBa7kYc0dS0m1HhH8m2p0yVw\"",
                    candidate: nil,
                    explanation:
                        "candidate omits `etag` (legacy sends `W/\"93-Xc5tBa7kYc0dS0m1HhH8m2p0yVw\"`); caches, CDNs and "
                        + "conditional requests (`If-None-Match`) will behave differently"),
                Difference(
                    kind: .headerMissing, severity: .risky, header: "cache-control", legacy: "private, max-age=60",
                    candidate: nil,
                    explanation:
                        "candidate omits `cache-control` (legacy sends `private, max-age=60`); caches, CDNs and "
                        + "conditional requests (`If-None-Match`) will behave differently"),
                Difference(
                    kind: .bodyType, severity: .breaking, path: "$.accountId", legacy: "\"9007199254740993\"",
                    candidate: "9007199254740993",
                    explanation:
                        "legacy sends a string (`\"9007199254740993\"`), the candidate a number (`9007199254740993`); "
                        + "`typeof` checks, `===` comparisons and schema validation break, and JavaScript reads "
                        + "`9007199254740993` as 9007199254740992"),
                Difference(
                    kind: .bodyKeyCase, severity: .breaking, path: "$.amountCents", legacy: "\"amountCents\"",
                    candidate: "\"amount_cents\"",
                    explanation:
                        "candidate renames `amountCents` to `amount_cents` (snake_case); clients reading `amountCents` "
                        + "get `undefined`"),
                Difference(
                    kind: .bodyDateFormat, severity: .risky, path: "$.createdAt",
                    legacy: "\"2026-06-02T10:00:00.000Z\"", candidate: "\"2026-06-02T10:00:00Z\"",
                    explanation:
                        "same instant written `2026-06-02T10:00:00Z` instead of `2026-06-02T10:00:00.000Z`; "
                        + "`new Date()` reads both alike, but code that compares, sorts or slices the string breaks"),
                Difference(
                    kind: .bodyNullVsAbsent, severity: .risky, path: "$.coupon", legacy: nil, candidate: "null",
                    explanation:
                        "candidate sends `null` where legacy omits the key; JavaScript clients that test "
                        + "`'coupon' in body` will change behaviour"),
            ])
        let report = DiffReport(exchanges: [
            ExchangeReport(
                request: HTTPRequest(method: "GET", target: "/orders/ord_123"), route: "GET /orders/:id",
                differences: differences)
        ])
        #expect(
            report.summary
                == DiffReport.Summary(exchanges: 1, passed: 0, failed: 1, breaking: 2, risky: 5, cosmetic: 2, noise: 0))
    }
}
