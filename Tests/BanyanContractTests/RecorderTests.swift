import BanyanContract
import BanyanCore
import SharedTestSupport
import Testing

/// Record and verify against an in-process upstream that answers every request with a fixed body.
@Suite("record and verify")
struct RecorderTests {
    static let resolver = RouteResolver(
        routes: [RouteConfig(route: "GET /items/:id", method: "GET", pattern: "/items/:id")], flavor: .express4)

    static let specs = [
        RequestSpec(name: "one item", request: HTTPRequest(method: "GET", target: "/items/1"), source: "test:1"),
        RequestSpec(
            request: HTTPRequest(method: "POST", target: "/orders", body: Array("{}".utf8)), source: "test:2"),
    ]

    /// The request lines the upstream received, in order.
    static func requestLines(_ upstream: RecordingUpstream) -> [String] {
        String(decoding: upstream.received, as: UTF8.self).components(separatedBy: "\r\n")
            .filter { $0.hasSuffix(" HTTP/1.1") }
    }

    @Test("a safe request is sent repeatCount times, another once; one fixture each, with its route")
    func record() async throws {
        try await withRecordingUpstream { upstream in
            upstream.respond(with: #"{"id":1}"#, contentType: "application/json")
            let recorder = Recorder(target: upstream.base, repeatCount: 3, resolver: Self.resolver)
            let fixtures = try await blocking { try recorder.record(Self.specs) }
            #expect(
                Self.requestLines(upstream) == [
                    "GET /items/1 HTTP/1.1", "GET /items/1 HTTP/1.1", "GET /items/1 HTTP/1.1", "POST /orders HTTP/1.1",
                ])
            #expect(fixtures.map(\.route) == ["GET /items/:id", nil])
            #expect(fixtures.map(\.name) == ["one item", nil])
            #expect(
                fixtures.map(\.recorded) == [
                    "http://127.0.0.1:\(upstream.port), 3 answers", "http://127.0.0.1:\(upstream.port), sent once",
                ])
            #expect(fixtures.map(\.noiseHeaders) == [[], []])
            #expect(fixtures.map(\.response.status) == [200, 200])
            #expect(fixtures.map(\.response.bodyText) == [#"{"id":1}"#, #"{"id":1}"#])
        }
    }

    @Test("verify replays each fixture and reports what the candidate answers differently")
    func verify() async throws {
        try await withRecordingUpstream { upstream in
            upstream.respond(with: #"{"id":1,"name":"Ada"}"#, contentType: "application/json")
            let recorder = Recorder(target: upstream.base, repeatCount: 1, resolver: Self.resolver)
            let fixtures = try await blocking { try recorder.record([Self.specs[0]]) }
            let verifier = Verifier(target: upstream.base, engine: DiffEngine())
            let same = try await blocking { try verifier.verify(fixtures) }
            #expect(same.exchanges.map(\.differences.count) == [0])

            // The same length: only the value differs, not Content-Length.
            upstream.respond(with: #"{"id":1,"name":"Eve"}"#, contentType: "application/json")
            let changed = try await blocking { try verifier.verify(fixtures) }
            let differences = try #require(changed.exchanges.first).differences
            #expect(differences.map(\.kind) == [.bodyValue])
            #expect(differences.map(\.path) == ["$.name"])
            #expect(differences.map(\.legacy) == [#""Ada""#])
            #expect(differences.map(\.candidate) == [#""Eve""#])
            #expect(changed.exchanges.map(\.route) == ["GET /items/:id"])
        }
    }
}
