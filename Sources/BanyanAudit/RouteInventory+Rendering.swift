import BanyanCore

extension RouteInventory {
    /// The inventory for a reader: one route a line with its parameters and routers, then what
    /// `banyan.yaml` cannot name and the middleware that may answer requests itself.
    public func plainText() -> String {
        var lines: [String] = []
        let release = express.flatMap { release in
            release.version.map { "Express \($0)" + (release.pathToRegexp.map { ", path-to-regexp \($0)" } ?? "") }
        }
        lines.append("\(entries.count) routes" + (release.map { " (\($0); matched as express: \(flavor))" } ?? ""))
        let width = min(48, entries.map(\.route.count).max() ?? 0)
        for entry in entries {
            var line = "  " + entry.route.padding(toLength: max(width, entry.route.count), withPad: " ", startingAt: 0)
            var notes: [String] = []
            if !entry.parameters.isEmpty { notes.append("params: " + entry.parameters.joined(separator: ", ")) }
            if !entry.mounts.isEmpty { notes.append("router at " + entry.mounts.joined(separator: " > ")) }
            if !notes.isEmpty { line += "  " + notes.joined(separator: "; ") }
            while line.hasSuffix(" ") { line.removeLast() }
            lines.append(line)
        }
        if !unrepresentable.isEmpty {
            lines.append("\(unrepresentable.count) routes banyan.yaml cannot name (not written):")
            for item in unrepresentable { lines.append("  \(item.description): \(item.reason)") }
        }
        if !middleware.isEmpty {
            lines.append("middleware that may answer requests itself (unmatched requests go to legacy):")
            for item in middleware { lines.append("  \(item.name) at \(item.mount)") }
        }
        return lines.joined(separator: "\n")
    }

    /// The inventory as JSON: `{"express": {"version", "path_to_regexp"}, "flavor", "routes": [{"route",
    /// "method", "pattern", "params", "mounts"}], "unrepresentable": [{"route", "reason"}],
    /// "middleware": [{"name", "mount"}]}`.
    public var json: JSONValue {
        let release: JSONValue =
            express.map {
                [
                    "version": $0.version.map(JSONValue.string) ?? .null,
                    "path_to_regexp": $0.pathToRegexp.map(JSONValue.string) ?? .null,
                ]
            } ?? .null
        return [
            "express": release,
            "flavor": .string(flavor.rawValue),
            "routes": .array(
                entries.map { entry in
                    [
                        "route": .string(entry.route), "method": .string(entry.method),
                        "pattern": .string(entry.pattern), "params": .array(entry.parameters.map(JSONValue.string)),
                        "mounts": .array(entry.mounts.map(JSONValue.string)),
                    ]
                }),
            "unrepresentable": .array(
                unrepresentable.map { ["route": .string($0.description), "reason": .string($0.reason)] }),
            "middleware": .array(middleware.map { ["name": .string($0.name), "mount": .string($0.mount)] }),
        ]
    }
}
