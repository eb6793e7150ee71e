import BanyanCore
import Foundation
import SharedTestSupport
import Testing

@testable import BanyanData

/// Repair after reconcile: exactly the rows found, newer wins, tombstones honoured, and a run
/// killed with SIGKILL then run again ends as an uninterrupted one.
@Suite struct RepairTests {
    static func key(_ id: Int) -> RowKey { RowKey([.integer(Int64(id))]) }

    /// After a clean backfill of 40 rows: 3 and 9 missing, 1001 and 1002 extra, 5's email
    /// changed, 6 NULL in the new store where legacy has '', 8's created_at 1 ms off.
    static func plant(legacy: any DataStore, new: any DataStore) async throws {
        try await new.execute("DELETE FROM customers WHERE id IN (3, 9)")
        try await new.execute(
            "INSERT INTO customers (id, first_name, last_name, email, created_at, is_verified, updated_at) "
                + "VALUES (1001, 'Extra', 'One', 'x1@example.com', NULL, true, NULL), "
                + "(1002, 'Extra', 'Two', 'x2@example.com', NULL, false, NULL)")
        try await new.execute("UPDATE customers SET email = 'changed@example.com' WHERE id = 5")
        try await legacy.execute("UPDATE users SET email = '' WHERE id = 6")
        try await new.execute("UPDATE customers SET email = NULL WHERE id = 6")
        try await new.execute(
            "UPDATE customers SET created_at = created_at + interval '1 millisecond' WHERE id = 8")
    }

    static func options(_ legacy: DatabaseURL, _ new: DatabaseURL) -> ReconcileOptions {
        var options = ReconcileOptions(legacy: legacy, new: new, mapping: Fixtures.mapping)
        options.showProgress = false
        options.method = .merge
        return options
    }

    @Test func plantedDifferencesAreRepairedExactly() async throws {
        let folder = try temporaryFolder()
        let source = DatabaseURL.sqlite(path: "\(folder)/legacy.sqlite")
        let target = try await PostgresCluster.get().makeDatabase("repair")
        try await withStore(source) { legacy in
            try await withStore(target) { new in
                try await Fixtures.prepare(legacy: legacy, new: new, rows: 40)
                var backfill = BackfillOptions(source: source, target: target, mapping: Fixtures.mapping)
                backfill.showProgress = false
                _ = try await Backfill.run(backfill, source: legacy, target: new)
                try await Self.plant(legacy: legacy, new: new)
                let options = Self.options(source, target)
                let found = try await Reconcile.run(options, legacy: legacy, new: new)
                #expect(found.missingInNew == [Self.key(3), Self.key(9)])
                #expect(found.extraInNew == [Self.key(1001), Self.key(1002)])
                #expect(found.mismatched.map(\.key) == [5, 6, 8].map(Self.key))

                // A dry run: every statement's effect, nothing written.
                var dry = RepairOptions()
                dry.dryRun = true
                dry.showProgress = false
                let preview = try await Repair.run(found, options: options, repair: dry, legacy: legacy, new: new)
                #expect(
                    preview.plainText() == """
                        repair users → customers (dry run: nothing written)
                          would insert   2
                          would update   3
                          would delete   0
                          extra kept 2 (pass --delete-extra to delete them)
                            INSERT customers 3
                            UPDATE customers 5 SET email = "user5@example.com"
                            UPDATE customers 6 SET email = ""
                            UPDATE customers 8 SET created_at = "2023-11-14T22:13:28.008Z"
                            INSERT customers 9
                            keep   customers 1001 (only in the new store)
                            keep   customers 1002 (only in the new store)
                        """)
                #expect(try await Reconcile.run(options, legacy: legacy, new: new).differingKeys == found.differingKeys)

                // The repair; extra rows stay without --delete-extra.
                var settings = RepairOptions()
                settings.showProgress = false
                settings.chunkSize = 2
                let repaired = try await Repair.run(
                    found, options: options, repair: settings, legacy: legacy, new: new)
                #expect(repaired.inserted == 2)
                #expect(repaired.updated == 3)
                #expect(repaired.deleted == 0)
                #expect(repaired.extraKept == 2)
                #expect(repaired.chunks == 4)
                let second = try await Reconcile.run(options, legacy: legacy, new: new)
                #expect(second.missingInNew == [])
                #expect(second.mismatched == [])
                #expect(second.extraInNew == [Self.key(1001), Self.key(1002)])
                settings.deleteExtra = true
                let deleted = try await Repair.run(second, options: options, repair: settings, legacy: legacy, new: new)
                #expect(deleted.deleted == 2)
                let third = try await Reconcile.run(options, legacy: legacy, new: new)
                #expect(third.isClean)
                #expect(third.checked == 40)
                #expect(
                    try await new.select(
                        "SELECT id, email, (extract(epoch FROM created_at) * 1000)::int8 FROM customers "
                            + "WHERE id IN (5, 6, 8) ORDER BY id", [])
                        == [
                            [.integer(5), .text("user5@example.com"), .integer(Fixtures.baseMillis + 5005)],
                            [.integer(6), .text(""), .integer(Fixtures.baseMillis + 6006)],
                            [.integer(8), .text("user8@example.com"), .integer(Fixtures.baseMillis + 8008)],
                        ])
                #expect(try await new.integer("SELECT count(*) FROM customers") == 40)
                // Idempotent: repairing the same findings again changes nothing.
                let again = try await Repair.run(found, options: options, repair: settings, legacy: legacy, new: new)
                #expect(again.deleted == 0)
                #expect(try await Reconcile.run(options, legacy: legacy, new: new).isClean)
            }
        }
    }

    @Test func aNewerRowInTheNewStoreIsKept() async throws {
        let folder = try temporaryFolder()
        let source = DatabaseURL.sqlite(path: "\(folder)/legacy.sqlite")
        let target = DatabaseURL.sqlite(path: "\(folder)/new.sqlite")
        try await withStore(source) { legacy in
            try await withStore(target) { new in
                try await legacy.execute(Fixtures.legacySchema)
                try await new.execute(Fixtures.newSchema)
                try await Fixtures.insertLegacy(legacy, 1...10)
                var backfill = BackfillOptions(source: source, target: target, mapping: Fixtures.mapping)
                backfill.showProgress = false
                _ = try await Backfill.run(backfill, source: legacy, target: new)
                // A live write reached the new store after legacy's row was read: newer, kept.
                try await new.execute(
                    "UPDATE customers SET email = 'live@example.com', updated_at = '2030-01-01T00:00:00.000Z' WHERE id = 4"
                )
                // An old value with legacy's version: updated.
                try await new.execute("UPDATE customers SET email = 'stale@example.com' WHERE id = 7")
                let options = Self.options(source, target)
                let found = try await Reconcile.run(options, legacy: legacy, new: new)
                #expect(found.mismatched.map(\.key) == [Self.key(4), Self.key(7)])
                var settings = RepairOptions()
                settings.showProgress = false
                let repaired = try await Repair.run(found, options: options, repair: settings, legacy: legacy, new: new)
                #expect(repaired.updated == 1)
                #expect(repaired.notNewer == 1)
                #expect(
                    repaired.actions.map(\.kind) == [.keep, .update])
                #expect(
                    try await new.select("SELECT id, email FROM customers WHERE id IN (4, 7) ORDER BY id", [])
                        == [[.integer(4), .text("live@example.com")], [.integer(7), .text("user7@example.com")]])
                let after = try await Reconcile.run(options, legacy: legacy, new: new)
                #expect(after.mismatched.map(\.key) == [Self.key(4)])
            }
        }
    }

    static let tombstoneLegacy =
        "CREATE TABLE items (id BIGINT PRIMARY KEY, name TEXT, deleted_at BIGINT, updated_at BIGINT)"
    static let tombstoneNew = [
        "CREATE TABLE items (id BIGINT PRIMARY KEY, name TEXT, updated_at BIGINT)",
        "CREATE TABLE items_deleted (id BIGINT PRIMARY KEY, deleted_at BIGINT)",
    ]
    static let tombstoneMapping = """
        table: items
        version: updated_at
        deleted_column: deleted_at
        deletes_table: items_deleted
        columns:
          id: id
          name: name
          updated_at: updated_at
        """

    /// Legacy soft-deletes 4 (deleted_at set); the dual-write deleted 7 and recorded it in
    /// items_deleted while a backfill still read it from a stale legacy snapshot.
    @Test(arguments: [DataEngine.sqlite, .postgres]) func tombstonesAreHonoured(_ engine: DataEngine) async throws {
        let folder = try temporaryFolder()
        let source = DatabaseURL.sqlite(path: "\(folder)/legacy.sqlite")
        let target =
            engine == .sqlite
            ? DatabaseURL.sqlite(path: "\(folder)/new.sqlite") : try await PostgresCluster.get().makeDatabase("tomb")
        let mapping = try MappingFile.parse(Self.tombstoneMapping)
        #expect(mapping.deletedColumn == "deleted_at")
        #expect(mapping.deletesTable == "items_deleted")
        try await withStore(source) { legacy in
            try await withStore(target) { new in
                try await legacy.execute(Self.tombstoneLegacy)
                for statement in Self.tombstoneNew { try await new.execute(statement) }
                try await legacy.execute(
                    "INSERT INTO items VALUES "
                        + (1...10).map { "(\($0), 'item \($0)', \($0 == 4 ? "500" : "NULL"), 100)" }
                        .joined(separator: ", "))
                // Row 4 reached the new store before legacy deleted it.
                try await new.execute("INSERT INTO items VALUES (4, 'item 4', 100)")
                try await new.execute("INSERT INTO items_deleted VALUES (7, 600)")
                var backfill = BackfillOptions(source: source, target: target, mapping: mapping)
                backfill.showProgress = false
                backfill.chunkSize = 3
                let copied = try await Backfill.run(backfill, source: legacy, target: new)
                #expect(copied.rowsRead == 10)
                #expect(copied.rowsDeleted == 1)
                #expect(copied.rowsWritten == 8)
                #expect(
                    try await new.select("SELECT id FROM items ORDER BY id", []).map { $0[0] }
                        == [1, 2, 3, 5, 6, 8, 9, 10].map { DataValue.integer($0) })
                var options = ReconcileOptions(legacy: source, new: target, mapping: mapping)
                options.showProgress = false
                #expect(try await Reconcile.run(options, legacy: legacy, new: new).isClean)
                // Resurrected by a late write: reconcile names both, repair deletes them without --delete-extra.
                try await new.execute("INSERT INTO items VALUES (4, 'item 4', 100), (7, 'item 7', 100)")
                let found = try await Reconcile.run(options, legacy: legacy, new: new)
                #expect(found.deletedInLegacy == [Self.key(4), Self.key(7)])
                #expect(found.extraInNew == [])
                #expect(found.drift == 2)
                #expect(found.plainText().contains("  deleted_in_legacy 2: 4, 7\n"))
                var settings = RepairOptions()
                settings.showProgress = false
                let repaired = try await Repair.run(found, options: options, repair: settings, legacy: legacy, new: new)
                #expect(repaired.deleted == 2)
                #expect(try await Reconcile.run(options, legacy: legacy, new: new).isClean)
            }
        }
    }

    /// 3,000 rows, 1,500 missing and 500 changed, repaired 20 keys a transaction: killed with
    /// SIGKILL after its first checkpoints, run again, and compared row for row with the same
    /// repair run without interruption.
    @Test func aRepairKilledAndRunAgainEndsTheSame() async throws {
        let folder = try temporaryFolder()
        let mapFile = "\(folder)/users.yaml"
        try Fixtures.mappingYAML.write(toFile: mapFile, atomically: true, encoding: .utf8)
        let source = DatabaseURL.sqlite(path: "\(folder)/legacy.sqlite")
        let cluster = try PostgresCluster.get()
        var targets = [DatabaseURL]()
        for name in ["killed", "straight"] {
            let target = try await cluster.makeDatabase(name)
            targets.append(target)
            try await withStore(source) { legacy in
                try await withStore(target) { new in
                    if name == "killed" {
                        try await Fixtures.prepare(legacy: legacy, new: new, rows: 3000)
                    } else {
                        try await new.execute(Fixtures.newSchema)
                    }
                    var backfill = BackfillOptions(source: source, target: target, mapping: Fixtures.mapping)
                    backfill.showProgress = false
                    _ = try await Backfill.run(backfill, source: legacy, target: new)
                    try await new.execute("DELETE FROM customers WHERE id % 2 = 0")
                    try await new.execute("UPDATE customers SET email = 'old' || id WHERE id % 6 = 1")
                }
            }
        }
        func arguments(_ target: DatabaseURL) -> [String] {
            [
                "data", "reconcile", "--legacy", "sqlite:\(folder)/legacy.sqlite", "--new",
                cluster.urlText(target.databaseName), "--map", mapFile, "--repair", "--repair-chunk-size", "20",
                "--json", "--no-record", "--no-progress", "--method", "merge",
            ]
        }
        let process = try startBanyan(arguments(targets[0]))
        var interrupted: Checkpoint?
        try await withStore(targets[0]) { new in
            _ = try await eventually(timeout: .seconds(60), interval: .milliseconds(2)) {
                guard process.isRunning else { return true }
                let checkpoint = try? await new.readCheckpoint(job: "repair users->customers")
                return (checkpoint?.rowsDone ?? 0) >= 100
            }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            interrupted = try await new.readCheckpoint(job: "repair users->customers")
        }
        let stopped = try #require(interrupted, "the repair should have been killed after a checkpoint")
        #expect(stopped.rowsDone < 2000, "the kill should land before the repair's end")
        let resumed = try await CrashSafetyTests.banyan(arguments(targets[0]))
        #expect(resumed.status == 0, "\(resumed.error)")
        let report = try JSONParser.parse(resumed.output)
        #expect(report["repair"]?["resumed_from"] != .null)
        #expect(report["after"]?["clean"] == .bool(true))
        let straight = try await CrashSafetyTests.banyan(arguments(targets[1]))
        #expect(straight.status == 0, "\(straight.error)")
        let straightReport = try JSONParser.parse(straight.output)
        #expect(straightReport["repair"]?["inserted"] == .number(JSONNumber(1500)))
        #expect(straightReport["repair"]?["updated"] == .number(JSONNumber(500)))
        #expect(straightReport["after"]?["clean"] == .bool(true))
        let dump =
            "SELECT id, first_name, last_name, email, created_at::text, is_verified, updated_at::text FROM customers ORDER BY id"
        let killedRows = try await withStore(targets[0]) { try await $0.select(dump, []) }
        let straightRows = try await withStore(targets[1]) { try await $0.select(dump, []) }
        #expect(killedRows.count == 3000)
        #expect(killedRows == straightRows)
        // Finished: no checkpoint left.
        #expect(try await withStore(targets[0]) { try await $0.readCheckpoint(job: "repair users->customers") } == nil)
    }
}
