import BanyanCore
import Foundation
import SQLiteNIO

/// The embedded state store: one SQLite file, written through SQLiteNIO's thread pool.
///
/// The default `state:` (`sqlite:.banyan/state.sqlite`), for one proxy. The file is in WAL mode,
/// so a reader never waits for the proxy's writes. Writes take turns on the store's one
/// connection; each change is one transaction.
///
/// Its methods throw SQLiteNIO's `SQLiteError` when the file cannot be read or written: another
/// process holds it locked for longer than the 2 s busy timeout, the disk is full, or the store
/// was closed.
public final class SQLiteStateStore: StateStore {
    /// How many sample exchanges each aggregate keeps: the first three stored; later exchanges
    /// only raise the aggregate's count.
    public static let samplesPerAggregate = 3

    private let connection: SQLiteConnection
    /// The file's path as `state:` gave it after `sqlite:`, relative to the working directory
    /// unless absolute.
    public let path: String
    /// Writes one at a time: a transaction on the shared connection spans several awaits.
    private let writes = SerialGate()

    private init(connection: SQLiteConnection, path: String) {
        self.connection = connection
        self.path = path
    }

    /// Opens (creating when missing) the file at `path`, its directory and its tables.
    ///
    /// A file written by an older Banyan gets the columns added since, with their defaults.
    ///
    /// - Parameter path: the file, relative to the working directory unless absolute.
    /// - Throws: ``StateLocationError`` naming `path` when the tables cannot be created (the file
    ///   is not a SQLite database, is read-only); the file system's error when the directory
    ///   cannot be made, and SQLite's when the file cannot be opened.
    public static func open(path: String) async throws -> SQLiteStateStore {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        let connection = try await SQLiteConnection.open(storage: .file(path: path))
        let store = SQLiteStateStore(connection: connection, path: path)
        do {
            try await store.migrate()
        } catch {
            try? await connection.close()
            throw StateLocationError(description: "\(path): cannot use the state database: \(error)")
        }
        return store
    }

    private func migrate() async throws {
        for statement in [
            "PRAGMA journal_mode=WAL",
            "PRAGMA busy_timeout=2000",
            """
            CREATE TABLE IF NOT EXISTS route_override (
                route TEXT PRIMARY KEY, mode TEXT NOT NULL, file_mode TEXT NOT NULL,
                reason TEXT NOT NULL, changed_at REAL NOT NULL)
            """,
            """
            CREATE TABLE IF NOT EXISTS route_event (
                id INTEGER PRIMARY KEY AUTOINCREMENT, route TEXT NOT NULL, from_mode TEXT NOT NULL,
                to_mode TEXT NOT NULL, reason TEXT NOT NULL, at REAL NOT NULL)
            """,
            """
            CREATE TABLE IF NOT EXISTS difference_aggregate (
                route TEXT NOT NULL, kind TEXT NOT NULL, location TEXT NOT NULL, severity TEXT NOT NULL,
                count INTEGER NOT NULL, first_seen REAL NOT NULL, last_seen REAL NOT NULL,
                explanation TEXT NOT NULL, policy_reason TEXT, PRIMARY KEY (route, kind, location))
            """,
            """
            CREATE TABLE IF NOT EXISTS difference_sample (
                id INTEGER PRIMARY KEY AUTOINCREMENT, route TEXT NOT NULL, kind TEXT NOT NULL,
                location TEXT NOT NULL, method TEXT NOT NULL, target TEXT NOT NULL, legacy_status INTEGER NOT NULL,
                candidate_status INTEGER NOT NULL, legacy_value TEXT, candidate_value TEXT,
                legacy_body TEXT NOT NULL, candidate_body TEXT NOT NULL, at REAL NOT NULL)
            """,
            """
            CREATE TABLE IF NOT EXISTS shadow_totals (
                route TEXT PRIMARY KEY, compared INTEGER NOT NULL, differing INTEGER NOT NULL,
                failing INTEGER NOT NULL)
            """,
        ] {
            _ = try await connection.query(statement)
        }
        // Columns added after the first release: a file made by an older proxy gets them here.
        for (table, column, definition) in [
            ("route_event", "cause", "TEXT NOT NULL DEFAULT 'api'"),
            ("difference_sample", "request_id", "TEXT"),
            ("difference_sample", "legacy_headers", "TEXT NOT NULL DEFAULT ''"),
            ("difference_sample", "candidate_headers", "TEXT NOT NULL DEFAULT ''"),
            ("difference_sample", "origin", "TEXT NOT NULL DEFAULT 'shadow'"),
        ] {
            let columns = try await connection.query("PRAGMA table_info(\(table))").compactMap {
                $0.column("name")?.string
            }
            if !columns.contains(column) {
                _ = try await connection.query("ALTER TABLE \(table) ADD COLUMN \(column) \(definition)")
            }
        }
    }

    /// Every runtime route change in the file, ordered by route.
    public func routeOverrides() async throws -> [RouteOverride] {
        let rows = try await connection.query(
            "SELECT route, mode, file_mode, reason, changed_at FROM route_override ORDER BY route")
        return rows.compactMap { row in
            guard let route = row.column("route")?.string,
                let mode = row.column("mode")?.string.flatMap({ RouteMode(storageText: $0) }),
                let fileMode = row.column("file_mode")?.string.flatMap({ RouteMode(storageText: $0) })
            else { return nil }
            return RouteOverride(
                route: route, mode: mode, fileMode: fileMode, reason: row.column("reason")?.string ?? "",
                changedAt: row.column("changed_at")?.double ?? 0)
        }
    }

    /// Keeps `override`, replacing the route's earlier one, and appends `event`, in one
    /// transaction.
    public func saveOverride(_ override: RouteOverride, event: RouteEvent) async throws {
        try await writes.run {
            _ = try await connection.query("BEGIN")
            do {
                _ = try await connection.query(
                    """
                    INSERT INTO route_override (route, mode, file_mode, reason, changed_at) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (route) DO UPDATE SET mode = excluded.mode, file_mode = excluded.file_mode,
                    reason = excluded.reason, changed_at = excluded.changed_at
                    """,
                    [
                        .text(override.route), .text(override.mode.storageText), .text(override.fileMode.storageText),
                        .text(override.reason), .float(override.changedAt),
                    ])
                try await insert(event)
                _ = try await connection.query("COMMIT")
            } catch {
                _ = try? await connection.query("ROLLBACK")
                throw error
            }
        }
    }

    /// Appends `event` to the audit trail.
    public func saveEvent(_ event: RouteEvent) async throws {
        try await writes.run {
            try await insert(event)
        }
    }

    private func insert(_ event: RouteEvent) async throws {
        _ = try await connection.query(
            "INSERT INTO route_event (route, from_mode, to_mode, reason, at, cause) VALUES (?, ?, ?, ?, ?, ?)",
            [
                .text(event.route), .text(event.from), .text(event.to), .text(event.reason), .float(event.at),
                .text(event.cause),
            ])
    }

    /// Deletes the runtime change of `route`, if any, and appends `event` when given, in one
    /// transaction.
    public func removeOverride(route: String, event: RouteEvent?) async throws {
        try await writes.run {
            _ = try await connection.query("BEGIN")
            do {
                _ = try await connection.query("DELETE FROM route_override WHERE route = ?", [.text(route)])
                if let event { try await insert(event) }
                _ = try await connection.query("COMMIT")
            } catch {
                _ = try? await connection.query("ROLLBACK")
                throw error
            }
        }
    }

    /// The last `limit` mode changes, newest first (all of them for a negative `limit`).
    public func events(limit: Int) async throws -> [RouteEvent] {
        let rows = try await connection.query(
            "SELECT route, from_mode, to_mode, reason, at, cause FROM route_event ORDER BY id DESC LIMIT ?",
            [.integer(limit)])
        return rows.map { row in
            RouteEvent(
                route: row.column("route")?.string ?? "", from: row.column("from_mode")?.string ?? "",
                to: row.column("to_mode")?.string ?? "", reason: row.column("reason")?.string ?? "",
                at: row.column("at")?.double ?? 0, cause: row.column("cause")?.string ?? "api")
        }
    }

    /// Adds the aggregates' counts and the totals to the file's, in one transaction, and inserts
    /// an aggregate's samples while it holds fewer than ``samplesPerAggregate``.
    ///
    /// An empty batch writes nothing.
    public func mergeDifferences(_ aggregates: [DifferenceAggregate], totals: [ShadowTotals]) async throws {
        try await writes.run {
            guard !aggregates.isEmpty || !totals.isEmpty else { return }
            _ = try await connection.query("BEGIN")
            do {
                for total in totals {
                    _ = try await connection.query(
                        """
                        INSERT INTO shadow_totals (route, compared, differing, failing) VALUES (?, ?, ?, ?)
                        ON CONFLICT (route) DO UPDATE SET compared = compared + excluded.compared,
                        differing = differing + excluded.differing, failing = failing + excluded.failing
                        """,
                        [
                            .text(total.route), .integer(total.compared), .integer(total.differing),
                            .integer(total.failing),
                        ])
                }
                for aggregate in aggregates {
                    _ = try await connection.query(
                        """
                        INSERT INTO difference_aggregate (route, kind, location, severity, count, first_seen, last_seen,
                        explanation, policy_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                        ON CONFLICT (route, kind, location) DO UPDATE SET count = count + excluded.count,
                        first_seen = min(first_seen, excluded.first_seen),
                        last_seen = max(last_seen, excluded.last_seen), severity = excluded.severity,
                        explanation = excluded.explanation, policy_reason = excluded.policy_reason
                        """,
                        [
                            .text(aggregate.route), .text(aggregate.kind.rawValue), .text(aggregate.location),
                            .text(aggregate.severity.rawValue), .integer(aggregate.count), .float(aggregate.firstSeen),
                            .float(aggregate.lastSeen), .text(aggregate.explanation),
                            aggregate.policyReason.map { .text($0) } ?? .null,
                        ])
                    guard !aggregate.samples.isEmpty else { continue }
                    let existing =
                        try await connection.query(
                            "SELECT count(*) AS n FROM difference_sample WHERE route = ? AND kind = ? AND location = ?",
                            [.text(aggregate.route), .text(aggregate.kind.rawValue), .text(aggregate.location)]
                        ).first?.column("n")?.integer ?? 0
                    for sample in aggregate.samples.prefix(max(0, Self.samplesPerAggregate - existing)) {
                        _ = try await connection.query(
                            """
                            INSERT INTO difference_sample (route, kind, location, method, target, legacy_status,
                            candidate_status, legacy_value, candidate_value, legacy_body, candidate_body, at, request_id,
                            legacy_headers, candidate_headers, origin)
                            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                            """,
                            [
                                .text(aggregate.route), .text(aggregate.kind.rawValue), .text(aggregate.location),
                                .text(sample.method), .text(sample.target), .integer(sample.legacyStatus),
                                .integer(sample.candidateStatus), sample.legacyValue.map { .text($0) } ?? .null,
                                sample.candidateValue.map { .text($0) } ?? .null, .text(sample.legacyBody),
                                .text(sample.candidateBody), .float(sample.at),
                                sample.requestID.map { .text($0) } ?? .null, .text(sample.legacyHeaders),
                                .text(sample.candidateHeaders), .text(sample.origin.rawValue),
                            ])
                    }
                }
                _ = try await connection.query("COMMIT")
            } catch {
                _ = try? await connection.query("ROLLBACK")
                throw error
            }
        }
    }

    /// Every aggregate with its samples (oldest first), most frequent first, then by route, kind
    /// and location. Rows with a kind or severity this build does not know are left out.
    public func differenceAggregates() async throws -> [DifferenceAggregate] {
        let rows = try await connection.query(
            """
            SELECT route, kind, location, severity, count, first_seen, last_seen, explanation, policy_reason
            FROM difference_aggregate ORDER BY count DESC, route, kind, location
            """)
        var aggregates: [DifferenceAggregate] = rows.compactMap { row in
            guard let route = row.column("route")?.string,
                let kind = row.column("kind")?.string.flatMap(DifferenceKind.init(rawValue:)),
                let severity = row.column("severity")?.string.flatMap(Severity.init(rawValue:))
            else { return nil }
            return DifferenceAggregate(
                route: route, kind: kind, location: row.column("location")?.string ?? "", severity: severity,
                count: row.column("count")?.integer ?? 0, firstSeen: row.column("first_seen")?.double ?? 0,
                lastSeen: row.column("last_seen")?.double ?? 0, explanation: row.column("explanation")?.string ?? "",
                policyReason: row.column("policy_reason")?.string)
        }
        let samples = try await connection.query(
            """
            SELECT route, kind, location, method, target, legacy_status, candidate_status, legacy_value,
            candidate_value, legacy_body, candidate_body, at, request_id, legacy_headers, candidate_headers, origin
            FROM difference_sample ORDER BY id
            """)
        var byKey: [String: [DifferenceSample]] = [:]
        for row in samples {
            let key =
                "\(row.column("route")?.string ?? "")\u{1}\(row.column("kind")?.string ?? "")\u{1}"
                + (row.column("location")?.string ?? "")
            byKey[key, default: []].append(
                DifferenceSample(
                    method: row.column("method")?.string ?? "", target: row.column("target")?.string ?? "",
                    legacyStatus: row.column("legacy_status")?.integer ?? 0,
                    candidateStatus: row.column("candidate_status")?.integer ?? 0,
                    legacyValue: row.column("legacy_value")?.string,
                    candidateValue: row.column("candidate_value")?.string,
                    legacyBody: row.column("legacy_body")?.string ?? "",
                    candidateBody: row.column("candidate_body")?.string ?? "", at: row.column("at")?.double ?? 0,
                    requestID: row.column("request_id")?.string,
                    legacyHeaders: row.column("legacy_headers")?.string ?? "",
                    candidateHeaders: row.column("candidate_headers")?.string ?? "",
                    origin: row.column("origin")?.string.flatMap(DifferenceOrigin.init(rawValue:)) ?? .shadow))
        }
        for index in aggregates.indices { aggregates[index].samples = byKey[aggregates[index].key] ?? [] }
        return aggregates
    }

    /// Every route's comparison counts, ordered by route.
    public func shadowTotals() async throws -> [ShadowTotals] {
        try await connection.query("SELECT route, compared, differing, failing FROM shadow_totals ORDER BY route").map {
            row in
            ShadowTotals(
                route: row.column("route")?.string ?? "", compared: row.column("compared")?.integer ?? 0,
                differing: row.column("differing")?.integer ?? 0, failing: row.column("failing")?.integer ?? 0)
        }
    }

    /// The phases in the file's `banyan_phase` table, by table name; empty when `banyan data
    /// phase` keeps none in this file.
    public func dataPhases() async throws -> [String: String] {
        let exists = try await connection.query(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'banyan_phase'")
        guard !exists.isEmpty else { return [:] }
        var phases: [String: String] = [:]
        for row in try await connection.query("SELECT table_name, phase FROM banyan_phase") {
            if let table = row.column("table_name")?.string, let phase = row.column("phase")?.string {
                phases[table] = phase
            }
        }
        return phases
    }

    /// Closes the file; later calls fail.
    public func close() async throws {
        try await connection.close()
    }
}
