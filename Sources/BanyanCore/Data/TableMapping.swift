/// How one source table becomes one target table: which target column comes from which source
/// column or expression, its type, and the canonical form reconcile compares it in.
public struct TableMapping: Sendable, Equatable {
    public var sourceTable: String
    public var targetTable: String
    /// Source key columns, in key order; empty means "the source's primary key".
    public var key: [String]
    /// Target column holding the row's version (newer wins); nil means "updated_at when the
    /// target has it", `""` means none.
    public var version: String?
    /// Zone of timestamps written without an offset, in minutes east of UTC.
    public var timeZoneOffsetMinutes: Int
    /// Every target column, in order; empty means "the columns both tables have, unchanged".
    public var columns: [ColumnMapping]
    /// A source column that marks a deleted row (a tombstone) when it is not NULL (`deleted_at`):
    /// such rows are not copied, and are removed from the target.
    public var deletedColumn: String?
    /// A table in the new store where the dual-write records deleted keys (the target key's
    /// columns): those keys are not copied again, and are removed from the target.
    public var deletesTable: String?

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

    /// The mapping when no file is given: the same table, every shared column copied.
    public static func identity(table: String) -> TableMapping { TableMapping(sourceTable: table) }
}

/// One target column of a mapping.
public struct ColumnMapping: Sendable, Equatable {
    public var target: String
    /// `.column(name)` for a copy or a rename, any other expression for a computed column.
    public var source: Expression
    /// The target type; nil means "as the target table declares it".
    public var type: ColumnType?
    public var canonical: CanonicalRule

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
public struct CanonicalRule: Sendable, Hashable {
    public var trim: Bool
    public var lowercase: Bool
    /// Fraction digits a timestamp keeps (0 seconds, 3 milliseconds, 6 microseconds); nil keeps all.
    public var timestampDigits: Int?
    /// Decimal places numbers are rounded to before comparing; nil compares them exactly.
    public var numericScale: Int?
    public var emptyIsNull: Bool

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

    public var isIdentity: Bool { self == CanonicalRule() }

    /// The value in canonical form.
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

/// A mapping that does not fit the tables it is applied to.
public struct MappingError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A source row that cannot become a target row: the key, the column and why.
public struct RowError: Error, Sendable, Equatable, CustomStringConvertible {
    public let key: RowKey
    public let column: String
    public let message: String

    public var description: String { "row \(key): column \(column): \(message)" }
}

/// The row transform: a pure function from a source row to a target row, compiled once against
/// the columns the source has and the types the target declares.
public struct RowTransform: Sendable {
    public let mapping: TableMapping
    /// Columns to read from the source, in the order `apply` expects their values.
    public let sourceColumns: [String]
    /// Target columns written, in the order `apply` returns them.
    public let targetColumns: [String]
    public let targetTypes: [ColumnType]
    public let canonicalRules: [CanonicalRule]
    /// Positions of the key in the source row and in the target row.
    public let sourceKeyIndexes: [Int]
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

    /// Compiles a mapping. `sourceKey` is used when the mapping names none; `targetTypes` gives the
    /// target table's declared types, which a mapping's explicit types override.
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

    /// The key of a source row (values in `sourceColumns` order).
    public func sourceKey(_ row: [DataValue]) -> RowKey { RowKey(sourceKeyIndexes.map { row[$0] }) }

    /// Whether a source row is a tombstone: its `deletedColumn` is set.
    public func isDeleted(_ row: [DataValue]) -> Bool {
        guard let deletedIndex else { return false }
        return !row[deletedIndex].isNull
    }

    /// The key of a target row (values in `targetColumns` order).
    public func targetKey(_ row: [DataValue]) -> RowKey { RowKey(targetKeyIndexes.map { row[$0] }) }

    /// Maps one source row (values in `sourceColumns` order) to a target row of typed values.
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

    /// The canonical form of a typed target row.
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

    /// The columns where two canonical rows differ.
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
    public var column: String
    public var legacy: DataValue
    public var new: DataValue

    public init(column: String, legacy: DataValue, new: DataValue) {
        self.column = column
        self.legacy = legacy
        self.new = new
    }
}
