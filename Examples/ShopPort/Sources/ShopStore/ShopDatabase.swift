import Foundation
import Logging
import SQLiteNIO
import ShopCore

/// The port's own store: an SQLite file in the rewrite's schema (`customers` with `first_name`
/// and `last_name`, `orders` with renamed columns, ISO 8601 timestamps), which differs from the
/// legacy service's on purpose. The shop serves from memory, loaded from the file at start; every
/// write goes back to the file in order, through one writer task (write-behind).
public final class ShopDatabase: ShopJournal {
    enum Change: Sendable {
        case created(Seed.User, at: Int64)
        case deleted(Int)
    }

    let connection: SQLiteConnection
    private let changes: AsyncStream<Change>
    private let continuation: AsyncStream<Change>.Continuation

    /// The schema, created when missing (`Examples/ShopPort/schema.sqlite.sql` holds the same).
    public static let schema = [
        """
        CREATE TABLE IF NOT EXISTS customers (id INTEGER PRIMARY KEY, first_name TEXT NOT NULL, \
        last_name TEXT NOT NULL, email_address TEXT NOT NULL, created_at TIMESTAMP NOT NULL, \
        updated_at TIMESTAMP NOT NULL)
        """,
        """
        CREATE TABLE IF NOT EXISTS orders (order_id TEXT PRIMARY KEY, account_id INTEGER NOT NULL, \
        amount_cents INTEGER NOT NULL, currency TEXT NOT NULL, status TEXT NOT NULL, placed_at TIMESTAMP NOT NULL, \
        coupon_code TEXT, updated_at TIMESTAMP NOT NULL)
        """,
    ]

    init(connection: SQLiteConnection) {
        self.connection = connection
        (changes, continuation) = AsyncStream.makeStream(of: Change.self)
    }

    /// Opens (or creates) the file; an empty database gets the seed, as shop-legacy's does.
    public static func open(path: String) async throws -> ShopDatabase {
        var logger = Logger(label: "shop.sqlite")
        logger.logLevel = .critical
        let connection = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        let database = ShopDatabase(connection: connection)
        try await database.execute("PRAGMA busy_timeout = 10000")
        try await database.execute("PRAGMA journal_mode = WAL")
        for statement in schema { try await database.execute(statement) }
        if try await database.rows("SELECT count(*) FROM customers").first?.first?.integer == 0 {
            try await database.execute("BEGIN")
            for user in Seed.users {
                try await database.insert(user, at: Date.UTC2026 + Int64(user.id) * 1000)
            }
            for order in Seed.orders {
                try await database.execute(
                    "INSERT OR IGNORE INTO orders VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        .text(order.id), .integer(Int(order.accountId) ?? 0), .integer(order.amountCents),
                        .text(order.currency), .text(order.status), .text(JSDate.isoString(order.createdAtMillis)),
                        order.coupon.map { .text($0) } ?? .null, .text(JSDate.isoString(order.createdAtMillis)),
                    ])
            }
            try await database.execute("COMMIT")
        }
        return database
    }

    func execute(_ sql: String, _ binds: [SQLiteData] = []) async throws {
        try await connection.query(sql, binds) { _ in }
    }

    func rows(_ sql: String) async throws -> [[SQLiteData]] {
        let collected = Collected()
        try await connection.query(sql, []) { row in collected.append(row.columns.map(\.data)) }
        return collected.rows
    }

    func insert(_ user: Seed.User, at millis: Int64) async throws {
        let (first, last) = Self.split(user.name)
        let stamp = SQLiteData.text(JSDate.isoString(millis))
        try await execute(
            "INSERT INTO customers VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET first_name = excluded.first_name, "
                + "last_name = excluded.last_name, email_address = excluded.email_address, updated_at = excluded.updated_at",
            [.integer(user.id), .text(first), .text(last), .text(user.email), stamp, stamp])
    }

    /// `full_name` split at the first space, as the backfill mapping does; no space gives (name, "").
    static func split(_ name: String) -> (String, String) {
        guard let space = name.firstIndex(of: " ") else { return (name, "") }
        return (String(name[..<space]), String(name[name.index(after: space)...]))
    }

    public func loadUsers() async throws -> [Seed.User] {
        try await rows("SELECT id, first_name, last_name, email_address FROM customers ORDER BY id").map { row in
            let first = row[1].string ?? ""
            let last = row[2].string ?? ""
            let name = last.isEmpty ? first : first + " " + last
            return Seed.User(id: row[0].integer ?? 0, name: name, email: row[3].string ?? "")
        }
    }

    public func loadOrders() async throws -> [Seed.Order] {
        try await rows(
            "SELECT order_id, account_id, amount_cents, currency, status, placed_at, coupon_code FROM orders ORDER BY order_id"
        ).map { row in
            Seed.Order(
                id: row[0].string ?? "", accountId: String(row[1].integer ?? 0), amountCents: row[2].integer ?? 0,
                currency: row[3].string ?? "", status: row[4].string ?? "",
                createdAtMillis: JSDate.parseISO(row[5].string ?? "") ?? 0, coupon: row[6].string)
        }
    }

    public func userCreated(_ user: Seed.User) {
        continuation.yield(.created(user, at: Int64(Date().timeIntervalSince1970 * 1000)))
    }

    public func userDeleted(id: Int) { continuation.yield(.deleted(id)) }

    /// Writes the changes in order until `finish()`; a failed write is reported and skipped.
    public func runWriter(onError: @Sendable (String) -> Void) async {
        for await change in changes {
            do {
                switch change {
                case .created(let user, let at): try await insert(user, at: at)
                case .deleted(let id): try await execute("DELETE FROM customers WHERE id = ?", [.integer(id)])
                }
            } catch {
                onError("ShopPort: database write failed: \(error)")
            }
        }
    }

    public func finish() { continuation.finish() }

    public func close() async throws { try await connection.close() }
}

/// Rows handed over by SQLiteNIO's callback.
final class Collected: @unchecked Sendable {
    // @unchecked: appended on the one thread running the statement, read after the query returned;
    // the lock makes the hand-over explicit.
    private let lock = NSLock()
    private var storage: [[SQLiteData]] = []
    func append(_ row: [SQLiteData]) { lock.withLock { storage.append(row) } }
    var rows: [[SQLiteData]] { lock.withLock { storage } }
}

extension Date {
    /// 2026-01-01T00:00:00Z in milliseconds: the seed's creation time, as in shop-legacy.
    static let UTC2026: Int64 = 1_767_225_600_000
}
