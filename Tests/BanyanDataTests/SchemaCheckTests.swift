import BanyanCore
import Foundation
import SharedTestSupport
import Testing

@testable import BanyanData

/// The schema guard on real databases: each migration applied (and rolled back) by PostgreSQL
/// and by SQLite, the changes read from their catalogues, and the verdicts pinned.
@Suite struct SchemaCheckTests {
    static let baseSchema = [
        """
        CREATE TABLE users (id BIGINT PRIMARY KEY, email VARCHAR(100) NOT NULL, name TEXT, age INTEGER,
          status TEXT NOT NULL DEFAULT 'active', created_ms BIGINT)
        """,
        "CREATE TABLE orders (id BIGINT PRIMARY KEY, user_id BIGINT NOT NULL, total NUMERIC(10,2), note TEXT)",
        "CREATE INDEX orders_user ON orders (user_id)",
        "CREATE TABLE legacy_sessions (id BIGINT PRIMARY KEY, token TEXT)",
    ]

    /// What legacy reads and writes: not users.created_ms, not legacy_sessions.
    static let uses = LegacyColumnUse(columns: [
        "users.id", "users.email", "users.name", "users.age", "users.status", "orders.*",
    ])

    /// SQLite changes a column's type or constraints by rebuilding the table.
    static func rebuildUsers(_ definition: String) -> String {
        """
        CREATE TABLE users_new (\(definition));
        INSERT INTO users_new SELECT * FROM users;
        DROP TABLE users;
        ALTER TABLE users_new RENAME TO users;
        """
    }

    static func rebuildOrders(_ definition: String) -> String {
        """
        CREATE TABLE orders_new (\(definition));
        INSERT INTO orders_new SELECT * FROM orders;
        DROP TABLE orders;
        ALTER TABLE orders_new RENAME TO orders;
        CREATE INDEX orders_user ON orders (user_id);
        """
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var postgres: String
        var sqlite: String?
        var withUses = false
        /// `rule table.column`, in report order.
        var expected: [String]
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(
            name: "add a nullable column", postgres: "ALTER TABLE users ADD COLUMN nickname TEXT;",
            expected: ["column-added-nullable users.nickname"]),
        Case(
            name: "add a NOT NULL column with a default",
            postgres: "ALTER TABLE users ADD COLUMN verified BOOLEAN NOT NULL DEFAULT false;",
            expected: ["column-added-with-default users.verified"]),
        Case(
            name: "add a NOT NULL column without a default",
            postgres: "ALTER TABLE users ADD COLUMN tier TEXT NOT NULL;",
            sqlite: rebuildUsers(
                "id BIGINT PRIMARY KEY, email VARCHAR(100) NOT NULL, name TEXT, age INTEGER, "
                    + "status TEXT NOT NULL DEFAULT 'active', created_ms BIGINT, tier TEXT NOT NULL"
            ).replacingOccurrences(of: "SELECT * FROM users", with: "SELECT *, '' FROM users"),
            expected: ["column-added-not-null users.tier"]),
        Case(
            name: "drop a column legacy reads", postgres: "ALTER TABLE users DROP COLUMN name;",
            expected: ["column-dropped users.name"]),
        Case(
            name: "drop a column legacy does not use", postgres: "ALTER TABLE users DROP COLUMN created_ms;",
            withUses: true, expected: ["column-dropped-unused users.created_ms"]),
        Case(
            name: "drop a column without a list of used columns", postgres: "ALTER TABLE users DROP COLUMN created_ms;",
            expected: ["column-dropped users.created_ms"]),
        Case(
            name: "rename a column legacy reads", postgres: "ALTER TABLE users RENAME COLUMN name TO full_name;",
            expected: ["column-renamed users.name"]),
        Case(
            name: "rename a column legacy does not use",
            postgres: "ALTER TABLE users RENAME COLUMN created_ms TO created_at_ms;", withUses: true,
            expected: ["column-renamed-unused users.created_ms"]),
        Case(
            name: "widen integer to bigint", postgres: "ALTER TABLE users ALTER COLUMN age TYPE BIGINT;",
            sqlite: rebuildUsers(
                "id BIGINT PRIMARY KEY, email VARCHAR(100) NOT NULL, name TEXT, age BIGINT, "
                    + "status TEXT NOT NULL DEFAULT 'active', created_ms BIGINT"),
            expected: ["type-widened users.age"]),
        Case(
            name: "narrow varchar(100) to varchar(50)",
            postgres: "ALTER TABLE users ALTER COLUMN email TYPE VARCHAR(50);",
            sqlite: rebuildUsers(
                "id BIGINT PRIMARY KEY, email VARCHAR(50) NOT NULL, name TEXT, age INTEGER, "
                    + "status TEXT NOT NULL DEFAULT 'active', created_ms BIGINT"),
            expected: ["type-narrowed users.email"]),
        Case(
            name: "change text to integer",
            postgres: "ALTER TABLE users ALTER COLUMN name TYPE INTEGER USING length(name);",
            sqlite: rebuildUsers(
                "id BIGINT PRIMARY KEY, email VARCHAR(100) NOT NULL, name INTEGER, age INTEGER, "
                    + "status TEXT NOT NULL DEFAULT 'active', created_ms BIGINT"),
            expected: ["type-changed users.name"]),
        Case(
            name: "set NOT NULL", postgres: "ALTER TABLE users ALTER COLUMN name SET NOT NULL;",
            sqlite: rebuildUsers(
                "id BIGINT PRIMARY KEY, email VARCHAR(100) NOT NULL, name TEXT NOT NULL, age INTEGER, "
                    + "status TEXT NOT NULL DEFAULT 'active', created_ms BIGINT"),
            expected: ["not-null-added users.name"]),
        Case(
            name: "drop NOT NULL", postgres: "ALTER TABLE users ALTER COLUMN email DROP NOT NULL;",
            sqlite: rebuildUsers(
                "id BIGINT PRIMARY KEY, email VARCHAR(100), name TEXT, age INTEGER, "
                    + "status TEXT NOT NULL DEFAULT 'active', created_ms BIGINT"),
            expected: ["not-null-dropped users.email"]),
        Case(
            name: "add a default", postgres: "ALTER TABLE users ALTER COLUMN age SET DEFAULT 0;",
            sqlite: rebuildUsers(
                "id BIGINT PRIMARY KEY, email VARCHAR(100) NOT NULL, name TEXT, age INTEGER DEFAULT 0, "
                    + "status TEXT NOT NULL DEFAULT 'active', created_ms BIGINT"),
            expected: ["default-added users.age"]),
        Case(
            name: "drop the default of a NOT NULL column",
            postgres: "ALTER TABLE users ALTER COLUMN status DROP DEFAULT;",
            sqlite: rebuildUsers(
                "id BIGINT PRIMARY KEY, email VARCHAR(100) NOT NULL, name TEXT, age INTEGER, "
                    + "status TEXT NOT NULL, created_ms BIGINT"),
            expected: ["default-dropped-not-null users.status"]),
        Case(
            name: "add a unique index", postgres: "CREATE UNIQUE INDEX users_email ON users (email);",
            expected: ["unique-added users"]),
        Case(
            name: "add a check constraint",
            postgres: "ALTER TABLE orders ADD CONSTRAINT total_positive CHECK (total >= 0);",
            sqlite: rebuildOrders(
                "id BIGINT PRIMARY KEY, user_id BIGINT NOT NULL, total NUMERIC(10,2) CHECK (total >= 0), note TEXT"),
            expected: ["check-added orders"]),
        Case(
            name: "add a foreign key",
            postgres: "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);",
            sqlite: rebuildOrders(
                "id BIGINT PRIMARY KEY, user_id BIGINT NOT NULL REFERENCES users (id), total NUMERIC(10,2), note TEXT"),
            expected: ["foreign-key-added orders"]),
        Case(
            name: "change the primary key",
            postgres:
                "ALTER TABLE orders DROP CONSTRAINT orders_pkey;\nALTER TABLE orders ADD PRIMARY KEY (id, user_id);",
            // SQLite lets a BIGINT PRIMARY KEY hold NULL: the column stays nullable.
            sqlite: rebuildOrders(
                "id BIGINT, user_id BIGINT NOT NULL, total NUMERIC(10,2), note TEXT, PRIMARY KEY (id, user_id)"
            ),
            expected: ["primary-key-changed orders"]),
        Case(name: "drop a table legacy uses", postgres: "DROP TABLE orders;", expected: ["table-dropped orders"]),
        Case(
            name: "drop a table legacy does not use", postgres: "DROP TABLE legacy_sessions;", withUses: true,
            expected: ["table-dropped-unused legacy_sessions"]),
        Case(
            name: "create a table", postgres: "CREATE TABLE audit (id BIGINT PRIMARY KEY, at TEXT);",
            expected: ["table-added audit"]),
        Case(
            name: "add an index", postgres: "CREATE INDEX users_name ON users (name);", expected: ["index-added users"]),
        Case(name: "drop an index", postgres: "DROP INDEX orders_user;", expected: ["index-dropped orders"]),
        Case(
            name: "an additive migration of several statements",
            postgres: """
                -- 0007: profile fields; nothing legacy reads changes
                ALTER TABLE users ADD COLUMN bio TEXT;
                ALTER TABLE users ADD COLUMN locale TEXT NOT NULL DEFAULT 'en';  -- ';' in a comment
                INSERT INTO legacy_sessions (id, token) VALUES (1, 'a;b');
                CREATE INDEX users_locale ON users (locale);
                """,
            expected: [
                "column-added-nullable users.bio", "column-added-with-default users.locale", "index-added users",
            ]),
    ]

    static func findings(_ found: [SchemaFinding]) -> [String] {
        found.map { "\($0.rule.rawValue) \($0.table)\($0.column.map { ".\($0)" } ?? "")" }
    }

    static func check(_ migration: String, on store: any DataStore, uses: LegacyColumnUse? = nil) async throws
        -> [String]
    {
        let before = try await SchemaInspector.snapshot(store)
        let after = try await SchemaInspector.snapshotAfter(migration: migration, file: "m.sql", on: store)
        // The migration was rolled back: the database is as it was.
        #expect(try await SchemaInspector.snapshot(store) == before)
        return findings(SchemaGuard.compare(before: before, after: after, uses: uses))
    }

    @Test(arguments: cases) func postgresVerdicts(_ migration: Case) async throws {
        let url = try await PostgresCluster.get().makeDatabase("schema")
        try await withStore(url) { store in
            for statement in Self.baseSchema { try await store.execute(statement) }
            let found = try await Self.check(
                migration.postgres, on: store, uses: migration.withUses ? Self.uses : nil)
            #expect(found == migration.expected)
        }
    }

    @Test(arguments: cases) func sqliteVerdicts(_ migration: Case) async throws {
        let folder = try temporaryFolder()
        try await withStore(.sqlite(path: "\(folder)/app.sqlite")) { store in
            for statement in Self.baseSchema { try await store.execute(statement) }
            let found = try await Self.check(
                migration.sqlite ?? migration.postgres, on: store, uses: migration.withUses ? Self.uses : nil)
            #expect(found == migration.expected)
        }
    }

    static let refused = """
        -- 0009: a typo on line 4
        ALTER TABLE users ADD COLUMN a INTEGER;

        ALTER TABLE users ADDD COLUMN b INTEGER;
        """

    @Test func aMigrationPostgresRefusesNamesTheLine() async throws {
        let url = try await PostgresCluster.get().makeDatabase("refused")
        try await withStore(url) { store in
            for statement in Self.baseSchema { try await store.execute(statement) }
            let before = try await SchemaInspector.snapshot(store)
            do {
                _ = try await SchemaInspector.snapshotAfter(migration: Self.refused, file: "0009.sql", on: store)
                Issue.record("the migration should have been refused")
            } catch let error as SchemaInspector.MigrationFailure {
                #expect(
                    error.description
                        == "0009.sql:4: the database refused the migration: syntax error at or near \"ADDD\"")
            }
            #expect(try await SchemaInspector.snapshot(store) == before)
        }
    }

    @Test func aMigrationSQLiteRefusesNamesTheLine() async throws {
        let folder = try temporaryFolder()
        try await withStore(.sqlite(path: "\(folder)/app.sqlite")) { store in
            for statement in Self.baseSchema { try await store.execute(statement) }
            do {
                _ = try await SchemaInspector.snapshotAfter(migration: Self.refused, file: "0009.sql", on: store)
                Issue.record("the migration should have been refused")
            } catch let error as SchemaInspector.MigrationFailure {
                #expect(
                    error.description == "0009.sql:4: the database refused the migration: near \"ADDD\": syntax error")
            }
            #expect(try await store.select("SELECT count(*) FROM pragma_table_info('users')", []) == [[.integer(6)]])
        }
    }

    /// The examples shipped with the project, on the command line: exit 1 and the breaking
    /// change for one, exit 0 for the other, exit 3 for a file the database refuses.
    @Test func theExampleMigrationsOnTheCommandLine() async throws {
        let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
            "../../Examples/data"
        ).standardized.path
        let url = try await PostgresCluster.get().makeDatabase("examples")
        try await withStore(url) { store in
            // One statement a query: the driver's extended protocol takes no more.
            let schema = try String(contentsOfFile: "\(examples)/schema.sql", encoding: .utf8)
            for statement in schema.split(separator: ";") where statement.contains("CREATE") {
                try await store.execute(String(statement))
            }
        }
        let database = try PostgresCluster.get().urlText(url.databaseName)
        let breaking = try await CrashSafetyTests.banyan([
            "data", "schema", "check", "--database", database, "--migration", "\(examples)/migrations/breaking.sql",
            "--format", "json",
        ])
        #expect(breaking.status == 1, "\(breaking.error)")
        let report = try JSONParser.parse(breaking.output)
        #expect(report["verdict"] == .string("breaking"))
        func text(_ value: JSONValue?) -> String {
            if case .string(let text)? = value { return text }
            return ""
        }
        guard case .array(let changes)? = report["changes"] else {
            Issue.record("no changes in \(breaking.output)")
            return
        }
        #expect(
            changes.map { "\(text($0["verdict"])) \(text($0["rule"])) \(text($0["column"]))" }
                == [
                    "breaking column-renamed full_name", "breaking column-added-not-null country",
                    "additive column-added-with-default tier",
                ])
        let additive = try await CrashSafetyTests.banyan([
            "data", "schema", "check", "--database", database, "--migration", "\(examples)/migrations/additive.sql",
        ])
        #expect(additive.status == 0, "\(additive.output)\(additive.error)")
        #expect(additive.output.hasSuffix("additive: legacy keeps working on the new schema\n"))
        let folder = try temporaryFolder()
        try "ALTER TABLE users ADD COLUMN x INTEGER;\nALTER TABLE nope ADD COLUMN y INTEGER;\n".write(
            toFile: "\(folder)/bad.sql", atomically: true, encoding: .utf8)
        let refused = try await CrashSafetyTests.banyan([
            "data", "schema", "check", "--database", database, "--migration", "\(folder)/bad.sql",
        ])
        #expect(refused.status == 3)
        #expect(refused.error.contains("bad.sql: the database refused the migration: relation \"nope\" does not exist"))
    }
}
