import BanyanConfig
import BanyanContract
import BanyanCore
import Foundation
import SharedTestSupport
import Testing

/// Contract inference and generation on the reference workload: traffic recorded from
/// Examples/shop-legacy (every route, errors included, plus seeded varied traffic) and from an
/// Express app that serves express-wire.md's number table. The generated Rust crate and Swift
/// package are built once each (no warnings allowed) and their golden tests must re-serialize
/// every recorded JSON body byte for byte; the naive port's type mistakes, reintroduced as types
/// beside the generated ones, must each fail that same golden check.
@Suite("contract gen on the reference workload", .serialized)
struct ContractGenTests {
    /// express-wire.md §7: the bytes Express prints for each value of its number table.
    static let numberTableBody =
        #"{"one":1,"negativeZero":0,"e15":1000000000000000,"e16":10000000000000000,"e20":100000000000000000000,"#
        + #""e21":1e+21,"micro":0.000001,"e7":1e-7,"sum":0.30000000000000004,"above53":9007199254740992,"#
        + #""numericString":12345678901234567000,"negativeSmall":-1e-7,"largest":1.7976931348623157e+308,"#
        + #""smallest":5e-324,"notANumber":null}"#

    /// Records the workload into `folder/shop` and `folder/numbers`; returns how many JSON bodies
    /// (requests and responses) the fixtures hold.
    static func record(into folder: URL) throws -> Int {
        let requests = folder.appendingPathComponent("traffic.http").path
        let made = try runToEnd(
            "/usr/bin/env",
            [
                "python3", "Examples/contract-traffic/make-requests.py", "--seed", "7", "--count", "400", "--out",
                requests,
            ], directory: repositoryRoot)
        #expect(made.status == 0, "\(made.error)")
        let specs = try ContractTests.exampleRequests() + RequestSource.load(path: requests)
        let legacy = try ServiceProcess.legacy()
        let configuration = try ContractTests.exampleConfiguration()
        let resolver = RouteResolver(routes: configuration.routes, flavor: configuration.express)
        let shop = try Recorder(target: legacy.base, repeatCount: 1, resolver: resolver).record(specs)
        try FixtureStore.write(shop, to: folder.appendingPathComponent("shop").path)

        let app = try ServiceProcess(
            name: "number-table", executable: try findExecutable("node"),
            arguments: ["Tests/Scripts/express-apps/number-table.js"],
            environment: ["NODE_PATH": "/usr/share/nodejs", "PORT": "{port}"])
        let numberSpecs = ["/numbers", "/numbers/list"].map {
            RequestSpec(name: $0, request: HTTPRequest(method: "GET", target: $0), source: $0)
        }
        let numbers = try Recorder(
            target: app.base, repeatCount: 1, resolver: RouteResolver(routes: [], flavor: .express4)
        )
        .record(numberSpecs)
        #expect(numbers[0].response.bodyText == numberTableBody)
        try FixtureStore.write(numbers, to: folder.appendingPathComponent("numbers").path)

        func isJSON(_ body: [UInt8], _ type: String?) -> Bool {
            !body.isEmpty && (type.map(BodyFacts.isJSONContentType) ?? true) && (try? JSONParser.parse(body)) != nil
        }
        return (shop + numbers).reduce(0) { count, fixture in
            count + (isJSON(fixture.request.body, fixture.request.headers["content-type"]) ? 1 : 0)
                + (isJSON(fixture.response.body, fixture.response.headers["content-type"]) ? 1 : 0)
        }
    }

    /// `GOLDEN <type> <passed> <total>` lines of a golden test run, summed.
    static func goldenTotals(_ output: String) -> (passed: Int, total: Int, types: Int) {
        var result = (passed: 0, total: 0, types: 0)
        // cargo prints `test name ... GOLDEN <type> <passed> <total>`; swift test the bare line.
        for line in output.split(separator: "\n") {
            let parts = line.split(separator: " ")
            guard let at = parts.firstIndex(of: "GOLDEN"), at + 3 < parts.count else { continue }
            result.passed += Int(parts[at + 2]) ?? 0
            result.total += Int(parts[at + 3]) ?? 0
            result.types += 1
        }
        return result
    }

    @Test func generatedTypesReproduceEveryRecordedBody() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("banyan-contract-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let jsonBodies = try Self.record(into: folder)
        let fixtures = ["shop", "numbers"].map { folder.appendingPathComponent($0).path }
        let contract = folder.appendingPathComponent("contract.json").path
        let banyan = try banyanExecutable()

        let inferred = try runToEnd(
            banyan, ["contract", "infer"] + fixtures + ["--out", contract, "--format", "json"])
        #expect(inferred.status == 0, "\(inferred.error)")
        let summary = try JSONParser.parse(inferred.output)
        #expect(summary["routes"] == .number(JSONNumber(12)))
        #expect(summary["keyOrderVaries"] == [])

        // The same fixtures listed in the other order give the same contract bytes.
        let again = try runToEnd(banyan, ["contract", "infer"] + fixtures.reversed())
        #expect(again.output == (try String(contentsOfFile: contract, encoding: .utf8)))

        // Rust: one offline cargo build of the crate, its golden test and the naive types beside it.
        let rust = folder.appendingPathComponent("rust").path
        let generated = try runToEnd(
            banyan,
            ["contract", "gen", "--lang", "rust", contract, "--out", rust, "--format", "json"]
                + fixtures.flatMap { ["--fixtures", $0] })
        #expect(generated.status == 0, "\(generated.error)")
        #expect(try JSONParser.parse(generated.output)["goldenBodies"] == .number(JSONNumber(jsonBodies)))
        try Data(Self.naiveRust.utf8).write(to: URL(fileURLWithPath: rust + "/tests/naive.rs"))
        let cargo = try runToEnd(
            repositoryRoot.appendingPathComponent("scripts/build-contract-rust.sh").path,
            [rust, "test", "--", "--nocapture", "--test-threads", "1"])
        #expect(cargo.status == 0, "\(cargo.output)\n\(cargo.error)")
        #expect(!cargo.error.contains("warning"), "\(cargo.error)")
        let rustTotals = Self.goldenTotals(cargo.output)
        #expect(rustTotals.total == jsonBodies)
        #expect(rustTotals.passed == jsonBodies)
        for mistake in ["casing", "null-vs-absent", "big-id", "date", "float-total"] {
            #expect(cargo.output.contains("NAIVE \(mistake) fails"), "\(mistake) was not caught:\n\(cargo.output)")
        }

        // Swift: one build of the package with the toolchain's Foundation, and its golden test.
        let swift = folder.appendingPathComponent("swift").path
        let swiftGenerated = try runToEnd(
            banyan,
            ["contract", "gen", "--lang", "swift", contract, "--out", swift] + fixtures.flatMap { ["--fixtures", $0] })
        #expect(swiftGenerated.status == 0, "\(swiftGenerated.error)")
        let swiftTest = try runToEnd(
            "/usr/bin/env", ["swift", "test", "--package-path", swift, "-Xswiftc", "-warnings-as-errors"],
            timeLimit: 1200)
        #expect(swiftTest.status == 0, "\(swiftTest.output)\n\(swiftTest.error)")
        let swiftTotals = Self.goldenTotals(swiftTest.output)
        #expect(swiftTotals.total == jsonBodies)
        #expect(swiftTotals.passed == jsonBodies)

        // OpenAPI: required and nullable exactly as the presence classes say.
        let openapi = folder.appendingPathComponent("openapi").path
        let document = try runToEnd(banyan, ["contract", "gen", "--lang", "openapi", contract, "--out", openapi])
        #expect(document.status == 0, "\(document.error)")
        let spec = try JSONParser.parse(try Data(contentsOf: URL(fileURLWithPath: openapi + "/openapi.json")))
        let order = try #require(spec["components"]?["schemas"]?["GetOrdersId200"])
        #expect(order["required"] == ["id", "accountId", "amountCents", "currency", "status", "createdAt"])
        #expect(order["properties"]?["createdAt"]?["x-date-precision"] == "ms")
        #expect(order["properties"]?["coupon"]?["x-absent-when-undefined"] == true)
        // Every recorded body validates against it (JSON Schema 2020-12, python-jsonschema).
        let validated = try runToEnd(
            "/usr/bin/env",
            ["python3", "Examples/contract-traffic/validate-openapi.py", openapi + "/openapi.json"] + fixtures,
            directory: repositoryRoot)
        #expect(validated.status == 0, "\(validated.output)\n\(validated.error)")
        #expect(validated.output.hasSuffix("\(jsonBodies) of \(jsonBodies) recorded JSON bodies validate\n"))
    }

    /// The naive port's type mistakes, each as a type beside the generated ones; each must fail the
    /// golden check of the bodies it describes.
    static let naiveRust = #"""
        //! The naive port's type mistakes, reintroduced: each type must fail the golden round trip.
        use serde::de::DeserializeOwned;
        use serde::{Deserialize, Serialize};

        fn failures<T: DeserializeOwned + Serialize>(name: &str) -> usize {
            let path = format!("{}/golden/{}.bodies", env!("CARGO_MANIFEST_DIR"), name);
            let data = std::fs::read(&path).unwrap();
            let (mut at, mut failed) = (0, 0);
            while at < data.len() {
                let id_end = at + data[at..].iter().position(|b| *b == b'\n').unwrap();
                let count_end = id_end + 1 + data[id_end + 1..].iter().position(|b| *b == b'\n').unwrap();
                let count: usize = std::str::from_utf8(&data[id_end + 1..count_end]).unwrap().parse().unwrap();
                let body = &data[count_end + 1..count_end + 1 + count];
                let same = serde_json::from_slice::<T>(body)
                    .map(|value| serde_json::to_vec(&value).unwrap() == body)
                    .unwrap_or(false);
                if !same {
                    failed += 1;
                }
                at = count_end + 1 + count + 1;
            }
            failed
        }

        fn expect_failure<T: DeserializeOwned + Serialize>(mistake: &str, name: &str) {
            let failed = failures::<T>(name);
            assert!(failed > 0, "{}: the naive type reproduces every body of {}", mistake, name);
            println!("NAIVE {} fails {} bodies of {}", mistake, failed, name);
        }

        #[derive(serde_derive::Serialize, serde_derive::Deserialize)]
        struct DayOfYearWithoutRenameAll {
            date: String,
            day_of_year: i64,
        }

        #[derive(serde_derive::Serialize, serde_derive::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct OrderWithNullCoupon {
            id: String,
            account_id: String,
            amount_cents: i64,
            currency: String,
            status: String,
            created_at: String,
            coupon: Option<String>,
        }

        #[derive(serde_derive::Serialize, serde_derive::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct OrderWithNumericAccountId {
            id: String,
            account_id: u64,
            amount_cents: i64,
            currency: String,
            status: String,
            created_at: String,
            #[serde(skip_serializing_if = "Option::is_none")]
            coupon: Option<String>,
        }

        /// A date written with whole seconds, as `to_rfc3339_opts(SecondsFormat::Secs, true)` writes it.
        struct SecondsDate(chrono::DateTime<chrono::Utc>);

        impl Serialize for SecondsDate {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            }
        }

        impl<'de> Deserialize<'de> for SecondsDate {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                let date = chrono::DateTime::parse_from_rfc3339(&text).map_err(serde::de::Error::custom)?;
                Ok(SecondsDate(date.with_timezone(&chrono::Utc)))
            }
        }

        #[derive(serde_derive::Serialize, serde_derive::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct OrderWithSecondsDate {
            id: String,
            account_id: String,
            amount_cents: i64,
            currency: String,
            status: String,
            created_at: SecondsDate,
            #[serde(skip_serializing_if = "Option::is_none")]
            coupon: Option<String>,
        }

        #[derive(serde_derive::Serialize, serde_derive::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct CheckoutWithF64Total {
            order_id: String,
            total: f64,
            status: String,
        }

        #[test]
        fn naive_mistakes_fail_the_golden_round_trip() {
            expect_failure::<DayOfYearWithoutRenameAll>("casing", "GetDayOfYear200");
            expect_failure::<OrderWithNullCoupon>("null-vs-absent", "GetOrdersId200");
            expect_failure::<OrderWithNumericAccountId>("big-id", "GetOrdersId200");
            expect_failure::<OrderWithSecondsDate>("date", "GetOrdersId200");
            expect_failure::<CheckoutWithF64Total>("float-total", "PostCheckout200");
        }
        """#
}
