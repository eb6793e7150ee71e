import BanyanCore
import BanyanHTTP
import Foundation
import SharedTestSupport
import Testing

@testable import BanyanState

@Suite("PostgreSQL state store")
struct PostgresStateStoreTests {
    @Test("two proxies merging at once add up exactly and keep three samples")
    func concurrentProxies() async throws {
        let cluster = try PostgresCluster.get()
        let location = cluster.urlText(try await cluster.createDatabase("fleet"))
        // Both open at once: creating the tables must not race.
        async let openedFirst = openStateStore(location)
        async let openedSecond = openStateStore(location)
        let stores = try await [openedFirst, openedSecond]
        func aggregate(_ place: String, proxy: Int, round: Int) -> DifferenceAggregate {
            DifferenceAggregate(
                route: "GET /users/:id", kind: .bodyValue, location: place, severity: .risky, count: 1,
                firstSeen: Double(100 * proxy + round), lastSeen: Double(100 * proxy + round), explanation: "differs",
                samples: [sample("/users/\(proxy)-\(round)")])
        }
        // Each store writes through its pool from several tasks at once, so up to eight
        // transactions race for the same rows.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (proxy, store) in stores.enumerated() {
                for round in 0..<50 {
                    group.addTask {
                        // The two proxies name the same aggregates in opposite orders.
                        var aggregates = [
                            aggregate("$.name", proxy: proxy, round: round),
                            aggregate("$.email", proxy: proxy, round: round),
                        ]
                        if proxy == 1 { aggregates.reverse() }
                        // Totals go in merges of their own: a merge writes them first, and their row
                        // locks would otherwise make the aggregates' writers take turns.
                        try await store.mergeDifferences(aggregates, totals: [])
                        try await store.mergeDifferences(
                            [],
                            totals: [
                                ShadowTotals(route: "GET /users/:id", compared: 1, differing: 1, failing: 0),
                                ShadowTotals(route: "GET /orders", compared: 2, differing: 0, failing: 0),
                            ])
                    }
                }
            }
            try await group.waitForAll()
        }
        let aggregates = try await stores[0].differenceAggregates()
        #expect(aggregates.map(\.location) == ["$.email", "$.name"])
        #expect(aggregates.map(\.count) == [100, 100])
        #expect(aggregates.map(\.firstSeen) == [0, 0])
        #expect(aggregates.map(\.lastSeen) == [149, 149])
        #expect(aggregates.map(\.samples.count) == [3, 3])
        #expect(
            try await stores[1].shadowTotals() == [
                ShadowTotals(route: "GET /orders", compared: 200, differing: 0, failing: 0),
                ShadowTotals(route: "GET /users/:id", compared: 100, differing: 100, failing: 0),
            ])
        for store in stores { try await store.close() }
    }

    @Test("a change saved by one proxy is read by another that starts afterwards")
    func sharedOverrides() async throws {
        let cluster = try PostgresCluster.get()
        let location = cluster.urlText(try await cluster.createDatabase("shared"))
        let first = try await openStateStore(location)
        let second = try await openStateStore(location)
        let change = RouteOverride(route: "GET /a", mode: .new, fileMode: .shadow, reason: "route set", changedAt: 7)
        try await first.saveOverride(
            change, event: RouteEvent(route: "GET /a", from: "shadow", to: "new", reason: "route set", at: 7))
        #expect(try await second.routeOverrides() == [change])
        #expect(try await second.events(limit: 5).map(\.to) == ["new"])
        try await first.close()
        try await second.close()
    }

    @Test("two proxies' guards tripping the same route at once record one trip; the version counts every change")
    func tripRecordedOnce() async throws {
        let cluster = try PostgresCluster.get()
        let location = cluster.urlText(try await cluster.createDatabase("trip"))
        let first = try #require(try await openStateStore(location) as? PostgresStateStore)
        let second = try #require(try await openStateStore(location) as? PostgresStateStore)
        func trip(_ at: Double) -> (RouteOverride, RouteEvent) {
            let reason = "guard trip:legacy: 5 candidate failures in a row"
            return (
                RouteOverride(route: "GET /a", mode: .legacy, fileMode: .new, reason: reason, changedAt: at),
                RouteEvent(route: "GET /a", from: "new", to: "legacy", reason: reason, at: at)
            )
        }
        async let firstWrote = first.saveAutomaticOverride(trip(1).0, event: trip(1).1)
        async let secondWrote = second.saveAutomaticOverride(trip(2).0, event: trip(2).1)
        let wrote = try await [firstWrote, secondWrote]
        #expect(wrote.filter { $0 }.count == 1)
        #expect(try await first.events(limit: 10).count == 1)
        #expect(try await first.stateVersion() == 1)
        // A person's change is always written, and raises the version.
        let person = RouteOverride(route: "GET /a", mode: .new, fileMode: .new, reason: "route set", changedAt: 3)
        try await second.saveOverride(
            person, event: RouteEvent(route: "GET /a", from: "legacy", to: "new", reason: "route set", at: 3))
        #expect(try await first.stateVersion() == 2)
        // And the guard may trip it again after that.
        #expect(try await first.saveAutomaticOverride(trip(4).0, event: trip(4).1))
        #expect(try await second.events(limit: 10).map(\.to) == ["legacy", "new", "legacy"])
        try await first.close()
        try await second.close()
    }

    @Test("two schemas of one database keep two migrations apart")
    func schemaIsolation() async throws {
        let cluster = try PostgresCluster.get()
        let database = cluster.urlText(try await cluster.createDatabase("schemas"))
        let shop = try await openStateStore(database + "?schema=shop")
        let billing = try await openStateStore(database + "?schema=billing")
        let plain = try await openStateStore(database)
        try await shop.saveOverride(
            RouteOverride(route: "GET /cart", mode: .legacy, fileMode: .new, reason: "rollback", changedAt: 1),
            event: RouteEvent(route: "GET /cart", from: "new", to: "legacy", reason: "rollback", at: 1))
        try await billing.mergeDifferences(
            [
                DifferenceAggregate(
                    route: "GET /invoices", kind: .status, location: "", severity: .breaking, count: 3, firstSeen: 1,
                    lastSeen: 2, explanation: "status differs")
            ],
            totals: [ShadowTotals(route: "GET /invoices", compared: 3, differing: 3, failing: 3)])

        #expect(try await shop.routeOverrides().map(\.route) == ["GET /cart"])
        #expect(try await shop.differenceAggregates().isEmpty)
        #expect(try await shop.shadowTotals().isEmpty)
        #expect(try await billing.routeOverrides().isEmpty)
        #expect(try await billing.events(limit: 10).isEmpty)
        #expect(try await billing.differenceAggregates().map(\.route) == ["GET /invoices"])
        #expect(try await plain.routeOverrides().isEmpty)
        #expect(try await plain.differenceAggregates().isEmpty)
        for store in [shop, billing, plain] { try await store.close() }
    }

    @Test(
        "a state URL that cannot be used says what is wrong",
        arguments: [
            (
                "postgres://app@db.internal:5432/",
                "state: 'postgres://app@db.internal:5432/' names no database; write "
                    + "postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?schema=NAME]"
            ),
            (
                "postgres://app:s3cret@db.internal:54x2/shop",
                "state: 'postgres://app:***@db.internal:54x2/shop': port '54x2' is not a number from 1 to 65535"
            ),
            (
                "postgresql://app@db.internal:70000/shop",
                "state: 'postgresql://app@db.internal:70000/shop': port '70000' is not a number from 1 to 65535"
            ),
            (
                "postgres://app@db.internal/shop?schema=Shop-Two",
                "state: 'postgres://app@db.internal/shop?schema=Shop-Two': schema 'Shop-Two' is not a plain name; "
                    + "use lowercase letters, digits and _ (at most 63), starting with a letter or _"
            ),
            (
                "postgres://app@db.internal/shop?sslmode=require",
                "state: 'postgres://app@db.internal/shop?sslmode=require': unknown parameter 'sslmode'; allowed: "
                    + "schema (default banyan), host (a Unix socket folder)"
            ),
            (
                "postgres://app@db.internal/shop?schema",
                "state: 'postgres://app@db.internal/shop?schema': query parameter 'schema' has no value; "
                    + "write NAME=VALUE"
            ),
        ])
    func badURL(_ url: String, _ message: String) async {
        await #expect {
            try await openStateStore(url)
        } throws: { error in
            (error as? StateLocationError)?.description == message
        }
    }

    @Test("a URL is read into host, port, user, password, database and schema")
    func parsing() throws {
        #expect(
            try PostgresStateLocation(parsing: "postgresql://app:p%40ss@10.0.0.5:6543/shop?schema=shop_v2")
                == PostgresStateLocation(
                    host: "10.0.0.5", port: 6543, user: "app", password: "p@ss", database: "shop", schema: "shop_v2"))
        let defaults = try PostgresStateLocation(parsing: "postgres:///shop")
        #expect(defaults == PostgresStateLocation(database: "shop"))
        #expect(defaults.description == "postgres://postgres@127.0.0.1:5432/shop?schema=banyan")
        #expect(
            try PostgresStateLocation(parsing: "postgres://app:p%40ss@db/shop").description
                == "postgres://app:***@db:5432/shop?schema=banyan")
    }

    @Test("a port nothing listens on is refused, naming host and port")
    func refusedPort() async throws {
        let port = try #require(findFreePort())
        await #expect {
            try await openStateStore("postgres://postgres@127.0.0.1:\(port)/banyan")
        } throws: { error in
            (error as? StateLocationError)?.description
                == "state: cannot connect to PostgreSQL at 127.0.0.1:\(port): connection refused"
        }
    }

    @Test("a database that does not exist is reported with the server's words")
    func missingDatabase() async throws {
        let cluster = try PostgresCluster.get()
        await #expect {
            try await openStateStore(cluster.urlText("no_such_database"))
        } throws: { error in
            (error as? StateLocationError)?.description
                == "state: PostgreSQL at 127.0.0.1:\(cluster.port) refused the connection (user 'postgres', "
                + "database 'no_such_database'): database \"no_such_database\" does not exist"
        }
    }

    @Test("the Unix socket folder given as host= is used")
    func unixSocket() async throws {
        let cluster = try PostgresCluster.get()
        let database = try await cluster.createDatabase("socket")
        let store = try await openStateStore(
            "postgres://postgres@localhost:\(cluster.port)/\(database)?host=\(cluster.folder)&schema=viasocket")
        try await store.mergeDifferences([], totals: [ShadowTotals(route: "GET /", compared: 1)])
        #expect(try await store.shadowTotals() == [ShadowTotals(route: "GET /", compared: 1)])
        try await store.close()
        let overTCP = try await openStateStore(cluster.urlText(database) + "?schema=viasocket")
        #expect(try await overTCP.shadowTotals() == [ShadowTotals(route: "GET /", compared: 1)])
        try await overTCP.close()
    }

    @Test("closing the store closes every connection it opened")
    func closeReleasesConnections() async throws {
        let cluster = try PostgresCluster.get()
        let database = try await cluster.createDatabase("close")
        let store = try await openStateStore(cluster.urlText(database))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for route in 0..<8 {
                group.addTask {
                    try await store.mergeDifferences([], totals: [ShadowTotals(route: "GET /\(route)", compared: 1)])
                }
            }
            try await group.waitForAll()
        }
        let connected = "SELECT count(*)::int8 FROM pg_stat_activity WHERE datname = '\(database)'"
        #expect((1...4).contains(try await cluster.integer(connected)))
        try await store.close()
        // A server process leaves pg_stat_activity a moment after its client hangs up.
        var left = -1
        let gone = try await eventually(interval: .milliseconds(100)) {
            left = try await cluster.integer(connected)
            return left == 0
        }
        #expect(gone, "\(left) server processes still connected")
        await #expect {
            try await store.shadowTotals()
        } throws: { error in
            (error as? StateStoreError)?.description
                == "state: PostgreSQL at 127.0.0.1:\(cluster.port), database '\(database)': the store is closed"
        }
    }

    @Test("the store reconnects after the server drops its connections")
    func reconnects() async throws {
        let cluster = try PostgresCluster.get()
        let database = try await cluster.createDatabase("drop")
        let store = try await openStateStore(cluster.urlText(database))
        try await store.mergeDifferences([], totals: [ShadowTotals(route: "GET /", compared: 1)])
        let dropped = try await cluster.integer(
            "SELECT count(pg_terminate_backend(pid))::int8 FROM pg_stat_activity WHERE datname = '\(database)'")
        #expect(dropped == 1)
        // The first write may still meet the dropped connection, if the pool has not noticed the
        // hang-up yet; the ones after it get a new connection.
        var written = 1
        for attempt in 0..<3 {
            do {
                try await store.mergeDifferences([], totals: [ShadowTotals(route: "GET /", compared: 1)])
                written += 1
            } catch {
                #expect(attempt == 0, "\(error)")
            }
        }
        #expect(written >= 3)
        #expect(try await store.shadowTotals() == [ShadowTotals(route: "GET /", compared: written)])
        try await store.close()
    }

    @Test("a user who may not create the schema is told so, naming schema, database and server")
    func cannotCreateSchema() async throws {
        let cluster = try PostgresCluster.get()
        let database = try await cluster.createDatabase("perm")
        let role = "reader_\(database.suffix(8))"
        try await cluster.execute("CREATE ROLE \(role) LOGIN")
        await #expect {
            try await openStateStore("postgres://\(role)@127.0.0.1:\(cluster.port)/\(database)")
        } throws: { error in
            (error as? StateLocationError)?.description
                == "state: cannot create the state tables in schema 'banyan' of database '\(database)' at "
                + "127.0.0.1:\(cluster.port): permission denied for database \(database)"
        }
        // A schema an administrator made and handed over is used as it is.
        try await cluster.execute("CREATE SCHEMA banyan AUTHORIZATION \(role)", database: database)
        let store = try await openStateStore("postgres://\(role)@127.0.0.1:\(cluster.port)/\(database)")
        try await store.mergeDifferences([], totals: [ShadowTotals(route: "GET /", compared: 2)])
        #expect(try await store.shadowTotals() == [ShadowTotals(route: "GET /", compared: 2)])
        try await store.close()
    }

    @Test("a failed query names the server, the database and the cause")
    func failedQuery() async throws {
        let cluster = try PostgresCluster.get()
        let database = try await cluster.createDatabase("dropped")
        let store = try await openStateStore(cluster.urlText(database) + "?schema=gone")
        try await store.mergeDifferences([], totals: [ShadowTotals(route: "GET /", compared: 1)])
        try await cluster.execute("DROP SCHEMA gone CASCADE", database: database)
        await #expect {
            try await store.shadowTotals()
        } throws: { error in
            (error as? StateStoreError)?.description
                == "state: PostgreSQL at 127.0.0.1:\(cluster.port), database '\(database)': "
                + "relation \"gone.shadow_totals\" does not exist"
        }
        try await store.close()
    }
}
