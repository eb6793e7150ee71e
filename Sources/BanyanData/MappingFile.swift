import BanyanCore
import Foundation
import Yams

/// Reads a mapping file (YAML). The reference is docs/data.md; in short:
///
/// ```yaml
/// table: users              # the source (legacy) table
/// target: customers         # the target (new) table; default: the same name
/// key: [id]                 # source key columns; default: the source's primary key
/// version: updated_at       # target column where newer wins; default: updated_at when mapped, "" for none
/// time_zone: "+00:00"       # zone of timestamps written without an offset
/// deleted_column: deleted_at   # source rows with it set are deletes (tombstones)
/// deletes_table: customers_deleted  # new-store table of keys the dual-write deleted
/// columns:                  # every target column; default: the columns both tables share
///   id: id                                  # copy
///   email: { from: email, canonical: [trim, lower] }
///   first_name: { expr: "before(full_name, ' ')" }
///   created_at: { from: created_ms, type: timestamp, canonical: { precision: ms } }
/// ```
public enum MappingFile {
    public static func load(path: String) throws(DataError) -> TableMapping {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw DataError(
                .usage, "\(path): cannot read the mapping file: \(error.localizedDescription)", cause: error)
        }
        return try parse(text, file: path)
    }

    public static func parse(_ text: String, file: String = "mapping") throws(DataError) -> TableMapping {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw DataError(.usage, "\(file): the mapping file is empty")
            }
            root = node
        } catch let error as DataError {
            throw error
        } catch {
            throw DataError(.usage, "\(file): not valid YAML: \(error)", cause: error)
        }
        func fail(_ node: Node?, _ key: String, _ message: String) -> DataError {
            let line = node?.mark.map { ":\($0.line):\($0.column)" } ?? ""
            return DataError(.usage, "\(file)\(line): \(key): \(message)")
        }
        guard let top = root.mapping else { throw fail(root, "(top)", "expected a mapping with table: and columns:") }
        let known: Set<String> = [
            "table", "target", "key", "version", "time_zone", "columns", "deleted_column", "deletes_table",
        ]
        for (keyNode, _) in top {
            let name = keyNode.string ?? ""
            if !known.contains(name) {
                throw fail(keyNode, name, "unknown key; allowed: \(known.sorted().joined(separator: ", "))")
            }
        }
        guard let table = top["table"]?.string, !table.isEmpty else {
            throw fail(root, "table", "the source table is required")
        }
        var mapping = TableMapping(sourceTable: table, targetTable: top["target"]?.string)
        if let key = top["key"] {
            if let single = key.string {
                mapping.key = [single]
            } else if let list = key.sequence {
                mapping.key = list.compactMap(\.string)
            } else {
                throw fail(key, "key", "expected a column name or a list of them")
            }
        }
        if let version = top["version"] { mapping.version = version.string ?? "" }
        for field in ["deleted_column", "deletes_table"] {
            guard let node = top[field] else { continue }
            guard let name = node.string, !name.isEmpty else { throw fail(node, field, "expected a name") }
            if field == "deleted_column" { mapping.deletedColumn = name } else { mapping.deletesTable = name }
        }
        if let zone = top["time_zone"] {
            guard let text = zone.string, let minutes = parseOffset(text) else {
                throw fail(zone, "time_zone", "expected an offset like +00:00 or -05:30, or UTC")
            }
            mapping.timeZoneOffsetMinutes = minutes
        }
        if let columns = top["columns"] {
            guard let entries = columns.mapping else {
                throw fail(columns, "columns", "expected a mapping of target columns")
            }
            for (keyNode, value) in entries {
                guard let target = keyNode.string else { throw fail(keyNode, "columns", "a column name must be text") }
                let path = "columns.\(target)"
                var column = ColumnMapping(target: target, source: .column(target))
                if let source = value.string {
                    column.source = .column(source)
                } else if let fields = value.mapping {
                    let allowed: Set<String> = ["from", "expr", "type", "canonical"]
                    for (fieldNode, _) in fields where !allowed.contains(fieldNode.string ?? "") {
                        throw fail(
                            fieldNode, "\(path).\(fieldNode.string ?? "")",
                            "unknown key; allowed: \(allowed.sorted().joined(separator: ", "))")
                    }
                    if let from = fields["from"]?.string { column.source = .column(from) }
                    if let exprNode = fields["expr"] {
                        guard fields["from"] == nil else {
                            throw fail(exprNode, path, "give either from: or expr:, not both")
                        }
                        do {
                            column.source = try Expression.parse(exprNode.string ?? "")
                        } catch {
                            throw fail(exprNode, "\(path).expr", error.description)
                        }
                    }
                    if let typeNode = fields["type"] {
                        guard let type = typeNode.string.flatMap(ColumnType.init(name:)) else {
                            throw fail(
                                typeNode, "\(path).type",
                                "unknown type '\(typeNode.string ?? "")'; use integer, real, numeric(P,S), text, "
                                    + "boolean, timestamp, json or blob")
                        }
                        column.type = type
                    }
                    if let canonicalNode = fields["canonical"] {
                        column.canonical = try parseCanonical(canonicalNode, path: "\(path).canonical", fail: fail)
                    }
                } else {
                    throw fail(value, path, "expected a source column name or { from:, expr:, type:, canonical: }")
                }
                mapping.columns.append(column)
            }
        }
        return mapping
    }

    static func parseCanonical(
        _ node: Node, path: String, fail: (Node?, String, String) -> DataError
    ) throws(DataError) -> CanonicalRule {
        var rule = CanonicalRule()
        func flag(_ name: String, _ at: Node) throws(DataError) {
            switch name {
            case "trim": rule.trim = true
            case "lower", "lowercase": rule.lowercase = true
            case "empty_is_null": rule.emptyIsNull = true
            default: throw fail(at, path, "unknown rule '\(name)'; flags: trim, lower, empty_is_null")
            }
        }
        if let list = node.sequence {
            for item in list { try flag(item.string ?? "", item) }
            return rule
        }
        guard let fields = node.mapping else { throw fail(node, path, "expected a list of flags or a mapping") }
        for (keyNode, value) in fields {
            let name = keyNode.string ?? ""
            switch name {
            case "trim", "lower", "lowercase", "empty_is_null":
                if value.bool ?? false { try flag(name, keyNode) }
            case "precision":
                let digits: [String: Int] = [
                    "s": 0, "second": 0, "seconds": 0, "ms": 3, "millisecond": 3,
                    "milliseconds": 3, "us": 6, "microsecond": 6, "microseconds": 6,
                ]
                guard let count = value.string.flatMap({ digits[$0] }) else {
                    throw fail(value, "\(path).precision", "expected s, ms or us")
                }
                rule.timestampDigits = count
            case "scale":
                guard let scale = value.int, scale >= 0 else {
                    throw fail(value, "\(path).scale", "expected a number of decimal places")
                }
                rule.numericScale = scale
            default:
                throw fail(
                    keyNode, "\(path).\(name)", "unknown key; allowed: trim, lower, empty_is_null, precision, scale")
            }
        }
        return rule
    }

    /// `UTC`, `Z`, `+02:00`, `-0530` → minutes east of UTC.
    static func parseOffset(_ text: String) -> Int? {
        if text == "UTC" || text == "Z" || text == "utc" { return 0 }
        let bytes = Array(text.utf8)
        guard bytes.count >= 3, bytes[0] == 43 || bytes[0] == 45 else { return nil }
        let digits = bytes.dropFirst().filter { $0 != 58 }
        guard digits.count == 2 || digits.count == 4, digits.allSatisfy({ $0 >= 48 && $0 <= 57 }),
            let value = Int(String(decoding: digits, as: UTF8.self))
        else { return nil }
        let minutes = digits.count == 2 ? value * 60 : value / 100 * 60 + value % 100
        return bytes[0] == 45 ? -minutes : minutes
    }
}
