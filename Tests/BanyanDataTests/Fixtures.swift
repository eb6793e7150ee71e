import BanyanCore
import BanyanData
import Foundation

/// The users table as the legacy service kept it, and as the rewrite keeps it: renamed columns,
/// `full_name` split, epoch milliseconds turned into timestamps, 0/1 into booleans.
enum Fixtures {
    static let legacySchema = """
        CREATE TABLE users (id BIGINT PRIMARY KEY, full_name TEXT NOT NULL, email TEXT, created_ms BIGINT, \
        verified INTEGER, updated_at BIGINT)
        """
    static let newSchema = """
        CREATE TABLE customers (id BIGINT PRIMARY KEY, first_name TEXT, last_name TEXT, email TEXT, \
        created_at TIMESTAMPTZ, is_verified BOOLEAN, updated_at TIMESTAMPTZ)
        """
    static let mappingYAML = """
        table: users
        target: customers
        version: updated_at
        columns:
          id: id
          first_name: { expr: "before(full_name, ' ')" }
          last_name: { expr: "after(full_name, ' ')" }
          email: { from: email, canonical: [trim, lower] }
          created_at: { from: created_ms, type: timestamp, canonical: { precision: ms } }
          is_verified: { from: verified, type: boolean }
          updated_at: { from: updated_at, type: timestamp }
        """

    static var mapping: TableMapping { try! MappingFile.parse(mappingYAML) }

    static let baseMillis: Int64 = 1_700_000_000_000

    /// `count` legacy rows with ids `first...`: every 17th name has no space.
    static func legacyRows(_ ids: ClosedRange<Int>, version: Int64 = 0) -> [String] {
        ids.map { i in
            let name = i % 17 == 0 ? "Solo\(i)" : "First\(i) Last \(i)"
            return "(\(i), '\(name)', 'user\(i)@example.com', \(baseMillis + Int64(i) * 1000 + Int64(i % 1000)), "
                + "\(i % 2), \(baseMillis + Int64(i) + version))"
        }
    }

    static func insertLegacy(_ store: any DataStore, _ ids: ClosedRange<Int>, version: Int64 = 0) async throws {
        let rows = legacyRows(ids, version: version)
        var start = 0
        while start < rows.count {
            let batch = rows[start..<min(rows.count, start + 500)]
            try await store.execute(
                "INSERT INTO users (id, full_name, email, created_ms, verified, updated_at) VALUES "
                    + batch.joined(separator: ", "))
            start += 500
        }
    }

    static func prepare(legacy: any DataStore, new: any DataStore, rows: Int) async throws {
        try await legacy.execute(legacySchema)
        try await new.execute(newSchema)
        if rows > 0 { try await insertLegacy(legacy, 1...rows) }
    }
}

extension DataStore {
    func integer(_ sql: String) async throws -> Int64 {
        guard case .integer(let value)? = try await select(sql, []).first?.first else { return -1 }
        return value
    }
}
