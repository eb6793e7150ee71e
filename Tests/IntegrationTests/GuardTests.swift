import BanyanCore
import BanyanHTTP
import BanyanProxy
import Foundation
import NIOConcurrencyHelpers
import SharedTestSupport
import Testing

/// The guard on a real proxy between real sockets: trips under load, leaves healthy routes
/// alone, observe mode, the admin API's view.
@Suite("Guard on the proxy", .serialized)
struct GuardProxyTests {
    /// Sends requests on `workers` keep-alive connections, alternating between `targets`, each with
    /// its own sticky key, until `stop` is set; counts who served each target.
    final class Load: Sendable {
        let served = NIOLockedValueBox([String: [String: Int]]())
        let failures = NIOLockedValueBox([String]())
        private let stop = NIOLockedValueBox(false)
        private let tasks: [Task<Void, any Error>]

        init(port: Int, targets: [String], workers: Int = 4) {
            let served = self.served
            let failures = self.failures
            let stop = self.stop
            tasks = (0..<workers).map { worker in
                Task.detached {
                    try await blocking {
                        var connection = try HTTPConnection(host: "127.0.0.1", port: port, timeout: 10)
                        var index = 0
                        while !stop.withLockedValue({ $0 }) {
                            index += 1
                            let target = targets[index % targets.count]
                            let request = HTTPRequest(
                                method: "GET", target: target,
                                headers: HTTPHeaders([("X-User-Id", "w\(worker)-\(index)")]))
                            do {
                                if !connection.isOpen { connection = try HTTPConnection(host: "127.0.0.1", port: port) }
                                let response = try connection.send(request).response
                                let side = response.headers["served-by"] ?? "?"
                                served.withLockedValue { $0[target, default: [:]][side, default: 0] += 1 }
                            } catch {
                                failures.withLockedValue { $0.append("\(error)") }
                                connection.close()
                            }
                        }
                    }
                }
            }
        }

        func finish() async throws {
            stop.withLockedValue { $0 = true }
            for task in tasks { try await task.value }
        }
    }

    static func canaryRoutes(_ routes: inout [RouteConfig], guardSettings: GuardSettings) {
        for index in routes.indices {
            routes[index].mode = .canary(percent: 50)
            routes[index].sticky = .header("x-user-id")
            routes[index].guardSettings = guardSettings
        }
    }

    @Test("a candidate that starts failing a third of one route's answers under load is rolled back at once")
    func tripsUnderLoad() async throws {
        try await withRecordingUpstream { legacy in
            try await withRecordingUpstream { candidate in
                var settings = GuardSettings()
                // The rate rule decides here: a failure every third answer never makes five in a row.
                settings.consecutiveFailures = 0
                try await withTestProxy(
                    legacy: legacy.base, candidate: candidate.base, routes: ["GET /items/:id", "GET /other/:id"],
                    configure: { Self.canaryRoutes(&$0, guardSettings: settings) }
                ) { proxy in
                    let load = Load(port: proxy.server.port, targets: ["/items/1", "/other/1"])
                    let items = try #require(proxy.server.engine.snapshot.route(named: "GET /items/:id"))

                    // Healthy first: enough samples on both routes, no trip.
                    #expect(
                        try await eventually(timeout: .seconds(10)) { items.stats.guardStatus()?.state == .healthy })
                    #expect(proxy.server.engine.snapshot.route(named: "GET /items/:id")?.mode == .canary(percent: 50))
                    candidate.fail(every: 3, prefix: "/items/")
                    #expect(
                        try await eventually(timeout: .seconds(10)) {
                            proxy.server.engine.snapshot.route(named: "GET /items/:id")?.mode == .legacy
                        })
                    let servedAtTrip = load.served.withLockedValue { $0["/items/1"]?["legacy"] ?? 0 }
                    // Once tripped, every answer on the route is legacy's.
                    #expect(
                        try await eventually(timeout: .seconds(10)) {
                            (load.served.withLockedValue { $0["/items/1"]?["legacy"] ?? 0 }) > servedAtTrip + 200
                        })
                    let candidateAfter = load.served.withLockedValue { $0["/items/1"]?["candidate"] ?? 0 }
                    // Nothing to await: what is checked is that no candidate answer follows, under load.
                    try await Task.sleep(for: .milliseconds(300))
                    try await load.finish()
                    #expect(load.failures.withLockedValue { $0 } == [])
                    #expect(load.served.withLockedValue { $0["/items/1"]?["candidate"] ?? 0 } == candidateAfter)

                    let status = try #require(proxy.server.guardStatus().first { $0.route == "GET /items/:id" })
                    #expect(status.state == .tripped)
                    #expect(status.lastAction == "trip:legacy")
                    let evidence = try #require(status.lastEvidence)
                    #expect(evidence.rule == .failureRate)
                    // A bound: the rule may decide only from min_samples (200) on, and the sample on which
                    // the failure rate's bound crosses the threshold depends on how answers interleave under load.
                    #expect(evidence.samples >= 200)
                    #expect(evidence.bound > evidence.threshold)
                    let lag = try #require(status.appliedAfter)
                    #expect(lag < 1.0, "applied \(lag) s after the deciding sample")

                    // The other route is untouched.
                    let other = try #require(proxy.server.guardStatus().first { $0.route == "GET /other/:id" })
                    #expect(other.state == .healthy)
                    #expect(other.lastAction == nil)
                    #expect(proxy.server.engine.snapshot.route(named: "GET /other/:id")?.mode == .canary(percent: 50))

                    // The change is recorded with its evidence, as a rollback by a person is.
                    let events = try await proxy.server.store.events(limit: 5)
                    let event = try #require(events.first { $0.route == "GET /items/:id" })
                    #expect(event.from == "canary:50")
                    #expect(event.to == "legacy")
                    #expect(event.reason.hasPrefix("guard trip:legacy: candidate failure rate "))
                }
            }
        }
    }

    @Test("a candidate that starts answering 150 ms late is rolled back on the latency rule")
    func tripsOnLatency() async throws {
        try await withRecordingUpstream { legacy in
            try await withRecordingUpstream { candidate in
                try await withTestProxy(
                    legacy: legacy.base, candidate: candidate.base, routes: ["GET /items/:id"],
                    configure: { Self.canaryRoutes(&$0, guardSettings: GuardSettings()) }
                ) { proxy in
                    let load = Load(port: proxy.server.port, targets: ["/items/1"], workers: 8)
                    let items = try #require(proxy.server.engine.snapshot.route(named: "GET /items/:id"))
                    #expect(
                        try await eventually(timeout: .seconds(10)) { items.stats.guardStatus()?.state == .healthy })
                    candidate.answer(after: 0.15)
                    #expect(
                        try await eventually(timeout: .seconds(30)) {
                            proxy.server.engine.snapshot.route(named: "GET /items/:id")?.mode == .legacy
                        })
                    try await load.finish()
                    #expect(load.failures.withLockedValue { $0 } == [])
                    let status = try #require(items.stats.guardStatus())
                    let evidence = try #require(status.lastEvidence)
                    #expect(status.lastAction == "trip:legacy")
                    #expect(evidence.rule == .latency)
                    let candidateP99 = try #require(evidence.candidateP99)
                    #expect(candidateP99 >= 0.15)
                    #expect(evidence.threshold < 0.15)
                    #expect(try #require(status.appliedAfter) < 1.0)
                }
            }
        }
    }

    @Test("in observe mode the guard reports the trip it would make and the route keeps its mode")
    func observeMode() async throws {
        try await withRecordingUpstream { legacy in
            try await withRecordingUpstream { candidate in
                var settings = GuardSettings()
                settings.observe = true
                try await withTestProxy(
                    legacy: legacy.base, candidate: candidate.base, routes: ["GET /items/:id"],
                    configure: { Self.canaryRoutes(&$0, guardSettings: settings) }
                ) { proxy in
                    candidate.fail(every: 1)
                    let load = Load(port: proxy.server.port, targets: ["/items/1"])
                    let route = try #require(proxy.server.engine.snapshot.route(named: "GET /items/:id"))
                    #expect(
                        try await eventually(timeout: .seconds(10)) {
                            route.stats.guardStatus()?.lastAction == "trip:legacy"
                        })
                    try await load.finish()
                    let status = try #require(route.stats.guardStatus())
                    #expect(status.observe)
                    #expect(status.state != .tripped)
                    #expect(status.lastEvidence?.rule == .consecutiveFailures)
                    #expect(proxy.server.engine.snapshot.route(named: "GET /items/:id")?.mode == .canary(percent: 50))
                    #expect(try await proxy.server.store.events(limit: 5) == [])
                }
            }
        }
    }

    @Test("fewer failing answers than min_samples never trip a rate rule; the admin API shows the wait")
    func minimumSample() async throws {
        try await withRecordingUpstream { legacy in
            try await withRecordingUpstream { candidate in
                var settings = GuardSettings()
                settings.consecutiveFailures = 0
                try await withTestProxy(
                    legacy: legacy.base, candidate: candidate.base, routes: ["GET /items/:id"],
                    configure: { routes in
                        routes[0].mode = .new
                        routes[0].guardSettings = settings
                    }
                ) { proxy in
                    candidate.fail(every: 1)
                    let port = proxy.server.port
                    let statuses = try await blocking {
                        let connection = try HTTPConnection(host: "127.0.0.1", port: port, timeout: 10)
                        return try (0..<150).map { _ in
                            try connection.send(HTTPRequest(method: "GET", target: "/items/1")).response.status
                        }
                    }
                    #expect(statuses == Array(repeating: 500, count: 150))
                    #expect(proxy.server.engine.snapshot.route(named: "GET /items/:id")?.mode == .new)
                    let response = await AdminAPI(server: proxy.server).handle(
                        AdminRequest(
                            method: "GET", path: "/api/guard?route=GET%20%2Fitems%2F%3Aid", authorization: nil, body: []
                        ))
                    #expect(response.status == 200)
                    let body = response.text
                    let json = try JSONParser.parse(Array(body.utf8))
                    guard case .array(let guards)? = json["guards"] else {
                        Issue.record("no guards in \(body)")
                        return
                    }
                    #expect(guards.count == 1)
                    #expect(guards[0]["route"]?.textValue == "GET /items/:id")
                    #expect(guards[0]["state"]?.textValue == "waiting")
                    #expect(guards[0]["samples"]?.numberValue == 150)
                    #expect(guards[0]["min_samples"]?.numberValue == 200)
                    #expect(guards[0]["candidate_failures"]?.numberValue == 150)
                }
            }
        }
    }
}

extension JSONValue {
    fileprivate var textValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    fileprivate var numberValue: Double? {
        if case .number(let number) = self { return number.doubleValue }
        return nil
    }
}
