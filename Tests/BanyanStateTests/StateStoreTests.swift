import BanyanCore
import Foundation
import SharedTestSupport
import Testing

@testable import BanyanState

/// The two kinds of state store; every behaviour of the protocol is checked on both.
enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgres

    var testDescription: String { rawValue }

    /// A `state:` value naming a new, empty store of this kind.
    func makeLocation() async throws -> String {
        switch self {
        case .sqlite:
            let path = FileManager.default.temporaryDirectory.appendingPathComponent(
                "banyan-state-\(UUID().uuidString)/state.sqlite"
            ).path
            return "sqlite:\(path)"
        case .postgres:
            let cluster = try PostgresCluster.get()
            return cluster.urlText(try await cluster.createDatabase("state"))
        }
    }
}

func sample(_ target: String, at: Double = 1, legacyValue: String? = "\"a\"") -> DifferenceSample {
    DifferenceSample(
        method: "GET", target: target, legacyStatus: 200, candidateStatus: 200, legacyValue: legacyValue,
        candidateValue: "\"b\"", legacyBody: "{}", candidateBody: "{}", at: at)
}

@Suite("State stores")
struct StateStoreTests {
    @Test("a runtime change survives closing and reopening the store", arguments: Backend.allCases)
    func overridesPersist(_ backend: Backend) async throws {
        let location = try await backend.makeLocation()
        let store = try await openStateStore(location)
        let override = RouteOverride(
            route: "GET /users/:id", mode: .canary(percent: 25), fileMode: .shadow, reason: "route set",
            changedAt: 1_700_000_000)
        try await store.saveOverride(
            override,
            event: RouteEvent(route: override.route, from: "shadow", to: "canary:25", reason: "route set", at: 1))
        try await store.saveOverride(
            RouteOverride(route: "GET /users/:id", mode: .legacy, fileMode: .shadow, reason: "rollback", changedAt: 2),
            event: RouteEvent(route: override.route, from: "canary:25", to: "legacy", reason: "rollback", at: 2))
        try await store.saveOverride(
            RouteOverride(route: "GET /orders", mode: .new, fileMode: .legacy, reason: "route set", changedAt: 3),
            event: RouteEvent(route: "GET /orders", from: "legacy", to: "new", reason: "route set", at: 3))
        try await store.close()

        let reopened = try await openStateStore(location)
        #expect(
            try await reopened.routeOverrides() == [
                RouteOverride(route: "GET /orders", mode: .new, fileMode: .legacy, reason: "route set", changedAt: 3),
                RouteOverride(
                    route: "GET /users/:id", mode: .legacy, fileMode: .shadow, reason: "rollback", changedAt: 2),
            ])
        #expect(try await reopened.events(limit: 10).map(\.to) == ["new", "legacy", "canary:25"])
        #expect(
            try await reopened.events(limit: 2) == [
                RouteEvent(route: "GET /orders", from: "legacy", to: "new", reason: "route set", at: 3),
                RouteEvent(route: "GET /users/:id", from: "canary:25", to: "legacy", reason: "rollback", at: 2),
            ])
        #expect(try await reopened.events(limit: 0) == [])
        try await reopened.removeOverride(route: "GET /users/:id")
        #expect(try await reopened.routeOverrides().map(\.route) == ["GET /orders"])
        try await reopened.removeOverride(route: "GET /orders")
        #expect(try await reopened.routeOverrides().isEmpty)
        #expect(try await reopened.events(limit: 10).count == 3)
        try await reopened.close()
    }

    @Test("writes made at once (route changes, events, merged differences) all land", arguments: Backend.allCases)
    func concurrentWrites(_ backend: Backend) async throws {
        let store = try await openStateStore(try await backend.makeLocation())
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<20 {
                group.addTask {
                    try await store.saveOverride(
                        RouteOverride(
                            route: "GET /r\(index)", mode: .legacy, fileMode: .canary(percent: 5), reason: "rollback",
                            changedAt: Double(index)),
                        event: RouteEvent(
                            route: "GET /r\(index)", from: "canary:5", to: "legacy", reason: "rollback",
                            at: Double(index)))
                }
                group.addTask {
                    try await store.mergeDifferences(
                        [
                            DifferenceAggregate(
                                route: "GET /users/:id", kind: .bodyValue, location: "$.name", severity: .breaking,
                                count: 1, firstSeen: 1, lastSeen: 1, explanation: "differs",
                                samples: [sample("/users/\(index)")])
                        ],
                        totals: [ShadowTotals(route: "GET /users/:id", compared: 2, differing: 1, failing: 1)])
                }
                group.addTask {
                    try await store.saveEvent(
                        RouteEvent(route: "GET /e", from: "legacy", to: "shadow", reason: "set", at: Double(index)))
                }
            }
            try await group.waitForAll()
        }
        #expect(try await store.routeOverrides().count == 20)
        #expect(try await store.events(limit: 100).count == 40)
        #expect(try await store.differenceAggregates().map(\.count) == [20])
        #expect(
            try await store.shadowTotals() == [
                ShadowTotals(route: "GET /users/:id", compared: 40, differing: 20, failing: 20)
            ])
        try await store.close()
    }

    @Test("differences add up per route, kind and place, keeping three samples", arguments: Backend.allCases)
    func aggregates(_ backend: Backend) async throws {
        let store = try await openStateStore(try await backend.makeLocation())
        for round in 0..<3 {
            try await store.mergeDifferences(
                [
                    DifferenceAggregate(
                        route: "GET /users/:id", kind: .bodyValue, location: "$.name", severity: .breaking, count: 2,
                        firstSeen: Double(round), lastSeen: Double(round), explanation: "differs",
                        samples: [sample("/users/\(round)a"), sample("/users/\(round)b")])
                ],
                totals: [ShadowTotals(route: "GET /users/:id", compared: 5, differing: 2, failing: 2)])
        }
        let aggregates = try await store.differenceAggregates()
        #expect(aggregates.count == 1)
        #expect(aggregates[0].count == 6)
        #expect(aggregates[0].firstSeen == 0)
        #expect(aggregates[0].lastSeen == 2)
        #expect(aggregates[0].samples.map(\.target) == ["/users/0a", "/users/0b", "/users/1a"])
        #expect(
            try await store.shadowTotals() == [
                ShadowTotals(route: "GET /users/:id", compared: 15, differing: 6, failing: 6)
            ])
        try await store.close()
    }

    @Test(
        "first seen is the earliest and last seen the latest in any order; the latest verdict wins",
        arguments: Backend.allCases)
    func seenAndVerdict(_ backend: Backend) async throws {
        let store = try await openStateStore(try await backend.makeLocation())
        try await store.mergeDifferences(
            [
                DifferenceAggregate(
                    route: "GET /a", kind: .headerValue, location: "etag", severity: .risky, count: 1, firstSeen: 50,
                    lastSeen: 60, explanation: "first", policyReason: "rule one")
            ], totals: [])
        try await store.mergeDifferences(
            [
                DifferenceAggregate(
                    route: "GET /a", kind: .headerValue, location: "etag", severity: .cosmetic, count: 4,
                    firstSeen: 10, lastSeen: 20, explanation: "second", policyReason: nil)
            ], totals: [])
        #expect(
            try await store.differenceAggregates() == [
                DifferenceAggregate(
                    route: "GET /a", kind: .headerValue, location: "etag", severity: .cosmetic, count: 5,
                    firstSeen: 10, lastSeen: 60, explanation: "second", policyReason: nil)
            ])
        try await store.close()
    }

    @Test(
        "aggregates come most frequent first, ties in byte order of route, kind and place", arguments: Backend.allCases)
    func ordering(_ backend: Backend) async throws {
        let store = try await openStateStore(try await backend.makeLocation())
        func aggregate(_ route: String, _ kind: DifferenceKind, _ location: String, _ count: Int) -> DifferenceAggregate
        {
            DifferenceAggregate(
                route: route, kind: kind, location: location, severity: .risky, count: count, firstSeen: 1, lastSeen: 1,
                explanation: "x")
        }
        try await store.mergeDifferences(
            [
                aggregate("GET /a", .bodyValue, "$.x", 2),
                aggregate("GET /B", .bodyValue, "$.x", 2),
                aggregate("GET /a", .bodyValue, "$.X", 2),
                aggregate("GET /z", .status, "", 9),
                aggregate("GET /a", .bodyMissing, "$.x", 2),
            ],
            totals: [
                ShadowTotals(route: "GET /z", compared: 1, differing: 1, failing: 0),
                ShadowTotals(route: "GET /a", compared: 3, differing: 2, failing: 1),
                ShadowTotals(route: "GET /B", compared: 2, differing: 1, failing: 1),
            ])
        #expect(
            try await store.differenceAggregates().map { "\($0.count) \($0.route) \($0.kind.rawValue) \($0.location)" }
                == [
                    "9 GET /z status ", "2 GET /B body.value $.x", "2 GET /a body.missing $.x",
                    "2 GET /a body.value $.X", "2 GET /a body.value $.x",
                ])
        #expect(try await store.shadowTotals().map(\.route) == ["GET /B", "GET /a", "GET /z"])
        try await store.close()
    }

    @Test("a sample keeps every field, including absent values", arguments: Backend.allCases)
    func sampleFields(_ backend: Backend) async throws {
        let store = try await openStateStore(try await backend.makeLocation())
        let kept = DifferenceSample(
            method: "POST", target: "/orders?x=é", legacyStatus: 201, candidateStatus: 500, legacyValue: nil,
            candidateValue: "\"b\"", legacyBody: "{\"id\":1}", candidateBody: "", at: 1_700_000_000.25)
        try await store.mergeDifferences(
            [
                DifferenceAggregate(
                    route: "POST /orders", kind: .status, location: "", severity: .breaking, count: 1, firstSeen: 1,
                    lastSeen: 1, explanation: "status differs", samples: [kept])
            ], totals: [])
        #expect(try await store.differenceAggregates().first?.samples == [kept])
        try await store.close()
    }

    @Test("a location that is neither SQLite nor PostgreSQL is refused")
    func unknownLocation() async {
        await #expect {
            try await openStateStore("mysql://db/banyan")
        } throws: { error in
            (error as? StateLocationError)?.description
                == "state: 'mysql://db/banyan' is neither sqlite:PATH nor postgres://…"
        }
    }
}
