import BanyanCore

/// Every route an Express app serves, read from its router, in the order Express tries them.
public struct RouteInventory: Sendable, Hashable {
    /// One route that can be written in `banyan.yaml`.
    public struct Entry: Sendable, Hashable {
        /// `METHOD /pattern`, the way `banyan.yaml` writes it (`GET /users/:id`).
        public var route: String
        public var method: String
        /// The full Express pattern, mount paths included.
        public var pattern: String
        /// The parameter names of the pattern, in order.
        public var parameters: [String]
        /// The mount paths of the routers the route sits in, outermost first (empty at the top level).
        public var mounts: [String]

        public init(route: String, method: String, pattern: String, parameters: [String], mounts: [String]) {
            self.route = route
            self.method = method
            self.pattern = pattern
            self.parameters = parameters
            self.mounts = mounts
        }
    }

    /// A route Express serves that `banyan.yaml` cannot name (a RegExp path, or a pattern the
    /// configured Express flavour rejects).
    public struct Unrepresentable: Sendable, Hashable {
        /// The method and the path as Express holds it (`GET /^\/regex\/(\d+)$/`).
        public var description: String
        public var reason: String

        public init(description: String, reason: String) {
            self.description = description
            self.reason = reason
        }
    }

    /// Middleware that is not a router: it may answer requests itself (static files, a proxy).
    public struct Middleware: Sendable, Hashable {
        public var name: String
        /// Where it is mounted (`/` for everything).
        public var mount: String

        public init(name: String, mount: String) {
            self.name = name
            self.mount = mount
        }
    }

    /// Which Express the app loaded (version, and the path-to-regexp it matches with).
    public struct ExpressRelease: Sendable, Hashable {
        public var version: String?
        public var pathToRegexp: String?

        public init(version: String?, pathToRegexp: String?) {
            self.version = version
            self.pathToRegexp = pathToRegexp
        }

        /// The matching flavour this release implies: Express 5, Debian's Express 4 (path-to-regexp 6)
        /// or npm's Express 4; nil when the version is unknown.
        public var flavor: ExpressFlavor? {
            guard let version else { return nil }
            if version.hasPrefix("5.") { return .express5 }
            guard version.hasPrefix("4.") else { return nil }
            if let pathToRegexp, !pathToRegexp.hasPrefix("0.") { return .express4Debian }
            return .express4
        }
    }

    public var entries: [Entry]
    public var unrepresentable: [Unrepresentable]
    public var middleware: [Middleware]
    public var express: ExpressRelease?
    /// The flavour the patterns were checked with.
    public var flavor: ExpressFlavor

    public init(
        entries: [Entry], unrepresentable: [Unrepresentable] = [], middleware: [Middleware] = [],
        express: ExpressRelease? = nil, flavor: ExpressFlavor
    ) {
        self.entries = entries
        self.unrepresentable = unrepresentable
        self.middleware = middleware
        self.express = express
        self.flavor = flavor
    }

    /// The `METHOD /pattern` strings, in order.
    public var routes: [String] { entries.map(\.route) }
}

/// One piece of a path as Express holds it: a string pattern or a RegExp.
public enum ExpressPath: Sendable, Hashable {
    case pattern(String)
    case regexp(String)

    var text: String {
        switch self {
        case .pattern(let text): text
        case .regexp(let text): text
        }
    }
}

/// A route as the loader read it: the mount paths of its routers (each may list alternatives),
/// its own paths and its methods.
public struct ExpressRouteRecord: Sendable, Hashable {
    public var mounts: [[ExpressPath]]
    public var paths: [ExpressPath]
    public var methods: [String]

    public init(mounts: [[ExpressPath]], paths: [ExpressPath], methods: [String]) {
        self.mounts = mounts
        self.paths = paths
        self.methods = methods
    }
}

extension RouteInventory {
    /// Builds the inventory from the loader's records: every mount-path and path alternative is
    /// expanded, mount paths joined as Express strips them (`/api` + `/` serves `/api`), duplicates
    /// dropped, and each pattern checked with `flavor`.
    public init(
        records: [ExpressRouteRecord], middleware: [(name: String, mounts: [[ExpressPath]])] = [],
        express: ExpressRelease? = nil, flavor: ExpressFlavor
    ) {
        var entries: [Entry] = []
        var unrepresentable: [Unrepresentable] = []
        var seen = Set<String>()
        for record in records {
            for mounts in Self.combinations(record.mounts) {
                for path in record.paths {
                    for method in record.methods {
                        let pieces = mounts + [path]
                        if let regexp = pieces.first(where: { if case .regexp = $0 { true } else { false } }) {
                            let shown = pieces.map(\.text).joined(separator: " + ")
                            let description = "\(method) \(shown)"
                            guard seen.insert(description).inserted else { continue }
                            unrepresentable.append(
                                Unrepresentable(
                                    description: description,
                                    reason: "the path \(regexp.text) is a RegExp, which banyan.yaml cannot name; "
                                        + "route it by hand with an equivalent pattern"))
                            continue
                        }
                        let mountTexts = mounts.map(\.text)
                        let pattern = Self.join(mounts: mountTexts, path: path.text)
                        let text = "\(method) \(pattern)"
                        guard seen.insert(text).inserted else { continue }
                        do {
                            let route = try Route(parsing: text, flavor: flavor)
                            entries.append(
                                Entry(
                                    route: text, method: method, pattern: pattern,
                                    parameters: route.pattern.parameterNames, mounts: mountTexts))
                        } catch {
                            unrepresentable.append(
                                Unrepresentable(description: text, reason: "\(error.message) (Express \(flavor))"))
                        }
                    }
                }
            }
        }
        var kept: [Middleware] = []
        for item in middleware where !["query", "expressInit"].contains(item.name) {
            for mounts in Self.combinations(item.mounts) {
                kept.append(Middleware(name: item.name, mount: Self.join(mounts: mounts.map(\.text), path: "/")))
            }
        }
        self.init(
            entries: entries, unrepresentable: unrepresentable, middleware: kept, express: express, flavor: flavor)
    }

    /// Joins mount paths and a route path the way a request reaches the route: each router sees the
    /// path with its mount path removed, and a route `/` under `/api` answers `/api` and `/api/`.
    public static func join(mounts: [String], path: String) -> String {
        var prefix = ""
        for mount in mounts {
            var piece = mount
            while piece.hasSuffix("/") { piece.removeLast() }
            if !piece.isEmpty && !piece.hasPrefix("/") { piece = "/" + piece }
            prefix += piece
        }
        if path == "/" || path.isEmpty { return prefix.isEmpty ? "/" : prefix }
        return prefix + (path.hasPrefix("/") ? path : "/" + path)
    }

    private static func combinations(_ levels: [[ExpressPath]]) -> [[ExpressPath]] {
        var result: [[ExpressPath]] = [[]]
        for level in levels {
            let choices = level.isEmpty ? [ExpressPath.pattern("/")] : level
            result = result.flatMap { prefix in choices.map { prefix + [$0] } }
        }
        return result
    }
}
