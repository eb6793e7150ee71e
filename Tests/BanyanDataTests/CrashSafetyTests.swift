import BanyanCore
import Foundation
import SharedTestSupport
import Testing

@testable import BanyanData

/// Runs the `banyan` executable as an operator would, and kills it with SIGKILL.
@Suite struct CrashSafetyTests {
    /// Runs `banyan` to completion on a dispatch thread: a test waiting for it never holds one of
    /// the few threads that the other tests' tasks (and the kills below) run on.
    static func banyan(_ arguments: [String]) async throws -> ProcessOutput {
        try await runOffThePool(try banyanExecutable(), arguments)
    }

    /// Kills the backfill at a dozen moments (two at start-up, then each a random moment after a new
    /// checkpoint: mid-chunk, between chunks, at commit),
    /// checks after each kill that the target holds exactly the rows its checkpoint covers, resumes,
    /// and proves with reconcile that the target equals the mapped source.
    @Test func sigkillAtRandomMomentsLosesNothingAndDoublesNothing() async throws {
        let folder = try temporaryFolder()
        let rowCount = 4000
        let source = DatabaseURL.sqlite(path: "\(folder)/legacy.sqlite")
        let target = try await PostgresCluster.get().makeDatabase("crash")
        let mapFile = "\(folder)/users.yaml"
        try Fixtures.mappingYAML.write(toFile: mapFile, atomically: true, encoding: .utf8)
        try await withStore(source) { legacy in
            try await withStore(target) { new in try await Fixtures.prepare(legacy: legacy, new: new, rows: rowCount) }
        }
        let arguments = [
            "data", "backfill", "--from", "sqlite:\(folder)/legacy.sqlite", "--to",
            try PostgresCluster.get().urlText(target.databaseName), "--map", mapFile, "--chunk-size", "40", "--rate",
            // Slow enough that the twelve kills, each a chunk or two after the one before, come
            // before the 4,000 rows are done, even when this test's tasks wait seconds for a thread.
            "500", "--format", "json", "--no-progress",
        ]
        var checkpoints = Set<Int>()
        var generator = SystemRandomNumberGenerator()
        var lastDone = 0
        for attempt in 0..<12 {
            let process = try startBanyan(arguments)
            if attempt >= 2 {
                // Past start-up: wait until this run has committed a chunk beyond the last
                // checkpoint, so every kill from here on lands at a new place, however busy the
                // machine is; then a random moment inside the next chunks.
                try await withStore(target) { new in
                    _ = try await eventually(timeout: .seconds(30), interval: .milliseconds(5)) {
                        guard process.isRunning else { return true }
                        return (try await new.readCheckpoint(job: "users->customers")?.rowsDone ?? 0) > lastDone
                    }
                }
            }
            try await Task.sleep(nanoseconds: UInt64.random(in: 0...60_000_000, using: &generator))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            try await withStore(target) { new in
                let checkpoint = try await new.readCheckpoint(job: "users->customers")
                let count = try await new.integer("SELECT count(*) FROM customers")
                let highest = try await new.integer("SELECT coalesce(max(id), 0) FROM customers")
                let done = checkpoint?.rowsDone ?? 0
                // Nothing lost, nothing beyond the checkpoint: the chunk and its checkpoint commit together.
                #expect(Int(count) == done)
                #expect(Int(highest) == done)
                if let checkpoint { #expect(checkpoint.lastKey == RowKey([.integer(Int64(done))])) }
                checkpoints.insert(done)
                lastDone = done
            }
        }
        // The first two kills hit start-up; each of the ten after them came after a new checkpoint.
        #expect(checkpoints.count >= 10, "kills should land at several places: \(checkpoints.sorted())")
        #expect(lastDone < rowCount, "the backfill should still have had rows to do at the last kill")
        let finish = try await Self.banyan(arguments)
        #expect(finish.status == 0, "\(finish.error)")
        let report = try JSONParser.parse(finish.output)
        #expect(report["rows_done"] == .number(JSONNumber(rowCount)))
        #expect(report["last_key"] == .string(String(rowCount)))
        let reconcile = try await Self.banyan([
            "data", "reconcile", "--legacy", "sqlite:\(folder)/legacy.sqlite", "--new",
            try PostgresCluster.get().urlText(target.databaseName), "--map", mapFile, "--json", "--state",
            "sqlite:\(folder)/state.sqlite", "--no-progress",
        ])
        #expect(reconcile.status == 0, "\(reconcile.output)\(reconcile.error)")
        let result = try JSONParser.parse(reconcile.output)
        #expect(result["checked"] == .number(JSONNumber(rowCount)))
        #expect(result["clean"] == .bool(true))
        #expect(result["missing_in_new"] == .array([]))
        #expect(result["extra_in_new"] == .array([]))
        #expect(result["mismatched"] == .array([]))
    }

    /// The command line: exit statuses, --export-ids, the metric, and the phase gate reading the
    /// recorded reconcile.
    @Test func reconcileAndPhaseOnTheCommandLine() async throws {
        let folder = try temporaryFolder()
        let legacy = "sqlite:\(folder)/legacy.sqlite"
        let new = "sqlite:\(folder)/new.sqlite"
        let state = "sqlite:\(folder)/state.sqlite"
        let mapFile = "\(folder)/users.yaml"
        try Fixtures.mappingYAML.write(toFile: mapFile, atomically: true, encoding: .utf8)
        try await withStore(.sqlite(path: "\(folder)/legacy.sqlite")) { l in
            try await withStore(.sqlite(path: "\(folder)/new.sqlite")) { n in
                try await Fixtures.prepare(legacy: l, new: n, rows: 30)
            }
        }
        let backfill = try await Self.banyan([
            "data", "backfill", "--from", legacy, "--to", new, "--map", mapFile, "--no-progress",
        ])
        #expect(backfill.status == 0)
        #expect(backfill.output.contains("done: 30 rows, checkpoint=30"))
        for phase in ["DualWrite", "backfilling"] {
            #expect(try await Self.banyan(["data", "phase", "users", "--to", phase, "--state", state]).status == 0)
        }
        try await withStore(.sqlite(path: "\(folder)/new.sqlite")) { n in
            try await n.execute("DELETE FROM customers WHERE id IN (4, 7)")
        }
        let dirty = try await Self.banyan([
            "data", "reconcile", "--legacy", legacy, "--new", new, "--map", mapFile, "--state", state, "--export-ids",
            "\(folder)/repair.txt", "--metrics-file", "\(folder)/drift.prom", "--no-progress",
        ])
        #expect(dirty.status == 1)
        #expect(dirty.output.contains("  missing_in_new  2: 4, 7\n"))
        #expect(try String(contentsOfFile: "\(folder)/repair.txt", encoding: .utf8) == "4\n7\n")
        #expect(
            try String(contentsOfFile: "\(folder)/drift.prom", encoding: .utf8).contains(
                "banyan_data_drift_rows{table=\"users\"} 2\n"))
        let refused = try await Self.banyan(["data", "phase", "users", "--to", "NewPrimary", "--state", state])
        #expect(refused.status == 1)
        #expect(refused.error.contains("users: the last reconcile found 2 differing row(s)"))
        // Repair by backfilling again from the start (idempotent), reconcile, then the gate opens.
        let repair = try await Self.banyan([
            "data", "backfill", "--from", legacy, "--to", new, "--map", mapFile, "--restart", "--format", "json",
            "--no-progress",
        ])
        #expect(try JSONParser.parse(repair.output)["rows_written"] == .number(JSONNumber(2)))
        let clean = try await Self.banyan([
            "data", "reconcile", "--legacy", legacy, "--new", new, "--map", mapFile, "--state", state, "--no-progress",
        ])
        #expect(clean.status == 0)
        let moved = try await Self.banyan([
            "data", "phase", "users", "--to", "new-primary", "--reason", "reconcile clean", "--state", state,
            "--format",
            "json",
        ])
        #expect(moved.status == 0)
        let shown = try JSONParser.parse(moved.output)
        #expect(shown["phase"] == .string("NewPrimary"))
        #expect(shown["writes_legacy"] == .bool(true))
        #expect(shown["history"]?[2]?["reason"] == .string("reconcile clean"))
        // --watch runs on a schedule and refreshes the metric each time.
        let watched = try await Self.banyan([
            "data", "reconcile", "--legacy", legacy, "--new", new, "--map", mapFile, "--no-record", "--watch", "0.2s",
            "--runs", "2", "--metrics-file", "\(folder)/watch.prom", "--no-progress",
        ])
        #expect(watched.status == 0)
        #expect(watched.output.components(separatedBy: "clean: safe to cut over").count == 3)
        #expect(
            try String(contentsOfFile: "\(folder)/watch.prom", encoding: .utf8).contains(
                "banyan_data_drift_rows{table=\"users\"} 0\n"))
        let usage = try await Self.banyan(["data", "backfill", "--from", "mysql://x", "--to", new, "--table", "users"])
        #expect(usage.status == 2)
        #expect(
            usage.error
                == "error: --from: 'mysql://x' is not a database URL; write sqlite:PATH or "
                + "postgres://USER:PASSWORD@HOST:PORT/DATABASE\n")
    }
}

extension DatabaseURL {
    var databaseName: String {
        if case .postgres(let target) = self { return target.database }
        return ""
    }
}
