import BanyanCore
import Foundation

/// Reads the requests to send from a `.http` file or a HAR 1.2 file.
public enum RequestSource {
    /// Loads requests; the format is chosen by the file's extension (`.har`, else `.http`).
    public static func load(path: String) throws(RequestFileError) -> [RequestSpec] {
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot read the file" : "no such file"
            throw RequestFileError(file: path, message: reason)
        }
        if path.lowercased().hasSuffix(".har") || path.lowercased().hasSuffix(".har.json") {
            return try HARParser.parse(Array(data), file: path)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw RequestFileError(file: path, message: "the file is not UTF-8 text")
        }
        return try HTTPFileParser.parse(text, file: path)
    }
}

/// Finds the configured route a request matches, the way the legacy service's Express would.
public struct RouteResolver: Sendable {
    private let table: RouteTable<String>

    /// - Parameter routes: the configured routes, in order (first match wins).
    public init(routes: [RouteConfig], flavor: ExpressFlavor) {
        var entries: [(Route, String)] = []
        for route in routes {
            if let parsed = try? Route(parsing: route.route, flavor: flavor) { entries.append((parsed, route.route)) }
        }
        self.table = RouteTable(entries)
    }

    /// The route as written in the configuration, or nil when none matches.
    public func route(for request: HTTPRequest) -> String? {
        table.match(method: request.method, path: request.path)?.value
    }

    /// The methods Express would list in an automatic OPTIONS reply for this path.
    public func allowedMethods(path: String) -> [String] {
        table.allowedMethods(path: path)
    }
}
