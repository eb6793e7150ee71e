/// The route-matching rules of one Express release line.
///
/// Express versions match paths differently: npm's Express 4 uses path-to-regexp 0.1.x, Express 5
/// uses 8.x, and Debian's packaged Express 4.18.2 is patched to use 6.2.
public enum ExpressFlavor: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// npm's Express 4 (path-to-regexp 0.1.7). The default.
    case express4 = "4"
    /// Debian's `node-express` 4.18.2 (path-to-regexp 6.2.1).
    case express4Debian = "4-debian"
    /// Express 5 (path-to-regexp 8).
    case express5 = "5"

    public var description: String { rawValue }

    /// The accepted spellings, for error messages.
    public static let allowedValues = allCases.map(\.rawValue).joined(separator: ", ")
}

/// How the proxy reads and writes its sockets (`io:` in banyan.yaml).
public enum IOMode: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// The proxy accepts and connects its sockets itself and writes to them with `send(2)`
    /// whenever NIO holds nothing back; NIO does the reading. The default, and the faster.
    case direct
    /// Plain SwiftNIO: its bootstraps accept and connect, and every write is a channel write.
    /// The same handlers run; the fallback when the direct path misbehaves on a kernel.
    case nio

    public var description: String { rawValue }

    /// The accepted spellings, for error messages.
    public static let allowedValues = allCases.map(\.rawValue).joined(separator: ", ")
}

/// Who serves a route's requests.
public enum RouteMode: Sendable, Hashable, CustomStringConvertible {
    /// Legacy serves every request.
    case legacy
    /// Legacy serves; the candidate gets a copy off the client's path, diffed and discarded.
    case shadow
    /// The candidate serves this share of requests (0–100), chosen by the sticky key.
    case canary(percent: Double)
    /// The candidate serves every request.
    case new

    /// The names accepted in `mode:`.
    public static let names = ["legacy", "shadow", "canary", "new"]

    public var name: String {
        switch self {
        case .legacy: "legacy"
        case .shadow: "shadow"
        case .canary: "canary"
        case .new: "new"
        }
    }

    public var description: String {
        if case .canary(let percent) = self { return "canary \(formatPercent(percent))%" }
        return name
    }
}

func formatPercent(_ value: Double) -> String {
    value == value.rounded() ? String(Int(value)) : String(value)
}

/// What keeps a client on the same side of a canary as its share grows.
public enum StickyKey: Sendable, Hashable, CustomStringConvertible {
    case header(String)
    case cookie(String)
    case param(String)
    case client

    public var description: String {
        switch self {
        case .header(let name): "header:\(name)"
        case .cookie(let name): "cookie:\(name)"
        case .param(let name): "param:\(name)"
        case .client: "client"
        }
    }
}

/// How the candidate's shadow copies are sent.
public struct ShadowSettings: Sendable, Hashable {
    /// The share of requests copied, 0 to 1.
    public var sample: Double
    /// How long the candidate may take, in seconds.
    public var timeout: Double
    /// How many shadow calls may be in flight at once.
    public var concurrency: Int

    public init(sample: Double = 1.0, timeout: Double = 2.0, concurrency: Int = 64) {
        self.sample = sample
        self.timeout = timeout
        self.concurrency = concurrency
    }
}

/// One entry of `routes:`.
public struct RouteConfig: Sendable, Hashable {
    /// The route as written: method and Express pattern (`GET /users/:id`).
    public var route: String
    /// The method, upper case; `ALL` matches every method.
    public var method: String
    /// The Express path pattern (`/users/:id`).
    public var pattern: String
    public var mode: RouteMode
    public var sticky: StickyKey
    /// Whether idempotent requests fall back to legacy when the candidate fails.
    public var fallback: Bool
    public var shadow: ShadowSettings
    /// Whether non-idempotent requests may be shadowed (they are not by default).
    public var shadowNonIdempotent: Bool
    /// How long the candidate may take to start its answer when it serves, in seconds.
    public var timeout: Double
    /// The route's guard: the top-level `guard:` defaults with the route's own `guard:` over them.
    public var guardSettings: GuardSettings
    /// Where the entry starts in the file, for messages.
    public var line: Int?
    /// The table whose data migration goes with this route (`banyan data phase`); the dashboard
    /// shows its phase.
    public var table: String?

    public init(
        route: String,
        method: String,
        pattern: String,
        mode: RouteMode = .legacy,
        sticky: StickyKey = .client,
        fallback: Bool = false,
        shadow: ShadowSettings = ShadowSettings(),
        shadowNonIdempotent: Bool = false,
        timeout: Double = 30,
        guardSettings: GuardSettings = GuardSettings(),
        line: Int? = nil
    ) {
        self.route = route
        self.method = method
        self.pattern = pattern
        self.mode = mode
        self.sticky = sticky
        self.fallback = fallback
        self.shadow = shadow
        self.shadowNonIdempotent = shadowNonIdempotent
        self.timeout = timeout
        self.guardSettings = guardSettings
        self.line = line
    }
}

/// A base URL of an upstream service (`http://127.0.0.1:3000`).
public struct BaseURL: Sendable, Hashable, CustomStringConvertible {
    public var scheme: String
    public var host: String
    public var port: Int
    /// A path prefix without a trailing slash; empty for none.
    public var pathPrefix: String

    public init(scheme: String = "http", host: String, port: Int, pathPrefix: String = "") {
        self.scheme = scheme
        self.host = host
        self.port = port
        self.pathPrefix = pathPrefix
    }

    /// Parses `http://host[:port][/prefix]`; returns nil for anything else.
    public init?(parsing text: String) {
        guard text.hasPrefix("http://") else { return nil }
        let rest = text.dropFirst("http://".count)
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<slash]
        var prefix = String(rest[slash...])
        while prefix.hasSuffix("/") { prefix.removeLast() }
        guard !authority.isEmpty else { return nil }
        var host = Substring(authority)
        var port = 80
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") {
                guard let value = Int(after.dropFirst()), (1...65535).contains(value) else { return nil }
                port = value
            } else if !after.isEmpty {
                return nil
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            guard let value = Int(authority[authority.index(after: colon)...]), (1...65535).contains(value)
            else { return nil }
            port = value
        }
        guard !host.isEmpty, !host.contains(where: { $0 == " " || $0 == "@" }) else { return nil }
        self.init(scheme: "http", host: String(host), port: port, pathPrefix: prefix)
    }

    public var description: String {
        let hostPart = host.contains(":") ? "[\(host)]" : host
        return "\(scheme)://\(hostPart)\(port == 80 ? "" : ":\(port)")\(pathPrefix)"
    }
}

/// A listening address (`0.0.0.0:8000`).
public struct ListenAddress: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT` or `[V6]:PORT`; port 0 asks the system for a free one.
    public init?(parsing text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65535).contains(port)
        else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { return nil }
        self.init(host: host, port: port)
    }

    /// Whether only this machine can reach the address.
    public var isLoopback: Bool { host == "localhost" || host == "::1" || host.hasPrefix("127.") }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// Everything `banyan.yaml` says, validated.
public struct Configuration: Sendable, Hashable {
    /// The Express service.
    public var legacy: BaseURL
    /// The rewrite.
    public var candidate: BaseURL
    /// How the legacy service's Express matches paths.
    public var express: ExpressFlavor
    /// Where the proxy listens for clients.
    public var listen: ListenAddress
    /// Where the admin API and dashboard listen.
    public var admin: ListenAddress
    /// A bearer token the admin API requires (required when `admin` is not a loopback address).
    public var adminToken: String?
    /// A second bearer token that reads everything the admin API and dashboard show and changes
    /// nothing (every change answers 403). Needs `adminToken`.
    public var adminReadToken: String?
    /// Whether the proxy generates an `x-request-id` for a request that has none and sends it to
    /// both upstreams and in the response (off by default: in `legacy` mode the proxy adds nothing).
    public var requestID: Bool
    /// The steps `promote` takes a route along.
    public var promotion: PromotionLadder
    /// Where Banyan keeps its state (`sqlite:PATH` or `postgres://…`).
    public var state: String
    /// The response header that names the side that served a request.
    public var servedByHeader: String
    /// First match wins, as in Express; unmatched requests go to legacy.
    public var routes: [RouteConfig]
    public var policy: DifferencePolicy
    /// What the proxy does to the forwarding fields of requests (`forwarded:`).
    public var forwarded: ForwardedHeaders
    /// How the proxy reads and writes its sockets (`io:`).
    public var io: IOMode

    public init(
        legacy: BaseURL,
        candidate: BaseURL,
        express: ExpressFlavor = .express4,
        listen: ListenAddress = ListenAddress(host: "0.0.0.0", port: 8000),
        admin: ListenAddress = ListenAddress(host: "127.0.0.1", port: 9901),
        adminToken: String? = nil,
        adminReadToken: String? = nil,
        requestID: Bool = false,
        promotion: PromotionLadder = .standard,
        state: String = "sqlite:.banyan/state.sqlite",
        servedByHeader: String = "served-by",
        routes: [RouteConfig] = [],
        policy: DifferencePolicy = .default,
        forwarded: ForwardedHeaders = ForwardedHeaders(),
        io: IOMode = .direct
    ) {
        self.legacy = legacy
        self.candidate = candidate
        self.express = express
        self.listen = listen
        self.admin = admin
        self.adminToken = adminToken
        self.adminReadToken = adminReadToken
        self.requestID = requestID
        self.promotion = promotion
        self.state = state
        self.servedByHeader = servedByHeader
        self.routes = routes
        self.policy = policy
        self.forwarded = forwarded
        self.io = io
    }
}
