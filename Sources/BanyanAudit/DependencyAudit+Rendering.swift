import BanyanCore

extension DependencyAudit {
    /// The audit for a reader: a summary per language, then each dependency with its equivalents,
    /// verdicts, what differs and the advice. `languages` picks the sides shown.
    public func plainText(languages: [TargetLanguage] = TargetLanguage.allCases) -> String {
        var lines: [String] = []
        lines.append("\(items.count) production dependencies" + (project.map { " of \($0)" } ?? ""))
        for language in languages {
            let count = counts(for: language)
            lines.append(
                "  \(language.rawValue): \(count.direct) direct, \(count.partial) partial, \(count.none) none, "
                    + "\(count.unknown) unknown")
        }
        for item in items {
            lines.append("")
            let version = item.resolved.map { "\(item.requested) → \($0)" } ?? item.requested
            guard let known = item.known else {
                lines.append("\(item.name) \(version): unknown (not in the knowledge base; map it by hand)")
                continue
            }
            lines.append("\(item.name) \(version) [\(known.category)]")
            for language in languages {
                let side = known.equivalent(in: language)
                let name = side.name.map { $0 + (side.maturity.map { " (\($0))" } ?? "") } ?? "nothing"
                lines.append("  \(language.rawValue): \(side.verdict.rawValue): \(name)")
                if !side.differs.isEmpty { lines.append("    \(side.differs)") }
            }
            lines.append("  → \(known.advice.phrase)")
            if let note = known.note { lines.append("  note: \(note)") }
        }
        return lines.joined(separator: "\n")
    }

    /// The audit as a Markdown table, for a migration plan document.
    public func markdown(languages: [TargetLanguage] = TargetLanguage.allCases) -> String {
        var lines: [String] = []
        lines.append("# Dependency audit" + (project.map { ": \($0)" } ?? ""))
        lines.append("")
        for language in languages {
            let count = counts(for: language)
            lines.append(
                "- **\(language.rawValue)**: \(count.direct) direct, \(count.partial) partial, \(count.none) none, "
                    + "\(count.unknown) unknown")
        }
        lines.append("")
        var header = "| package | version | category |"
        var rule = "|---|---|---|"
        for language in languages {
            header += " \(language.rawValue) | verdict |"
            rule += "---|---|"
        }
        header += " advice |"
        rule += "---|"
        lines += [header, rule]
        for item in items {
            let version = cell(item.resolved ?? item.requested)
            guard let known = item.known else {
                var row = "| `\(item.name)` | \(version) | **unknown** |"
                for _ in languages { row += " | unknown |" }
                lines.append(row + " map it by hand |")
                continue
            }
            var row = "| `\(item.name)` | \(version) | \(cell(known.category)) |"
            for language in languages {
                let side = known.equivalent(in: language)
                let name = side.name.map { "`\($0)`" } ?? "—"
                let differs = side.differs.isEmpty ? "" : ": " + cell(side.differs)
                row += " \(name)\(side.maturity.map { " (\(cell($0)))" } ?? "")\(differs) | \(side.verdict.rawValue) |"
            }
            lines.append(row + " \(cell(known.advice.phrase)) |")
        }
        return lines.joined(separator: "\n")
    }

    private func cell(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }

    /// The audit as JSON: `{"project", "lock_version", "summary": {LANGUAGE: {"direct", "partial", "none",
    /// "unknown"}}, "dependencies": [{"name", "requested", "resolved", "known", "category", "rust": {"name",
    /// "maturity", "verdict", "differs"}, "swift": {…}, "advice", "advice_text", "sources", "note"}]}`.
    public var json: JSONValue {
        func side(_ equivalent: Equivalent) -> JSONValue {
            [
                "name": equivalent.name.map(JSONValue.string) ?? .null,
                "maturity": equivalent.maturity.map(JSONValue.string) ?? .null,
                "verdict": .string(equivalent.verdict.rawValue), "differs": .string(equivalent.differs),
            ]
        }
        var summary: [JSONMember] = []
        for language in TargetLanguage.allCases {
            let count = counts(for: language)
            summary.append(
                JSONMember(
                    key: language.rawValue,
                    value: [
                        "direct": .number(JSONNumber(count.direct)), "partial": .number(JSONNumber(count.partial)),
                        "none": .number(JSONNumber(count.none)), "unknown": .number(JSONNumber(count.unknown)),
                    ]))
        }
        let dependencies: [JSONValue] = items.map { item in
            var members: [JSONMember] = [
                JSONMember(key: "name", value: .string(item.name)),
                JSONMember(key: "requested", value: .string(item.requested)),
                JSONMember(key: "resolved", value: item.resolved.map(JSONValue.string) ?? .null),
                JSONMember(key: "known", value: .bool(item.known != nil)),
            ]
            if let known = item.known {
                members += [
                    JSONMember(key: "category", value: .string(known.category)),
                    JSONMember(key: "rust", value: side(known.rust)),
                    JSONMember(key: "swift", value: side(known.swift)),
                    JSONMember(key: "advice", value: .string(known.advice.rawValue)),
                    JSONMember(key: "advice_text", value: .string(known.advice.phrase)),
                    JSONMember(key: "sources", value: .array(known.sources.map(JSONValue.string))),
                    JSONMember(key: "note", value: known.note.map(JSONValue.string) ?? .null),
                ]
            }
            return .object(members)
        }
        return [
            "project": project.map(JSONValue.string) ?? .null,
            "lock_version": lockVersion.map { .number(JSONNumber($0)) } ?? .null,
            "summary": .object(summary),
            "dependencies": .array(dependencies),
        ]
    }
}
