import BanyanCore
import Foundation
import Testing

@testable import BanyanState

@Suite("SQLite state store")
struct SQLiteStateStoreTests {
    private func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("banyan-state-\(UUID().uuidString)/state.sqlite")
            .path
    }

    @Test("a runtime change survives closing and reopening the file")
    func overridesPersist() async throws {
        let path = temporaryPath()
        let store = try await SQLiteStateStore.open(path: path)
        let override = RouteOverride(
            route: "GET /users/:id", mode: .canary(percent: 25), fileMode: .shadow, reason: "route set",
            changedAt: 1_700_000_000)
        try await store.saveOverride(
            override,
            event: RouteEvent(route: override.route, from: "shadow", to: "canary:25", reason: "route set", at: 1))
        try await store.saveOverride(
            RouteOverride(route: "GET /users/:id", mode: .legacy, fileMode: .shadow, reason: "rollback", changedAt: 2),
            event: RouteEvent(route: override.route, from: "canary:25", to: "legacy", reason: "rollback", at: 2))
        try await store.close()

        let reopened = try await SQLiteStateStore.open(path: path)
        #expect(
            try await reopened.routeOverrides() == [
                RouteOverride(
                    route: "GET /users/:id", mode: .legacy, fileMode: .shadow, reason: "rollback", changedAt: 2)
            ])
        #expect(try await reopened.events(limit: 10).map(\.to) == ["legacy", "canary:25"])
        try await reopened.removeOverride(route: "GET /users/:id")
        #expect(try await reopened.routeOverrides().isEmpty)
        try await reopened.close()
    }

    @Test("differences add up per route, kind and place, keeping three samples")
    func aggregates() async throws {
        let store = try await SQLiteStateStore.open(path: temporaryPath())
        func sample(_ target: String) -> DifferenceSample {
            DifferenceSample(
                method: "GET", target: target, legacyStatus: 200, candidateStatus: 200, legacyValue: "\"a\"",
                candidateValue: "\"b\"", legacyBody: "{}", candidateBody: "{}", at: 1)
        }
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

    @Test("a PostgreSQL location is refused with what to use instead")
    func postgres() async {
        await #expect(throws: StateLocationError.self) { try await openStateStore("postgres://db/banyan") }
    }
}
