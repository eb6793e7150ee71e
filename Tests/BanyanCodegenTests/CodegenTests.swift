import BanyanCodegen
import BanyanCore
import Testing

/// Type planning and code generation from a contract (the generated code is compiled and its golden
/// tests run in IntegrationTests/ContractGenTests).
@Suite("contract code generation")
struct CodegenTests {
    static func contract(_ bodies: [(String, Int, String)], settings: ContractSettings = .default) -> Contract {
        var contract = Contract(settings: settings)
        for (index, (route, status, body)) in bodies.enumerated() {
            contract.add(
                ContractExchange(
                    id: "e\(index)", route: route, request: HTTPRequest(method: "GET", target: "/"),
                    response: HTTPResponse(
                        status: status, headers: HTTPHeaders([("Content-Type", "application/json; charset=utf-8")]),
                        body: Array(body.utf8))))
        }
        return contract
    }

    @Test(arguments: [
        ("dayOfYear", "day_of_year"), ("userID", "user_id"), ("_id", "_id"), ("content-type", "content_type"),
        ("HTTPStatus", "http_status"), ("2fa", "n2fa"), ("id", "id"),
    ])
    func snakeCaseFieldNames(_ key: String, _ expected: String) {
        #expect(Naming.snake(key) == expected)
    }

    @Test func typeNamesComeFromRouteStatusAndPath() {
        let plan = TypePlan(
            contract: Self.contract([
                ("GET /orders/:id", 404, #"{"error":{"code":"X","message":"m"}}"#),
                ("POST /checkout", 200, #"{"items":[{"sku":"a"}]}"#),
            ]))
        #expect(plan.roots.map(\.name) == ["GetOrdersId404", "PostCheckout200"])
        #expect(
            plan.objects.map(\.name) == [
                "GetOrdersId404", "GetOrdersId404Error", "PostCheckout200", "PostCheckout200ItemsItem",
            ])
    }

    @Test func rustUsesOneRenameAllAndRenamesOnlyExceptions() throws {
        let plan = TypePlan(
            contract: Self.contract([
                ("GET /a", 200, #"{"_id":"x","orderId":"o","dayOfYear":1,"total":3600,"coupon":"c","tip":null}"#),
                ("GET /a", 200, #"{"_id":"y","orderId":"p","dayOfYear":2,"total":1.5,"tip":1}"#),
                ("GET /a", 200, #"{"_id":"y","orderId":"p","dayOfYear":2,"total":1.5}"#),
            ]))
        var generator = RustGenerator(plan: plan)
        let files = generator.files(golden: GoldenBodies())
        let module = try #require(files.first { $0.path == "src/get_a.rs" })
        #expect(
            String(decoding: module.bytes, as: UTF8.self) == """
                //! `GET /a`

                use serde_derive::{Deserialize, Serialize};

                /// `GET /a 200 $`
                #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
                #[serde(rename_all = "camelCase")]
                pub struct GetA200 {
                    /// `_id`: always (present 3)
                    #[serde(rename = "_id")]
                    pub _id: String,
                    /// `orderId`: always (present 3)
                    pub order_id: String,
                    /// `dayOfYear`: always (present 3)
                    pub day_of_year: crate::support::JsNumber,
                    /// `total`: always (present 3)
                    pub total: crate::support::JsNumber,
                    /// `coupon`: sometimes-absent (present 1, absent 2)
                    #[serde(skip_serializing_if = "Option::is_none")]
                    pub coupon: Option<String>,
                    /// `tip`: absent-or-null (present 2, absent 1, null 1)
                    #[serde(default, skip_serializing_if = "crate::support::Field::is_absent")]
                    pub tip: crate::support::Field<crate::support::JsNumber>,
                }


                """)
        #expect(generator.attributeCount == 4)
    }

    @Test func integersNeedKSamplesAndDatesBecomeDateTypes() throws {
        var bodies: [(String, Int, String)] = []
        for index in 0..<20 { bodies.append(("GET /o", 200, #"{"id":\#(index),"at":"2026-06-02T10:00:00.000Z"}"#)) }
        let plan = TypePlan(contract: Self.contract(bodies))
        let fields = try #require(plan.object(named: "GetO200")?.fields)
        #expect(fields.map(\.type) == [.integer, .date])
        #expect(plan.usesDates)
    }

    @Test func swiftEncodesNullAndAbsentAsThePresenceClassSays() throws {
        let plan = TypePlan(
            contract: Self.contract([
                ("GET /a", 200, #"{"coupon":"c","note":null}"#), ("GET /a", 200, #"{"note":"n"}"#),
            ]))
        let files = SwiftGenerator(plan: plan).files(golden: GoldenBodies())
        let source = String(
            decoding: try #require(files.first { $0.path == "Sources/ContractTypes/GetA.swift" }).bytes, as: UTF8.self)
        #expect(source.contains("coupon = try container.decodeIfPresent(String.self, forKey: .coupon)"))
        #expect(source.contains("try container.encodeIfPresent(coupon, forKey: .coupon)"))
        #expect(source.contains("note = try container.decode(String?.self, forKey: .note)"))
        #expect(
            source.contains(
                "if let value = note { try container.encode(value, forKey: .note) } else { try container.encodeNil(forKey: .note) }"
            ))
    }

    @Test func openAPIRequiredAndNullableFollowPresence() throws {
        let contract = Self.contract([
            ("GET /a/:id", 200, #"{"id":1,"coupon":"c","note":null}"#), ("GET /a/:id", 200, #"{"id":2,"note":"n"}"#),
        ])
        let document = OpenAPIGenerator(plan: TypePlan(contract: contract), contract: contract).document()
        let schema = try #require(document["components"]?["schemas"]?["GetAId200"])
        #expect(schema["required"] == ["id", "note"])
        #expect(schema["properties"]?["note"]?["type"] == ["string", "null"])
        #expect(schema["properties"]?["coupon"]?["x-absent-when-undefined"] == true)
        #expect(schema["x-key-order"] == ["id", "coupon", "note"])
        #expect(document["paths"]?["/a/{id}"]?["get"]?["parameters"]?[0]?["name"] == "id")
    }
}
