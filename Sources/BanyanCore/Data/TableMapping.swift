/// How one source table becomes one target table: which target column comes from which source
/// column or expression, its type, and the canonical form reconcile compares it in.
///
/// It is what a mapping file (`--map users.yaml`) says, once loaded; backfill, reconcile and repair
/// all apply the same mapping, compiled into a ``RowTransform`` against the real tables. Without
/// a file, ``identity(table:)`` copies every column the two tables share.
public struct TableMapping: Sendable, Equatable {
    /// The legacy table rows are read from (`table:`).
    public var sourceTable: String
    /// The table in the new store rows are written to (`target:`); the source's name by default.
    public var targetTable: String
    /// The source key columns, in key order (`key:`); empty means "the source's primary key". Each
    /// must be copied or renamed to a target column unchanged.
    public var key: [String]
    /// The target column holding the row's version, where newer wins (`version:`); nil means
    /// "`updated_at` when it is a target column", `""` means none (every write applies).
    public var version: String?
    /// The zone of text timestamps written without an offset, in minutes east of UTC
    /// (`time_zone:`); 0, UTC, by default.
    public var timeZoneOffsetMinutes: Int
    /// Every target column, in the order they are written (`columns:`); empty means "the columns
    /// both tables have, copied unchanged".
    public var columns: [ColumnMapping]
    /// A source column that marks a deleted row (a tombstone) when it is not NULL (`deleted_at`):
    /// such rows are not copied, and are removed from the target.
    public var deletedColumn: String?
    /// A table in the new store where the dual-write records deleted keys (the target key's
    /// columns): those keys are not copied again, and are removed from the target.
    public var deletesTable: String?

    /// Creates a mapping; every argument after `sourceTable` defaults to what a mapping file
    /// without that key gets.
    ///
    /// - Parameters:
    ///   - sourceTable: The legacy table.
    ///   - targetTable: The table in the new store; nil for the source's name.
    ///   - key: The source key columns; empty for the source's primary key.
    ///   - version: The version column; nil for `updated_at` when mapped, `""` for none.
    ///   - timeZoneOffsetMinutes: The zone of timestamps without an offset, minutes east of UTC.
    ///   - columns: Every target column; empty for the columns both tables share.
    ///   - deletedColumn: A source column that marks tombstones, or nil.
    ///   - deletesTable: A new-store table of deleted keys, or nil.
    public init(
        sourceTable: String, targetTable: String? = nil, key: [String] = [], version: String? = nil,
        timeZoneOffsetMinutes: Int = 0, columns: [ColumnMapping] = [], deletedColumn: String? = nil,
        deletesTable: String? = nil
    ) {
        self.deletedColumn = deletedColumn
        self.deletesTable = deletesTable
        self.sourceTable = sourceTable
        self.targetTable = targetTable ?? sourceTable
        self.key = key
        self.version = version
        self.timeZoneOffsetMinutes = timeZoneOffsetMinutes
        self.columns = columns
    }

    /// The mapping used when no file is given: a target table of the same name, every column both
    /// tables have copied unchanged, the source's primary key, and `updated_at` as the version when
    /// there is one.
    ///
    /// - Parameter table: The table's name in both stores.
    public static func identity(table: String) -> TableMapping { TableMapping(sourceTable: table) }
}

/// One target column of a mapping: an entry of `columns:` (`email: { from: email_address,
/// canonical: [trim, lower] }`).
public struct ColumnMapping: Sendable, Equatable {
    /// The target column's name.
    public var target: String
    /// Where the value comes from: `.column(name)` for a copy or a rename (`from:`), any other
    /// expression for a computed column (`expr:`).
    public var source: Expression
    /// The type the value is converted to (`type:`); nil means "as the target table declares it".
    public var type: ColumnType?
    /// The form reconcile compares the column in (`canonical:`); exact comparison by default.
    public var canonical: CanonicalRule

    /// Creates a column mapping.
    ///
    /// - Parameters:
    ///   - target: The target column's name.
    ///   - source: The source column or expression.
    ///   - type: The type to convert to, or nil for the target's declared type.
    ///   - canonical: The form reconcile compares in.
    public init(target: String, source: Expression, type: ColumnType? = nil, canonical: CanonicalRule = .init()) {
        self.target = target
        self.source = source
        self.type = type
        self.canonical = canonical
    }
}

/// The canonical form of one column, in which reconcile compares: formatting-only differences
/// that the rule forgives compare equal; everything else (NULL against empty text included,
/// unless `emptyIsNull`) is a difference.
///
/// Whatever the rule, some differences never count: timestamps compare as instants, `12.5` equals
/// `12.50` for decimals, and JSON compares with object keys sorted and whitespace ignored.
public struct CanonicalRule: Sendable, Hashable {
    /// Whether white space around text is ignored (`trim`).
    public var trim: Bool
    /// Whether the case of text is ignored (`lower`).
    public var lowercase: Bool
    /// Fraction digits a timestamp keeps before comparing (`precision: s|ms|us`: 0 seconds,
    /// 3 milliseconds, 6 microseconds); nil keeps all.
    public var timestampDigits: Int?
    /// Decimal places numbers are rounded to, half away from zero, before comparing (`scale: N`);
    /// nil compares them exactly.
    public var numericScale: Int?
    /// Whether empty text and NULL compare equal (`empty_is_null`); off by default, so NULL
    /// against `""` is a difference.
    public var emptyIsNull: Bool

    /// Creates a rule; with no arguments, the rule that forgives nothing.
    ///
    /// - Parameters:
    ///   - trim: Whether surrounding white space is ignored.
    ///   - lowercase: Whether case is ignored.
    ///   - timestampDigits: Fraction digits timestamps keep, or nil for all.
    ///   - numericScale: Decimal places numbers are rounded to, or nil.
    ///   - emptyIsNull: Whether empty text and NULL compare equal.
    public init(
        trim: Bool = false, lowercase: Bool = false, timestampDigits: Int? = nil, numericScale: Int? = nil,
        emptyIsNull: Bool = false
    ) {
        self.trim = trim
        self.lowercase = lowercase
        self.timestampDigits = timestampDigits
        self.numericScale = numericScale
        self.emptyIsNull = emptyIsNull
    }

    /// Whether the rule forgives nothing, so applying it can be skipped.
    public var isIdentity: Bool { self == CanonicalRule() }

    /// The value in canonical form: trimmed and lower-cased text (empty text as NULL when
    /// ``emptyIsNull``), timestamps truncated, numbers rounded to the scale or decimals without
    /// trailing fraction zeros, JSON with its keys sorted. Other values are returned unchanged.
    ///
    /// - Parameter value: A value already converted to its column's type.
    public func apply(_ value: DataValue) -> DataValue {
        switch value {
        case .text(var text):
            if trim { text = text.trimmingWhitespace() }
            if lowercase { text = text.lowercased() }
            if emptyIsNull && text.isEmpty { return .null }
            return .text(text)
        case .timestamp(let micros):
            guard let digits = timestampDigits else { return value }
            return .timestamp(UTCTimestamp.truncate(micros: micros, digits: digits))
        case .numeric(let lexeme) where numericScale == nil:
            // 12.5 and 12.50 are the same amount: drop trailing fraction zeros.
            guard var decimal = DecimalText(lexeme: lexeme) else { return value }
            while decimal.fraction.last == 48 { decimal.fraction.removeLast() }
            return .numeric(decimal.lexeme)
        case .integer, .real, .numeric:
            guard let scale = numericScale, let numeric = try? value.converted(to: .numeric(scale: scale)) else {
                if case .real(let double) = value, double == double.rounded(), abs(double) < 9e15 {
                    return .real(double)
                }
                return value
            }
            return numeric
        case .json(let text):
            guard let parsed = try? JSONParser.parse(text) else { return value }
            return .json(parsed.sortingKeys().serializedText)
        default:
            return value
        }
    }
}

extension JSONValue {
    /// The same document with every object's members sorted by key, as PostgreSQL's jsonb keeps them.
    func sortingKeys() -> JSONValue {
        switch self {
        case .array(let elements): .array(elements.map { $0.sortingKeys() })
        case .object(let members):
            .object(
                members.map { JSONMember(key: $0.key, value: $0.value.sortingKeys()) }
                    .sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) })
        default: self
        }
    }
}

/// A mapping that does not fit the tables it is applied to: a column one table lacks, no key, a
/// key column that is not copied unchanged, a version column that is not a target column.
public struct MappingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What does not fit, naming the tables and columns and, where it helps, what they have.
    public let message: String
    /// Creates an error with the message a user sees.
    ///
    /// - Parameter message: What does not fit.
    public init(_ message: String) { self.message = message }
    /// The message.
    public var description: String { message }
}

/// A source row that cannot become a target row: the key, the column and why.
///
/// Backfill stops at the first one (exit status 1), or with `--on-error skip` writes it to the
/// reject file and goes on.
public struct RowError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The row's primary key.
    public let key: RowKey
    /// The target column whose value could not be converted.
    public let column: String
    /// Why, with the target type (`7 is not 0 or 1 (to boolean)`).
    public let message: String

    /// The error as a user sees it: `row KEY: column COLUMN: MESSAGE`.
    public var description: String { "row \(key): column \(column): \(message)" }
}

/// The row transform: a pure function from a source row to a target row, compiled once against
/// the columns the source has and the types the target declares.
///
/// Compiling checks the mapping against the real tables once, so that every row is then mapped
/// without a lookup by name. Backfill reads ``sourceColumns`` and writes what ``apply(_:)`` returns;
/// reconcile maps legacy rows the same way, brings new rows to the same types with
/// ``normalizeTarget(_:)``, and compares the ``canonical(_:)`` forms of both.
public struct RowTransform: Sendable {
    /// The mapping this transform was compiled from.
    public let mapping: TableMapping
    /// Columns to read from the source, in the order `apply` expects their values.
    public let sourceColumns: [String]
    /// Target columns written, in the order `apply` returns them.
    public let targetColumns: [String]
    /// The type of each target column, in ``targetColumns`` order: the mapping's `type:` or the
    /// target table's declared type.
    public let targetTypes: [ColumnType]
    /// The canonical rule of each target column, in ``targetColumns`` order.
    public let canonicalRules: [CanonicalRule]
    /// Positions of the key columns in a source row (``sourceColumns`` order), in key order.
    public let sourceKeyIndexes: [Int]
    /// Positions of the key columns in a target row (``targetColumns`` order), in key order.
    public let targetKeyIndexes: [Int]
    /// Position of the version column in the target row, if any.
    public let versionIndex: Int?
    /// Position of the tombstone column (`deletedColumn`) in the source row, if any.
    public let deletedIndex: Int?
    private let plan: [Step]

    private enum Step: Sendable {
        case copy(Int)
        case compute(Expression, [String: Int])
    }

    /// Compiles a mapping against the tables it will read and write.
    ///
    /// - Parameters:
    ///   - mapping: The mapping.
    ///   - available: The source table's columns.
    ///   - sourceKey: The source table's primary key columns, used when the mapping names no key.
    ///   - targetTypes: The target table's columns and their declared types, which a mapping's
    ///     explicit types override.
    /// - Throws: ``MappingError`` when the tables share no column and the mapping lists none, there
    ///   is no key, a source column the mapping reads does not exist, a target column is neither in
    ///   the target table nor given a type, a key column is not copied unchanged, or the version
    ///   column is not a target column. The message names the column and lists what the table has.
    public init(
        mapping: TableMapping, sourceColumns available: [String], sourceKey: [String], targetTypes: [String: ColumnType]
    ) throws(MappingError) {
        self.mapping = mapping
        var columns = mapping.columns
        if columns.isEmpty {
            columns = available.filter { targetTypes[$0] != nil }.map { ColumnMapping(target: $0, source: .column($0)) }
            guard !columns.isEmpty else {
                throw MappingError(
                    "tables \(mapping.sourceTable) and \(mapping.targetTable) have no column in common; "
                        + "write a mapping file (--map) that names each target column's source")
            }
        }
        let key = mapping.key.isEmpty ? sourceKey : mapping.key
        guard !key.isEmpty else {
            throw MappingError(
                "table \(mapping.sourceTable) has no primary key; name the key columns in the mapping (key:)")
        }
        var read = [String]()
        func index(of column: String, for target: String) throws(MappingError) -> Int {
            guard available.contains(column) else {
                throw MappingError(
                    "column \(target): source table \(mapping.sourceTable) has no column '\(column)' "
                        + "(it has \(available.joined(separator: ", ")))")
            }
            if let existing = read.firstIndex(of: column) { return existing }
            read.append(column)
            return read.count - 1
        }
        var steps = [Step]()
        var types = [ColumnType]()
        for column in columns {
            guard let type = column.type ?? targetTypes[column.target] else {
                throw MappingError(
                    "column \(column.target): target table \(mapping.targetTable) has no such column "
                        + "(it has \(targetTypes.keys.sorted().joined(separator: ", ")))")
            }
            types.append(type)
            if case .column(let name) = column.source {
                steps.append(.copy(try index(of: name, for: column.target)))
            } else {
                var indexes = [String: Int]()
                for name in column.source.columns { indexes[name] = try index(of: name, for: column.target) }
                steps.append(.compute(column.source, indexes))
            }
        }
        var sourceKeyIndexes = [Int]()
        var targetKeyIndexes = [Int]()
        for name in key {
            guard
                let position = columns.firstIndex(where: {
                    if case .column(let source) = $0.source { return source == name }
                    return false
                })
            else {
                throw MappingError("key column \(name) must be copied (or renamed) to a target column unchanged")
            }
            sourceKeyIndexes.append(try index(of: name, for: columns[position].target))
            targetKeyIndexes.append(position)
        }
        let targets = columns.map(\.target)
        var version: Int?
        if let named = mapping.version, !named.isEmpty {
            guard let position = targets.firstIndex(of: named) else {
                throw MappingError("version column \(named) is not a target column")
            }
            version = position
        } else if mapping.version == nil {
            version = targets.firstIndex(of: "updated_at")
        }
        var deleted: Int?
        if let column = mapping.deletedColumn {
            deleted = try index(of: column, for: "deleted_column")
        }
        self.deletedIndex = deleted
        self.sourceColumns = read
        self.targetColumns = targets
        self.targetTypes = types
        self.canonicalRules = columns.map(\.canonical)
        self.sourceKeyIndexes = sourceKeyIndexes
        self.targetKeyIndexes = targetKeyIndexes
        self.versionIndex = version
        self.plan = steps
    }

    /// The key of a source row.
    ///
    /// - Parameter row: The row's values in ``sourceColumns`` order.
    public func sourceKey(_ row: [DataValue]) -> RowKey { RowKey(sourceKeyIndexes.map { row[$0] }) }

    /// Whether a source row is a tombstone: its ``TableMapping/deletedColumn`` is not NULL. Always
    /// false when the mapping names no such column.
    ///
    /// - Parameter row: The row's values in ``sourceColumns`` order.
    public func isDeleted(_ row: [DataValue]) -> Bool {
        guard let deletedIndex else { return false }
        return !row[deletedIndex].isNull
    }

    /// The key of a target row.
    ///
    /// - Parameter row: The row's values in ``targetColumns`` order.
    public func targetKey(_ row: [DataValue]) -> RowKey { RowKey(targetKeyIndexes.map { row[$0] }) }

    /// Maps one source row to a target row: copies and computes every column, then converts each
    /// to its target type.
    ///
    /// - Parameter row: The row's values in ``sourceColumns`` order.
    /// - Returns: The target row in ``targetColumns`` order, or a ``RowError`` naming the row's key
    ///   and the first column whose value cannot be converted.
    public func apply(_ row: [DataValue]) -> Result<[DataValue], RowError> {
        var out = [DataValue]()
        out.reserveCapacity(plan.count)
        for (position, step) in plan.enumerated() {
            let value: DataValue
            switch step {
            case .copy(let index): value = row[index]
            case .compute(let expression, let indexes): value = expression.evaluate { row[indexes[$0]!] }
            }
            do {
                out.append(
                    try value.converted(to: targetTypes[position], offsetMinutes: mapping.timeZoneOffsetMinutes))
            } catch {
                return .failure(
                    RowError(
                        key: sourceKey(row), column: targetColumns[position],
                        message: "\(error.message) (to \(targetTypes[position]))"))
            }
        }
        return .success(out)
    }

    /// A target row as read from the new store, converted to the declared types (so that text
    /// timestamps in SQLite and timestamptz in PostgreSQL compare alike).
    ///
    /// - Parameter row: The row's values in ``targetColumns`` order.
    /// - Returns: The typed row, or a ``RowError`` naming the row's key and the first column whose
    ///   stored value does not fit its type.
    public func normalizeTarget(_ row: [DataValue]) -> Result<[DataValue], RowError> {
        var out = [DataValue]()
        out.reserveCapacity(row.count)
        for (position, value) in row.enumerated() {
            do {
                out.append(
                    try value.converted(to: targetTypes[position], offsetMinutes: mapping.timeZoneOffsetMinutes))
            } catch {
                return .failure(RowError(key: targetKey(row), column: targetColumns[position], message: error.message))
            }
        }
        return .success(out)
    }

    /// The canonical form of a typed target row: each column's ``CanonicalRule`` applied, and the
    /// comparisons every column gets (decimals without trailing zeros, JSON with sorted keys).
    ///
    /// - Parameter row: A row from ``apply(_:)`` or ``normalizeTarget(_:)``.
    public func canonical(_ row: [DataValue]) -> [DataValue] {
        var out = row
        for index in out.indices where !canonicalRules[index].isIdentity {
            out[index] = canonicalRules[index].apply(out[index])
        }
        for index in out.indices {
            if case .real = out[index] { out[index] = CanonicalRule().apply(out[index]) }
            if case .json = out[index] { out[index] = CanonicalRule().apply(out[index]) }
            if case .numeric = out[index], canonicalRules[index].numericScale == nil {
                out[index] = CanonicalRule().apply(out[index])
            }
        }
        return out
    }

    /// The columns where two canonical rows differ: the detail of a mismatched row in a reconcile
    /// report.
    ///
    /// - Parameters:
    ///   - legacy: The legacy row, mapped and canonical.
    ///   - new: The new store's row, normalized and canonical.
    /// - Returns: One entry per differing column, in ``targetColumns`` order; empty when the rows
    ///   are equal.
    public func differences(legacy: [DataValue], new: [DataValue]) -> [ColumnDifference] {
        var out = [ColumnDifference]()
        for index in legacy.indices where legacy[index] != new[index] {
            out.append(ColumnDifference(column: targetColumns[index], legacy: legacy[index], new: new[index]))
        }
        return out
    }
}

/// One column that differs between the legacy row (mapped) and the new row, both canonical.
public struct ColumnDifference: Sendable, Equatable {
    /// The target column's name.
    public var column: String
    /// Legacy's value, mapped and in canonical form.
    public var legacy: DataValue
    /// The new store's value, in canonical form.
    public var new: DataValue

    /// Creates a column difference.
    ///
    /// - Parameters:
    ///   - column: The target column.
    ///   - legacy: Legacy's canonical value.
    ///   - new: The new store's canonical value.
    public init(column: String, legacy: DataValue, new: DataValue) {
        self.column = column
        self.legacy = legacy
        self.new = new
    }
}
