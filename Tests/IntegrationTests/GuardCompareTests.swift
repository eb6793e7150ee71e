import BanyanCore
import BanyanHTTP
import BanyanProxy
import BanyanState
import Foundation
import SharedTestSupport
import Testing

/// A canary's comparisons (`guard: {compare: true}`): the candidate serves, legacy answers a copy
/// off the client's path, and the differences are stored and weighed by the guard.
@Suite("Canary comparisons on the proxy", .serialized)
struct GuardCompareTests {
    static let legacyBody = #"{"id":1,"name":"ada"}"#
    static let candidateBody = #"{"id":"1","name":"ada"}"#

    /// The requests an upstream received, and how many of them were copies (`x-banyan-shadow: 1`).
    static func requests(_ upstream: RecordingUpstream) -> [Int] {
        let text = String(decoding: upstream.received, as: UTF8.self).lowercased()
        return [
            text.components(separatedBy: " http/1.1\r\n").count - 1,
            text.components(separatedBy: "\r\nx-banyan-shadow: 1\r\n").count - 1,
        ]
    }

    static func canary(compare: Bool, minSamples: Int = 200) -> (inout [RouteConfig]) -> Void {
        { routes in
            var settings = GuardSettings()
            settings.minSamples = minSamples
            settings.compare = compare
            for index in routes.indices {
                routes[index].mode = .canary(percent: 100)
                routes[index].guardSettings = settings
            }
        }
    }

    @Test("a differing candidate is compared with legacy's copy, stored as canary samples, tripped at min_samples")
    func comparesAndTrips() async throws {
        try await withRecordingUpstream { legacy in
            try await withRecordingUpstream { candidate in
                legacy.respond(with: Self.legacyBody, contentType: "application/json")
                candidate.respond(with: Self.candidateBody, contentType: "application/json")
                try await withTestProxy(
                    legacy: legacy.base, candidate: candidate.base, routes: ["GET /items/:id"],
                    configure: Self.canary(compare: true, minSamples: 20)
                ) { proxy in
                    let route = try #require(proxy.server.engine.snapshot.route(named: "GET /items/:id"))

                    // One fewer than min_samples: every comparison differs, and the rate rule may not trip yet.
                    for index in 1...19 {
                        let response = try await proxy.get("/items/\(index)")
                        #expect(response.status == 200)
                        #expect(response.headers["served-by"] == "candidate")
                        #expect(String(decoding: response.body, as: UTF8.self) == Self.candidateBody)
                    }
                    try await proxy.server.settleShadows()
                    #expect(route.stats.counters.shadowSent == 19)
                    #expect(route.stats.counters.shadowCompared == 19)
                    #expect(route.stats.counters.shadowFailing == 19)
                    let waiting = try #require(route.stats.guardStatus())
                    #expect(waiting.state == .waiting)
                    #expect(waiting.comparisons == 19)
                    #expect(waiting.differing == 19)
                    #expect(proxy.server.engine.snapshot.route(named: "GET /items/:id")?.mode == .canary(percent: 100))

                    // The twentieth comparison decides.
                    let deciding = try await proxy.get("/items/20")
                    #expect(deciding.headers["served-by"] == "candidate")
                    #expect(
                        try await eventually(timeout: .seconds(10)) {
                            proxy.server.engine.snapshot.route(named: "GET /items/:id")?.mode == .legacy
                        })
                    let status = try #require(route.stats.guardStatus())
                    #expect(status.state == .tripped)
                    #expect(status.lastAction == "trip:legacy")
                    let evidence = try #require(status.lastEvidence)
                    #expect(evidence.rule == .differenceRate)
                    #expect(evidence.samples == 20)
                    #expect(evidence.hits == 20)
                    #expect(evidence.threshold == 0.01)
                    #expect(try #require(status.appliedAfter) < 1.0)

                    // Back on legacy: the client gets legacy's answer, and nothing is copied any more.
                    let after = try await proxy.get("/items/21")
                    #expect(after.headers["served-by"] == "legacy")
                    try await proxy.server.settleShadows()
                    #expect(Self.requests(legacy) == [21, 20])
                    #expect(Self.requests(candidate) == [20, 0])

                    let stored = try await proxy.server.store.differenceAggregates().filter {
                        $0.route == "GET /items/:id"
                    }
                    #expect(
                        stored.map { "\($0.kind) \($0.location) ×\($0.count) \($0.severity)" }.sorted() == [
                            "body.type $.id ×20 breaking", "header.value content-length ×20 cosmetic",
                        ])
                    let samples = stored.flatMap(\.samples)
                    #expect(samples.count == 2 * SQLiteStateStore.samplesPerAggregate)
                    #expect(samples.allSatisfy { $0.origin == .canary })
                    #expect(samples.first?.legacyBody == Self.legacyBody)
                    #expect(samples.first?.candidateBody == Self.candidateBody)
                    let totals = try await proxy.server.store.shadowTotals().first { $0.route == "GET /items/:id" }
                    #expect(totals == ShadowTotals(route: "GET /items/:id", compared: 20, differing: 20, failing: 20))
                }
            }
        }
    }

    @Test("with compare off a canary sends legacy nothing")
    func compareOff() async throws {
        try await withRecordingUpstream { legacy in
            try await withRecordingUpstream { candidate in
                candidate.respond(with: Self.candidateBody, contentType: "application/json")
                try await withTestProxy(
                    legacy: legacy.base, candidate: candidate.base, routes: ["GET /items/:id"],
                    configure: Self.canary(compare: false)
                ) { proxy in
                    for index in 1...30 {
                        let response = try await proxy.get("/items/\(index)")
                        #expect(response.headers["served-by"] == "candidate")
                    }
                    try await proxy.server.settleShadows()
                    #expect(Self.requests(legacy) == [0, 0])
                    #expect(Self.requests(candidate) == [30, 0])
                    let route = try #require(proxy.server.engine.snapshot.route(named: "GET /items/:id"))
                    #expect(route.stats.counters.shadowSent == 0)
                    #expect(route.stats.counters.shadowCompared == 0)
                    #expect(try await proxy.server.store.differenceAggregates() == [])
                }
            }
        }
    }

    @Test("a POST on a compare route is not copied to legacy; a GET beside it is")
    func postNotCopied() async throws {
        try await withRecordingUpstream { legacy in
            try await withRecordingUpstream { candidate in
                try await withTestProxy(
                    legacy: legacy.base, candidate: candidate.base, routes: ["POST /items", "GET /items/:id"],
                    configure: Self.canary(compare: true)
                ) { proxy in
                    let post = try await proxy.send(
                        HTTPRequest(
                            method: "POST", target: "/items",
                            headers: HTTPHeaders([("Content-Type", "application/json")]),
                            body: Array(#"{"name":"ada"}"#.utf8)))
                    #expect(post.headers["served-by"] == "candidate")
                    let get = try await proxy.get("/items/1")
                    #expect(get.headers["served-by"] == "candidate")
                    try await proxy.server.settleShadows()
                    #expect(Self.requests(legacy) == [1, 1])
                    #expect(String(decoding: legacy.received, as: UTF8.self).hasPrefix("GET /items/1 HTTP/1.1\r\n"))
                    #expect(Self.requests(candidate) == [2, 0])
                    let postRoute = try #require(proxy.server.engine.snapshot.route(named: "POST /items"))
                    #expect(postRoute.stats.counters.shadowSent == 0)
                    #expect(postRoute.stats.counters.shadowSkipped == [:])
                    let getRoute = try #require(proxy.server.engine.snapshot.route(named: "GET /items/:id"))
                    #expect(getRoute.stats.counters.shadowSent == 1)
                    // Both answered `ok`: compared, no difference.
                    #expect(getRoute.stats.counters.shadowCompared == 1)
                    #expect(getRoute.stats.counters.shadowDiffering == 0)
                }
            }
        }
    }
}
