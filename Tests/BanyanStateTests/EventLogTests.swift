import BanyanCore
import Foundation
import SQLiteNIO
import SharedTestSupport
import Testing

@testable import BanyanState

@Suite("State stores: event log and samples")
struct EventLogTests {
    @Test("an event keeps who made the change; a removal can record one too", arguments: Backend.allCases)
    func causes(_ backend: Backend) async throws {
        let store = try await openStateStore(try await backend.makeLocation())
        try await store.saveOverride(
            RouteOverride(route: "GET /a", mode: .shadow, fileMode: .legacy, reason: "looks fine", changedAt: 1),
            event: RouteEvent(route: "GET /a", from: "legacy", to: "shadow", reason: "looks fine", at: 1, cause: "page")
        )
        try await store.removeOverride(
            route: "GET /a",
            event: RouteEvent(
                route: "GET /a", from: "shadow", to: "new", reason: "the configuration file changed this route", at: 2,
                cause: "file"))
        try await store.saveEvent(
            RouteEvent(route: "GET /b", from: "new", to: "legacy", reason: "x", at: 3, cause: "cli"))
        #expect(try await store.routeOverrides().isEmpty)
        #expect(try await store.events(limit: 10).map(\.cause) == ["cli", "file", "page"])
        #expect(
            try await store.events(limit: 10).last
                == RouteEvent(route: "GET /a", from: "legacy", to: "shadow", reason: "looks fine", at: 1, cause: "page")
        )
        try await store.close()
    }

    @Test("a sample keeps the request id and both sides' header lines", arguments: Backend.allCases)
    func sampleFields(_ backend: Backend) async throws {
        let store = try await openStateStore(try await backend.makeLocation())
        let kept = DifferenceSample(
            method: "GET", target: "/users/1", legacyStatus: 200, candidateStatus: 200, legacyValue: "1",
            candidateValue: "\"1\"", legacyBody: "{\"id\":1}", candidateBody: "{\"id\":\"1\"}", at: 5,
            requestID: "req-42", legacyHeaders: "content-type: application/json; charset=utf-8\nx-powered-by: Express",
            candidateHeaders: "content-type: application/json")
        try await store.mergeDifferences(
            [
                DifferenceAggregate(
                    route: "GET /users/:id", kind: .bodyType, location: "$.id", severity: .breaking, count: 1,
                    firstSeen: 5, lastSeen: 5, explanation: "type", samples: [kept, sample("/users/2")])
            ], totals: [])
        let samples = try await store.differenceAggregates().first?.samples
        #expect(samples == [kept, sample("/users/2")])
        #expect(samples?.last?.requestID == nil)
        try await store.close()
    }

    @Test("a state file made before the event log's cause and the samples' ids gets the new columns")
    func olderFile() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "banyan-state-old-\(UUID().uuidString).sqlite"
        ).path
        let old = try await SQLiteConnection.open(storage: .file(path: path))
        for statement in [
            """
            CREATE TABLE route_event (id INTEGER PRIMARY KEY AUTOINCREMENT, route TEXT NOT NULL,
            from_mode TEXT NOT NULL, to_mode TEXT NOT NULL, reason TEXT NOT NULL, at REAL NOT NULL)
            """,
            "INSERT INTO route_event (route, from_mode, to_mode, reason, at) VALUES ('GET /a', 'legacy', 'new', 'r', 1)",
            """
            CREATE TABLE difference_sample (id INTEGER PRIMARY KEY AUTOINCREMENT, route TEXT NOT NULL, kind TEXT NOT NULL,
            location TEXT NOT NULL, method TEXT NOT NULL, target TEXT NOT NULL, legacy_status INTEGER NOT NULL,
            candidate_status INTEGER NOT NULL, legacy_value TEXT, candidate_value TEXT,
            legacy_body TEXT NOT NULL, candidate_body TEXT NOT NULL, at REAL NOT NULL)
            """,
        ] {
            _ = try await old.query(statement)
        }
        try await old.close()
        let store = try await openStateStore("sqlite:\(path)")
        #expect(
            try await store.events(limit: 5) == [
                RouteEvent(route: "GET /a", from: "legacy", to: "new", reason: "r", at: 1, cause: "api")
            ])
        try await store.mergeDifferences(
            [
                DifferenceAggregate(
                    route: "GET /a", kind: .bodyValue, location: "$.x", severity: .breaking, count: 1, firstSeen: 1,
                    lastSeen: 1, explanation: "x", samples: [sample("/a")])
            ], totals: [])
        #expect(try await store.differenceAggregates().first?.samples == [sample("/a")])
        try await store.close()
    }
}
