import BanyanCore
import Foundation
import PostgresNIO
import SQLiteNIO

/// Reads a database's schema for the shared-database guard, and applies a migration file to a
/// throwaway copy to read the schema it would leave. PostgreSQL and SQLite parse the SQL.
public enum SchemaInspector {
    /// The tables of the database (PostgreSQL: the current schema), with what the guard compares.
    public static func snapshot(_ store: any DataStore) async throws -> SchemaSnapshot {
        switch store.engine {
        case .postgres: try await postgresSnapshot(store)
        case .sqlite: try await sqliteSnapshot(store)
        }
    }

    static func text(_ value: DataValue?) -> String? {
        switch value {
        case .text(let text)?, .json(let text)?, .numeric(let text)?: text
        case .integer(let number)?: String(number)
        case .boolean(let flag)?: flag ? "true" : "false"
        default: nil
        }
    }

    static func postgresSnapshot(_ store: any DataStore) async throws -> SchemaSnapshot {
        let schema = "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema()"
        var tables = [String: TableSchema]()
        var order = [String]()
        for row in try await store.select(
            """
            SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnum::int8, NOT a.attnotnull,
              CASE WHEN a.attidentity <> '' THEN 'generated as identity'
                   WHEN a.attgenerated <> '' THEN 'generated always as ' || pg_get_expr(d.adbin, d.adrelid)
                   ELSE pg_get_expr(d.adbin, d.adrelid) END
            FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
            LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
            \(schema) AND c.relkind IN ('r', 'p') AND NOT c.relispartition
            ORDER BY c.relname, a.attnum
            """, [])
        {
            let name = text(row[0]) ?? ""
            if tables[name] == nil {
                tables[name] = TableSchema(name: name, columns: [])
                order.append(name)
            }
            var position = 0
            if case .integer(let number) = row[3] { position = Int(number) }
            tables[name]!.columns.append(
                ColumnSchema(
                    name: text(row[1]) ?? "", type: text(row[2]) ?? "", position: position,
                    nullable: row[4] == .boolean(true), defaultExpression: text(row[5])))
        }
        for row in try await store.select(
            """
            SELECT c.relname, a.attname FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
            JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, position) ON true
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
            \(schema) AND i.indisprimary ORDER BY c.relname, k.position
            """, [])
        {
            tables[text(row[0]) ?? ""]?.primaryKey.append(text(row[1]) ?? "")
        }
        for row in try await store.select(
            """
            SELECT c.relname, i.indisunique,
              regexp_replace(pg_get_indexdef(i.indexrelid), '^CREATE (UNIQUE )?INDEX \\S+ ON (ONLY )?\\S+ (USING btree )?', '')
            FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
            \(schema) AND NOT i.indisprimary ORDER BY c.relname, 3
            """, [])
        {
            let table = text(row[0]) ?? ""
            if row[1] == .boolean(true) {
                tables[table]?.uniques.append(text(row[2]) ?? "")
            } else {
                tables[table]?.indexes.append(text(row[2]) ?? "")
            }
        }
        for row in try await store.select(
            """
            SELECT c.relname, co.contype::text, pg_get_constraintdef(co.oid) FROM pg_constraint co
            JOIN pg_class c ON c.oid = co.conrelid
            \(schema) AND co.contype IN ('c', 'f') ORDER BY c.relname, 3
            """, [])
        {
            let table = text(row[0]) ?? ""
            if text(row[1]) == "c" {
                tables[table]?.checks.append(text(row[2]) ?? "")
            } else {
                tables[table]?.foreignKeys.append(text(row[2]) ?? "")
            }
        }
        return SchemaSnapshot(tables: order.compactMap { tables[$0] })
    }

    static func sqliteSnapshot(_ store: any DataStore) async throws -> SchemaSnapshot {
        var tables = [TableSchema]()
        for row in try await store.select(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
                + "ORDER BY name", [])
        {
            let name = text(row[0]) ?? ""
            var table = TableSchema(name: name, columns: [])
            var key = [(Int, String)]()
            for column in try await store.select("PRAGMA table_xinfo(\(quoted(name)))", []) {
                guard case .integer(let cid) = column[0] else { continue }
                let columnName = text(column[1]) ?? ""
                table.columns.append(
                    ColumnSchema(
                        name: columnName, type: text(column[2]) ?? "", position: Int(cid),
                        nullable: column[3] != .integer(1), defaultExpression: text(column[4])))
                if case .integer(let position) = column[5], position > 0 { key.append((Int(position), columnName)) }
            }
            table.primaryKey = key.sorted { $0.0 < $1.0 }.map(\.1)
            for index in try await store.select("PRAGMA index_list(\(quoted(name)))", []) {
                let indexName = text(index[1]) ?? ""
                guard text(index[3]) != "pk" else { continue }
                let columns = try await store.select("PRAGMA index_info(\(quoted(indexName)))", []).map {
                    text($0[2]) ?? "<expression>"
                }
                let definition = "(\(columns.joined(separator: ", ")))" + (index[4] == .integer(1) ? " WHERE …" : "")
                if index[2] == .integer(1) {
                    table.uniques.append(definition)
                } else {
                    table.indexes.append(definition)
                }
            }
            table.uniques.sort()
            table.indexes.sort()
            var keys = [Int64: (from: [String], table: String, to: [String])]()
            for foreign in try await store.select("PRAGMA foreign_key_list(\(quoted(name)))", []) {
                guard case .integer(let id) = foreign[0] else { continue }
                var entry = keys[id] ?? ([], text(foreign[2]) ?? "", [])
                entry.from.append(text(foreign[3]) ?? "")
                if let to = text(foreign[4]) { entry.to.append(to) }
                keys[id] = entry
            }
            table.foreignKeys = keys.values.map {
                "FOREIGN KEY (\($0.from.joined(separator: ", "))) REFERENCES \($0.table)"
                    + ($0.to.isEmpty ? "" : "(\($0.to.joined(separator: ", ")))")
            }.sorted()
            table.checks = checkClauses(text(row[1]) ?? "").sorted()
            tables.append(table)
        }
        return SchemaSnapshot(tables: tables)
    }

    /// The `CHECK (…)` clauses of a CREATE TABLE statement as SQLite stored it. SQLite has no
    /// catalogue of them; this finds the keyword outside quotes and comments and takes the
    /// balanced parentheses after it, as written.
    static func checkClauses(_ sql: String) -> [String] {
        let characters = Array(sql)
        var clauses = [String]()
        var index = 0
        func skipQuoted(_ close: Character) {
            index += 1
            while index < characters.count {
                if characters[index] == close {
                    if index + 1 < characters.count && characters[index + 1] == close {
                        index += 2
                        continue
                    }
                    break
                }
                index += 1
            }
            index += 1
        }
        while index < characters.count {
            let character = characters[index]
            switch character {
            case "'", "\"", "`": skipQuoted(character)
            case "[": skipQuoted("]")
            case "-" where index + 1 < characters.count && characters[index + 1] == "-":
                while index < characters.count && characters[index] != "\n" { index += 1 }
            default:
                let word = index + 5 <= characters.count ? String(characters[index..<index + 5]).uppercased() : ""
                let before = index == 0 ? " " : characters[index - 1]
                guard word == "CHECK", !(before.isLetter || before.isNumber || before == "_") else {
                    index += 1
                    continue
                }
                var cursor = index + 5
                while cursor < characters.count && characters[cursor].isWhitespace { cursor += 1 }
                guard cursor < characters.count, characters[cursor] == "(" else {
                    index += 1
                    continue
                }
                var depth = 0
                let start = cursor
                while cursor < characters.count {
                    if characters[cursor] == "(" { depth += 1 }
                    if characters[cursor] == ")" {
                        depth -= 1
                        if depth == 0 { break }
                    }
                    if characters[cursor] == "'" {
                        cursor += 1
                        while cursor < characters.count && characters[cursor] != "'" { cursor += 1 }
                    }
                    cursor += 1
                }
                clauses.append("CHECK " + String(characters[start...min(cursor, characters.count - 1)]))
                index = cursor + 1
            }
        }
        return clauses
    }

    /// A migration file the database refused: the file, the line and the database's message.
    public struct MigrationFailure: Error, Sendable, CustomStringConvertible {
        public var file: String
        public var line: Int?
        public var message: String
        public var description: String {
            "\(file)\(line.map { ":\($0)" } ?? ""): the database refused the migration: \(message)"
        }
    }

    /// The schema the migration would leave: applied in a transaction that is rolled back
    /// (PostgreSQL: on the database itself, with a short lock timeout; SQLite: on a copy made
    /// with VACUUM INTO, removed afterwards). The database is left as it was.
    public static func snapshotAfter(migration sql: String, file: String, on store: any DataStore) async throws
        -> SchemaSnapshot
    {
        switch store.engine {
        case .postgres:
            let postgres = store as! PostgresStore
            return try await rolledBack(postgres) {
                try await postgres.execute("SET LOCAL lock_timeout = '5s'")
                try await postgres.execute(
                    "CREATE FUNCTION pg_temp.banyan_apply_migration(migration text) RETURNS void "
                        + "LANGUAGE plpgsql AS $f$ BEGIN EXECUTE migration; END $f$")
                try await postgres.applyMigration(sql, file: file)
                return try await snapshot(postgres)
            }
        case .sqlite:
            let copyPath = FileManager.default.temporaryDirectory.appendingPathComponent(
                "banyan-schema-\(UUID().uuidString.prefix(8)).sqlite"
            ).path
            _ = try await store.select("VACUUM INTO $1", [.text(copyPath)])
            defer {
                for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: copyPath + suffix) }
            }
            return try await withStore(.sqlite(path: copyPath)) { copy in
                let sqlite = copy as! SQLiteStore
                return try await rolledBack(sqlite) {
                    try await sqlite.applyMigration(sql, file: file)
                    return try await snapshot(sqlite)
                }
            }
        }
    }

    /// Runs `body` in a transaction that is always rolled back.
    static func rolledBack<T>(_ store: any DataStore, _ body: () async throws -> T) async throws -> T {
        try await store.execute("BEGIN")
        do {
            let result = try await body()
            try await store.execute("ROLLBACK")
            return result
        } catch {
            try? await store.execute("ROLLBACK")
            throw error
        }
    }

    /// The 1-based line of a 0-based character offset.
    static func line(of offset: Int, in text: String) -> Int {
        1 + text.prefix(max(0, offset)).filter { $0 == "\n" }.count
    }
}

extension PostgresStore {
    /// Runs a whole migration file through PL/pgSQL's EXECUTE (the extended protocol takes one
    /// statement; EXECUTE takes many), mapping an error's position in the file to its line.
    func applyMigration(_ sql: String, file: String) async throws {
        var binds = PostgresBindings()
        binds.append(sql)
        do {
            _ = try await connection.query(
                PostgresQuery(unsafeSQL: "SELECT pg_temp.banyan_apply_migration($1)", binds: binds), logger: logger
            ).collect()
        } catch let error as PSQLError {
            let message = error.serverInfo?[.message] ?? String(reflecting: error)
            let detail = error.serverInfo?[.detail].map { " (\($0))" } ?? ""
            let line = error.serverInfo?[.internalPosition].flatMap(Int.init).map {
                SchemaInspector.line(of: $0 - 1, in: sql)
            }
            throw SchemaInspector.MigrationFailure(file: file, line: line, message: message + detail)
        }
    }
}

extension SQLiteStore {
    /// Runs a migration file statement by statement. SQLite prepares one statement at a time and
    /// decides where each ends: a piece up to a `;` that SQLite calls incomplete (a `;` inside a
    /// string, a trigger body) is joined to the next piece; a piece that is only a comment is
    /// skipped. An error names the line where its statement starts.
    func applyMigration(_ sql: String, file: String) async throws {
        let text = Array(sql)
        var start = 0
        var end = 0
        while start < text.count {
            while end < text.count && text[end] != ";" { end += 1 }
            let piece = String(text[start..<min(text.count, end + 1)])
            let firstCode = piece.firstIndex { !$0.isWhitespace }.map { piece.distance(from: piece.startIndex, to: $0) }
            do {
                if firstCode != nil { try await connection.query(piece, []) { _ in } }
                end += 1
                start = end
            } catch {
                let reason = (error as? SQLiteError).map { "\($0.reason)" } ?? ""
                let message = (error as? SQLiteError)?.message ?? "\(error)"
                if end < text.count && (message.contains("incomplete input") || message.contains("unrecognized token"))
                {
                    end += 1
                    continue
                }
                // SQLite prepares a piece holding only a comment to no statement; stepping it is
                // a misuse, not an error of the file. When the piece's last line holds a `--` or
                // an unclosed `/*`, its `;` was inside that comment: the piece goes on.
                if reason == "misuse" {
                    let lastLine = piece.split(separator: "\n", omittingEmptySubsequences: false).last ?? ""
                    let openBlock = piece.range(of: "/*", options: .backwards).map {
                        piece[$0.upperBound...].range(of: "*/") == nil
                    }
                    if end < text.count && (lastLine.contains("--") || openBlock == true) {
                        end += 1
                        continue
                    }
                    end += 1
                    start = end
                    continue
                }
                throw SchemaInspector.MigrationFailure(
                    file: file, line: SchemaInspector.line(of: start + (firstCode ?? 0), in: sql), message: message)
            }
        }
    }
}
