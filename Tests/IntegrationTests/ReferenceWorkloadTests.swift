import BanyanCore
import BanyanHTTP
import Foundation
import SharedTestSupport
import Testing

/// The Express service and each of its ports (Swift, Rust), started side by side, must be
/// indistinguishable on the wire, and the Swift port's `--naive` switch must produce each classic
/// porting mistake it lists.
@Suite("reference workload", .serialized)
struct ReferenceWorkloadTests {
    /// Headers that legitimately differ between two servers (the clock, the connection) and the
    /// one deliberate difference of the port: it does not claim to be Express.
    static let uncomparedHeaders: Set<String> = ["date", "connection", "keep-alive", "x-powered-by"]

    /// Every endpoint with its error paths, in an order that exercises the stateful ones.
    static let requests: [HTTPRequest] = [
        HTTPRequest(method: "GET", target: "/health"),
        HTTPRequest(method: "GET", target: "/users"),
        HTTPRequest(method: "GET", target: "/users?limit=2"),
        HTTPRequest(method: "GET", target: "/users?limit=0"),
        HTTPRequest(method: "GET", target: "/users?limit=abc"),
        HTTPRequest(method: "GET", target: "/users/1"),
        HTTPRequest(method: "GET", target: "/USERS/1/"),
        HTTPRequest(method: "GET", target: "/users/99"),
        HTTPRequest(method: "GET", target: "/users/abc"),
        HTTPRequest(method: "GET", target: "/users/%ZZ"),
        HTTPRequest(method: "GET", target: "/users/a%2Fb"),
        HTTPRequest(method: "HEAD", target: "/users/1"),
        HTTPRequest(method: "OPTIONS", target: "/users/1"),
        .json("POST", "/users", #"{"name":"Grace","email":"grace@example.com"}"#),
        HTTPRequest(method: "GET", target: "/users/13"),
        .json("POST", "/users", #"{"name":"  ","email":"x@example.com"}"#),
        .json("POST", "/users", #"{"email":"x@example.com"}"#),
        .json("POST", "/users", #"{"name":"Bob","email":"bob.example.com"}"#),
        .json("POST", "/users", #"{"name":"Bob","#),
        HTTPRequest(
            method: "POST", target: "/users", headers: HTTPHeaders([("Content-Type", "text/plain")]),
            body: Array("name=Bob".utf8)),
        .json(
            "POST", "/users",
            "{\"name\":\"Big\",\"email\":\"b@example.com\",\"pad\":\""
                + String(repeating: "x", count: 102_400) + "\"}"),
        HTTPRequest(method: "DELETE", target: "/users/2"),
        HTTPRequest(method: "DELETE", target: "/users/2"),
        HTTPRequest(method: "GET", target: "/users/2"),
        HTTPRequest(method: "GET", target: "/orders/ord_123"),
        HTTPRequest(method: "GET", target: "/orders/ord_124"),
        HTTPRequest(method: "GET", target: "/orders/ord_999"),
        .json("POST", "/articles", #"{"title":"Hello"}"#),
        .json("POST", "/articles", #"{"title":"Tagged","tags":["a","b"]}"#),
        .json("POST", "/articles", #"{"tags":["a"]}"#),
        HTTPRequest(method: "GET", target: "/price/AAPL"),
        HTTPRequest(method: "GET", target: "/price/MSFT"),
        HTTPRequest(method: "GET", target: "/price/NOPE"),
        .json("POST", "/checkout", #"{"userId":42,"items":[{"sku":"BOOK-1","qty":2},{"sku":"PEN-9","qty":3}]}"#),
        .json("POST", "/checkout", #"{"userId":7,"items":[{"sku":"BOOK-1","qty":1},{"sku":"MYSTERY","qty":5}]}"#),
        HTTPRequest(method: "GET", target: "/day-of-year?date=2026-06-02"),
        HTTPRequest(method: "GET", target: "/day-of-year?date=2024-12-31"),
        HTTPRequest(method: "GET", target: "/day-of-year?date=2023-02-29"),
        HTTPRequest(method: "GET", target: "/day-of-year?date=2026-13-01"),
        HTTPRequest(method: "GET", target: "/day-of-year?date=yesterday"),
        HTTPRequest(method: "GET", target: "/day-of-year"),
        HTTPRequest(method: "GET", target: "/nope"),
        HTTPRequest(method: "DELETE", target: "/health"),
    ]

    @Test(arguments: Port.allCases)
    func portIsIndistinguishableFromExpress(_ candidate: Port) throws {
        let legacy = try ServiceProcess.legacy()
        let port = try candidate.start()
        let tag = #""computedBy":"\#(candidate.backendTag)""#
        for request in Self.requests {
            let label = "\(request.method) \(request.target.prefix(60))"
            let expected = try legacy.client.send(request).response
            let actual = try port.client.send(request).response
            #expect(actual.status == expected.status, "\(label): status")
            #expect(actual.reason == expected.reason, "\(label): reason phrase")
            var actualBody = actual.bodyText
            if request.target.hasPrefix("/price/") && expected.status == 200 {
                // The backend tag is the one body field meant to differ.
                #expect(expected.bodyText.hasSuffix(#","computedBy":"node"}"#), "\(label): legacy tag")
                #expect(actualBody.hasSuffix("," + tag + "}"), "\(label): port tag")
                actualBody = actualBody.replacingOccurrences(of: tag, with: #""computedBy":"node""#)
            } else {
                #expect(headerBlock(actual) == headerBlock(expected), "\(label): headers")
            }
            #expect(actualBody == expected.bodyText, "\(label): body")
        }
    }

    /// The compared headers, lower-cased names with their values, in the order sent.
    private func headerBlock(_ response: HTTPResponse) -> [String] {
        response.headers.fields
            .filter { !Self.uncomparedHeaders.contains($0.canonicalName) }
            .map { "\($0.canonicalName): \($0.value)" }
    }

    struct NaiveMistake: Decodable, CustomStringConvertible {
        struct Request: Decodable {
            var method: String
            var path: String
            var headers: [String: String]?
            var body: String?
        }
        var id: String
        var kind: String
        /// The JSON path, for body kinds.
        var path: String?
        /// The lower-case header name, for header kinds.
        var header: String?
        var request: Request
        var legacyFragment: String
        var naiveFragment: String
        var description: String { id }

        var httpRequest: HTTPRequest {
            HTTPRequest(
                method: request.method, target: request.path,
                headers: HTTPHeaders((request.headers ?? [:]).sorted { $0.key < $1.key }.map { ($0.key, $0.value) }),
                body: Array((request.body ?? "").utf8))
        }
    }

    static func naiveMistakes() throws -> [NaiveMistake] {
        let url = repositoryRoot.appendingPathComponent("Examples/ShopPort/naive-differences.json")
        return try JSONDecoder().decode([NaiveMistake].self, from: Data(contentsOf: url))
    }

    @Test func naivePortShowsEachListedMistake() throws {
        let mistakes = try Self.naiveMistakes()
        #expect(mistakes.count >= 8)
        let kinds = Set(mistakes.map(\.kind))
        #expect(kinds.isSubset(of: Set(DifferenceKind.allCases.map(\.rawValue))), "kinds: \(kinds)")
        let legacy = try ServiceProcess.legacy()
        let naive = try ServiceProcess.port(naive: true)
        for mistake in mistakes {
            let fromLegacy = String(decoding: try legacy.client.send(mistake.httpRequest).raw, as: UTF8.self)
            let fromNaive = String(decoding: try naive.client.send(mistake.httpRequest).raw, as: UTF8.self)
            #expect(fromLegacy.contains(mistake.legacyFragment), "\(mistake.id): legacy shows the contract")
            #expect(!fromNaive.contains(mistake.legacyFragment), "\(mistake.id): naive lacks the contract")
            #expect(fromNaive.contains(mistake.naiveFragment), "\(mistake.id): naive shows the mistake")
            #expect(!fromLegacy.contains(mistake.naiveFragment), "\(mistake.id): legacy lacks the mistake")
        }
    }

    @Test func correctPortHasNoneOfTheMistakes() throws {
        let legacy = try ServiceProcess.legacy()
        let port = try ServiceProcess.port()
        for mistake in try Self.naiveMistakes() {
            let fromPort = String(decoding: try port.client.send(mistake.httpRequest).raw, as: UTF8.self)
            let fromLegacy = String(decoding: try legacy.client.send(mistake.httpRequest).raw, as: UTF8.self)
            #expect(fromLegacy.contains(mistake.legacyFragment), "\(mistake.id)")
            #expect(fromPort.contains(mistake.legacyFragment), "\(mistake.id)")
            #expect(!fromPort.contains(mistake.naiveFragment), "\(mistake.id)")
        }
    }
}
