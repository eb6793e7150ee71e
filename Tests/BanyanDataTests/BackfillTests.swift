import BanyanCore
import Foundation
import SharedTestSupport
import Testing

@testable import BanyanData

/// Backfill and reconcile against real SQLite files and a throwaway PostgreSQL cluster.
@Suite struct BackfillTests {
    enum Engine: String, CaseIterable, Sendable { case sqlite, postgres }

    static func makeStore(_ engine: Engine, folder: String, name: String) async throws -> DatabaseURL {
        switch engine {
        case .sqlite: return .sqlite(path: "\(folder)/\(name).sqlite")
        case .postgres: return try await PostgresCluster.get().makeDatabase(name)
        }
    }

    static let combinations: [(Engine, Engine)] = [
        (.sqlite, .postgres), (.postgres, .sqlite), (.sqlite, .sqlite), (.postgres, .postgres),
    ]

    @Test(arguments: combinations)
    func backfillMapsEveryRowAndReconcileIsClean(from: Engine, to: Engine) async throws {
        let folder = try temporaryFolder()
        let source = try await Self.makeStore(from, folder: folder, name: "legacy")
        let target = try await Self.makeStore(to, folder: folder, name: "new")
        try await withStore(source) { legacy in
            try await withStore(target) { new in
                try await Fixtures.prepare(legacy: legacy, new: new, rows: 1000)
                var options = BackfillOptions(source: source, target: target, mapping: Fixtures.mapping)
                options.chunkSize = 300
                options.showProgress = false
                let report = try await Backfill.run(options, source: legacy, target: new)
                #expect(report.rowsRead == 1000)
                #expect(report.rowsWritten == 1000)
                #expect(report.chunks == 4)
                #expect(report.lastKey == "1000")
                #expect(report.versionColumn == "updated_at")
                let rows = try await new.select(
                    "SELECT first_name, last_name, email FROM customers WHERE id IN (16, 17) ORDER BY id", [])
                #expect(
                    rows == [
                        [.text("First16"), .text("Last 16"), .text("user16@example.com")],
                        [.text("Solo17"), .text(""), .text("user17@example.com")],
                    ])
                let table = try await new.tableInfo("customers")
                let typed = try await new.readChunk(
                    table: table, columns: ["created_at", "is_verified"], key: ["id"], after: RowKey([.integer(2)]),
                    through: RowKey([.integer(3)]), limit: 10, filter: nil)
                let created = (try typed[0][0].converted(to: .timestamp), try typed[0][1].converted(to: .boolean))
                #expect(created.0 == .timestamp((Fixtures.baseMillis + 3003) * 1000))
                #expect(created.1 == .boolean(true))
                // A second run resumes after the last key and writes nothing.
                let again = try await Backfill.run(options, source: legacy, target: new)
                #expect(again.resumedFrom == "1000")
                #expect(again.rowsRead == 0)
                var reconcile = ReconcileOptions(legacy: source, new: target, mapping: Fixtures.mapping)
                reconcile.showProgress = false
                let result = try await Reconcile.run(reconcile, legacy: legacy, new: new)
                #expect(result.checked == 1000)
                #expect(result.isClean)
                #expect(result.method == (from == .postgres && to == .postgres ? "streaming-merge" : "streaming-merge"))
            }
        }
    }

    /// The playbook's demo: chunk size 2 over three rows.
    @Test func playbookDemoChunkSizeTwoOverThreeRows() async throws {
        let folder = try temporaryFolder()
        let source = DatabaseURL.sqlite(path: "\(folder)/legacy.sqlite")
        let target = DatabaseURL.sqlite(path: "\(folder)/new.sqlite")
        try await withStore(source) { legacy in
            try await withStore(target) { new in
                try await legacy.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, full_name TEXT, email TEXT)")
                try await legacy.execute(
                    "INSERT INTO users VALUES (1, 'Ada Lovelace', 'ada@x.io'), (2, 'Alan Turing', 'alan@x.io'), "
                        + "(3, 'Grace Hopper', 'grace@x.io')")
                try await new.execute(
                    "CREATE TABLE users (id INTEGER PRIMARY KEY, first_name TEXT, last_name TEXT, email TEXT)")
                let mapping = try MappingFile.parse(
                    """
                    table: users
                    columns:
                      id: id
                      first_name: { expr: "before(full_name, ' ')" }
                      last_name: { expr: "after(full_name, ' ')" }
                      email: email
                    """)
                var options = BackfillOptions(source: source, target: target, mapping: mapping)
                options.chunkSize = 2
                options.showProgress = false
                let report = try await Backfill.run(options, source: legacy, target: new)
                #expect(report.chunks == 2)
                #expect(report.plainText.hasSuffix("done: 3 rows, checkpoint=3"))
                let rows = try await new.select("SELECT id, first_name, last_name FROM users ORDER BY id", [])
                #expect(
                    rows == [
                        [.integer(1), .text("Ada"), .text("Lovelace")], [.integer(2), .text("Alan"), .text("Turing")],
                        [.integer(3), .text("Grace"), .text("Hopper")],
                    ])
            }
        }
    }

    @Test func aRowThatCannotBeConvertedStopsWithKeyAndColumnOrGoesToTheRejectFile() async throws {
        let folder = try temporaryFolder()
        let source = DatabaseURL.sqlite(path: "\(folder)/legacy.sqlite")
        let target = try await PostgresCluster.get().makeDatabase("rejects")
        try await withStore(source) { legacy in
            try await withStore(target) { new in
                try await Fixtures.prepare(legacy: legacy, new: new, rows: 10)
                try await legacy.execute("UPDATE users SET verified = 7 WHERE id = 6")
                var options = BackfillOptions(source: source, target: target, mapping: Fixtures.mapping)
                options.chunkSize = 4
                options.showProgress = false
                do {
                    _ = try await Backfill.run(options, source: legacy, target: new)
                    Issue.record("the backfill did not stop")
                } catch let error as DataError {
                    #expect(error.code == .row)
                    #expect(
                        error.message
                            == "table users, key 6, column is_verified: 7 is not 0 or 1 (to boolean); fix the row or "
                            + "the mapping, or pass --on-error skip")
                }
                // The first chunk (ids 1–4) committed with its checkpoint; the failing chunk did not.
                #expect(try await new.integer("SELECT count(*) FROM customers") == 4)
                options.onError = .skip
                options.rejectFile = "\(folder)/rejects.jsonl"
                let report = try await Backfill.run(options, source: legacy, target: new)
                #expect(report.resumedFrom == "4")
                #expect(report.rowsRejected == 1)
                #expect(try await new.integer("SELECT count(*) FROM customers") == 9)
                let line = try String(contentsOfFile: "\(folder)/rejects.jsonl", encoding: .utf8)
                #expect(
                    line.hasPrefix(
                        #"{"table":"users","key":"6","column":"is_verified","message":"7 is not 0 or 1 (to boolean)","row":{"#
                    ))
            }
        }
    }

    @Test func dryRunWritesNothing() async throws {
        let folder = try temporaryFolder()
        let source = DatabaseURL.sqlite(path: "\(folder)/legacy.sqlite")
        let target = DatabaseURL.sqlite(path: "\(folder)/new.sqlite")
        try await withStore(source) { legacy in
            try await withStore(target) { new in
                try await Fixtures.prepare(legacy: legacy, new: new, rows: 50)
                var options = BackfillOptions(source: source, target: target, mapping: Fixtures.mapping)
                options.dryRun = true
                options.showProgress = false
                let report = try await Backfill.run(options, source: legacy, target: new)
                #expect(report.rowsRead == 50)
                #expect(report.rowsWritten == 0)
                #expect(try await new.integer("SELECT count(*) FROM customers") == 0)
                #expect(try await new.readCheckpoint(job: "users->customers") == nil)
            }
        }
    }

    /// The playbook's vector, on the real upsert: fresh write applied, stale backfill rejected,
    /// replay not applied.
    @Test(arguments: [Engine.sqlite, Engine.postgres])
    func newerWinsOnTheRealUpsert(engine: Engine) async throws {
        let folder = try temporaryFolder()
        let url = try await Self.makeStore(engine, folder: folder, name: "newer")
        try await withStore(url) { store in
            try await store.execute("CREATE TABLE users (id BIGINT PRIMARY KEY, email TEXT, updated_at BIGINT)")
            let table = try await store.tableInfo("users")
            func write(_ email: String, _ version: Int64) async throws -> Int {
                try await store.writeChunk(
                    table: table, columns: ["id", "email", "updated_at"], types: [.integer, .text, .integer],
                    key: ["id"], version: "updated_at", rows: [[.integer(1), .text(email), .integer(version)]],
                    checkpoint: nil
                ).applied
            }
            #expect(try await write("new@x.io", 200) == 1)
            #expect(try await write("stale@x.io", 100) == 0)
            #expect(try await write("new@x.io", 200) == 0)
            #expect(try await store.select("SELECT email FROM users", []) == [[.text("new@x.io")]])
        }
    }

    /// A backfill chunk read before a live dual-write and written after it loses to the newer row.
    @Test func backfillRacingLiveUpdatesLeavesEveryRowAtItsNewestVersion() async throws {
        let folder = try temporaryFolder()
        let source = DatabaseURL.sqlite(path: "\(folder)/legacy.sqlite")
        let target = try await PostgresCluster.get().makeDatabase("race")
        let rowCount = 3000
        try await withStore(source) { legacy in
            try await withStore(target) { new in
                try await Fixtures.prepare(legacy: legacy, new: new, rows: rowCount)
            }
        }
        // The deterministic interleaving first: read, live write to both stores, then the stale write.
        try await withStore(source) { legacy in
            try await withStore(target) { new in
                let transform = try RowTransform(
                    mapping: Fixtures.mapping, sourceColumns: try await legacy.tableInfo("users").columns.map(\.name),
                    sourceKey: ["id"], targetTypes: try await new.tableInfo("customers").types)
                let stale = try await legacy.readChunk(
                    table: try await legacy.tableInfo("users"), columns: transform.sourceColumns, key: ["id"],
                    after: nil, through: RowKey([.integer(1)]), limit: 1, filter: nil)
                try await LiveWriter.update(id: 1, legacy: legacy, new: new, transform: transform, version: 1_000_000)
                let result = try await new.writeChunk(
                    table: try await new.tableInfo("customers"), columns: transform.targetColumns,
                    types: transform.targetTypes, key: ["id"], version: "updated_at",
                    rows: [try transform.apply(stale[0]).get()], checkpoint: nil)
                #expect(result.applied == 0)
                #expect(
                    try await new.select("SELECT email FROM customers WHERE id = 1", [])
                        == [[.text("live1@example.com")]])
            }
        }
        // Then a real race: the backfill in small chunks while a writer updates random rows.
        let updates = try await withThrowingTaskGroup(of: Int.self) { group in
            group.addTask {
                var options = BackfillOptions(source: source, target: target, mapping: Fixtures.mapping)
                options.chunkSize = 100
                options.showProgress = false
                options.rowsPerSecond = 6000
                return try await Backfill.run(options).rowsNotNewer
            }
            group.addTask {
                try await withStore(source) { legacy in
                    try await withStore(target) { new in
                        let transform = try RowTransform(
                            mapping: Fixtures.mapping,
                            sourceColumns: try await legacy.tableInfo("users").columns.map(\.name), sourceKey: ["id"],
                            targetTypes: try await new.tableInfo("customers").types)
                        var generator = SystemRandomNumberGenerator()
                        var count = 0
                        for step in 0..<400 {
                            let id = Int.random(in: 1...rowCount, using: &generator)
                            try await LiveWriter.update(
                                id: id, legacy: legacy, new: new, transform: transform,
                                version: 2_000_000 + Int64(step))
                            count += 1
                        }
                        return count
                    }
                }
            }
            var values = [Int]()
            for try await value in group { values.append(value) }
            return values
        }
        #expect(updates.contains(400))
        var reconcile = ReconcileOptions(legacy: source, new: target, mapping: Fixtures.mapping)
        reconcile.showProgress = false
        let report = try await Reconcile.run(reconcile)
        #expect(report.checked == rowCount)
        #expect(report.missingInNew == [])
        #expect(report.mismatched == [])
        #expect(report.isClean)
    }
}

/// The live service's dual-write: legacy first, then the new store (newer wins there too).
enum LiveWriter {
    static func update(
        id: Int, legacy: any DataStore, new: any DataStore, transform: RowTransform, version: Int64
    ) async throws {
        let stamp = Fixtures.baseMillis + version
        try await legacy.execute(
            "UPDATE users SET email = 'live\(id)@example.com', updated_at = \(stamp) WHERE id = \(id)")
        let table = try await legacy.tableInfo("users")
        let row = try await legacy.readChunk(
            table: table, columns: transform.sourceColumns, key: ["id"], after: RowKey([.integer(Int64(id) - 1)]),
            through: RowKey([.integer(Int64(id))]), limit: 1, filter: nil)
        let mapped = try transform.apply(row[0]).get()
        _ = try await new.writeChunk(
            table: try await new.tableInfo("customers"), columns: transform.targetColumns, types: transform.targetTypes,
            key: ["id"], version: "updated_at", rows: [mapped], checkpoint: nil)
    }
}

/// A composite primary key: keyset chunks on `(region, id)`, a resume in the middle, and the
/// composite keys in reconcile's report.
@Suite struct CompositeKeyTests {
    @Test func compositeKeysChunkResumeAndReconcile() async throws {
        let folder = try temporaryFolder()
        let source = DatabaseURL.sqlite(path: "\(folder)/legacy.sqlite")
        let target = try await PostgresCluster.get().makeDatabase("composite")
        try await withStore(source) { legacy in
            try await withStore(target) { new in
                let schema = "CREATE TABLE stock (region TEXT, id BIGINT, quantity BIGINT, PRIMARY KEY (region, id))"
                try await legacy.execute(schema)
                try await new.execute(schema)
                let rows = ["eu", "us", "ap", "EU", "eu-west"].flatMap { region in
                    (1...40).map { "('\(region)', \($0), \($0 * 3))" }
                }
                try await legacy.execute("INSERT INTO stock VALUES " + rows.joined(separator: ", "))
                var options = BackfillOptions(source: source, target: target, mapping: .identity(table: "stock"))
                options.chunkSize = 30
                options.showProgress = false
                // A first run cut short by a row that cannot be written, then resumed.
                try await legacy.execute("UPDATE stock SET quantity = NULL WHERE region = 'eu' AND id = 7")
                try await new.execute("ALTER TABLE stock ALTER COLUMN quantity SET NOT NULL")
                await #expect(throws: DataError.self) { try await Backfill.run(options, source: legacy, target: new) }
                let checkpoint = try await new.readCheckpoint(job: "stock->stock")
                // Byte order: "EU" < "ap" < "eu" < "eu-west" < "us"; the failing chunk is the third.
                #expect(checkpoint?.lastKey == RowKey([.text("ap"), .integer(20)]))
                #expect(checkpoint?.rowsDone == 60)
                try await legacy.execute("UPDATE stock SET quantity = 21 WHERE region = 'eu' AND id = 7")
                let report = try await Backfill.run(options, source: legacy, target: new)
                #expect(report.resumedFrom == #"["ap",20]"#)
                #expect(report.rowsRead == 140)
                #expect(report.lastKey == #"["us",40]"#)
                #expect(try await new.integer("SELECT count(*) FROM stock") == 200)
                try await new.execute("UPDATE stock SET quantity = 0 WHERE region = 'eu-west' AND id = 3")
                try await new.execute("DELETE FROM stock WHERE region = 'EU' AND id = 40")
                var reconcile = ReconcileOptions(legacy: source, new: target, mapping: .identity(table: "stock"))
                reconcile.showProgress = false
                reconcile.chunkSize = 17
                let result = try await Reconcile.run(reconcile, legacy: legacy, new: new)
                #expect(result.checked == 200)
                #expect(result.missingInNew.map(\.description) == [#"["EU",40]"#])
                #expect(result.mismatched.map(\.key.description) == [#"["eu-west",3]"#])
                #expect(
                    result.mismatched.first?.columns
                        == [ColumnDifference(column: "quantity", legacy: .integer(9), new: .integer(0))])
            }
        }
    }
}
