import BanyanCore
import Foundation
import SharedTestSupport
import Testing

@testable import BanyanData

/// Backfill workers sharing key ranges through the target database.
@Suite struct BackfillWorkersTests {
    /// Counts every row write into customers, in the transaction that writes it: a range rolled
    /// back leaves no entry, so an id logged twice is a row written twice.
    static let writeLog = [
        "CREATE TABLE write_log (id bigint NOT NULL)",
        """
        CREATE FUNCTION log_write() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN INSERT INTO write_log VALUES (NEW.id); RETURN NEW; END $$
        """,
        "CREATE TRIGGER log_write AFTER INSERT OR UPDATE ON customers FOR EACH ROW EXECUTE FUNCTION log_write()",
    ]

    @Test func threeWorkersCopyEveryRangeOnce() async throws {
        let folder = try temporaryFolder()
        let source = DatabaseURL.sqlite(path: "\(folder)/legacy.sqlite")
        let target = try await PostgresCluster.get().makeDatabase("workers")
        try await withStore(source) { legacy in
            try await withStore(target) { new in
                try await Fixtures.prepare(legacy: legacy, new: new, rows: 5000)
                for statement in Self.writeLog { try await new.execute(statement) }
            }
        }
        var options = BackfillOptions(source: source, target: target, mapping: Fixtures.mapping)
        options.showProgress = false
        options.chunkSize = 240
        let report = try await BackfillWorkers.run(options, workers: 3)
        #expect(report.rowsRead == 5000)
        #expect(report.rowsWritten == 5000)
        #expect(report.rowsDone == 5000)
        #expect(report.chunks == 21)
        #expect(report.rangesLeft == 0)
        try await withStore(target) { new throws in
            #expect(
                try await new.select(
                    "SELECT count(*), sum(rows)::int8, min(writes), max(writes), count(DISTINCT worker) > 1 "
                        + "FROM banyan_backfill_ranges WHERE job = 'users->customers' AND state = 'done'", [])
                    == [[.integer(21), .integer(5000), .integer(1), .integer(1), .boolean(true)]])
            #expect(
                try await new.select("SELECT count(*), count(DISTINCT id) FROM write_log", [])
                    == [[.integer(5000), .integer(5000)]])
            #expect(
                try await new.select(
                    "SELECT after_key, through_key FROM banyan_backfill_ranges WHERE range_no IN (0, 1, 20) "
                        + "ORDER BY range_no", [])
                    == [[.null, .text("[240]")], [.text("[240]"), .text("[480]")], [.text("[4800]"), .null]])
        }
        // The job is done: a second run finds nothing to claim.
        let again = try await BackfillWorkers.run(options, workers: 2)
        #expect(again.rowsRead == 0)
        #expect(again.rowsDone == 5000)
        var reconcile = ReconcileOptions(legacy: source, new: target, mapping: Fixtures.mapping)
        reconcile.showProgress = false
        #expect(try await Reconcile.run(reconcile).isClean)
    }

    @Test func workersNeedAPostgresTarget() async throws {
        let folder = try temporaryFolder()
        let options = BackfillOptions(
            source: .sqlite(path: "\(folder)/a.sqlite"), target: .sqlite(path: "\(folder)/b.sqlite"),
            mapping: Fixtures.mapping)
        await #expect {
            try await BackfillWorkers.run(options, workers: 2)
        } throws: { error in
            (error as? DataError)?.description
                == "--workers needs a PostgreSQL target: the workers share their progress through it "
                + "(got sqlite:\(folder)/b.sqlite)"
        }
    }

    /// Two worker processes, each killed with SIGKILL again and again (whichever the dice pick)
    /// and started again, copy 20,000 rows in 100 ranges: afterwards every range is done and was
    /// committed once, every row was written once, and reconcile is clean.
    /// Benchmarks/data-workers-kill.sh runs the same at 1,000,000 rows.
    @Test func twoWorkerProcessesKilledAgainAndAgainLoseNothingAndDoubleNothing() async throws {
        let folder = try temporaryFolder()
        let rowCount = 20_000
        let cluster = try PostgresCluster.get()
        let source = try await cluster.makeDatabase("kill_source")
        let target = try await cluster.makeDatabase("kill_target")
        try await withStore(source) { legacy in
            try await withStore(target) { new in
                try await Fixtures.prepare(legacy: legacy, new: new, rows: rowCount)
                for statement in Self.writeLog { try await new.execute(statement) }
            }
        }
        let mapFile = "\(folder)/users.yaml"
        try Fixtures.mappingYAML.write(toFile: mapFile, atomically: true, encoding: .utf8)
        let arguments = [
            "data", "backfill", "--from", cluster.urlText(source.databaseName), "--to",
            cluster.urlText(target.databaseName), "--map", mapFile, "--workers", "1", "--chunk-size", "200",
            // Slow enough that the kills land while ranges are still pending.
            "--rate", "1500", "--format", "json", "--no-progress",
        ]
        func start() throws -> ChildProcess { try startBanyan(arguments) }
        var workers = [try start(), try start()]
        var generator = SystemRandomNumberGenerator()
        var kills = 0
        var doneAtKill = [Int]()
        try await withStore(target) { new in
            func done() async throws -> Int {
                let exists = try await new.integer(
                    "SELECT count(*) FROM pg_tables WHERE tablename = 'banyan_backfill_ranges'")
                guard exists > 0 else { return 0 }
                return Int(try await new.integer("SELECT count(*) FROM banyan_backfill_ranges WHERE state = 'done'"))
            }
            var last = 0
            while kills < 10 {
                // Wait for a range committed since the last kill, then a random moment more.
                _ = try await eventually(timeout: .seconds(60), interval: .milliseconds(5)) { try await done() > last }
                try await Task.sleep(nanoseconds: UInt64.random(in: 0...150_000_000, using: &generator))
                let victim = Int.random(in: 0..<2, using: &generator)
                kill(workers[victim].processIdentifier, SIGKILL)
                workers[victim].waitUntilExit()
                kills += 1
                last = try await done()
                doneAtKill.append(last)
                // Nothing half-written: the rows in the table are exactly those of the done ranges
                // (one statement, one snapshot, while the other worker goes on).
                #expect(
                    try await new.select(
                        "SELECT (SELECT count(*) FROM customers) = (SELECT coalesce(sum(rows), 0) "
                            + "FROM banyan_backfill_ranges WHERE state = 'done')", []) == [[.boolean(true)]])
                workers[victim] = try start()
            }
        }
        for worker in workers { worker.waitUntilExit() }
        #expect(doneAtKill.last ?? 100 < 100, "the last kill should come before the job's end: \(doneAtKill)")
        #expect(workers.allSatisfy { $0.terminationStatus == 0 })
        try await withStore(target) { new throws in
            #expect(
                try await new.select(
                    "SELECT count(*), count(*) FILTER (WHERE state = 'done'), sum(rows)::int8, min(writes), max(writes) "
                        + "FROM banyan_backfill_ranges", [])
                    == [[.integer(101), .integer(101), .integer(Int64(rowCount)), .integer(1), .integer(1)]])
            #expect(
                try await new.select("SELECT count(*), count(DISTINCT id) FROM write_log", [])
                    == [[.integer(Int64(rowCount)), .integer(Int64(rowCount))]])
        }
        let reconcile = try await CrashSafetyTests.banyan([
            "data", "reconcile", "--legacy", cluster.urlText(source.databaseName), "--new",
            cluster.urlText(target.databaseName), "--map", mapFile, "--json", "--no-record", "--no-progress",
        ])
        #expect(reconcile.status == 0, "\(reconcile.output)\(reconcile.error)")
        let result = try JSONParser.parse(reconcile.output)
        #expect(result["checked"] == .number(JSONNumber(rowCount)))
        #expect(result["clean"] == .bool(true))
    }
}
