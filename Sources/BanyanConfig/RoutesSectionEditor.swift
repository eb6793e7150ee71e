import Foundation
import Yams

/// Adds routes to the `routes:` section of a `banyan.yaml` by editing its text, so everything else
/// in the file stays as written: other keys, comments, and each existing entry with its mode.
///
/// Existing entries keep their place and their text. A new route is inserted right after the
/// entry of the route that precedes it in the app (at the top of the list when none does), so
/// the file follows the app's order wherever it did, and new entries get `mode: legacy`.
public enum RoutesSectionEditor {
    /// What a merge did.
    public struct Result: Sendable, Hashable {
        /// The new text of the file.
        public var text: String
        /// Routes written as new entries.
        public var added: [String]
        /// Routes that were already in the file (their entries are unchanged).
        public var kept: [String]
        /// Entries of the file that name a route the app does not serve (kept; review them).
        public var notServed: [String]

        public init(text: String, added: [String], kept: [String], notServed: [String]) {
            self.text = text
            self.added = added
            self.kept = kept
            self.notServed = notServed
        }
    }

    /// Why the file cannot be edited.
    public struct EditError: Error, Sendable, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    /// Merges `routes` (`METHOD /pattern`, in the app's order) into `yaml`.
    public static func merge(routes: [String], into yaml: String) throws(EditError) -> Result {
        var lines = yaml.components(separatedBy: "\n")
        let endsWithNewline = yaml.hasSuffix("\n")
        if endsWithNewline { lines.removeLast() }

        guard let header = lines.firstIndex(where: { isRoutesKey($0) }) else {
            // No routes section yet: append one.
            var output = lines
            while let last = output.last, last.trimmingCharacters(in: .whitespaces).isEmpty { output.removeLast() }
            if !output.isEmpty { output.append("") }
            output.append("routes:")
            for route in routes { output += entry(for: route, indent: "  ") }
            return Result(text: output.joined(separator: "\n") + "\n", added: routes, kept: [], notServed: [])
        }
        let headerLine = lines[header]
        let afterKey = headerLine.dropFirst("routes:".count).trimmingCharacters(in: .whitespaces)
        if !afterKey.isEmpty && !afterKey.hasPrefix("#") {
            guard afterKey.hasPrefix("[]") else {
                throw EditError(
                    "line \(header + 1): 'routes:' is written in flow style; write it as a block list "
                        + "(one '- route: …' per line) so routes import can add to it")
            }
            lines[header] = "routes:" + afterKey.dropFirst(2)
        }

        // The section runs until the next line that starts a top-level key.
        var end = header + 1
        while end < lines.count && isInsideSection(lines[end]) { end += 1 }
        // Comments and blank lines just before the next key belong to that key.
        while end > header + 1 {
            let line = lines[end - 1]
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || (line.hasPrefix("#")) { end -= 1 } else { break }
        }
        let body = Array(lines[(header + 1)..<end])

        // Split the body into entries; comment lines directly above an entry belong to it.
        let itemIndent = body.first(where: isItemStart).map { String($0.prefix(while: { $0 == " " })) }
        var leading: [String] = []
        var blocks: [[String]] = []
        if let itemIndent {
            var current: [String] = []
            var pendingComments: [String] = []
            for line in body {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if isItemStart(line) && line.prefix(while: { $0 == " " }).count == itemIndent.count {
                    if !current.isEmpty { blocks.append(current) }
                    current = pendingComments + [line]
                    pendingComments = []
                } else if trimmed.hasPrefix("#") || trimmed.isEmpty {
                    pendingComments.append(line)
                } else {
                    if current.isEmpty {
                        leading += pendingComments + [line]
                    } else {
                        current += pendingComments + [line]
                    }
                    pendingComments = []
                }
            }
            if !current.isEmpty { blocks.append(current + pendingComments) } else { leading += pendingComments }
        } else {
            leading = body
        }
        let indent = itemIndent ?? "  "

        // The route each existing entry names.
        var existing: [(route: String?, lines: [String])] = []
        for block in blocks {
            existing.append((routeName(of: block, indent: indent), block))
        }
        let appRoutes = Set(routes)
        let existingNames = Set(existing.compactMap(\.route))

        // Place each new route after the entry of the app route that precedes it.
        var insertions: [Int: [String]] = [:]  // existing index (-1 = top) → new routes after it
        for (position, route) in routes.enumerated() where !existingNames.contains(route) {
            var anchor = -1
            for previous in routes[..<position].reversed() {
                if let index = existing.lastIndex(where: { $0.route == previous }) {
                    anchor = index
                    break
                }
            }
            insertions[anchor, default: []].append(route)
        }

        var newBody = leading
        for route in insertions[-1] ?? [] { newBody += entry(for: route, indent: indent) }
        for (index, item) in existing.enumerated() {
            newBody += item.lines
            for route in insertions[index] ?? [] { newBody += entry(for: route, indent: indent) }
        }
        var output = Array(lines[..<header])
        output.append(lines[header])
        output += newBody
        output += lines[end...]
        let added = routes.filter { !existingNames.contains($0) }
        let kept = routes.filter { existingNames.contains($0) }
        let notServed = existing.compactMap(\.route).filter { !appRoutes.contains($0) }
        return Result(
            text: output.joined(separator: "\n") + (endsWithNewline || lines.isEmpty ? "\n" : ""), added: added,
            kept: kept, notServed: notServed)
    }

    /// A minimal configuration with the given routes, for a project that has no banyan.yaml yet.
    public static func newFile(routes: [String], express: String) -> String {
        var lines = [
            "# Written by 'banyan routes import'. Set legacy and candidate to where the two services listen.",
            "legacy: http://127.0.0.1:3000",
            "candidate: http://127.0.0.1:8080",
            "express: \(yamlScalar(express))",
            "routes:",
        ]
        for route in routes { lines += entry(for: route, indent: "  ") }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func entry(for route: String, indent: String) -> [String] {
        ["\(indent)- route: \(yamlScalar(route))", "\(indent)  mode: legacy"]
    }

    /// The route as a YAML scalar: plain when that reads back the same, single-quoted otherwise.
    static func yamlScalar(_ text: String) -> String {
        let safe = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 /:._-")
        let plain =
            !text.isEmpty && text.unicodeScalars.allSatisfy { safe.contains($0) } && !text.hasSuffix(":")
            && !text.contains(": ") && !text.hasPrefix("-") && !text.hasPrefix(":")
            && Int(text) == nil && Double(text) == nil
        if plain { return text }
        return "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
    }

    /// Whether the line starts a sequence item (`- …` after its indentation).
    private static func isItemStart(_ line: String) -> Bool {
        let trimmed = line.drop(while: { $0 == " " })
        return trimmed == "-" || trimmed.hasPrefix("- ")
    }

    private static func isRoutesKey(_ line: String) -> Bool {
        guard line.hasPrefix("routes:") else { return false }
        let rest = line.dropFirst("routes:".count)
        return rest.isEmpty || rest.first == " " || rest.first == "\t"
    }

    private static func isInsideSection(_ line: String) -> Bool {
        guard let first = line.first else { return true }
        return first == " " || first == "\t" || first == "#" || first == "-"
    }

    /// The `route:` value of one entry's lines, read with a YAML parser.
    private static func routeName(of block: [String], indent: String) -> String? {
        let text = block.map { $0.hasPrefix(indent) ? String($0.dropFirst(indent.count)) : $0 }.joined(separator: "\n")
        guard let value = try? Yams.load(yaml: text) as? [Any], let mapping = value.first as? [String: Any] else {
            return nil
        }
        if let route = mapping["route"] as? String { return route.trimmingCharacters(in: .whitespaces) }
        return nil
    }
}
