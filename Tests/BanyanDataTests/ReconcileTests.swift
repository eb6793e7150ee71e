import BanyanCore
import Foundation
import SharedTestSupport
import Testing

@testable import BanyanData

@Suite struct ReconcileTests {
    /// Plants one difference of each kind in the new table (after a clean backfill of 400 rows).
    /// Forgiven by the canonical form: id 30 (whitespace and case of email), id 40 (created_at
    /// 300 µs off, compared at millisecond precision). Reported: 10 missing, 9000 extra, 20
    /// changed last_name, 41 updated_at cut to the second, 51 last_name NULL instead of "".
    static func plant(_ new: any DataStore) async throws {
        try await new.execute("DELETE FROM customers WHERE id = 10")
        try await new.execute(
            "INSERT INTO customers (id, first_name, last_name, email, created_at, is_verified, updated_at) "
                + "VALUES (9000, 'Extra', 'Row', 'extra@example.com', NULL, true, NULL)")
        try await new.execute("UPDATE customers SET last_name = 'Changed' WHERE id = 20")
        try await new.execute("UPDATE customers SET email = '  USER30@Example.COM ' WHERE id = 30")
        try await new.execute("UPDATE customers SET last_name = NULL WHERE id = 51")
    }

    static func expectPlanted(_ report: ReconcileReport, checked: Int = 400) {
        #expect(report.checked == checked)
        #expect(report.missingInNew == [RowKey([.integer(10)])])
        #expect(report.extraInNew == [RowKey([.integer(9000)])])
        #expect(report.mismatched.map(\.key) == [20, 41, 51].map { RowKey([.integer($0)]) })
        #expect(
            report.mismatched.map(\.columns) == [
                [ColumnDifference(column: "last_name", legacy: .text("Last 20"), new: .text("Changed"))],
                [
                    ColumnDifference(
                        column: "updated_at", legacy: .timestamp((Fixtures.baseMillis + 41) * 1000),
                        new: .timestamp(Fixtures.baseMillis / 1000 * 1_000_000))
                ],
                [ColumnDifference(column: "last_name", legacy: .text(""), new: .null)],
            ])
        #expect(!report.isClean)
        #expect(report.drift == 5)
    }

    @Test func plantedDifferencesAcrossEnginesAreReportedExactly() async throws {
        let folder = try temporaryFolder()
        let source = DatabaseURL.sqlite(path: "\(folder)/legacy.sqlite")
        let target = try await PostgresCluster.get().makeDatabase("planted")
        try await withStore(source) { legacy in
            try await withStore(target) { new in
                try await Fixtures.prepare(legacy: legacy, new: new, rows: 400)
                var backfill = BackfillOptions(source: source, target: target, mapping: Fixtures.mapping)
                backfill.showProgress = false
                _ = try await Backfill.run(backfill, source: legacy, target: new)
                try await Self.plant(new)
                try await new.execute(
                    "UPDATE customers SET created_at = created_at + interval '300 microseconds' WHERE id = 40")
                try await new.execute(
                    "UPDATE customers SET updated_at = date_trunc('second', updated_at) WHERE id = 41")
                var options = ReconcileOptions(legacy: source, new: target, mapping: Fixtures.mapping)
                options.showProgress = false
                options.chunkSize = 64
                let report = try await Reconcile.run(options, legacy: legacy, new: new)
                #expect(report.method == "streaming-merge")
                Self.expectPlanted(report)
                options.allow = ["10", "9000", "20", "41", "51"]
                let allowed = try await Reconcile.run(options, legacy: legacy, new: new)
                #expect(allowed.isClean)
                #expect(allowed.allowed.count == 5)
            }
        }
    }

    /// Both stores in PostgreSQL: checksum bisection (hashing in the databases) and the streaming
    /// merge report the same planted differences.
    @Test func checksumBisectionAndStreamingMergeAgree() async throws {
        let cluster = try PostgresCluster.get()
        let legacyURL = try await cluster.makeDatabase("bisect_legacy")
        let newURL = try await cluster.makeDatabase("bisect_new")
        let mapping = try MappingFile.parse(
            """
            table: customers
            columns:
              id: id
              first_name: first_name
              last_name: last_name
              email: { from: email, canonical: [trim, lower] }
              created_at: { from: created_at, canonical: { precision: ms } }
              is_verified: is_verified
              updated_at: updated_at
            """)
        try await withStore(legacyURL) { legacy in
            try await withStore(newURL) { new in
                // The legacy side already has the new shape; fill it through a backfill from SQLite.
                let folder = try temporaryFolder()
                let seed = DatabaseURL.sqlite(path: "\(folder)/seed.sqlite")
                try await withStore(seed) { sqlite in
                    try await sqlite.execute(Fixtures.legacySchema)
                    try await Fixtures.insertLegacy(sqlite, 1...6000)
                    try await legacy.execute(Fixtures.newSchema)
                    try await new.execute(Fixtures.newSchema)
                    for target in [legacyURL, newURL] {
                        var options = BackfillOptions(source: seed, target: target, mapping: Fixtures.mapping)
                        options.showProgress = false
                        _ = try await Backfill.run(options)
                    }
                }
                try await Self.plant(new)
                try await new.execute(
                    "UPDATE customers SET created_at = created_at + interval '300 microseconds' WHERE id = 40")
                try await new.execute(
                    "UPDATE customers SET updated_at = date_trunc('second', updated_at) WHERE id = 41")
                var options = ReconcileOptions(legacy: legacyURL, new: newURL, mapping: mapping)
                options.showProgress = false
                options.method = .bisect
                let bisected = try await Reconcile.run(options, legacy: legacy, new: new)
                #expect(bisected.method == "checksum-bisection")
                Self.expectPlanted(bisected, checked: 6000)
                options.method = .merge
                let merged = try await Reconcile.run(options, legacy: legacy, new: new)
                #expect(merged.method == "streaming-merge")
                Self.expectPlanted(merged, checked: 6000)
                options.method = .auto
                #expect(try await Reconcile.run(options, legacy: legacy, new: new).method == "checksum-bisection")
            }
        }
    }

    /// The playbook's demo: legacy {1 ada true, 2 alan false, 3 grace true}; new {1 "Ada@x.io " true,
    /// 2 alan true}: checked 3, missing [3], mismatched [2], not safe to cut over.
    @Test func playbookReconcileDemo() async throws {
        let folder = try temporaryFolder()
        let legacyURL = DatabaseURL.sqlite(path: "\(folder)/legacy.sqlite")
        let newURL = DatabaseURL.sqlite(path: "\(folder)/new.sqlite")
        try await withStore(legacyURL) { legacy in
            try await withStore(newURL) { new in
                for store in [legacy, new] {
                    try await store.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, verified BOOLEAN)")
                }
                try await legacy.execute(
                    "INSERT INTO users VALUES (1, 'ada@x.io', 1), (2, 'alan@x.io', 0), (3, 'grace@x.io', 1)")
                try await new.execute("INSERT INTO users VALUES (1, 'Ada@x.io ', 1), (2, 'alan@x.io', 1)")
                let mapping = try MappingFile.parse(
                    "table: users\ncolumns:\n  id: id\n  email: { from: email, canonical: [trim, lower] }\n  verified: verified\n"
                )
                var options = ReconcileOptions(legacy: legacyURL, new: newURL, mapping: mapping)
                options.showProgress = false
                let report = try await Reconcile.run(options, legacy: legacy, new: new)
                #expect(report.checked == 3)
                #expect(report.missingInNew == [RowKey([.integer(3)])])
                #expect(report.extraInNew == [])
                #expect(
                    report.mismatched == [
                        .init(
                            key: RowKey([.integer(2)]),
                            columns: [
                                ColumnDifference(column: "verified", legacy: .boolean(false), new: .boolean(true))
                            ])
                    ])
                #expect(!report.isClean)
                #expect(
                    report.plainText()
                        == """
                        reconcile users (streaming-merge)
                          checked         3
                          missing_in_new  1: 3
                          extra_in_new    0
                          mismatched      1
                            2  verified: legacy false, new true
                        not clean: 2 row(s) differ; repair them (--repair) and reconcile again
                        """)
            }
        }
    }

    /// `--since` re-checks only rows whose watermark is recent.
    @Test func sinceChecksOnlyRecentRows() async throws {
        let folder = try temporaryFolder()
        let source = DatabaseURL.sqlite(path: "\(folder)/legacy.sqlite")
        let target = DatabaseURL.sqlite(path: "\(folder)/new.sqlite")
        try await withStore(source) { legacy in
            try await withStore(target) { new in
                try await Fixtures.prepare(legacy: legacy, new: new, rows: 100)
                var backfill = BackfillOptions(source: source, target: target, mapping: Fixtures.mapping)
                backfill.showProgress = false
                _ = try await Backfill.run(backfill, source: legacy, target: new)
                // An old row drifts (not re-checked) and a recent one drifts (reported).
                try await new.execute("UPDATE customers SET last_name = 'Old drift' WHERE id = 5")
                try await new.execute("UPDATE customers SET last_name = 'New drift' WHERE id = 95")
                var options = ReconcileOptions(legacy: source, new: target, mapping: Fixtures.mapping)
                options.showProgress = false
                options.since = String(Fixtures.baseMillis + 90)
                let report = try await Reconcile.run(options, legacy: legacy, new: new)
                #expect(report.checked == 11)
                #expect(report.mismatched.map(\.key) == [RowKey([.integer(95)])])
            }
        }
    }

    @Test func phaseGateNeedsACleanRecentFullReconcile() async throws {
        let folder = try temporaryFolder()
        try await withStore(.sqlite(path: "\(folder)/state.sqlite")) { store in
            let phases = PhaseStore(store: store)
            let hour: Int64 = 3_600_000
            let now: Int64 = 1_800_000_000_000
            #expect(try await phases.phase(of: "users") == .legacyOnly)
            _ = try await phases.move(
                table: "users", to: .dualWrite, reason: "shadow writes on", maxAgeMilliseconds: hour, now: now)
            await #expect(throws: PhaseError.self) {
                try await phases.move(table: "users", to: .newPrimary, reason: "", maxAgeMilliseconds: hour, now: now)
            }
            _ = try await phases.move(
                table: "users", to: .backfilling, reason: "backfill started", maxAgeMilliseconds: hour, now: now)
            func refusal() async throws -> String {
                do {
                    _ = try await phases.move(
                        table: "users", to: .newPrimary, reason: "cut over", maxAgeMilliseconds: hour, now: now)
                    return "moved"
                } catch let error as PhaseError {
                    return error.message
                }
            }
            #expect(
                try await refusal()
                    == "users: moving to NewPrimary needs a clean reconcile; none is recorded (run banyan data reconcile)"
            )
            try await phases.record(
                ReconcileReport(
                    table: "users", newTable: "customers", checked: 3, missingInNew: [RowKey([.integer(3)])]),
                at: now - 10)
            #expect(
                try await refusal()
                    == "users: the last reconcile found 1 differing row(s); repair them and reconcile again")
            try await phases.record(
                ReconcileReport(table: "users", newTable: "customers", checked: 3, since: "15m"), at: now - 5)
            #expect(
                try await refusal()
                    == "users: the last reconcile checked only recent rows (--since); the gate needs a full one")
            try await phases.record(ReconcileReport(table: "users", newTable: "customers", checked: 3), at: now - 1)
            #expect(try await refusal() == "moved")
            #expect(try await phases.phase(of: "users") == .newPrimary)
            await #expect(throws: PhaseError.self) {
                try await phases.move(table: "users", to: .dualWrite, reason: "", maxAgeMilliseconds: hour, now: now)
            }
            let history = try await phases.history(of: "users")
            #expect(history.map(\.to) == [.dualWrite, .backfilling, .newPrimary])
            #expect(history.map(\.reason) == ["shadow writes on", "backfill started", "cut over"])
            #expect(history.map(\.at) == [now, now, now])
            // A clean reconcile that is too old does not open the gate.
            try await phases.record(
                ReconcileReport(table: "orders", newTable: "orders", checked: 3), at: now - 2 * hour)
            _ = try await phases.move(table: "orders", to: .dualWrite, reason: "", maxAgeMilliseconds: hour, now: now)
            _ = try await phases.move(table: "orders", to: .backfilling, reason: "", maxAgeMilliseconds: hour, now: now)
            do {
                _ = try await phases.move(
                    table: "orders", to: .newPrimary, reason: "", maxAgeMilliseconds: hour, now: now)
                Issue.record("moved with a stale reconcile")
            } catch let error as PhaseError {
                #expect(
                    error.message
                        == "orders: the last clean reconcile is 7200 s old, more than the 3600 s allowed (--max-age); "
                        + "reconcile again")
            }
        }
    }
}
