/// A database schema as the shared-database guard compares it: tables, columns, keys, unique and
/// plain indexes, check constraints and foreign keys, each in the database's own normalized text.
///
/// `SchemaInspector` (in BanyanData) reads one from PostgreSQL's catalogues or SQLite's pragmas,
/// before and after a migration; ``SchemaGuard/compare(before:after:uses:)`` classifies what changed.
public struct SchemaSnapshot: Sendable, Equatable {
    /// The schema's tables, in the order the database lists them.
    public var tables: [TableSchema]

    /// Creates a snapshot.
    ///
    /// - Parameter tables: The schema's tables.
    public init(tables: [TableSchema]) { self.tables = tables }

    /// The table with this name, compared exactly; nil when the schema has none.
    ///
    /// - Parameter name: The table's name as the database prints it.
    public func table(_ name: String) -> TableSchema? { tables.first { $0.name == name } }
}

/// One table of a schema snapshot.
public struct TableSchema: Sendable, Equatable {
    /// The table's name as the database prints it.
    public var name: String
    /// The table's columns in table order.
    public var columns: [ColumnSchema]
    /// The primary key's columns in key order; empty when the table has none.
    public var primaryKey: [String]
    /// Unique constraints and unique indexes (the primary key excluded), each as its definition.
    public var uniques: [String]
    /// Plain (non-unique) indexes, each as its definition.
    public var indexes: [String]
    /// CHECK constraints, each as its definition.
    public var checks: [String]
    /// Foreign keys, each as its definition.
    public var foreignKeys: [String]

    /// Creates a table schema; the constraint lists default to empty.
    ///
    /// - Parameters:
    ///   - name: The table's name.
    ///   - columns: Its columns in table order.
    ///   - primaryKey: The primary key's columns, or empty.
    ///   - uniques: Unique constraints and indexes, as definitions.
    ///   - indexes: Plain indexes, as definitions.
    ///   - checks: CHECK constraints, as definitions.
    ///   - foreignKeys: Foreign keys, as definitions.
    public init(
        name: String, columns: [ColumnSchema], primaryKey: [String] = [], uniques: [String] = [],
        indexes: [String] = [], checks: [String] = [], foreignKeys: [String] = []
    ) {
        self.name = name
        self.columns = columns
        self.primaryKey = primaryKey
        self.uniques = uniques
        self.indexes = indexes
        self.checks = checks
        self.foreignKeys = foreignKeys
    }

    /// The column with this name, compared exactly; nil when the table has none.
    ///
    /// - Parameter name: The column's name as the database prints it.
    public func column(_ name: String) -> ColumnSchema? { columns.first { $0.name == name } }
}

/// One column of a table schema.
public struct ColumnSchema: Sendable, Equatable {
    /// The column's name as the database prints it.
    public var name: String
    /// The declared type, as the database prints it (`character varying(50)`, `INTEGER`).
    public var type: String
    /// The column's place in the table: PostgreSQL's attnum (kept by a rename, never reused), SQLite's cid.
    public var position: Int
    /// Whether the column accepts NULL (no `NOT NULL`); true by default.
    public var nullable: Bool
    /// The default expression as the database prints it (`'standard'::text`, `now()`); nil when
    /// the column has no default.
    public var defaultExpression: String?

    /// Creates a column.
    ///
    /// - Parameters:
    ///   - name: The column's name.
    ///   - type: The declared type as the database prints it.
    ///   - position: The column's place in the table (attnum or cid).
    ///   - nullable: Whether it accepts NULL.
    ///   - defaultExpression: The default expression, or nil for none.
    public init(name: String, type: String, position: Int, nullable: Bool = true, defaultExpression: String? = nil) {
        self.name = name
        self.type = type
        self.position = position
        self.nullable = nullable
        self.defaultExpression = defaultExpression
    }
}

/// Whether a schema change keeps the legacy service (a reader and writer of the old schema) working.
public enum SchemaVerdict: String, Sendable, Equatable {
    /// Old readers and writers work unchanged.
    case additive
    /// Some read or write of the old schema fails or changes meaning.
    case breaking
}

/// The rules of the shared-database phase; each change found is classified by exactly one.
///
/// The raw value is the rule's name in reports (`column-added-not-null`); ``verdict`` says whether
/// the change is additive or breaking for legacy and ``reason`` why. The `-unused` rules apply only
/// when a ``LegacyColumnUse`` list is given and legacy does not use what was dropped or renamed.
public enum SchemaRule: String, Sendable, CaseIterable {
    /// A table appeared. Additive.
    case tableAdded = "table-added"
    /// A table disappeared that legacy uses, or may use (no list given). Breaking.
    case tableDropped = "table-dropped"
    /// A table disappeared none of whose columns legacy uses. Additive.
    case tableDroppedUnused = "table-dropped-unused"
    /// A column appeared that accepts NULL and has no default. Additive.
    case columnAddedNullable = "column-added-nullable"
    /// A column appeared with a default. Additive.
    case columnAddedWithDefault = "column-added-with-default"
    /// A `NOT NULL` column appeared without a default. Breaking.
    case columnAddedNotNull = "column-added-not-null"
    /// A column legacy uses, or may use, disappeared. Breaking.
    case columnDropped = "column-dropped"
    /// A column legacy does not use disappeared. Additive.
    case columnDroppedUnused = "column-dropped-unused"
    /// A column legacy uses, or may use, was renamed: it disappeared while one of the same type
    /// appeared in its place. Breaking.
    case columnRenamed = "column-renamed"
    /// A column legacy does not use was renamed. Additive.
    case columnRenamedUnused = "column-renamed-unused"
    /// A column's type grew so that every old value still fits (`integer → bigint`,
    /// `varchar(50) → text`). Additive.
    case typeWidened = "type-widened"
    /// A column's type shrank within its family (`bigint → integer`, `varchar(100) → varchar(50)`).
    /// Breaking.
    case typeNarrowed = "type-narrowed"
    /// A column's type changed family (`bigint → text`, `timestamp → timestamptz`). Breaking.
    case typeChanged = "type-changed"
    /// A column became `NOT NULL`. Breaking.
    case notNullAdded = "not-null-added"
    /// A column's `NOT NULL` was dropped. Breaking: legacy may read NULL it never expected.
    case notNullDropped = "not-null-dropped"
    /// A column without a default got one. Additive.
    case defaultAdded = "default-added"
    /// A column's default changed. Additive.
    case defaultChanged = "default-changed"
    /// A nullable column lost its default. Additive.
    case defaultDropped = "default-dropped"
    /// A `NOT NULL` column lost its default. Breaking.
    case defaultDroppedNotNull = "default-dropped-not-null"
    /// The primary key's columns changed (a rename of a key column alone does not count). Breaking.
    case primaryKeyChanged = "primary-key-changed"
    /// A unique constraint or unique index appeared. Breaking.
    case uniqueAdded = "unique-added"
    /// A unique constraint or unique index disappeared. Breaking: legacy's `ON CONFLICT` needs it.
    case uniqueDropped = "unique-dropped"
    /// A CHECK constraint appeared. Breaking.
    case checkAdded = "check-added"
    /// A CHECK constraint disappeared. Additive.
    case checkDropped = "check-dropped"
    /// A foreign key appeared. Breaking.
    case foreignKeyAdded = "foreign-key-added"
    /// A foreign key disappeared. Additive.
    case foreignKeyDropped = "foreign-key-dropped"
    /// A plain index appeared. Additive.
    case indexAdded = "index-added"
    /// A plain index disappeared. Additive.
    case indexDropped = "index-dropped"

    /// Whether a change this rule matches keeps legacy working on the new schema.
    public var verdict: SchemaVerdict {
        switch self {
        case .tableAdded, .tableDroppedUnused, .columnAddedNullable, .columnAddedWithDefault, .columnDroppedUnused,
            .columnRenamedUnused, .typeWidened, .defaultAdded, .defaultChanged, .defaultDropped, .checkDropped,
            .foreignKeyDropped, .indexAdded, .indexDropped:
            .additive
        case .tableDropped, .columnAddedNotNull, .columnDropped, .columnRenamed, .typeNarrowed, .typeChanged,
            .notNullAdded, .notNullDropped, .defaultDroppedNotNull, .primaryKeyChanged, .uniqueAdded, .uniqueDropped,
            .checkAdded, .foreignKeyAdded:
            .breaking
        }
    }

    /// Why the rule gives its verdict, for the old schema's reader or writer: the sentence reports
    /// print after each change (`legacy queries that name it fail`).
    public var reason: String {
        switch self {
        case .tableAdded: "a new table: legacy neither reads nor writes it"
        case .tableDropped: "legacy still reads or writes this table"
        case .tableDroppedUnused: "no column of this table is in the list of columns legacy uses"
        case .columnAddedNullable: "legacy inserts that omit it store NULL"
        case .columnAddedWithDefault: "legacy inserts that omit it get the default"
        case .columnAddedNotNull: "NOT NULL without a default: every legacy insert, which omits it, fails"
        case .columnDropped: "legacy queries that name it fail"
        case .columnDroppedUnused: "not in the list of columns legacy uses"
        case .columnRenamed: "legacy queries that name the old name fail"
        case .columnRenamedUnused: "the old name is not in the list of columns legacy uses"
        case .typeWidened: "every old value still fits and reads the same"
        case .typeNarrowed: "legacy writes that fit the old type can fail or be cut"
        case .typeChanged: "legacy reads get values of another type, and its writes may not convert"
        case .notNullAdded: "legacy writes of NULL fail"
        case .notNullDropped: "legacy readers that rely on a value get NULL from rows the rewrite writes"
        case .defaultAdded: "legacy inserts that omit it get the default instead of NULL"
        case .defaultChanged: "legacy inserts that omit it get the new default"
        case .defaultDropped: "legacy inserts that omit it store NULL (the column allows it)"
        case .defaultDroppedNotNull: "the column is NOT NULL: legacy inserts that omit it fail"
        case .primaryKeyChanged: "legacy lookups and upserts by the old key change meaning or fail"
        case .uniqueAdded: "legacy writes of duplicate values fail"
        case .uniqueDropped: "legacy upserts (ON CONFLICT) on these columns fail, and readers lose the guarantee"
        case .checkAdded: "legacy writes that break the new rule fail"
        case .checkDropped: "a rule relaxed: every legacy write still passes"
        case .foreignKeyAdded: "legacy writes without a matching parent row fail"
        case .foreignKeyDropped: "a rule relaxed: every legacy write still passes"
        case .indexAdded: "an index does not change what legacy reads or writes"
        case .indexDropped: "an index does not change what legacy reads or writes"
        }
    }
}

/// One schema change and its classification.
public struct SchemaFinding: Sendable, Equatable {
    /// The rule that classifies the change.
    public var rule: SchemaRule
    /// The table the change is in.
    public var table: String
    /// The column (or, for a rename, the old column) when the change is about one.
    public var column: String?
    /// What changed, in the databases' words (`integer → bigint`, `CHECK (price >= 0)`).
    public var detail: String

    /// Creates a finding.
    ///
    /// - Parameters:
    ///   - rule: The rule that classifies the change.
    ///   - table: The table it is in.
    ///   - column: The column, or the old column of a rename; nil for a table-level change.
    ///   - detail: What changed in the databases' words; empty when the rule says it all.
    public init(rule: SchemaRule, table: String, column: String? = nil, detail: String = "") {
        self.rule = rule
        self.table = table
        self.column = column
        self.detail = detail
    }

    /// Whether the change keeps legacy working: its rule's verdict.
    public var verdict: SchemaVerdict { rule.verdict }
}

/// The columns the legacy service reads or writes, as `table.column` (or `table.*` for all of a
/// table's); only when given may a drop or rename of a column outside the list pass.
///
/// It is the `--uses FILE` of `banyan data schema check`, written from the legacy code's queries.
public struct LegacyColumnUse: Sendable, Equatable {
    /// The entries, each `table.column` or `table.*`, exactly as written.
    public var columns: Set<String>

    /// Creates a list from its entries.
    ///
    /// - Parameter columns: Entries of the form `table.column` or `table.*`.
    public init(columns: Set<String>) { self.columns = columns }

    /// Parses a list: one `table.column` or `table.*` a line; blank lines and `#` comments skipped.
    ///
    /// - Parameter text: The file's contents.
    /// - Returns: The list, or a ``MappingError`` naming the first line (1-based) that is not of
    ///   that form and what to write instead.
    public static func parse(_ text: String) -> Result<LegacyColumnUse, MappingError> {
        var columns = Set<String>()
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = String(raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
                .trimmingWhitespace()
            if line.isEmpty { continue }
            let parts = line.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, !line.contains(" ") else {
                return .failure(MappingError("line \(number + 1): '\(line)': write table.column or table.*"))
            }
            columns.insert(line)
        }
        return .success(LegacyColumnUse(columns: columns))
    }

    /// Whether legacy uses a column: the list names it, or all of its table (`table.*`).
    ///
    /// - Parameters:
    ///   - table: The table's name.
    ///   - column: The column's name.
    public func uses(table: String, column: String) -> Bool {
        columns.contains("\(table).\(column)") || columns.contains("\(table).*")
    }

    /// Whether legacy uses a table: the list names all of it or at least one of its columns.
    ///
    /// - Parameter table: The table as it was before the change.
    public func uses(table: TableSchema) -> Bool {
        columns.contains("\(table.name).*") || table.columns.contains { uses(table: table.name, column: $0.name) }
    }
}

/// What the guard found between two schemas: the result of `banyan data schema check`, additive
/// or breaking as a whole.
public struct SchemaCheckReport: Sendable, Equatable {
    /// Every change, each classified by one rule, in the order the guard found them.
    public var findings: [SchemaFinding]
    /// Where the old schema came from, for the report (`postgres://…/app`), password hidden.
    public var before: String
    /// Where the new schema came from (`postgres://…/app + migrations/0042.sql`, or a second URL).
    public var after: String

    /// Creates a report.
    ///
    /// - Parameters:
    ///   - findings: Every change found.
    ///   - before: Where the old schema came from.
    ///   - after: Where the new schema came from.
    public init(findings: [SchemaFinding], before: String, after: String) {
        self.findings = findings
        self.before = before
        self.after = after
    }

    /// The findings that break legacy, in order.
    public var breaking: [SchemaFinding] { findings.filter { $0.verdict == .breaking } }
    /// Whether every change keeps legacy working (also true when nothing changed): the command
    /// exits 0 then, 1 otherwise.
    public var isAdditive: Bool { breaking.isEmpty }

    /// The report as `--format json` prints it: `before`, `after`, `verdict` (`additive` or
    /// `breaking`), `breaking` (a count) and `changes`, each with `verdict`, `rule`, `table`,
    /// `column` (null for a table-level change), `detail` and `reason`.
    public var jsonValue: JSONValue {
        .object([
            JSONMember(key: "before", value: .string(before)),
            JSONMember(key: "after", value: .string(after)),
            JSONMember(key: "verdict", value: .string(isAdditive ? "additive" : "breaking")),
            JSONMember(key: "breaking", value: .number(JSONNumber(breaking.count))),
            JSONMember(
                key: "changes",
                value: .array(
                    findings.map { finding in
                        .object([
                            JSONMember(key: "verdict", value: .string(finding.verdict.rawValue)),
                            JSONMember(key: "rule", value: .string(finding.rule.rawValue)),
                            JSONMember(key: "table", value: .string(finding.table)),
                            JSONMember(key: "column", value: finding.column.map(JSONValue.string) ?? .null),
                            JSONMember(key: "detail", value: .string(finding.detail)),
                            JSONMember(key: "reason", value: .string(finding.rule.reason)),
                        ])
                    })),
        ])
    }

    /// The report for a person: one line per change (`BREAKING  users.country  column-added-not-null
    /// (text NOT NULL): …`), then the verdict and what it means for legacy.
    public var plainText: String {
        var lines = ["schema check: \(before) → \(after)"]
        if findings.isEmpty { lines.append("  no schema change") }
        for finding in findings {
            let place = finding.column.map { "\(finding.table).\($0)" } ?? finding.table
            let detail = finding.detail.isEmpty ? "" : " (\(finding.detail))"
            lines.append(
                "  \(finding.verdict == .breaking ? "BREAKING" : "additive")  \(place)  \(finding.rule.rawValue)\(detail): "
                    + finding.rule.reason)
        }
        lines.append(
            isAdditive
                ? "additive: legacy keeps working on the new schema"
                : "breaking: \(breaking.count) change(s) break legacy while it shares this database")
        return lines.joined(separator: "\n")
    }
}

/// The shared-database phase's rules: every change between two schemas, classified additive or
/// breaking for a reader and writer of the old schema. Pure: the snapshots come from the database.
///
/// While legacy and the rewrite share one database, every schema change must stay additive for
/// legacy; the guard is what a CI step runs on each migration.
public enum SchemaGuard {
    /// Every change between two schemas, each classified by one ``SchemaRule``.
    ///
    /// A column that disappears while one of the same type appears at its position (PostgreSQL's
    /// attnum, SQLite's cid) is a rename. Types are compared in one spelling for both engines
    /// (``normalizedType(_:)``); constraints and indexes by their definition's text.
    ///
    /// - Parameters:
    ///   - before: The schema legacy was written against.
    ///   - after: The schema after the migration.
    ///   - uses: The columns legacy uses; when given, dropping or renaming what it does not use is
    ///     additive. Nil treats every column as used.
    /// - Returns: The findings, table by table in `before`'s order, then the added tables; empty
    ///   when nothing changed.
    public static func compare(
        before: SchemaSnapshot, after: SchemaSnapshot, uses: LegacyColumnUse? = nil
    ) -> [SchemaFinding] {
        var findings = [SchemaFinding]()
        for old in before.tables {
            guard let new = after.table(old.name) else {
                let unused = uses.map { !$0.uses(table: old) } ?? false
                findings.append(SchemaFinding(rule: unused ? .tableDroppedUnused : .tableDropped, table: old.name))
                continue
            }
            findings += compare(table: old, with: new, uses: uses)
        }
        for new in after.tables where before.table(new.name) == nil {
            findings.append(SchemaFinding(rule: .tableAdded, table: new.name))
        }
        return findings
    }

    static func compare(table old: TableSchema, with new: TableSchema, uses: LegacyColumnUse?) -> [SchemaFinding] {
        var findings = [SchemaFinding]()
        let name = old.name
        var dropped = old.columns.filter { new.column($0.name) == nil }
        var added = new.columns.filter { old.column($0.name) == nil }
        // A rename keeps the column's place (PostgreSQL's attnum, SQLite's cid) and its type.
        for column in dropped {
            guard
                let renamed = added.first(where: {
                    $0.position == column.position && normalizedType($0.type) == normalizedType(column.type)
                })
            else { continue }
            let unused = uses.map { !$0.uses(table: name, column: column.name) } ?? false
            findings.append(
                SchemaFinding(
                    rule: unused ? .columnRenamedUnused : .columnRenamed, table: name, column: column.name,
                    detail: "\(column.name) → \(renamed.name)"))
            dropped.removeAll { $0.name == column.name }
            added.removeAll { $0.name == renamed.name }
        }
        for column in dropped {
            let unused = uses.map { !$0.uses(table: name, column: column.name) } ?? false
            findings.append(
                SchemaFinding(rule: unused ? .columnDroppedUnused : .columnDropped, table: name, column: column.name))
        }
        for column in added {
            let rule: SchemaRule =
                column.defaultExpression != nil
                ? .columnAddedWithDefault : (column.nullable ? .columnAddedNullable : .columnAddedNotNull)
            findings.append(
                SchemaFinding(
                    rule: rule, table: name, column: column.name,
                    detail: column.type + (column.nullable ? "" : " NOT NULL")
                        + (column.defaultExpression.map { " DEFAULT \($0)" } ?? "")))
        }
        for column in old.columns {
            guard let changed = new.column(column.name) else { continue }
            if let rule = typeChange(from: column.type, to: changed.type) {
                findings.append(
                    SchemaFinding(
                        rule: rule, table: name, column: column.name, detail: "\(column.type) → \(changed.type)"))
            }
            if column.nullable && !changed.nullable {
                findings.append(SchemaFinding(rule: .notNullAdded, table: name, column: column.name))
            } else if !column.nullable && changed.nullable {
                findings.append(SchemaFinding(rule: .notNullDropped, table: name, column: column.name))
            }
            switch (column.defaultExpression, changed.defaultExpression) {
            case (nil, let value?):
                findings.append(SchemaFinding(rule: .defaultAdded, table: name, column: column.name, detail: value))
            case (let value?, nil):
                findings.append(
                    SchemaFinding(
                        rule: changed.nullable ? .defaultDropped : .defaultDroppedNotNull, table: name,
                        column: column.name, detail: value))
            case (let before?, let after?) where before != after:
                findings.append(
                    SchemaFinding(
                        rule: .defaultChanged, table: name, column: column.name, detail: "\(before) → \(after)"))
            default: break
            }
        }
        let renames = Dictionary(
            findings.compactMap { finding -> (String, String)? in
                guard finding.rule == .columnRenamed || finding.rule == .columnRenamedUnused,
                    let column = finding.column,
                    let newName = finding.detail.components(separatedBy: " → ").last
                else { return nil }
                return (column, newName)
            }, uniquingKeysWith: { first, _ in first })
        // A key that only follows a renamed column is reported once, as the rename.
        if old.primaryKey.map({ renames[$0] ?? $0 }) != new.primaryKey {
            findings.append(
                SchemaFinding(
                    rule: .primaryKeyChanged, table: name,
                    detail: "(\(old.primaryKey.joined(separator: ", "))) → (\(new.primaryKey.joined(separator: ", ")))")
            )
        }
        func sets(_ before: [String], _ after: [String], added: SchemaRule, dropped: SchemaRule) {
            for definition in after where !before.contains(definition) {
                findings.append(SchemaFinding(rule: added, table: name, detail: definition))
            }
            for definition in before where !after.contains(definition) {
                findings.append(SchemaFinding(rule: dropped, table: name, detail: definition))
            }
        }
        sets(old.uniques, new.uniques, added: .uniqueAdded, dropped: .uniqueDropped)
        sets(old.checks, new.checks, added: .checkAdded, dropped: .checkDropped)
        sets(old.foreignKeys, new.foreignKeys, added: .foreignKeyAdded, dropped: .foreignKeyDropped)
        sets(old.indexes, new.indexes, added: .indexAdded, dropped: .indexDropped)
        return findings
    }

    /// `character varying(50)` → `varchar(50)`, `INT4` → `integer`: one spelling for each type
    /// both engines print.
    ///
    /// - Parameter declared: A declared type as PostgreSQL or SQLite prints it, in any case.
    /// - Returns: The type in lower case, aliases replaced by one name, no space after commas
    ///   (`numeric(10,2)`); a type it does not know is only lower-cased and trimmed.
    public static func normalizedType(_ declared: String) -> String {
        var text = declared.lowercased().trimmingWhitespace()
        let aliases: [(String, String)] = [
            ("character varying", "varchar"), ("double precision", "float8"),
            ("timestamp without time zone", "timestamp"),
            ("timestamp with time zone", "timestamptz"), ("time without time zone", "time"),
        ]
        for (long, short) in aliases where text.hasPrefix(long) {
            text = short + text.dropFirst(long.count)
        }
        let names: [String: String] = [
            "int": "integer", "int4": "integer", "int2": "smallint", "int8": "bigint", "float4": "real",
            "double": "float8", "bool": "boolean", "decimal": "numeric", "char varying": "varchar",
        ]
        if let known = names[text] { return known }
        if text.hasPrefix("decimal(") { return "numeric" + text.dropFirst("decimal".count) }
        // `numeric(10, 2)` and `numeric(10,2)` alike.
        var compact = ""
        for character in text where !(character == " " && compact.last == ",") { compact.append(character) }
        return compact
    }

    /// How a column's type changed: nil when it did not, else widened, narrowed or changed.
    ///
    /// Widened means every old value fits and reads the same: a larger integer, real or text
    /// length, an unbounded text, an integer into a numeric with enough digits, or a numeric with
    /// at least as many digits on both sides of the point. A change of type family is `typeChanged`.
    ///
    /// - Parameters:
    ///   - before: The declared type before, as the database prints it.
    ///   - after: The declared type after.
    /// - Returns: ``SchemaRule/typeWidened``, ``SchemaRule/typeNarrowed`` or
    ///   ``SchemaRule/typeChanged``, or nil when both name the same type.
    public static func typeChange(from before: String, to after: String) -> SchemaRule? {
        let old = TypeShape(normalizedType(before))
        let new = TypeShape(normalizedType(after))
        if old == new { return nil }
        switch (old, new) {
        case (.integer(let a), .integer(let b)): return b > a ? .typeWidened : .typeNarrowed
        case (.integer, .numeric): return fitsInteger(old, new) ? .typeWidened : .typeNarrowed
        case (.real(let a), .real(let b)): return b > a ? .typeWidened : .typeNarrowed
        case (.text(let a), .text(let b)):
            switch (a, b) {
            case (_, nil): return .typeWidened
            case (nil, _?): return .typeNarrowed
            case (let a?, let b?): return b > a ? .typeWidened : .typeNarrowed
            }
        case (.numeric(let p1, let s1), .numeric(let p2, let s2)):
            guard let p1, let s1 else { return .typeNarrowed }
            guard let p2, let s2 else { return .typeWidened }
            return s2 >= s1 && p2 - s2 >= p1 - s1 ? .typeWidened : .typeNarrowed
        default: return .typeChanged
        }
    }

    private static func fitsInteger(_ integer: TypeShape, _ numeric: TypeShape) -> Bool {
        guard case .integer(let bytes) = integer, case .numeric(let precision, let scale) = numeric else {
            return false
        }
        guard let precision else { return true }
        let digits = [2: 5, 4: 10, 8: 19][bytes] ?? 19
        return precision - (scale ?? 0) >= digits
    }

    /// A type reduced to what decides whether old values fit.
    enum TypeShape: Equatable {
        /// Bytes: 2, 4 or 8.
        case integer(Int)
        /// Bytes: 4 or 8.
        case real(Int)
        /// Maximum length; nil for unbounded (`text`, `varchar`).
        case text(Int?)
        /// Precision and scale; nil for unconstrained `numeric`.
        case numeric(Int?, Int?)
        case other(String)

        init(_ type: String) {
            func arguments(_ prefix: String) -> [Int]? {
                guard type.hasPrefix(prefix + "("), type.hasSuffix(")") else { return nil }
                let inner = type.dropFirst(prefix.count + 1).dropLast()
                let numbers = inner.split(separator: ",").compactMap { Int(String($0).trimmingWhitespace()) }
                return numbers.isEmpty ? nil : numbers
            }
            switch type {
            case "smallint": self = .integer(2)
            case "integer": self = .integer(4)
            case "bigint": self = .integer(8)
            case "real": self = .real(4)
            case "float8": self = .real(8)
            case "text", "varchar", "clob": self = .text(nil)
            case "numeric": self = .numeric(nil, nil)
            default:
                if let length = arguments("varchar") ?? arguments("character") ?? arguments("char"), length.count == 1 {
                    self = .text(length[0])
                } else if let precision = arguments("numeric") {
                    self = .numeric(precision[0], precision.count > 1 ? precision[1] : 0)
                } else {
                    self = .other(type)
                }
            }
        }
    }
}
