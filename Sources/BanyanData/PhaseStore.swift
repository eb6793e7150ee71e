import BanyanCore
import Foundation

/// Where Banyan keeps each table's phase, its history, and the reconcile results the gate reads:
/// three tables in the state database (embedded SQLite by default, PostgreSQL for a fleet).
public struct PhaseStore: Sendable {
    public let store: any DataStore

    public init(store: any DataStore) { self.store = store }

    /// The default state database, relative to the working directory.
    public static let defaultURL = "sqlite:.banyan/state.sqlite"

    func prepare() async throws {
        let autoincrement =
            store.engine == .sqlite ? "INTEGER PRIMARY KEY AUTOINCREMENT" : "bigserial PRIMARY KEY"
        try await store.execute(
            "CREATE TABLE IF NOT EXISTS banyan_phase (table_name TEXT PRIMARY KEY, phase TEXT NOT NULL, "
                + "changed_at BIGINT NOT NULL)")
        try await store.execute(
            "CREATE TABLE IF NOT EXISTS banyan_phase_history (id \(autoincrement), table_name TEXT NOT NULL, "
                + "from_phase TEXT NOT NULL, to_phase TEXT NOT NULL, at BIGINT NOT NULL, reason TEXT NOT NULL)")
        try await store.execute(
            "CREATE TABLE IF NOT EXISTS banyan_reconcile (id \(autoincrement), table_name TEXT NOT NULL, "
                + "at BIGINT NOT NULL, clean BOOLEAN NOT NULL, checked BIGINT NOT NULL, drift BIGINT NOT NULL, "
                + "partial BOOLEAN NOT NULL, report TEXT NOT NULL)")
    }

    /// The table's phase; LegacyOnly when nothing is recorded.
    public func phase(of table: String) async throws -> MigrationPhase {
        try await prepare()
        let rows = try await store.select("SELECT phase FROM banyan_phase WHERE table_name = $1", [.text(table)])
        guard case .text(let name)? = rows.first?.first else { return .legacyOnly }
        return MigrationPhase(rawValue: name) ?? .legacyOnly
    }

    public func history(of table: String) async throws -> [PhaseTransition] {
        try await prepare()
        let rows = try await store.select(
            "SELECT from_phase, to_phase, at, reason FROM banyan_phase_history WHERE table_name = $1 ORDER BY id",
            [.text(table)])
        return rows.compactMap { row in
            guard case .text(let from) = row[0], case .text(let to) = row[1], case .integer(let at) = row[2],
                case .text(let reason) = row[3], let fromPhase = MigrationPhase(rawValue: from),
                let toPhase = MigrationPhase(rawValue: to)
            else { return nil }
            return PhaseTransition(table: table, from: fromPhase, to: toPhase, at: at, reason: reason)
        }
    }

    public func lastReconcile(of table: String) async throws -> ReconcileRecord? {
        try await prepare()
        let rows = try await store.select(
            "SELECT at, clean, checked, drift, partial FROM banyan_reconcile WHERE table_name = $1 "
                + "ORDER BY at DESC, id DESC LIMIT 1", [.text(table)])
        guard let row = rows.first, case .integer(let at) = row[0], case .integer(let checked) = row[2],
            case .integer(let drift) = row[3]
        else { return nil }
        return ReconcileRecord(
            table: table, at: at, clean: row[1].truthy, checked: Int(checked), drift: Int(drift), partial: row[4].truthy
        )
    }

    /// Records a reconcile result for the gate.
    public func record(_ report: ReconcileReport, at: Int64 = nowMilliseconds()) async throws {
        try await prepare()
        _ = try await store.select(
            "INSERT INTO banyan_reconcile (table_name, at, clean, checked, drift, partial, report) "
                + "VALUES ($1, $2, $3, $4, $5, $6, $7)",
            [
                .text(report.table), .integer(at), .boolean(report.isClean), .integer(Int64(report.checked)),
                .integer(Int64(report.drift)), .boolean(report.since != nil), .text(report.jsonValue.serializedText),
            ])
    }

    /// Moves a table to `to` when the rules allow it, recording when and why.
    public func move(
        table: String, to: MigrationPhase, reason: String, maxAgeMilliseconds: Int64, now: Int64 = nowMilliseconds()
    ) async throws -> PhaseTransition {
        let from = try await phase(of: table)
        let record = try await lastReconcile(of: table)
        if let error = PhaseRules.check(
            table: table, from: from, to: to, lastReconcile: record, now: now, maxAgeMilliseconds: maxAgeMilliseconds)
        {
            throw error
        }
        try await store.execute("BEGIN")
        do {
            _ = try await store.select(
                "INSERT INTO banyan_phase (table_name, phase, changed_at) VALUES ($1, $2, $3) "
                    + "ON CONFLICT (table_name) DO UPDATE SET phase = excluded.phase, changed_at = excluded.changed_at",
                [.text(table), .text(to.rawValue), .integer(now)])
            _ = try await store.select(
                "INSERT INTO banyan_phase_history (table_name, from_phase, to_phase, at, reason) "
                    + "VALUES ($1, $2, $3, $4, $5)",
                [.text(table), .text(from.rawValue), .text(to.rawValue), .integer(now), .text(reason)])
            try await store.execute("COMMIT")
        } catch {
            try? await store.execute("ROLLBACK")
            throw error
        }
        return PhaseTransition(table: table, from: from, to: to, at: now, reason: reason)
    }
}

public func nowMilliseconds() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

extension DataValue {
    var truthy: Bool {
        switch self {
        case .boolean(let value): value
        case .integer(let value): value != 0
        case .text(let text): text == "true" || text == "t" || text == "1"
        default: false
        }
    }
}
