import BanyanCore
import Foundation
import Logging
import PostgresNIO
import Synchronization

/// The state store for a fleet: tables in one schema of a PostgreSQL database, shared by every
/// proxy of a migration. Each store uses one connection, one operation at a time (the proxy
/// writes a batch every half second), made again when the server dropped it.
///
/// Writers never lose each other's counts: differences and totals are added by atomic upserts
/// inside one transaction, and a sample is inserted only while its aggregate holds fewer than
/// ``samplesPerAggregate``, checked by the inserting statement itself.
///
/// Every change of route state raises the schema's version and announces it with `NOTIFY`, so the
/// other proxies put it in force within milliseconds (docs/fleet.md); the fleet's methods
/// (``stateVersion()``, ``listenForChanges(listening:_:)``, the heartbeats and the shared guard
/// counts) exist on this store only.
///
/// Its methods throw a ``StateStoreError`` naming the server, the database and the cause (the
/// server's own message, or the system's for a lost connection) when an operation fails; the next
/// operation connects again when the connection was lost.
public final class PostgresStateStore: StateStore {
    /// How many sample exchanges each aggregate keeps, as in the SQLite store.
    public static let samplesPerAggregate = SQLiteStateStore.samplesPerAggregate

    /// The server, database, user and schema the store uses, as parsed from `state:`.
    public let location: PostgresStateLocation
    private let link: Link
    /// One operation at a time on the store's connection.
    private let turns = SerialGate()
    private let logger: Logger
    private let tables: Tables
    private let closed = Mutex(false)

    /// The tables' names, qualified with the schema.
    private struct Tables {
        let override: String
        let event: String
        let aggregate: String
        let sample: String
        let totals: String
        let version: String
        let proxy: String
        let guardCounts: String
        /// The channel a change of route state is announced on (`NOTIFY`), with the new version.
        let channel: String

        init(schema: String) {
            let prefix = "\"\(schema)\"."
            override = prefix + "route_override"
            event = prefix + "route_event"
            aggregate = prefix + "difference_aggregate"
            sample = prefix + "difference_sample"
            totals = prefix + "shadow_totals"
            version = prefix + "fleet_version"
            proxy = prefix + "fleet_proxy"
            guardCounts = prefix + "fleet_guard"
            channel = "banyan.\(schema)"
        }
    }

    private init(location: PostgresStateLocation, connection: PostgresConnection, logger: Logger) {
        self.location = location
        self.link = Link(configuration: Self.connectionConfiguration(location), connection: connection, logger: logger)
        self.logger = logger
        self.tables = Tables(schema: location.schema)
    }

    /// Connects, and creates the schema and its tables when missing.
    ///
    /// Proxies starting together take turns creating the tables (an advisory lock), and a schema
    /// an administrator made beforehand needs no `CREATE` right on the database. Tables made by an
    /// older Banyan get the columns added since.
    ///
    /// - Parameter location: the server, database and schema, parsed from a `postgres://` URL.
    /// - Throws: ``StateLocationError`` naming the server when it cannot be reached, refuses the
    ///   user or database, or the tables cannot be created.
    public static func open(_ location: PostgresStateLocation) async throws -> PostgresStateStore {
        var logger = Logger(label: "banyan.state.postgres")
        logger.logLevel = .critical
        // Connecting at once reports a refused port or login when the proxy starts.
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(
                configuration: connectionConfiguration(location), id: 0, logger: logger)
        } catch {
            throw StateLocationError(description: connectFailure(location, error))
        }
        do {
            try await createTables(location.schema, on: connection, logger: logger)
        } catch {
            try? await connection.close()
            throw StateLocationError(
                description: "state: cannot create the state tables in schema '\(location.schema)' of database "
                    + "'\(location.database)' at \(location.server): \(describe(error))")
        }
        return PostgresStateStore(location: location, connection: connection, logger: logger)
    }

    private static func connectionConfiguration(_ location: PostgresStateLocation) -> PostgresConnection.Configuration {
        if let directory = location.socketDirectory {
            return .init(
                unixSocketPath: "\(directory)/.s.PGSQL.\(location.port)", username: location.user,
                password: location.password, database: location.database)
        }
        return .init(
            host: location.host, port: location.port, username: location.user, password: location.password,
            database: location.database, tls: .disable)
    }

    private static func createTables(_ schema: String, on connection: PostgresConnection, logger: Logger) async throws {
        let tables = Tables(schema: schema)
        try await connection.withTransaction(logger: logger) { connection in
            // Proxies starting together would race on CREATE … IF NOT EXISTS (it can fail with a
            // duplicate key in the catalog); the lock makes them take turns.
            let lock = "banyan.state.\(schema)"
            _ = try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\(lock)))", logger: logger).collect()
            let exists = try await connection.query(
                "SELECT 1 FROM pg_namespace WHERE nspname = \(schema)", logger: logger
            ).collect()
            // A schema made beforehand by an administrator needs no CREATE right on the database.
            if exists.isEmpty {
                _ = try await connection.query(
                    "CREATE SCHEMA IF NOT EXISTS \(unescaped: "\"\(schema)\"")", logger: logger
                ).collect()
            }
            for statement: PostgresQuery in [
                """
                CREATE TABLE IF NOT EXISTS \(unescaped: tables.override) (
                    route TEXT PRIMARY KEY, mode TEXT NOT NULL, file_mode TEXT NOT NULL,
                    reason TEXT NOT NULL, changed_at DOUBLE PRECISION NOT NULL)
                """,
                """
                CREATE TABLE IF NOT EXISTS \(unescaped: tables.event) (
                    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, route TEXT NOT NULL,
                    from_mode TEXT NOT NULL, to_mode TEXT NOT NULL, reason TEXT NOT NULL,
                    at DOUBLE PRECISION NOT NULL)
                """,
                """
                CREATE TABLE IF NOT EXISTS \(unescaped: tables.aggregate) (
                    route TEXT NOT NULL, kind TEXT NOT NULL, location TEXT NOT NULL, severity TEXT NOT NULL,
                    count BIGINT NOT NULL, first_seen DOUBLE PRECISION NOT NULL,
                    last_seen DOUBLE PRECISION NOT NULL, explanation TEXT NOT NULL, policy_reason TEXT,
                    PRIMARY KEY (route, kind, location))
                """,
                """
                CREATE TABLE IF NOT EXISTS \(unescaped: tables.sample) (
                    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, route TEXT NOT NULL, kind TEXT NOT NULL,
                    location TEXT NOT NULL, method TEXT NOT NULL, target TEXT NOT NULL,
                    legacy_status BIGINT NOT NULL, candidate_status BIGINT NOT NULL, legacy_value TEXT,
                    candidate_value TEXT, legacy_body TEXT NOT NULL, candidate_body TEXT NOT NULL,
                    at DOUBLE PRECISION NOT NULL)
                """,
                """
                CREATE INDEX IF NOT EXISTS difference_sample_aggregate
                ON \(unescaped: tables.sample) (route, kind, location)
                """,
                """
                CREATE TABLE IF NOT EXISTS \(unescaped: tables.totals) (
                    route TEXT PRIMARY KEY, compared BIGINT NOT NULL, differing BIGINT NOT NULL,
                    failing BIGINT NOT NULL)
                """,
                // One row: the version of the route state, raised by every change.
                """
                CREATE TABLE IF NOT EXISTS \(unescaped: tables.version) (
                    id INT PRIMARY KEY CHECK (id = 1), version BIGINT NOT NULL)
                """,
                "INSERT INTO \(unescaped: tables.version) (id, version) VALUES (1, 0) ON CONFLICT (id) DO NOTHING",
                // Each proxy of the fleet: the version it applied, and when it last said so.
                """
                CREATE TABLE IF NOT EXISTS \(unescaped: tables.proxy) (
                    proxy TEXT PRIMARY KEY, version BIGINT NOT NULL, seen_at DOUBLE PRECISION NOT NULL,
                    started_at DOUBLE PRECISION NOT NULL)
                """,
                // Each proxy's guard counts per route, under the route state version it applied.
                """
                CREATE TABLE IF NOT EXISTS \(unescaped: tables.guardCounts) (
                    proxy TEXT NOT NULL, route TEXT NOT NULL, version BIGINT NOT NULL,
                    candidate_answers BIGINT NOT NULL, candidate_failures BIGINT NOT NULL,
                    legacy_answers BIGINT NOT NULL, legacy_failures BIGINT NOT NULL, comparisons BIGINT NOT NULL,
                    differing BIGINT NOT NULL, at DOUBLE PRECISION NOT NULL, PRIMARY KEY (proxy, route))
                """,
                // Columns added after the first release: tables made by an older proxy get them here.
                "ALTER TABLE \(unescaped: tables.event) ADD COLUMN IF NOT EXISTS cause TEXT NOT NULL DEFAULT 'api'",
                "ALTER TABLE \(unescaped: tables.sample) ADD COLUMN IF NOT EXISTS request_id TEXT",
                """
                ALTER TABLE \(unescaped: tables.sample) ADD COLUMN IF NOT EXISTS legacy_headers TEXT NOT NULL DEFAULT '',
                ADD COLUMN IF NOT EXISTS candidate_headers TEXT NOT NULL DEFAULT ''
                """,
                "ALTER TABLE \(unescaped: tables.sample) ADD COLUMN IF NOT EXISTS origin TEXT NOT NULL DEFAULT 'shadow'",
            ] {
                _ = try await connection.query(statement, logger: logger).collect()
            }
        }
    }

    // MARK: Route changes

    /// Every runtime route change in the schema, ordered by route (byte order).
    public func routeOverrides() async throws -> [RouteOverride] {
        try await run { connection, logger, tables in
            let rows = try await connection.query(
                """
                SELECT route, mode, file_mode, reason, changed_at FROM \(unescaped: tables.override)
                ORDER BY route COLLATE "C"
                """, logger: logger)
            var overrides: [RouteOverride] = []
            for try await (route, mode, fileMode, reason, changedAt) in rows.decode(
                (String, String, String, String, Double).self)
            {
                guard let mode = RouteMode(storageText: mode), let fileMode = RouteMode(storageText: fileMode) else {
                    continue
                }
                overrides.append(
                    RouteOverride(route: route, mode: mode, fileMode: fileMode, reason: reason, changedAt: changedAt))
            }
            return overrides
        }
    }

    /// Keeps `override`, replacing the route's earlier one, appends `event`, and raises and
    /// announces the route state's version, in one transaction: the fleet takes the change when
    /// it commits.
    public func saveOverride(_ override: RouteOverride, event: RouteEvent) async throws {
        try await run { connection, logger, tables in
            try await connection.withTransaction(logger: logger) { connection in
                try await Self.write(override, event: event, on: connection, tables: tables, logger: logger)
            }
        }
    }

    /// Writes the override and its event and announces the change, in the caller's transaction.
    private static func write(
        _ override: RouteOverride, event: RouteEvent, on connection: PostgresConnection, tables: Tables, logger: Logger
    ) async throws {
        _ = try await connection.query(
            """
            INSERT INTO \(unescaped: tables.override) (route, mode, file_mode, reason, changed_at)
            VALUES (\(override.route), \(override.mode.storageText), \(override.fileMode.storageText),
            \(override.reason), \(override.changedAt))
            ON CONFLICT (route) DO UPDATE SET mode = EXCLUDED.mode, file_mode = EXCLUDED.file_mode,
            reason = EXCLUDED.reason, changed_at = EXCLUDED.changed_at
            """, logger: logger
        ).collect()
        try await insert(event, into: tables, on: connection, logger: logger)
        try await announceChange(on: connection, tables: tables, logger: logger)
    }

    /// Keeps the guard's change as ``saveOverride(_:event:)`` does, unless the route already holds
    /// a guard's change to the same mode: the check and the write run under a lock on the route,
    /// so when several proxies' guards trip on the same evidence the event log has one trip.
    ///
    /// - Returns: whether the change was written; false when another proxy's guard wrote it first.
    public func saveAutomaticOverride(_ override: RouteOverride, event: RouteEvent) async throws -> Bool {
        try await run { connection, logger, tables in
            try await connection.withTransaction(logger: logger) { connection in
                // Another proxy's guard writing the same route waits here, then sees this one's row.
                _ = try await connection.query(
                    "SELECT pg_advisory_xact_lock(hashtext(\(tables.override + "/" + override.route)))",
                    logger: logger
                ).collect()
                let rows = try await connection.query(
                    "SELECT mode, reason FROM \(unescaped: tables.override) WHERE route = \(override.route)",
                    logger: logger
                ).collect()
                for row in rows {
                    let (mode, reason) = try row.decode((String, String).self)
                    if mode == override.mode.storageText && reason.hasPrefix("guard ") { return false }
                }
                try await Self.write(override, event: event, on: connection, tables: tables, logger: logger)
                return true
            }
        }
    }

    /// Appends `event` to the audit trail; the route state's version does not change.
    public func saveEvent(_ event: RouteEvent) async throws {
        try await run { connection, logger, tables in
            try await Self.insert(event, into: tables, on: connection, logger: logger)
        }
    }

    private static func insert(
        _ event: RouteEvent, into tables: Tables, on connection: PostgresConnection, logger: Logger
    ) async throws {
        _ = try await connection.query(
            """
            INSERT INTO \(unescaped: tables.event) (route, from_mode, to_mode, reason, at, cause)
            VALUES (\(event.route), \(event.from), \(event.to), \(event.reason), \(event.at), \(event.cause))
            """, logger: logger
        ).collect()
    }

    /// Deletes the runtime change of `route`, if any, appends `event` when given, and raises and
    /// announces the route state's version, in one transaction.
    public func removeOverride(route: String, event: RouteEvent?) async throws {
        try await run { connection, logger, tables in
            try await connection.withTransaction(logger: logger) { connection in
                _ = try await connection.query(
                    "DELETE FROM \(unescaped: tables.override) WHERE route = \(route)", logger: logger
                ).collect()
                if let event { try await Self.insert(event, into: tables, on: connection, logger: logger) }
                try await Self.announceChange(on: connection, tables: tables, logger: logger)
            }
        }
    }

    /// Raises the route state's version and announces it on the channel, inside the change's
    /// transaction: PostgreSQL delivers the notification when (and only if) the change commits,
    /// and only to sessions listening then, so proxies also read the version on a timer.
    private static func announceChange(on connection: PostgresConnection, tables: Tables, logger: Logger) async throws {
        let rows = try await connection.query(
            "UPDATE \(unescaped: tables.version) SET version = version + 1 WHERE id = 1 RETURNING version",
            logger: logger)
        var version: Int64 = 0
        for try await value in rows.decode(Int64.self) { version = value }
        _ = try await connection.query(
            "SELECT pg_notify(\(tables.channel), \(String(version)))", logger: logger
        ).collect()
    }

    // MARK: Fleet

    /// The version of the route state: raised by every runtime change of any proxy.
    ///
    /// A proxy compares it with the version it applied to learn whether it missed a change (a
    /// notification is lost when no listener was connected as the change committed).
    ///
    /// - Returns: the version, 0 before the first change.
    public func stateVersion() async throws -> Int64 {
        try await run { connection, logger, tables in
            let rows = try await connection.query(
                "SELECT version FROM \(unescaped: tables.version) WHERE id = 1", logger: logger)
            var version: Int64 = 0
            for try await value in rows.decode(Int64.self) { version = value }
            return version
        }
    }

    /// Records that `proxy` applied `version` (a heartbeat), replacing its previous report.
    ///
    /// - Parameters:
    ///   - proxy: the proxy's name, `host:port` of its client listener.
    ///   - version: the route state version the proxy has in force.
    ///   - startedAt: when the proxy started, in seconds since 1970.
    ///   - time: now, in seconds since 1970; ``FleetMember/seenAt`` reads it back.
    public func recordApplied(proxy: String, version: Int64, startedAt: Double, at time: Double) async throws {
        try await run { connection, logger, tables in
            _ = try await connection.query(
                """
                INSERT INTO \(unescaped: tables.proxy) (proxy, version, seen_at, started_at)
                VALUES (\(proxy), \(version), \(time), \(startedAt))
                ON CONFLICT (proxy) DO UPDATE SET version = EXCLUDED.version, seen_at = EXCLUDED.seen_at,
                started_at = EXCLUDED.started_at
                """, logger: logger
            ).collect()
        }
    }

    /// Every proxy that has reported, with the version it applied and when it was last seen,
    /// ordered by name.
    ///
    /// A proxy that stopped stays listed with its last report; ``FleetMember/seenAt`` tells how
    /// old that is.
    public func fleetMembers() async throws -> [FleetMember] {
        try await run { connection, logger, tables in
            let rows = try await connection.query(
                """
                SELECT proxy, version, seen_at, started_at FROM \(unescaped: tables.proxy)
                ORDER BY proxy COLLATE "C"
                """, logger: logger)
            var members: [FleetMember] = []
            for try await (proxy, version, seenAt, startedAt) in rows.decode((String, Int64, Double, Double).self) {
                members.append(FleetMember(proxy: proxy, version: version, seenAt: seenAt, startedAt: startedAt))
            }
            return members
        }
    }

    /// Shares `proxy`'s guard counts per route, read under route state `version`.
    ///
    /// Each call replaces the proxy's earlier counts for the routes it names; an empty `counts`
    /// writes nothing.
    ///
    /// - Parameters:
    ///   - proxy: the proxy's name, `host:port` of its client listener.
    ///   - version: the route state version the counts were gathered under.
    ///   - counts: the proxy's own counts in its guard window, by route as written in `routes:`.
    ///   - time: now, in seconds since 1970; ``peerGuardCounts(excluding:version:since:)`` filters
    ///     on it.
    public func recordGuardCounts(
        proxy: String, version: Int64, counts: [String: GuardCounts], at time: Double
    ) async throws {
        guard !counts.isEmpty else { return }
        try await run { connection, logger, tables in
            try await connection.withTransaction(logger: logger) { connection in
                for (route, value) in counts.sorted(by: { $0.key < $1.key }) {
                    _ = try await connection.query(
                        """
                        INSERT INTO \(unescaped: tables.guardCounts) (proxy, route, version, candidate_answers,
                        candidate_failures, legacy_answers, legacy_failures, comparisons, differing, at)
                        VALUES (\(proxy), \(route), \(version), \(value.candidateAnswers), \(value.candidateFailures),
                        \(value.legacyAnswers), \(value.legacyFailures), \(value.comparisons), \(value.differing),
                        \(time))
                        ON CONFLICT (proxy, route) DO UPDATE SET version = EXCLUDED.version,
                        candidate_answers = EXCLUDED.candidate_answers,
                        candidate_failures = EXCLUDED.candidate_failures, legacy_answers = EXCLUDED.legacy_answers,
                        legacy_failures = EXCLUDED.legacy_failures, comparisons = EXCLUDED.comparisons,
                        differing = EXCLUDED.differing, at = EXCLUDED.at
                        """, logger: logger
                    ).collect()
                }
            }
        }
    }

    /// The other proxies' guard counts per route, summed: only those written under route state
    /// `version` (the same modes as the reader's) since `since`.
    ///
    /// - Parameters:
    ///   - proxy: the reader's own name, whose counts are left out.
    ///   - version: the route state version the reader applied.
    ///   - since: the oldest report to count, in seconds since 1970 (the proxy passes three
    ///     fleet periods ago).
    /// - Returns: the summed counts by route; a route no other proxy reported is absent.
    public func peerGuardCounts(excluding proxy: String, version: Int64, since: Double) async throws
        -> [String: GuardCounts]
    {
        try await run { connection, logger, tables in
            let rows = try await connection.query(
                """
                SELECT route, sum(candidate_answers)::BIGINT, sum(candidate_failures)::BIGINT,
                sum(legacy_answers)::BIGINT, sum(legacy_failures)::BIGINT, sum(comparisons)::BIGINT,
                sum(differing)::BIGINT
                FROM \(unescaped: tables.guardCounts)
                WHERE proxy <> \(proxy) AND version = \(version) AND at >= \(since)
                GROUP BY route
                """, logger: logger)
            var result: [String: GuardCounts] = [:]
            for try await row in rows.decode((String, Int, Int, Int, Int, Int, Int).self) {
                result[row.0] = GuardCounts(
                    candidateAnswers: row.1, candidateFailures: row.2, legacyAnswers: row.3, legacyFailures: row.4,
                    comparisons: row.5, differing: row.6)
            }
            return result
        }
    }

    /// Listens for announced changes on a connection of its own, calling `changed` with each
    /// announced version, until the task is cancelled or the connection is lost (it then throws).
    ///
    /// - Parameters:
    ///   - listening: called once the server has registered the listener; a proxy reads the
    ///     version then, so a change that committed before it is not missed.
    ///   - changed: called with each announced version, one at a time, in the order announced.
    /// - Throws: ``StateStoreError`` naming the server when the connection cannot be made, or
    ///   when it is lost while listening.
    public func listenForChanges(
        listening: @Sendable () async -> Void = {}, _ changed: @Sendable (Int64) async -> Void
    ) async throws {
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(
                configuration: Self.connectionConfiguration(location), id: -1, logger: logger)
        } catch {
            throw StateStoreError(.connect, Self.connectFailure(location, error), cause: error)
        }
        do {
            // Cancelling the task closes the connection, which ends the notifications.
            try await withTaskCancellationHandler {
                try await connection.listen(on: tables.channel) { notifications in
                    await listening()
                    for try await notification in notifications {
                        await changed(Int64(notification.payload) ?? 0)
                    }
                }
            } onCancel: {
                let closing: EventLoopFuture<Void> = connection.close()
                _ = closing
            }
        } catch {
            try? await connection.close()
            throw StateStoreError(
                .notifications,
                "state: PostgreSQL at \(location.server): listening for changes stopped: " + Self.describe(error),
                cause: error)
        }
        try? await connection.close()
    }

    /// The last `limit` mode changes, newest first (all of them for a negative `limit`).
    public func events(limit: Int) async throws -> [RouteEvent] {
        // A negative limit means all of them, as SQLite reads it (LIMIT NULL in PostgreSQL).
        let limit: Int? = limit < 0 ? nil : limit
        return try await run { connection, logger, tables in
            let rows = try await connection.query(
                """
                SELECT route, from_mode, to_mode, reason, at, cause FROM \(unescaped: tables.event)
                ORDER BY id DESC LIMIT \(limit)
                """, logger: logger)
            var events: [RouteEvent] = []
            for try await (route, from, to, reason, at, cause) in rows.decode(
                (String, String, String, String, Double, String).self)
            {
                events.append(RouteEvent(route: route, from: from, to: to, reason: reason, at: at, cause: cause))
            }
            return events
        }
    }

    // MARK: Differences

    /// Adds the aggregates' counts and the totals to the stored ones with atomic upserts in one
    /// transaction, and inserts an aggregate's samples while it holds fewer than
    /// ``samplesPerAggregate``.
    ///
    /// Writers lock rows in one order (totals by route, then aggregates by ``DifferenceAggregate/key``),
    /// so proxies merging the same routes at once wait for each other instead of deadlocking. An
    /// empty batch writes nothing.
    public func mergeDifferences(_ aggregates: [DifferenceAggregate], totals: [ShadowTotals]) async throws {
        guard !aggregates.isEmpty || !totals.isEmpty else { return }
        // Every writer locks rows in the same order (by route, then by aggregate key), so two
        // proxies merging the same routes wait for each other instead of deadlocking.
        let totals = totals.sorted { $0.route < $1.route }
        let aggregates = aggregates.sorted { $0.key < $1.key }
        let limit = Self.samplesPerAggregate
        try await run { connection, logger, tables in
            try await connection.withTransaction(logger: logger) { connection in
                for total in totals {
                    _ = try await connection.query(
                        """
                        INSERT INTO \(unescaped: tables.totals) AS t (route, compared, differing, failing)
                        VALUES (\(total.route), \(total.compared), \(total.differing), \(total.failing))
                        ON CONFLICT (route) DO UPDATE SET compared = t.compared + EXCLUDED.compared,
                        differing = t.differing + EXCLUDED.differing, failing = t.failing + EXCLUDED.failing
                        """, logger: logger
                    ).collect()
                }
                for aggregate in aggregates {
                    // The upsert locks the aggregate's row until the transaction ends, so the
                    // sample count below is read by one writer of this aggregate at a time.
                    _ = try await connection.query(
                        """
                        INSERT INTO \(unescaped: tables.aggregate) AS t (route, kind, location, severity, count,
                        first_seen, last_seen, explanation, policy_reason)
                        VALUES (\(aggregate.route), \(aggregate.kind.rawValue), \(aggregate.location),
                        \(aggregate.severity.rawValue), \(aggregate.count), \(aggregate.firstSeen),
                        \(aggregate.lastSeen), \(aggregate.explanation), \(aggregate.policyReason))
                        ON CONFLICT (route, kind, location) DO UPDATE SET count = t.count + EXCLUDED.count,
                        first_seen = LEAST(t.first_seen, EXCLUDED.first_seen),
                        last_seen = GREATEST(t.last_seen, EXCLUDED.last_seen), severity = EXCLUDED.severity,
                        explanation = EXCLUDED.explanation, policy_reason = EXCLUDED.policy_reason
                        """, logger: logger
                    ).collect()
                    for sample in aggregate.samples.prefix(limit) {
                        _ = try await connection.query(
                            """
                            INSERT INTO \(unescaped: tables.sample) (route, kind, location, method, target,
                            legacy_status, candidate_status, legacy_value, candidate_value, legacy_body,
                            candidate_body, at, request_id, legacy_headers, candidate_headers, origin)
                            SELECT \(aggregate.route), \(aggregate.kind.rawValue), \(aggregate.location),
                            \(sample.method), \(sample.target), \(sample.legacyStatus), \(sample.candidateStatus),
                            \(sample.legacyValue), \(sample.candidateValue), \(sample.legacyBody),
                            \(sample.candidateBody), \(sample.at), \(sample.requestID), \(sample.legacyHeaders),
                            \(sample.candidateHeaders), \(sample.origin.rawValue)
                            WHERE (SELECT count(*) FROM \(unescaped: tables.sample) WHERE route = \(aggregate.route)
                            AND kind = \(aggregate.kind.rawValue) AND location = \(aggregate.location)) < \(limit)
                            """, logger: logger
                        ).collect()
                    }
                }
            }
        }
    }

    /// Every aggregate with its samples (oldest first), most frequent first, then by route, kind
    /// and location (byte order). Rows with a kind or severity this build does not know are left
    /// out.
    public func differenceAggregates() async throws -> [DifferenceAggregate] {
        try await run { connection, logger, tables in
            let rows = try await connection.query(
                """
                SELECT route, kind, location, severity, count, first_seen, last_seen, explanation, policy_reason
                FROM \(unescaped: tables.aggregate)
                ORDER BY count DESC, route COLLATE "C", kind COLLATE "C", location COLLATE "C"
                """, logger: logger)
            var aggregates: [DifferenceAggregate] = []
            for try await (route, kind, location, severity, count, firstSeen, lastSeen, explanation, policyReason)
                in rows.decode((String, String, String, String, Int, Double, Double, String, String?).self)
            {
                guard let kind = DifferenceKind(rawValue: kind), let severity = Severity(rawValue: severity) else {
                    continue
                }
                aggregates.append(
                    DifferenceAggregate(
                        route: route, kind: kind, location: location, severity: severity, count: count,
                        firstSeen: firstSeen, lastSeen: lastSeen, explanation: explanation,
                        policyReason: policyReason))
            }
            let samples = try await connection.query(
                """
                SELECT route, kind, location, method, target, legacy_status, candidate_status, legacy_value,
                candidate_value, legacy_body, candidate_body, at, request_id, legacy_headers, candidate_headers,
                origin FROM \(unescaped: tables.sample) ORDER BY id
                """, logger: logger)
            var byKey: [String: [DifferenceSample]] = [:]
            for try await row in samples.decode(
                (
                    String, String, String, String, String, Int, Int, String?, String?, String, String, Double,
                    String?, String, String, String
                ).self)
            {
                byKey["\(row.0)\u{1}\(row.1)\u{1}\(row.2)", default: []].append(
                    DifferenceSample(
                        method: row.3, target: row.4, legacyStatus: row.5, candidateStatus: row.6, legacyValue: row.7,
                        candidateValue: row.8, legacyBody: row.9, candidateBody: row.10, at: row.11,
                        requestID: row.12, legacyHeaders: row.13, candidateHeaders: row.14,
                        origin: DifferenceOrigin(rawValue: row.15) ?? .shadow))
            }
            for index in aggregates.indices { aggregates[index].samples = byKey[aggregates[index].key] ?? [] }
            return aggregates
        }
    }

    /// Every route's comparison counts, all proxies' together, ordered by route.
    public func shadowTotals() async throws -> [ShadowTotals] {
        try await run { connection, logger, tables in
            let rows = try await connection.query(
                """
                SELECT route, compared, differing, failing FROM \(unescaped: tables.totals)
                ORDER BY route COLLATE "C"
                """, logger: logger)
            var totals: [ShadowTotals] = []
            for try await (route, compared, differing, failing) in rows.decode((String, Int, Int, Int).self) {
                totals.append(ShadowTotals(route: route, compared: compared, differing: differing, failing: failing))
            }
            return totals
        }
    }

    /// The phases in the `banyan_phase` table on the connection's search path (where `banyan
    /// data phase` keeps them), by table name; empty when there is no such table.
    public func dataPhases() async throws -> [String: String] {
        try await run { connection, logger, _ in
            // `banyan data phase` keeps its tables on the connection's search path.
            let exists = try await connection.query(
                "SELECT to_regclass('banyan_phase') IS NOT NULL", logger: logger
            ).collect()
            guard let row = exists.first, try row.decode(Bool.self) else { return [:] }
            var phases: [String: String] = [:]
            let rows = try await connection.query("SELECT table_name, phase FROM banyan_phase", logger: logger)
            for try await (table, phase) in rows.decode((String, String).self) { phases[table] = phase }
            return phases
        }
    }

    /// Closes the connection; later uses fail with "the store is closed".
    public func close() async throws {
        closed.withLock { $0 = true }
        await link.close()
    }

    // MARK: Errors

    /// Runs `body`, turning PostgresNIO's errors (which hide the server's words from their
    /// description) into a ``StateStoreError`` that names the server and says what failed.
    private func run<T: Sendable>(_ body: (PostgresConnection, Logger, Tables) async throws -> T) async throws -> T {
        do {
            guard !closed.withLock({ $0 }) else { throw Closed() }
            return try await turns.run {
                let connection = try await link.connection()
                do {
                    return try await body(connection, logger, tables)
                } catch {
                    // A statement the server refused leaves the connection usable; anything else
                    // (the server hung up, the network failed) means a new one next time.
                    if (error as? PSQLError)?.serverInfo == nil || connection.isClosed {
                        await link.forget(connection)
                    }
                    throw error
                }
            }
        } catch {
            throw StateStoreError(
                error is Closed ? .closed : .query,
                "state: PostgreSQL at \(location.server), database '\(location.database)': " + Self.describe(error),
                cause: error)
        }
    }

    /// The store's connection, made again when it was lost.
    private actor Link {
        let configuration: PostgresConnection.Configuration
        let logger: Logger
        private var current: PostgresConnection?
        private var nextID = 1
        private var closed = false

        init(configuration: PostgresConnection.Configuration, connection: PostgresConnection, logger: Logger) {
            self.configuration = configuration
            self.current = connection
            self.logger = logger
        }

        func connection() async throws -> PostgresConnection {
            guard !closed else { throw Closed() }
            if let current, !current.isClosed { return current }
            current = nil
            let connection = try await PostgresConnection.connect(
                configuration: configuration, id: nextID, logger: logger)
            nextID += 1
            current = connection
            return connection
        }

        func forget(_ connection: PostgresConnection) async {
            if current === connection { current = nil }
            try? await connection.close()
        }

        func close() async {
            closed = true
            if let current { try? await current.close() }
            current = nil
        }
    }

    /// A use of the store after ``close()``.
    private struct Closed: Error {}

    private static func connectFailure(_ location: PostgresStateLocation, _ error: any Error) -> String {
        if let error = error as? PSQLError, error.serverInfo != nil {
            return "state: PostgreSQL at \(location.server) refused the connection (user '\(location.user)', "
                + "database '\(location.database)'): \(describe(error))"
        }
        return "state: cannot connect to PostgreSQL at \(location.server): \(describe(error))"
    }

    /// The cause in words: the server's message, or the system's for a failed connection.
    static func describe(_ error: any Error) -> String {
        switch error {
        case let error as PSQLError:
            if let message = error.serverInfo?[.message] {
                return message + (error.serverInfo?[.detail].map { " (\($0))" } ?? "")
            }
            if let underlying = error.underlying { return describe(underlying) }
            return String(describing: error.code)
        case let error as PostgresTransactionError:
            let cause = error.closureError ?? error.beginError ?? error.commitError ?? error.rollbackError
            return cause.map(describe) ?? String(reflecting: error)
        case let error as NIOConnectionError:
            return error.connectionErrors.first.map { describe($0.error) } ?? "no address for \(error.host)"
        case is Closed:
            return "the store is closed"
        case let error as IOError:
            return String(cString: strerror(error.errnoCode)).lowercased()
        default:
            return String(describing: error)
        }
    }
}
