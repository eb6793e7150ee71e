import BanyanCore
import Testing

/// The shared-database rules as pure functions of two snapshots.
@Suite struct SchemaGuardTests {
    static let users = TableSchema(
        name: "users",
        columns: [
            ColumnSchema(name: "id", type: "bigint", position: 1, nullable: false),
            ColumnSchema(name: "email", type: "character varying(100)", position: 2, nullable: false),
            ColumnSchema(name: "age", type: "integer", position: 3),
            ColumnSchema(
                name: "status", type: "text", position: 4, nullable: false, defaultExpression: "'active'::text"),
        ],
        primaryKey: ["id"], uniques: [], indexes: ["(age)"], checks: ["CHECK ((age >= 0))"])

    static func changed(_ change: (inout TableSchema) -> Void) -> SchemaSnapshot {
        var table = users
        change(&table)
        return SchemaSnapshot(tables: [table])
    }

    static func rules(_ after: SchemaSnapshot, uses: LegacyColumnUse? = nil) -> [String] {
        SchemaGuard.compare(before: SchemaSnapshot(tables: [users]), after: after, uses: uses).map {
            "\($0.rule.rawValue) \($0.table)\($0.column.map { ".\($0)" } ?? "")"
        }
    }

    @Test func eachRuleOnOneChange() {
        #expect(Self.rules(SchemaSnapshot(tables: [Self.users])) == [])
        #expect(
            Self.rules(Self.changed { $0.columns.append(ColumnSchema(name: "nick", type: "text", position: 5)) })
                == ["column-added-nullable users.nick"])
        #expect(
            Self.rules(
                Self.changed {
                    $0.columns.append(ColumnSchema(name: "tier", type: "text", position: 5, nullable: false))
                }) == ["column-added-not-null users.tier"])
        #expect(
            Self.rules(
                Self.changed {
                    $0.columns.append(
                        ColumnSchema(
                            name: "tier", type: "text", position: 5, nullable: false, defaultExpression: "'free'"))
                }) == ["column-added-with-default users.tier"])
        #expect(Self.rules(Self.changed { $0.columns.remove(at: 2) }) == ["column-dropped users.age"])
        #expect(Self.rules(Self.changed { $0.columns[2].name = "years" }) == ["column-renamed users.age"])
        #expect(Self.rules(Self.changed { $0.columns[2].type = "bigint" }) == ["type-widened users.age"])
        #expect(Self.rules(Self.changed { $0.columns[0].type = "integer" }) == ["type-narrowed users.id"])
        #expect(
            Self.rules(Self.changed { $0.columns[1].type = "character varying(50)" }) == ["type-narrowed users.email"])
        #expect(Self.rules(Self.changed { $0.columns[1].type = "text" }) == ["type-widened users.email"])
        #expect(Self.rules(Self.changed { $0.columns[2].type = "text" }) == ["type-changed users.age"])
        #expect(Self.rules(Self.changed { $0.columns[2].nullable = false }) == ["not-null-added users.age"])
        #expect(Self.rules(Self.changed { $0.columns[1].nullable = true }) == ["not-null-dropped users.email"])
        #expect(Self.rules(Self.changed { $0.columns[2].defaultExpression = "0" }) == ["default-added users.age"])
        #expect(
            Self.rules(Self.changed { $0.columns[3].defaultExpression = "'new'::text" })
                == ["default-changed users.status"])
        #expect(
            Self.rules(Self.changed { $0.columns[3].defaultExpression = nil }) == [
                "default-dropped-not-null users.status"
            ]
        )
        #expect(Self.rules(Self.changed { $0.primaryKey = ["id", "email"] }) == ["primary-key-changed users"])
        #expect(Self.rules(Self.changed { $0.uniques = ["(email)"] }) == ["unique-added users"])
        #expect(Self.rules(Self.changed { $0.checks = [] }) == ["check-dropped users"])
        #expect(
            Self.rules(Self.changed { $0.checks.append("CHECK ((status <> ''::text))") }) == ["check-added users"])
        #expect(
            Self.rules(Self.changed { $0.foreignKeys = ["FOREIGN KEY (id) REFERENCES accounts(id)"] })
                == ["foreign-key-added users"])
        #expect(Self.rules(Self.changed { $0.indexes = [] }) == ["index-dropped users"])
        #expect(Self.rules(SchemaSnapshot(tables: [])) == ["table-dropped users"])
        #expect(
            Self.rules(SchemaSnapshot(tables: [Self.users, TableSchema(name: "audit", columns: [])]))
                == ["table-added audit"])
    }

    @Test func aListOfUsedColumnsLetsUnusedOnesGo() {
        let uses = LegacyColumnUse(columns: ["users.id", "users.email", "users.status"])
        #expect(
            Self.rules(Self.changed { $0.columns.remove(at: 2) }, uses: uses) == ["column-dropped-unused users.age"])
        #expect(Self.rules(Self.changed { $0.columns.remove(at: 1) }, uses: uses) == ["column-dropped users.email"])
        #expect(
            Self.rules(Self.changed { $0.columns[2].name = "years" }, uses: uses) == ["column-renamed-unused users.age"]
        )
        #expect(
            Self.rules(SchemaSnapshot(tables: []), uses: LegacyColumnUse(columns: ["orders.*"])) == [
                "table-dropped-unused users"
            ])
        #expect(
            Self.rules(SchemaSnapshot(tables: []), uses: LegacyColumnUse(columns: ["users.*"])) == [
                "table-dropped users"
            ])
    }

    @Test func theUsesListNamesABadLine() {
        #expect(
            LegacyColumnUse.parse("users.id\n# legacy reads these\nusers.*\n\norders.total  # money\n")
                == .success(LegacyColumnUse(columns: ["users.id", "users.*", "orders.total"])))
        #expect(
            LegacyColumnUse.parse("users.id\nusers email\n")
                == .failure(MappingError("line 2: 'users email': write table.column or table.*")))
    }

    @Test(arguments: [
        ("integer", "bigint", SchemaRule.typeWidened), ("INTEGER", "BIGINT", .typeWidened),
        ("bigint", "integer", .typeNarrowed), ("smallint", "int4", .typeWidened),
        ("character varying(20)", "character varying(40)", .typeWidened), ("VARCHAR(40)", "VARCHAR(20)", .typeNarrowed),
        ("text", "character varying(255)", .typeNarrowed), ("character varying(9)", "text", .typeWidened),
        ("numeric(10,2)", "numeric(12,2)", .typeWidened), ("numeric(10,2)", "numeric(10,3)", .typeNarrowed),
        ("numeric(10,2)", "numeric", .typeWidened), ("integer", "numeric(12,2)", .typeWidened),
        ("bigint", "numeric(10,0)", .typeNarrowed), ("real", "double precision", .typeWidened),
        ("timestamp without time zone", "timestamp with time zone", .typeChanged), ("bigint", "text", .typeChanged),
        ("json", "jsonb", .typeChanged),
    ])
    func typeChanges(before: String, after: String, rule: SchemaRule) {
        #expect(SchemaGuard.typeChange(from: before, to: after) == rule)
    }

    @Test func sameTypeSpelledTwoWaysIsNoChange() {
        #expect(SchemaGuard.typeChange(from: "int4", to: "integer") == nil)
        #expect(SchemaGuard.typeChange(from: "character varying(5)", to: "varchar(5)") == nil)
        #expect(SchemaGuard.typeChange(from: "timestamp with time zone", to: "TIMESTAMPTZ") == nil)
        #expect(SchemaGuard.typeChange(from: "numeric(10, 2)", to: "decimal(10,2)") == nil)
    }

    @Test func theReportNamesTableColumnAndRule() {
        let findings = SchemaGuard.compare(
            before: SchemaSnapshot(tables: [Self.users]), after: Self.changed { $0.columns[2].nullable = false })
        let report = SchemaCheckReport(findings: findings, before: "sqlite:app.db", after: "sqlite:app.db + m.sql")
        #expect(!report.isAdditive)
        #expect(
            report.plainText == """
                schema check: sqlite:app.db → sqlite:app.db + m.sql
                  BREAKING  users.age  not-null-added: legacy writes of NULL fail
                breaking: 1 change(s) break legacy while it shares this database
                """)
        #expect(report.jsonValue["verdict"] == .string("breaking"))
        #expect(report.jsonValue["changes"]?[0]?["rule"] == .string("not-null-added"))
        #expect(report.jsonValue["changes"]?[0]?["column"] == .string("age"))
    }
}
