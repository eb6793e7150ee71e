import Testing

@testable import BanyanCore

/// The pure half of the data commands: values, conversions, expressions, the row transform,
/// canonical forms, newer-wins, the phase rules.
struct DataTransformTests {
    @Test func timestampsPrintAndParseInUTC() {
        let micros: Int64 = 1_780_394_400_000_000  // 2026-06-02T10:00:00Z
        #expect(UTCTimestamp.iso8601(micros: micros) == "2026-06-02T10:00:00Z")
        #expect(UTCTimestamp.iso8601(micros: micros, minimumDigits: 3) == "2026-06-02T10:00:00.000Z")
        #expect(UTCTimestamp.iso8601(micros: micros + 250_000) == "2026-06-02T10:00:00.250Z")
        #expect(UTCTimestamp.iso8601(micros: micros + 1) == "2026-06-02T10:00:00.000001Z")
        #expect(UTCTimestamp.iso8601(micros: -1) == "1969-12-31T23:59:59.999999Z")
        #expect(UTCTimestamp.parse("2026-06-02T10:00:00Z") == micros)
        #expect(UTCTimestamp.parse("2026-06-02 12:00:00.25+02") == micros + 250_000)
        #expect(UTCTimestamp.parse("2026-06-02T15:30:00+05:30") == micros)
        #expect(UTCTimestamp.parse("2026-06-02T10:00:00", defaultOffsetMinutes: 60) == micros - 3_600_000_000)
        #expect(UTCTimestamp.parse("2026-06-02") == micros - 36_000_000_000)
        #expect(UTCTimestamp.parse("2026-02-30T10:00:00Z") == nil)
        #expect(UTCTimestamp.parse("2026-06-02T10:00:00.1234567Z") == micros + 123_456)
        #expect(UTCTimestamp.truncate(micros: micros + 123_456, digits: 3) == micros + 123_000)
        #expect(UTCTimestamp.truncate(micros: -1, digits: 0) == -1_000_000)
    }

    @Test func conversionsBetweenEngines() throws {
        #expect(try DataValue.integer(1_700_000_000_000).converted(to: .timestamp) == .timestamp(1_700_000_000_000_000))
        #expect(try DataValue.timestamp(1_700_000_000_123_456).converted(to: .integer) == .integer(1_700_000_000_123))
        #expect(try DataValue.integer(1).converted(to: .boolean) == .boolean(true))
        #expect(try DataValue.integer(0).converted(to: .boolean) == .boolean(false))
        #expect(throws: ConversionError("2 is not 0 or 1")) { try DataValue.integer(2).converted(to: .boolean) }
        #expect(try DataValue.boolean(true).converted(to: .integer) == .integer(1))
        #expect(try DataValue.text("{\"a\": [1, 2]}").converted(to: .json) == .json("{\"a\": [1, 2]}"))
        #expect(throws: ConversionError.self) { try DataValue.text("{a:1}").converted(to: .json) }
        #expect(try DataValue.json("[1]").converted(to: .text) == .text("[1]"))
        #expect(try DataValue.text("1.005").converted(to: .numeric(scale: 2)) == .numeric("1.01"))
        #expect(try DataValue.real(-2.5).converted(to: .numeric(scale: 0)) == .numeric("-3"))
        #expect(try DataValue.text("12.5").converted(to: .numeric(scale: 2)) == .numeric("12.50"))
        #expect(try DataValue.text("1e3").converted(to: .numeric(scale: nil)) == .numeric("1000"))
        #expect(try DataValue.text("-0.004").converted(to: .numeric(scale: 2)) == .numeric("0.00"))
        #expect(
            try DataValue.text("2026-06-02T10:00:00.5Z").converted(to: .timestamp) == .timestamp(1_780_394_400_500_000))
        #expect(try DataValue.text(" 42 ").converted(to: .integer) == .integer(42))
        #expect(throws: ConversionError("\"4x\" is not an integer")) {
            try DataValue.text("4x").converted(to: .integer)
        }
        #expect(try DataValue.null.converted(to: .boolean) == .null)
        #expect(ColumnType(name: "numeric(12,2)") == .numeric(scale: 2))
        #expect(ColumnType(name: "timestamp with time zone") == .timestamp)
        #expect(ColumnType(name: "character varying(80)") == .text)
        #expect(ColumnType(name: "jsonb") == .json)
        #expect(ColumnType(name: "geometry") == nil)
    }

    /// The playbook's split: `full_name "First Last"` at the first space; no space gives (whole, "").
    @Test(arguments: [
        ("Ada Lovelace", "Ada", "Lovelace"), ("Alan Turing", "Alan", "Turing"), ("Grace Hopper", "Grace", "Hopper"),
        ("Plato", "Plato", ""), ("Gabriel García Márquez", "Gabriel", "García Márquez"),
    ])
    func fullNameSplitsAtTheFirstSpace(full: String, first: String, last: String) throws {
        let before = try Expression.parse("before(full_name, ' ')")
        let after = try Expression.parse("after(full_name, ' ')")
        let row: (String) -> DataValue = { $0 == "full_name" ? .text(full) : .null }
        #expect(before.evaluate(row) == .text(first))
        #expect(after.evaluate(row) == .text(last))
    }

    @Test func expressions() throws {
        let row: (String) -> DataValue = { name in
            ["first": .text("Ada"), "last": .text("Lovelace"), "email": .text(" Ada@X.io "), "n": .null][name] ?? .null
        }
        #expect(try Expression.parse("first || ' ' || last").evaluate(row) == .text("Ada Lovelace"))
        #expect(try Expression.parse("lower(trim(email))").evaluate(row) == .text("ada@x.io"))
        #expect(try Expression.parse("coalesce(n, 'none')").evaluate(row) == .text("none"))
        #expect(try Expression.parse("upper(n)").evaluate(row) == .null)
        #expect(try Expression.parse("concat(first, n, '!')").evaluate(row) == .text("Ada!"))
        #expect(try Expression.parse("split_part('a,b,c', ',', 2)").evaluate(row) == .text("b"))
        #expect(try Expression.parse("replace(last, 'ace', 'ACE')").evaluate(row) == .text("LovelACE"))
        #expect(try Expression.parse("'it''s'").evaluate(row) == .text("it's"))
        #expect(try Expression.parse("concat(a, 'x')").description == "concat(a, 'x')")
        #expect(
            throws: ExpressionError(
                message:
                    "unknown function 'split'; known: after, before, coalesce, concat, lower, nullif, replace, split_part, trim, upper",
                offset: 0)
        ) {
            try Expression.parse("split(a)")
        }
        #expect(throws: ExpressionError(message: "before takes 2 argument(s), not 1", offset: 9)) {
            try Expression.parse("before(a)")
        }
        #expect(throws: ExpressionError(message: "unterminated string literal", offset: 9)) {
            try Expression.parse("lower('ab")
        }
    }

    static let mapping = TableMapping(
        sourceTable: "users", targetTable: "customers", version: "updated_at",
        columns: [
            ColumnMapping(target: "id", source: .column("id")),
            ColumnMapping(target: "first_name", source: .call("before", [.column("full_name"), .literal(.text(" "))])),
            ColumnMapping(target: "last_name", source: .call("after", [.column("full_name"), .literal(.text(" "))])),
            ColumnMapping(
                target: "email", source: .column("email"), canonical: CanonicalRule(trim: true, lowercase: true)),
            ColumnMapping(target: "created_at", source: .column("created_ms"), type: .timestamp),
            ColumnMapping(target: "is_verified", source: .column("verified")),
            ColumnMapping(target: "updated_at", source: .column("updated_at"), type: .timestamp),
        ])

    static let targetTypes: [String: ColumnType] = [
        "id": .integer, "first_name": .text, "last_name": .text, "email": .text, "created_at": .text,
        "is_verified": .boolean, "updated_at": .timestamp,
    ]

    @Test func theRowTransformIsAPureFunction() throws {
        let transform = try RowTransform(
            mapping: Self.mapping, sourceColumns: ["id", "full_name", "email", "created_ms", "verified", "updated_at"],
            sourceKey: ["id"], targetTypes: Self.targetTypes)
        #expect(transform.sourceColumns == ["id", "full_name", "email", "created_ms", "verified", "updated_at"])
        #expect(
            transform.targetColumns == [
                "id", "first_name", "last_name", "email", "created_at", "is_verified", "updated_at",
            ])
        #expect(transform.versionIndex == 6)
        let row: [DataValue] = [
            .integer(7), .text("Ada Lovelace"), .text("ada@x.io"), .integer(1_700_000_000_123), .integer(1),
            .integer(1_700_000_000_500),
        ]
        let mapped = try transform.apply(row).get()
        #expect(
            mapped == [
                .integer(7), .text("Ada"), .text("Lovelace"), .text("ada@x.io"), .timestamp(1_700_000_000_123_000),
                .boolean(true), .timestamp(1_700_000_000_500_000),
            ])
        var bad = row
        bad[4] = .integer(5)
        #expect(
            transform.apply(bad)
                == .failure(
                    RowError(key: RowKey([.integer(7)]), column: "is_verified", message: "5 is not 0 or 1 (to boolean)")
                ))
        #expect(throws: MappingError.self) {
            try RowTransform(
                mapping: Self.mapping, sourceColumns: ["id", "email"], sourceKey: ["id"], targetTypes: Self.targetTypes)
        }
    }

    @Test func canonicalFormsForgiveOnlyWhatTheyAreTold() throws {
        let transform = try RowTransform(
            mapping: Self.mapping, sourceColumns: ["id", "full_name", "email", "created_ms", "verified", "updated_at"],
            sourceKey: ["id"], targetTypes: Self.targetTypes)
        let legacy: [DataValue] = [
            .integer(1), .text("Ada"), .text(""), .text("ada@x.io"), .timestamp(5_000), .boolean(true), .null,
        ]
        var new = legacy
        new[3] = .text("  ADA@x.io ")
        #expect(transform.differences(legacy: transform.canonical(legacy), new: transform.canonical(new)) == [])
        new[2] = .null
        #expect(
            transform.differences(legacy: transform.canonical(legacy), new: transform.canonical(new))
                == [ColumnDifference(column: "last_name", legacy: .text(""), new: .null)])
        #expect(CanonicalRule(emptyIsNull: true).apply(.text("")) == .null)
        #expect(CanonicalRule(timestampDigits: 0).apply(.timestamp(1_999_999)) == .timestamp(1_000_000))
        #expect(CanonicalRule(numericScale: 2).apply(.real(0.1 + 0.2)) == .numeric("0.30"))
        #expect(CanonicalRule().apply(.numeric("12.50")) == .numeric("12.5"))
        #expect(CanonicalRule().apply(.json("{\"b\": 1, \"a\": [true]}")) == .json("{\"a\":[true],\"b\":1}"))
    }

    /// The playbook's vector: a fresh write applied, a stale backfill rejected, a replay not applied.
    @Test func newerWins() {
        var table = VersionedTable<Int, String>()
        let fresh = table.upsert(key: 1, version: .integer(200), row: "new@x.io")
        let stale = table.upsert(key: 1, version: .integer(100), row: "stale@x.io")
        #expect(fresh)
        #expect(!stale)
        #expect(table[1] == "new@x.io")
        let replay = table.upsert(key: 1, version: .integer(200), row: "new@x.io")
        #expect(!replay)
        #expect(table[1] == "new@x.io")
    }

    @Test func phasesMoveForwardOneStepAtATime() {
        #expect(
            MigrationPhase.allCases.map(\.rawValue) == [
                "LegacyOnly", "DualWrite", "Backfilling", "NewPrimary", "NewOnly",
            ])
        #expect(MigrationPhase.allCases.map(\.writesLegacy) == [true, true, true, true, false])
        #expect(MigrationPhase.allCases.map(\.writesNew) == [false, true, true, true, true])
        #expect(MigrationPhase(name: "new-primary") == .newPrimary)
        let clean = ReconcileRecord(table: "users", at: 1_000, clean: true, checked: 3, drift: 0, partial: false)
        func check(_ from: MigrationPhase, _ to: MigrationPhase, _ record: ReconcileRecord? = clean, now: Int64 = 2_000)
            -> String?
        {
            PhaseRules.check(
                table: "users", from: from, to: to, lastReconcile: record, now: now, maxAgeMilliseconds: 60_000)?
                .message
        }
        #expect(check(.legacyOnly, .dualWrite) == nil)
        #expect(
            check(.legacyOnly, .backfilling)
                == "users: phases move one step at a time; the next after LegacyOnly is DualWrite")
        #expect(check(.backfilling, .newPrimary) == nil)
        #expect(
            check(.backfilling, .newPrimary, now: 100_000)
                == "users: the last clean reconcile is 99 s old, more than the 60 s allowed (--max-age); reconcile again"
        )
        #expect(check(.newPrimary, .newOnly) == nil)
        #expect(check(.newOnly, .newOnly) == "users is already in NewOnly")
        #expect(check(.newPrimary, .dualWrite)?.hasPrefix("users: phases only move forward") == true)
    }

    @Test func adaptiveChunksAimAtHalfASecond() {
        var sizer = ChunkSizer(initial: 1000)
        sizer.record(rows: 1000, seconds: 0.1)
        #expect(sizer.size == 2000)
        sizer.record(rows: 2000, seconds: 0.5)
        #expect(sizer.size == 2000)
        sizer.record(rows: 2000, seconds: 4)
        #expect(sizer.size == 1000)
        var fixed = ChunkSizer(fixed: 50)
        fixed.record(rows: 50, seconds: 10)
        #expect(fixed.size == 50)
    }
}
