import BanyanCore
import Testing

/// Contract inference: presence classes, number and string facts, open enums, key order,
/// evidence, order independence and the check of contradicting traffic.
@Suite("contract inference")
struct ContractInferenceTests {
    static func exchange(
        _ id: String, _ body: String, status: Int = 200, route: String = "GET /orders/:id",
        request: String? = nil, contentType: String = "application/json; charset=utf-8"
    ) -> ContractExchange {
        var requestHeaders = HTTPHeaders()
        if request != nil { requestHeaders.add(name: "Content-Type", value: "application/json") }
        return ContractExchange(
            id: id, route: route,
            request: HTTPRequest(
                method: "GET", target: "/x", headers: requestHeaders, body: Array((request ?? "").utf8)),
            response: HTTPResponse(
                status: status, headers: HTTPHeaders([("Content-Type", contentType)]), body: Array(body.utf8)))
    }

    static func infer(_ exchanges: [ContractExchange], settings: ContractSettings = .default) -> Contract {
        var contract = Contract(settings: settings)
        for exchange in exchanges { contract.add(exchange) }
        return contract
    }

    static func object(_ contract: Contract, route: String = "GET /orders/:id", status: Int = 200) -> ObjectFacts? {
        contract.routes[route]?.responses[status]?.body.schema.objects
    }

    @Test func presenceClassesWithEvidence() throws {
        let contract = Self.infer([
            Self.exchange("e1", #"{"id":1,"coupon":"A","note":null,"tip":null,"name":"x"}"#),
            Self.exchange("e2", #"{"id":2,"note":null,"tip":1,"name":"y"}"#),
            Self.exchange("e3", #"{"id":3,"coupon":"B","note":"n","name":"z"}"#),
        ])
        let object = try #require(Self.object(contract))
        #expect(object.keyOrder == ["id", "coupon", "note", "tip", "name"])
        #expect(object.fields["id"]?.presence == .always)
        #expect(object.fields["coupon"]?.presence == .sometimesAbsent)
        #expect(object.fields["coupon"]?.absent == Evidence(count: 1, ids: ["e2"]))
        #expect(object.fields["note"]?.presence == .sometimesNull)
        #expect(object.fields["note"]?.value.nulls == Evidence(count: 2, ids: ["e1", "e2"]))
        #expect(object.fields["tip"]?.presence == .absentOrNull)
        #expect(object.fields["tip"]?.absent == Evidence(count: 1, ids: ["e3"]))
    }

    @Test func absenceEvidenceDoesNotDependOnOrder() throws {
        // The key first appears in the last exchange read: the objects read before it lacked it.
        let contract = Self.infer([
            Self.exchange("e4", #"{"a":1}"#), Self.exchange("e2", #"{"a":1}"#), Self.exchange("e3", #"{"a":1}"#),
            Self.exchange("e1", #"{"a":1}"#), Self.exchange("e5", #"{"a":1,"b":2}"#),
        ])
        #expect(Self.object(contract)?.fields["b"]?.absent == Evidence(count: 4, ids: ["e1", "e2", "e3"]))
    }

    @Test func numberFactsAsJavaScriptSeesThem() throws {
        let contract = Self.infer(
            [
                Self.exchange("e1", #"{"n":1.5,"big":12345678901234567000,"e":1e+21,"i":7}"#),
                Self.exchange("e2", #"{"n":2,"big":9007199254740992,"e":1e-7,"i":8}"#),
            ], settings: ContractSettings(enumMinimum: 2))
        let fields = try #require(Self.object(contract)?.fields)
        let n = try #require(fields["n"]?.value.numbers)
        #expect(n.fraction == Evidence(count: 1, ids: ["e1"]))
        #expect(n.kind(ContractSettings(enumMinimum: 2)) == .jsNumber)
        let big = try #require(fields["big"]?.value.numbers)
        #expect(big.unsafeInteger.count == 2)
        #expect(big.fraction.isEmpty)
        #expect(fields["e"]?.value.numbers?.exponent.count == 2)
        #expect(fields["i"]?.value.decision(ContractSettings(enumMinimum: 2)) == .number(.integer))
        // With fewer integral samples than k, an integer stays a JavaScript number.
        #expect(fields["i"]?.value.decision(ContractSettings(enumMinimum: 3)) == .number(.jsNumber))
    }

    @Test func requestNumbersAreReadAsJavaScriptParsesThem() throws {
        let contract = Self.infer([Self.exchange("e1", "{}", request: #"{"qty":1.0,"z":-0,"e":1E3}"#)])
        let numbers = try #require(contract.routes["GET /orders/:id"]?.request.schema.objects?.fields)
        // JSON.parse then JSON.stringify: 1.0 → 1, -0 → 0, 1E3 → 1000; all canonical afterwards.
        #expect(numbers["qty"]?.value.numbers?.nonCanonical.isEmpty == true)
        #expect(numbers["z"]?.value.numbers?.negativeZero.isEmpty == true)
        #expect(
            #"{"qty":1.0,"z":-0,"e":1E3}"#.parsed.javaScriptCanonical().serializedText == #"{"qty":1,"z":0,"e":1000}"#)
    }

    @Test(arguments: [
        ("2026-06-02T10:00:00.000Z", StringFormatDecision.isoMillis),
        ("2026-06-02T10:00:00Z", .dateText),
        ("2026-06-02", .dateText),
        ("123e4567-e89b-12d3-a456-426614174000", .uuid),
        ("9007199254740993", .numeric),
    ])
    func stringFormats(_ value: String, _ expected: StringFormatDecision) {
        let contract = Self.infer([Self.exchange("e1", #"{"s":\#(value.jsonQuoted)}"#)])
        #expect(Self.object(contract)?.fields["s"]?.value.strings?.format == expected)
    }

    @Test func numericStringsBeyond2To53AreFlagged() {
        let contract = Self.infer([
            Self.exchange("e1", #"{"s":"9007199254740993"}"#), Self.exchange("e2", #"{"s":"42"}"#),
        ])
        #expect(Self.object(contract)?.fields["s"]?.value.strings?.unsafeNumeric == Evidence(count: 1, ids: ["e1"]))
    }

    @Test func openEnumNeedsKSightings() {
        var exchanges: [ContractExchange] = []
        for index in 0..<25 { exchanges.append(Self.exchange("p\(index)", #"{"status":"paid"}"#)) }
        for index in 0..<3 { exchanges.append(Self.exchange("s\(index)", #"{"status":"shipped"}"#)) }
        let contract = Self.infer(exchanges)
        let node = Self.object(contract)!.fields["status"]!.value
        #expect(node.decision(.default) == .enumeration(EnumDecision(cases: ["paid"])))
        #expect(node.decision(ContractSettings(enumMinimum: 30)) == .string(nil))
        // More distinct values than an enum holds: plain text.
        #expect(node.decision(ContractSettings(enumMinimum: 1, enumMaxValues: 1)) == .string(nil))
    }

    @Test func keyOrderKeepsEveryObservedOrderAndReportsConflicts() throws {
        let contract = Self.infer([
            Self.exchange("e1", #"{"a":1,"c":3}"#), Self.exchange("e2", #"{"b":2,"c":3}"#),
            Self.exchange("e3", #"{"a":1,"b":2}"#),
        ])
        #expect(Self.object(contract)?.keyOrder == ["a", "b", "c"])
        #expect(Self.object(contract)?.orderConflicts.isEmpty == true)
        let varying = Self.infer([Self.exchange("e1", #"{"a":1,"b":2}"#), Self.exchange("e2", #"{"b":2,"a":1}"#)])
        let conflict = try #require(Self.object(varying)?.orderConflicts.first)
        #expect(conflict.pair == KeyPair("a", "b"))
        #expect(conflict.reverse == Evidence(count: 1, ids: ["e2"]))
    }

    @Test func arrayItemsMergeEveryElement() throws {
        let contract = Self.infer([Self.exchange("e1", #"[{"id":1},{"id":2,"extra":true},{"id":3}]"#)])
        let items = try #require(contract.routes["GET /orders/:id"]?.responses[200]?.body.schema.arrays?.items)
        #expect(items.objects?.fields["extra"]?.presence == .sometimesAbsent)
        #expect(items.objects?.fields["extra"]?.absent.count == 2)
    }

    @Test func headersAndTextBodies() throws {
        var withLocation = Self.exchange("e1", #"{"id":101}"#, status: 201)
        withLocation.response.headers.add(name: "Location", value: "/articles/101")
        withLocation.response.headers.add(name: "ETag", value: #"W/"a-b""#)
        let contract = Self.infer([
            withLocation, Self.exchange("e2", "<html></html>", status: 404, contentType: "text/html; charset=utf-8"),
        ])
        let created = try #require(contract.routes["GET /orders/:id"]?.responses[201])
        #expect(created.headers["location"]?.patterns == ["/articles/{n}": Evidence(count: 1, ids: ["e1"])])
        #expect(created.headers["etag"] == nil)
        #expect(contract.routes["GET /orders/:id"]?.responses[404]?.body.text == Evidence(count: 1, ids: ["e2"]))
    }

    @Test func sameTrafficInAnyOrderGivesTheSameBytes() throws {
        var exchanges: [ContractExchange] = []
        for index in 0..<60 {
            let coupon = index % 3 == 0 ? #","coupon":"C\#(index % 5)""# : ""
            let amount = index % 7 == 0 ? "\(index).5" : "\(index)"
            exchanges.append(
                Self.exchange(
                    "f\(index)",
                    #"{"id":\#(index),"amount":\#(amount)\#(coupon),"at":"2026-01-0\#(index % 9 + 1)T00:00:00.000Z"}"#,
                    status: index % 10 == 0 ? 404 : 200))
        }
        let forward = Self.infer(exchanges).text()
        var generator = SplitMix(seed: 17)
        for _ in 0..<3 {
            #expect(Self.infer(exchanges.shuffled(using: &generator)).text() == forward)
        }
        // Merging two halves is the same as reading everything.
        var half = Self.infer(Array(exchanges[30...]))
        half.merge(Self.infer(Array(exchanges[..<30])))
        #expect(half.text() == forward)
    }

    @Test func contractFileReadsBackToTheSameBytes() throws {
        let contract = Self.infer([
            Self.exchange("e1", #"{"id":1,"tags":["a"],"s":"paid","n":null}"#),
            Self.exchange("e2", #"{"id":2.5,"tags":[],"s":"paid"}"#, request: #"{"q":[1,"x"]}"#),
        ])
        let text = contract.text()
        let reread = try Contract(parsing: text, file: "contract.json")
        #expect(reread == contract)
        #expect(reread.text() == text)
    }

    @Test func malformedContractNamesThePath() {
        #expect(throws: FileProblem(file: "c.json", message: "$.routes[0].route: missing")) {
            try Contract(
                parsing:
                    #"{"banyanContract":1,"settings":{"enumMinimum":20,"enumMaxValues":8,"trackedValues":64},"routes":[{}]}"#,
                file: "c.json")
        }
    }

    @Test func checkReportsWhatContradictingTrafficChanges() throws {
        let old = Self.infer([
            Self.exchange("a1", #"{"id":1,"coupon":"A","at":"2026-01-01T00:00:00.000Z"}"#),
            Self.exchange("a2", #"{"id":2,"coupon":"B","at":"2026-01-02T00:00:00.000Z"}"#),
        ])
        let new = Self.infer([
            Self.exchange("b1", #"{"id":3,"coupon":null,"at":"2026-01-03T00:00:00Z"}"#),
            Self.exchange("b2", #"{"id":4.5,"extra":1,"at":"2026-01-03T00:00:00.000Z"}"#),
            Self.exchange("b3", #"{"error":"x"}"#, status: 404),
        ])
        let changes = old.changes(from: new).map(\.description)
        #expect(
            changes == [
                "GET /orders/:id 200 $.coupon presence: always → absent-or-null (1 in the new traffic: b2)",
                "GET /orders/:id 200 $.extra new-field: none → sometimes-absent (1 in the new traffic: b2)",
                "GET /orders/:id 200 $.at type: string(date-time-ms) → string(date-text) (1 in the new traffic: b1)",
                "GET /orders/:id 404 status: none → seen (1 in the new traffic: b3)",
            ])
        #expect(old.changes(from: new).map(\.breaksRoundTrip) == [true, true, true, true])
        #expect(old.changes(from: old).isEmpty)
    }

    @Test func narrowerDecisionsFitTheOldTypes() throws {
        var old: [ContractExchange] = []
        var new: [ContractExchange] = []
        for index in 0..<5 { old.append(Self.exchange("a\(index)", #"{"n":\#(index),"s":"paid"}"#)) }
        for index in 0..<30 { new.append(Self.exchange("b\(index)", #"{"n":\#(index),"s":"paid"}"#)) }
        let changes = Self.infer(old).changes(from: Self.infer(new))
        #expect(
            changes.map(\.description) == [
                "GET /orders/:id 200 $.n type: js-number → integer (30 in the new traffic: b0, b1, b10)",
                "GET /orders/:id 200 $.s type: string → enum(paid|…) (30 in the new traffic: b0, b1, b10)",
            ])
        #expect(changes.map(\.breaksRoundTrip) == [false, false])
    }
}

/// A seeded generator, so that shuffles are the same on every run.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension String {
    var parsed: JSONValue { try! JSONParser.parse(self) }
}
