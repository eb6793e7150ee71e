import Testing

@testable import BanyanCore

/// A JSON response as Express sends it.
func jsonResponse(_ body: String, status: Int = 200, contentType: String = "application/json; charset=utf-8")
    -> HTTPResponse
{
    HTTPResponse(status: status, headers: HTTPHeaders([("Content-Type", contentType)]), body: Array(body.utf8))
}

/// The body differences between two JSON bodies with the default policy.
func bodyDifferences(_ legacy: String, _ candidate: String) -> [Difference] {
    DiffEngine().compare(legacy: jsonResponse(legacy), candidate: jsonResponse(candidate))
}

@Suite struct DiffEngineTests {
    @Test func identicalResponsesHaveNoDifferences() {
        let response = jsonResponse(#"{"a":1}"#)
        #expect(DiffEngine().compare(legacy: response, candidate: response).isEmpty)
    }

    @Test func keyOrderIsNotADifference() {
        #expect(bodyDifferences(#"{"a":1,"b":[1,{"x":1,"y":2}]}"#, #"{"b":[1,{"y":2,"x":1}],"a":1}"#).isEmpty)
    }

    @Test func status() {
        let differences = DiffEngine().compare(
            legacy: jsonResponse("{}", status: 404), candidate: jsonResponse("{}", status: 400))
        #expect(
            differences == [
                Difference(
                    kind: .status, severity: .breaking, legacy: "404", candidate: "400",
                    explanation: "candidate answers 400 where legacy answers 404; clients branch on the status code")
            ])
    }

    @Test func headerMissing() {
        var legacy = jsonResponse("{}")
        legacy.headers.add(name: "Cache-Control", value: "no-store")
        #expect(
            DiffEngine().compare(legacy: legacy, candidate: jsonResponse("{}")) == [
                Difference(
                    kind: .headerMissing, severity: .risky, header: "cache-control", legacy: "no-store", candidate: nil,
                    explanation:
                        "candidate omits `cache-control` (legacy sends `no-store`); caches, CDNs and conditional "
                        + "requests (`If-None-Match`) will behave differently")
            ])
    }

    @Test func headerExtra() {
        var candidate = jsonResponse("{}")
        candidate.headers.add(name: "Location", value: "/x")
        #expect(
            DiffEngine().compare(legacy: jsonResponse("{}"), candidate: candidate) == [
                Difference(
                    kind: .headerExtra, severity: .breaking, header: "location", legacy: nil, candidate: "/x",
                    explanation:
                        "candidate adds `location: /x` that legacy does not send; redirect-following clients and code "
                        + "that reads `Location` go somewhere else")
            ])
    }

    @Test(arguments: [
        ("application/json; charset=utf-8", "application/json", Severity.risky),
        ("application/json; charset=utf-8", "text/plain; charset=utf-8", .breaking),
        ("application/json", "APPLICATION/JSON", .cosmetic),
    ])
    func contentTypeSeverityDependsOnTheMediaType(_ legacy: String, _ candidate: String, severity: Severity) {
        let differences = DiffEngine().compare(
            legacy: jsonResponse("{}", contentType: legacy), candidate: jsonResponse("{}", contentType: candidate))
        #expect(differences.map(\.severity) == [severity])
        #expect(differences.map(\.kind) == [.headerValue])
    }

    @Test func charsetOnlyContentTypeChange() {
        let differences = DiffEngine().compare(
            legacy: jsonResponse("{}"), candidate: jsonResponse("{}", contentType: "application/json"))
        #expect(
            differences == [
                Difference(
                    kind: .headerValue, severity: .risky, header: "content-type",
                    legacy: "application/json; charset=utf-8", candidate: "application/json",
                    explanation:
                        "candidate sends `application/json` where legacy sends `application/json; charset=utf-8`; "
                        + "same media type, other parameters (`charset` `utf-8` vs absent): clients that decode by charset "
                        + "may read text differently")
            ])
    }

    @Test(arguments: [
        ("x-powered-by", Severity.cosmetic), ("set-cookie", .breaking), ("etag", .risky), ("vary", .risky),
        ("expires", .risky), ("last-modified", .risky), ("x-request-id", .risky), ("allow", .risky),
    ])
    func headerSeverities(_ name: String, severity: Severity) {
        var legacy = jsonResponse("{}")
        legacy.headers.add(name: name, value: "legacy")
        #expect(DiffEngine().compare(legacy: legacy, candidate: jsonResponse("{}")).map(\.severity) == [severity])
    }

    @Test func headerNamesCompareCaseInsensitivelyAndIgnoredHeadersAreSkipped() {
        let legacy = HTTPResponse(
            status: 200,
            headers: HTTPHeaders([
                ("X-Powered-By", "Express"), ("Date", "Sun, 22 Nov 2026 00:48:49 GMT"), ("ETag", "a"),
            ]))
        let candidate = HTTPResponse(
            status: 200, headers: HTTPHeaders([("etag", "a"), ("date", "Mon, 23 Nov 2026 00:00:00 GMT")]))
        #expect(DiffEngine().compare(legacy: legacy, candidate: candidate).map(\.header) == ["x-powered-by"])
    }

    @Test func repeatedHeadersWithoutAGrammarCompareAsOrderedLists() {
        let legacy = HTTPResponse(status: 200, headers: HTTPHeaders([("X-Tag", "a=1"), ("X-Tag", "b=2")]))
        let candidate = HTTPResponse(status: 200, headers: HTTPHeaders([("x-tag", "b=2"), ("x-tag", "a=1")]))
        let differences = DiffEngine().compare(legacy: legacy, candidate: candidate)
        #expect(differences.map(\.kind) == [.headerValue])
        #expect(differences.first?.legacy == "a=1, b=2")
        #expect(differences.first?.candidate == "b=2, a=1")
    }

    @Test func headersComeInLegacyOrderThenCandidateExtras() {
        let legacy = HTTPResponse(status: 200, headers: HTTPHeaders([("B", "1"), ("A", "1"), ("C", "1")]))
        let candidate = HTTPResponse(status: 200, headers: HTTPHeaders([("Z", "1"), ("A", "2"), ("Y", "1")]))
        #expect(DiffEngine().compare(legacy: legacy, candidate: candidate).map(\.header) == ["b", "a", "c", "z", "y"])
    }

    @Test func contentLengthFollowingABodyDifferenceIsCosmetic() {
        var legacy = jsonResponse(#"{"a":1}"#)
        legacy.headers.add(name: "Content-Length", value: "7")
        var candidate = jsonResponse(#"{"a":12}"#)
        candidate.headers.add(name: "Content-Length", value: "8")
        let differences = DiffEngine().compare(legacy: legacy, candidate: candidate)
        #expect(differences.map(\.kind) == [.headerValue, .bodyValue])
        #expect(
            differences.first
                == Difference(
                    kind: .headerValue, severity: .cosmetic, header: "content-length", legacy: "7", candidate: "8",
                    explanation:
                        "candidate sends `8` where legacy sends `7`; this follows from the body difference reported below"
                ))
    }

    @Test func bodyMissing() {
        #expect(
            bodyDifferences(#"{"sku":"A1","n":1}"#, #"{"n":1}"#) == [
                Difference(
                    kind: .bodyMissing, severity: .breaking, path: "$.sku", legacy: #""A1""#, candidate: nil,
                    explanation: "candidate omits `sku` that legacy sends; clients reading it get `undefined`")
            ])
    }

    @Test func bodyExtra() {
        #expect(
            bodyDifferences(#"{"n":1}"#, #"{"n":1,"meta":{"v":2}}"#) == [
                Difference(
                    kind: .bodyExtra, severity: .cosmetic, path: "$.meta", legacy: nil, candidate: #"{"v":2}"#,
                    explanation: "candidate adds `meta` that legacy does not send; clients ignore unknown keys")
            ])
    }

    @Test func nullVersusAbsent() {
        #expect(
            bodyDifferences(#"{"id":1}"#, #"{"id":1,"avatarUrl":null}"#) == [
                Difference(
                    kind: .bodyNullVsAbsent, severity: .risky, path: "$.avatarUrl", legacy: nil, candidate: "null",
                    explanation:
                        "candidate sends `null` where legacy omits the key; JavaScript clients that test "
                        + "`'avatarUrl' in body` will change behaviour")
            ])
        #expect(
            bodyDifferences(#"{"id":1,"avatarUrl":null}"#, #"{"id":1}"#) == [
                Difference(
                    kind: .bodyNullVsAbsent, severity: .risky, path: "$.avatarUrl", legacy: "null", candidate: nil,
                    explanation:
                        "candidate omits the key where legacy sends `null`; JavaScript clients that test "
                        + "`body.avatarUrl === null` or `'avatarUrl' in body` will change behaviour")
            ])
    }

    @Test func keyCaseIsReportedOnceAndTheValuesAreCompared() {
        #expect(
            bodyDifferences(#"{"fullName":"Ada","userID":7}"#, #"{"full_name":"Ada","user_id":8}"#) == [
                Difference(
                    kind: .bodyKeyCase, severity: .breaking, path: "$.fullName", legacy: #""fullName""#,
                    candidate: #""full_name""#,
                    explanation:
                        "candidate renames `fullName` to `full_name` (snake_case); clients reading `fullName` get `undefined`"
                ),
                Difference(
                    kind: .bodyKeyCase, severity: .breaking, path: "$.userID", legacy: #""userID""#,
                    candidate: #""user_id""#,
                    explanation:
                        "candidate renames `userID` to `user_id` (snake_case); clients reading `userID` get `undefined`"
                ),
                Difference(
                    kind: .bodyValue, severity: .breaking, path: "$.userID", legacy: "7", candidate: "8",
                    explanation: "candidate sends `8` where legacy sends `7`"),
            ])
    }

    @Test(arguments: [
        ("fullName", "full_name", true), ("fullName", "full-name", true), ("fullName", "FullName", true),
        ("userId", "user_id", true), ("HTTPServer", "http_server", true), ("name", "Name", true),
        ("fullName", "fullname", false), ("fullName", "full_names", false),
    ])
    func recognisesCasingConventions(_ legacy: String, _ candidate: String, same: Bool) {
        #expect((KeyCasing.words(of: legacy) == KeyCasing.words(of: candidate)) == same)
    }

    @Test func type() {
        #expect(
            bodyDifferences(#"{"accountId":"9007199254740993"}"#, #"{"accountId":9007199254740993}"#) == [
                Difference(
                    kind: .bodyType, severity: .breaking, path: "$.accountId", legacy: #""9007199254740993""#,
                    candidate: "9007199254740993",
                    explanation:
                        "legacy sends a string (`\"9007199254740993\"`), the candidate a number (`9007199254740993`); "
                        + "`typeof` checks, `===` comparisons and schema validation break, and JavaScript reads "
                        + "`9007199254740993` as 9007199254740992")
            ])
        #expect(bodyDifferences(#"{"a":null}"#, #"{"a":0}"#).map(\.kind) == [.bodyType])
        #expect(bodyDifferences(#"[{}]"#, #"[[]]"#).map(\.path) == ["$[0]"])
    }

    @Test func value() {
        #expect(
            bodyDifferences(#"{"status":"paid","ok":true}"#, #"{"status":"pending","ok":false}"#) == [
                Difference(
                    kind: .bodyValue, severity: .breaking, path: "$.status", legacy: #""paid""#,
                    candidate: #""pending""#,
                    explanation: #"candidate sends "pending" where legacy sends "paid""#),
                Difference(
                    kind: .bodyValue, severity: .breaking, path: "$.ok", legacy: "true", candidate: "false",
                    explanation: "candidate sends `false` where legacy sends `true`"),
            ])
    }

    @Test func precision() {
        #expect(
            bodyDifferences(#"{"id":9007199254740993}"#, #"{"id":9007199254740992}"#) == [
                Difference(
                    kind: .bodyPrecision, severity: .risky, path: "$.id", legacy: "9007199254740993",
                    candidate: "9007199254740992",
                    explanation:
                        "`9007199254740993` and `9007199254740992` are the same double (integers beyond 2^53): "
                        + "JavaScript clients see 9007199254740992 in both, clients that read exact numbers "
                        + "(Java, Go, Rust, Swift) do not")
            ])
    }

    @Test(arguments: [("1", "1.0"), ("1e21", "1e+21"), ("-0", "0"), ("100", "1E2"), ("0.5", "0.50")])
    func numberFormat(_ legacy: String, _ candidate: String) {
        #expect(
            bodyDifferences("[\(legacy)]", "[\(candidate)]") == [
                Difference(
                    kind: .bodyNumberFormat, severity: .risky, path: "$[0]", legacy: legacy, candidate: candidate,
                    explanation:
                        "same number spelled `\(candidate)` instead of `\(legacy)`; JavaScript reads both alike, but "
                        + "strictly typed clients (integer fields, serde, Codable) and byte comparisons may not")
            ])
    }

    @Test(arguments: [
        "2026-06-02T10:00:00Z", "2026-06-02T10:00:00+00:00", "2026-06-02T12:00:00.000+02:00",
        "2026-06-02t10:00:00.000000z", "2026-06-02T09:30:00-00:30",
    ])
    func dateFormat(_ candidate: String) {
        let legacy = "2026-06-02T10:00:00.000Z"
        #expect(
            bodyDifferences(#"{"at":"\#(legacy)"}"#, #"{"at":"\#(candidate)"}"#) == [
                Difference(
                    kind: .bodyDateFormat, severity: .risky, path: "$.at", legacy: "\"\(legacy)\"",
                    candidate: "\"\(candidate)\"",
                    explanation:
                        "same instant written `\(candidate)` instead of `\(legacy)`; `new Date()` reads both alike, "
                        + "but code that compares, sorts or slices the string breaks")
            ])
    }

    @Test func differentInstantsAreValues() {
        #expect(
            bodyDifferences(#"{"at":"2026-06-02T10:00:00.000Z"}"#, #"{"at":"2026-06-02T10:00:00.001Z"}"#).map(\.kind)
                == [
                    .bodyValue
                ])
    }

    @Test(arguments: [
        "2026-06-02", "2026-06-02T10:00Z", "2026-02-30T10:00:00Z", "2026-06-02T24:00:00Z", "2026-06-02T10:00:00",
        "2026-06-02T10:00:00.Z", "2026-06-02T10:00:00+0000", "2026-06-02 10:00:00Z", "x026-06-02T10:00:00Z",
    ])
    func strictTimestampParsingRefuses(_ text: String) {
        #expect(Timestamp(parsing: text) == nil)
    }

    @Test func timestampsCountFromTheEpoch() {
        #expect(Timestamp(parsing: "1970-01-01T00:00:00Z")?.epochSeconds == 0)
        #expect(Timestamp(parsing: "2024-02-29T00:00:00Z")?.epochSeconds == 1_709_164_800)
        #expect(Timestamp(parsing: "1969-12-31T23:59:59.5Z")?.epochSeconds == -1)
    }

    @Test func arrayOrder() {
        #expect(
            bodyDifferences(#"{"tags":["a","b",{"x":1,"y":2}]}"#, #"{"tags":[{"y":2,"x":1},"b","a"]}"#) == [
                Difference(
                    kind: .bodyArrayOrder, severity: .risky, path: "$.tags", legacy: #"["a","b",{"x":1,"y":2}]"#,
                    candidate: #"[{"y":2,"x":1},"b","a"]"#,
                    explanation:
                        "same 3 elements in another order; clients that take the first element or rely on the sort "
                        + "order will see the change")
            ])
    }

    @Test func arrayLengthIsReportedOnceWithoutComparingElements() {
        #expect(
            bodyDifferences(
                #"{"items":[{"sku":"A"},{"sku":"B"},{"sku":"C"}]}"#, #"{"items":[{"sku":"A"},{"sku":"C"}]}"#)
                == [
                    Difference(
                        kind: .bodyArrayLength, severity: .breaking, path: "$.items",
                        legacy: #"[{"sku":"A"},{"sku":"B"},{"sku":"C"}]"#, candidate: #"[{"sku":"A"},{"sku":"C"}]"#,
                        explanation:
                            "candidate returns 2 elements where legacy returns 3 (first difference at index 1); "
                            + "clients that count, page or index will differ")
                ])
    }

    @Test func sameLengthArraysCompareElementByElement() {
        #expect(
            bodyDifferences(#"[{"sku":"A","n":1},{"sku":"B","n":2}]"#, #"[{"sku":"A","n":1},{"sku":"B","n":3}]"#)
                .map(\.path) == ["$[1].n"])
    }

    @Test func duplicateKeysCompareByTheLastOccurrenceAndAreReported() {
        #expect(
            bodyDifferences(#"{"status":"paid"}"#, #"{"status":"pending","status":"paid"}"#) == [
                Difference(
                    kind: .bodyExtra, severity: .risky, path: "$.status", legacy: #""paid""#, candidate: #""pending""#,
                    explanation:
                        "candidate sends key `status` 2 times (the other side 1); JSON.parse keeps the last, but "
                        + "decoders that keep the first read `\"pending\"` and strict ones (serde) refuse the body")
            ])
        // Same first and last value: only non-JavaScript strict decoders notice.
        #expect(bodyDifferences(#"{"a":1}"#, #"{"a":1,"a":1}"#).map(\.severity) == [.cosmetic])
        // The last occurrence is what is compared.
        #expect(bodyDifferences(#"{"a":1,"a":2}"#, #"{"a":1,"a":3}"#).map(\.kind) == [.bodyValue])
        #expect(bodyDifferences(#"{"a":1,"a":2}"#, #"{"a":1,"a":3}"#).map(\.legacy) == ["2"])
    }

    @Test func nonIdentifierKeysUseBrackets() {
        #expect(bodyDifferences(#"{"a b":{"0":1}}"#, #"{"a b":{"0":2}}"#).map(\.path) == [#"$["a b"]["0"]"#])
    }

    @Test func notJSON() {
        let legacy = jsonResponse(#"{"ok":true}"#)
        let candidate = jsonResponse("<pre>Bad</pre>", contentType: "text/html; charset=utf-8")
        let differences = DiffEngine().compare(legacy: legacy, candidate: candidate)
        #expect(differences.map(\.kind) == [.headerValue, .bodyNotJSON])
        #expect(
            differences.last
                == Difference(
                    kind: .bodyNotJSON, severity: .breaking, legacy: #"{"ok":true}"#, candidate: "<pre>Bad</pre>",
                    explanation:
                        "legacy sends JSON but the candidate's body is not JSON (expected a JSON value, found '<' at "
                        + "line 1, column 1); `await res.json()` throws in JavaScript clients"))
    }

    @Test func jsonBodiesUnderAnotherContentTypeStillCompareAsJSON() {
        let legacy = jsonResponse(#"{"a":1}"#)
        let candidate = jsonResponse(#"{"a": 1.0}"#, contentType: "text/plain")
        #expect(
            DiffEngine().compare(legacy: legacy, candidate: candidate).map(\.kind) == [.headerValue, .bodyNumberFormat])
    }

    @Test func bytes() {
        let legacy = HTTPResponse(
            status: 200, headers: HTTPHeaders([("Content-Type", "text/html")]), body: Array("hello".utf8))
        let candidate = HTTPResponse(
            status: 200, headers: HTTPHeaders([("Content-Type", "text/html")]), body: Array("help!".utf8))
        #expect(
            DiffEngine().compare(legacy: legacy, candidate: candidate) == [
                Difference(
                    kind: .bodyBytes, severity: .breaking, legacy: "hello", candidate: "help!",
                    explanation:
                        "the bodies differ (legacy 5 bytes, candidate 5 bytes, first difference at byte 3); clients "
                        + "that read the body see other content")
            ])
    }

    @Test func longBodiesAreTruncatedInReports() {
        let long = String(repeating: "x", count: 500)
        let differences = DiffEngine().compare(
            legacy: HTTPResponse(status: 200, body: Array(long.utf8)), candidate: HTTPResponse(status: 200, body: []))
        #expect(differences.first?.legacy == String(repeating: "x", count: 120) + "…")
        #expect(differences.first?.candidate == "")
    }
}
