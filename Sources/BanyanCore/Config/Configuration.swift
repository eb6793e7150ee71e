/// The route-matching rules of one Express release line, set by `express:` in `banyan.yaml`.
///
/// Express versions match paths differently: npm's Express 4 uses path-to-regexp 0.1.x, Express 5
/// uses 8.x, and Debian's packaged Express 4.18.2 is patched to use 6.2. The proxy has to match
/// a path exactly as the legacy service's own Express does, or a request could reach a route in
/// Banyan that the legacy router would never have matched (or the other way round); the flavor
/// chooses which of those matchers the route table imitates. The raw value is the spelling
/// accepted in the file.
public enum ExpressFlavor: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// npm's Express 4 (path-to-regexp 0.1.7). The default.
    case express4 = "4"
    /// Debian's `node-express` 4.18.2 (path-to-regexp 6.2.1).
    case express4Debian = "4-debian"
    /// Express 5 (path-to-regexp 8).
    case express5 = "5"

    /// The spelling used in `banyan.yaml` (`4`, `4-debian`, `5`).
    public var description: String { rawValue }

    /// The accepted spellings joined by commas (`4, 4-debian, 5`), for error messages that list
    /// what `express:` may be.
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

    /// The spelling banyan.yaml uses: `direct` or `nio`.
    public var description: String { rawValue }

    /// The accepted spellings, for error messages.
    public static let allowedValues = allCases.map(\.rawValue).joined(separator: ", ")
}

/// Who serves a route's requests: one step on the way from legacy to the rewrite.
///
/// A route moves `legacy` → `shadow` → `canary N%` → `new` (the ``PromotionLadder`` says which
/// steps `banyan route promote` takes), and `banyan rollback` moves it straight back to `legacy`.
/// Only `canary` carries a value: the share of requests, as a percentage, that the candidate serves.
public enum RouteMode: Sendable, Hashable, CustomStringConvertible {
    /// Legacy serves every request.
    case legacy
    /// Legacy serves; the candidate gets a copy off the client's path, diffed and discarded.
    case shadow
    /// The candidate serves this share of requests, a percentage from 0 to 100 (fractions such as
    /// `0.5` allowed); which requests fall inside it is decided by the route's ``StickyKey``, so
    /// a client stays on the same side as the share grows.
    case canary(percent: Double)
    /// The candidate serves every request.
    case new

    /// The names accepted in `mode:`, in the order a route is promoted through them.
    public static let names = ["legacy", "shadow", "canary", "new"]

    /// The mode's name as written in `mode:` (`legacy`, `shadow`, `canary`, `new`), without a
    /// canary's percentage.
    public var name: String {
        switch self {
        case .legacy: "legacy"
        case .shadow: "shadow"
        case .canary: "canary"
        case .new: "new"
        }
    }

    /// The mode as shown to a user: its name, and for a canary its percentage (`canary 5%`,
    /// `canary 0.5%`).
    public var description: String {
        if case .canary(let percent) = self { return "canary \(formatPercent(percent))%" }
        return name
    }
}

func formatPercent(_ value: Double) -> String {
    value == value.rounded() ? String(Int(value)) : String(value)
}

/// What keeps a client on the same side of a canary as its share grows (`sticky:`).
///
/// The proxy reads the key's value from each request and hashes it to one of 10,000 buckets; a
/// canary at `p`% sends the buckets below `p × 100` to the candidate. Raising the percentage only
/// adds keys and lowering it only removes them, so nobody flips back and forth. When the named
/// header, cookie or parameter is absent from a request, the client's address is used instead.
public enum StickyKey: Sendable, Hashable, CustomStringConvertible {
    /// The value of the request header with this name (`header:x-user-id`); the name is matched
    /// without regard to case.
    case header(String)
    /// The value of the cookie with this name in the request's `cookie` header (`cookie:session`).
    case cookie(String)
    /// The value of this parameter of the route's Express pattern (`param:id` for `/users/:id`).
    case param(String)
    /// The client's network address. The default: every request from one address lands on the
    /// same side.
    case client

    /// The key as written in `sticky:` (`header:x-user-id`, `cookie:NAME`, `param:NAME`, `client`).
    public var description: String {
        switch self {
        case .header(let name): "header:\(name)"
        case .cookie(let name): "cookie:\(name)"
        case .param(let name): "param:\(name)"
        case .client: "client"
        }
    }
}

/// How the candidate's shadow copies are sent on a route in `shadow` mode (`shadow:`).
///
/// A shadow copy runs off the client's path: the client always gets legacy's answer, and the
/// candidate's answer is only diffed against it and discarded. These limits keep a slow or
/// failing candidate from piling up work in the proxy.
public struct ShadowSettings: Sendable, Hashable {
    /// The share of requests copied to the candidate, from 0 (none) to 1 (every request; the
    /// default).
    public var sample: Double
    /// How long a shadow call may take before it is abandoned, in seconds; 2 by default.
    public var timeout: Double
    /// How many shadow calls may be in flight at once; a request that would exceed it is not
    /// copied. 64 by default.
    public var concurrency: Int

    /// Creates shadow settings; every argument defaults to the value `banyan.yaml` gets when
    /// `shadow:` leaves it out.
    ///
    /// - Parameters:
    ///   - sample: The share of requests copied, 0 to 1.
    ///   - timeout: How long a shadow call may take, in seconds.
    ///   - concurrency: How many shadow calls may be in flight at once.
    public init(sample: Double = 1.0, timeout: Double = 2.0, concurrency: Int = 64) {
        self.sample = sample
        self.timeout = timeout
        self.concurrency = concurrency
    }
}

/// One entry of `routes:`: a route of the legacy service and how far its migration has come.
///
/// The proxy matches requests against the entries in file order, first match wins as in Express;
/// a request no entry matches goes to legacy. Every property but `route`, `method` and `pattern`
/// has the default the file gives it when the key is left out.
public struct RouteConfig: Sendable, Hashable {
    /// The route as written: method and Express pattern (`GET /users/:id`).
    public var route: String
    /// The method, upper case (`GET`); `ALL` matches every method.
    public var method: String
    /// The Express path pattern (`/users/:id`), matched by the rules of the configured
    /// ``ExpressFlavor``.
    public var pattern: String
    /// Who serves the route's requests as the file says (`mode:`); `legacy` by default. A runtime
    /// change (promote, rollback) kept in the state database wins over this value until the file's
    /// value for the route changes.
    public var mode: RouteMode
    /// What keeps a client on the same side of a canary (`sticky:`); the client's address by
    /// default. Only a `canary` mode reads it.
    public var sticky: StickyKey
    /// Whether a request the candidate fails is answered by legacy instead (`fallback:`).
    ///
    /// A failure is a refused or reset connection, no answer within ``timeout``, or a status of 500
    /// or above; the request is replayed only when its method is idempotent or the candidate never
    /// received it. `false` by default: the client gets 502 (504 for a timeout), and a candidate's
    /// own 5xx passes through.
    public var fallback: Bool
    /// How shadow copies of the route's requests are sent when the route is in `shadow` mode.
    public var shadow: ShadowSettings
    /// Whether non-idempotent requests (`POST`, `PATCH`, …) may be shadowed
    /// (`shadow_non_idempotent:`). `false` by default: a copy of such a request would make the
    /// candidate write a second time what legacy already wrote.
    public var shadowNonIdempotent: Bool
    /// How long the candidate may take to start its answer when it serves, in seconds; 30 by
    /// default. Past it the request falls back to legacy when ``fallback`` allows, or gets 504.
    public var timeout: Double
    /// The route's guard: the top-level `guard:` defaults with the route's own `guard:` over them.
    public var guardSettings: GuardSettings
    /// The line of `banyan.yaml` where the entry starts, so that messages about the route can name
    /// it; nil for a route that was not read from a file.
    public var line: Int?
    /// The table whose data migration goes with this route (`table:`); the dashboard shows its
    /// `banyan data phase`. Nil (the default) when the route has no table of its own.
    public var table: String?

    /// Creates a route entry; every argument after `pattern` defaults to the value the file gives
    /// when the key is left out. ``table`` is set afterwards, when there is one.
    ///
    /// - Parameters:
    ///   - route: The route as written, method and pattern (`GET /users/:id`).
    ///   - method: The method, upper case; `ALL` for every method.
    ///   - pattern: The Express path pattern.
    ///   - mode: Who serves the route's requests.
    ///   - sticky: What keeps a client on one side of a canary.
    ///   - fallback: Whether idempotent requests fall back to legacy when the candidate fails.
    ///   - shadow: How shadow copies are sent.
    ///   - shadowNonIdempotent: Whether non-idempotent requests may be shadowed.
    ///   - timeout: How long the candidate may take to start its answer, in seconds.
    ///   - guardSettings: The route's automatic-rollback settings.
    ///   - line: The line of the file where the entry starts, or nil.
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

/// The base URL of an upstream service, legacy or candidate (`http://127.0.0.1:3000`).
///
/// Only plain `http://` is accepted: the proxy talks to its upstreams on a trusted network, and
/// its data path forwards bytes without TLS. A path prefix, when there is one, is put in front of
/// every request path the proxy forwards to the service.
public struct BaseURL: Sendable, Hashable, CustomStringConvertible {
    /// The URL scheme; always `http`.
    public var scheme: String
    /// The host name or address, an IPv6 address without its brackets (`::1`).
    public var host: String
    /// The TCP port, 1 to 65535; 80 when the URL names none.
    public var port: Int
    /// A path prefix put before every forwarded path (`/api`), without a trailing slash; empty for
    /// none.
    public var pathPrefix: String

    /// Creates a base URL from its parts, without checking them.
    ///
    /// - Parameters:
    ///   - scheme: The URL scheme; `http`.
    ///   - host: The host name or address, IPv6 without brackets.
    ///   - port: The TCP port.
    ///   - pathPrefix: A path prefix without a trailing slash, or empty.
    public init(scheme: String = "http", host: String, port: Int, pathPrefix: String = "") {
        self.scheme = scheme
        self.host = host
        self.port = port
        self.pathPrefix = pathPrefix
    }

    /// Parses `http://HOST[:PORT][/PREFIX]` as written in `legacy:` or `candidate:`.
    ///
    /// An IPv6 host is written in brackets (`http://[::1]:3000`); trailing slashes of the prefix
    /// are dropped.
    ///
    /// - Parameter text: The URL as written.
    /// - Returns: Nil when the text is not such a URL: another scheme, an empty host, a host with a
    ///   space or user information (`@`), or a port outside 1–65535.
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

    /// The URL as it would be written in `banyan.yaml`; the port is left out when it is 80.
    public var description: String {
        let hostPart = host.contains(":") ? "[\(host)]" : host
        return "\(scheme)://\(hostPart)\(port == 80 ? "" : ":\(port)")\(pathPrefix)"
    }
}

/// An address the proxy listens on, for clients (`listen:`) or for the admin API (`admin:`),
/// such as `0.0.0.0:8000`.
public struct ListenAddress: Sendable, Hashable, CustomStringConvertible {
    /// The host name or address to bind, an IPv6 address without its brackets; `0.0.0.0` binds
    /// every IPv4 interface.
    public var host: String
    /// The TCP port, 0 to 65535; 0 asks the system for a free port.
    public var port: Int

    /// Creates a listening address from its parts, without checking them.
    ///
    /// - Parameters:
    ///   - host: The host name or address, IPv6 without brackets.
    ///   - port: The TCP port; 0 for any free one.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT` or `[V6]:PORT` as written in `listen:` or `admin:`; port 0 asks the
    /// system for a free one.
    ///
    /// - Parameter text: The address as written.
    /// - Returns: Nil when there is no `:PORT`, the port is not a number from 0 to 65535, or the
    ///   host is empty.
    public init?(parsing text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65535).contains(port)
        else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { return nil }
        self.init(host: host, port: port)
    }

    /// Whether only this machine can reach the address: `localhost`, `::1` or any `127.x.x.x`.
    /// The admin API demands a token when this is false.
    public var isLoopback: Bool { host == "localhost" || host == "::1" || host.hasPrefix("127.") }

    /// The address as written in `banyan.yaml`, an IPv6 host in brackets (`[::1]:9901`).
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// Everything `banyan.yaml` says, validated: the two services, the routes and their modes, the
/// difference policy and where Banyan keeps its state.
///
/// The file is the desired state of the migration. It is parsed and checked once, with errors that
/// name the line and key, and the result is this plain value; runtime changes (a rollback, a
/// promotion) live in the state database beside it. Every property but `legacy` and `candidate`
/// has the default the file gives it when the key is left out.
public struct Configuration: Sendable, Hashable {
    /// The base URL of the legacy Express service (`legacy:`).
    public var legacy: BaseURL
    /// The base URL of the rewrite, the candidate (`candidate:`).
    public var candidate: BaseURL
    /// Which Express release line's path matching the proxy imitates (`express:`); npm's Express
    /// 4 by default.
    public var express: ExpressFlavor
    /// Where the proxy listens for clients (`listen:`); `0.0.0.0:8000` by default.
    public var listen: ListenAddress
    /// Where the admin API and dashboard listen (`admin:`); `127.0.0.1:9901` by default.
    public var admin: ListenAddress
    /// The bearer token the admin API and dashboard require (`admin_token:`); nil for none, which
    /// is allowed only when ``admin`` is a loopback address.
    public var adminToken: String?
    /// A second bearer token that reads everything the admin API and dashboard show and changes
    /// nothing: every change answers 403 (`admin_read_token:`). Needs ``adminToken`` and must differ
    /// from it; nil for none.
    public var adminReadToken: String?
    /// Whether the proxy generates an `x-request-id` for a request that has none and sends it to
    /// both upstreams and in the response (off by default: in `legacy` mode the proxy adds nothing).
    public var requestID: Bool
    /// The steps `banyan route promote` and the dashboard's Promote take a route along
    /// (`promote_steps:`); shadow, canary 1, 5, 25 and 50%, then new by default.
    public var promotion: PromotionLadder
    /// Where Banyan keeps its state (`state:`): `sqlite:PATH` for one proxy, or
    /// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?schema=NAME]` for a fleet sharing one
    /// database (see ``PostgresStateLocation``). `sqlite:.banyan/state.sqlite` by default.
    public var state: String
    /// The name of the response header that names the side that served a request (`served_by:`);
    /// `served-by` by default.
    public var servedByHeader: String
    /// The routes Banyan knows, in file order (`routes:`). First match wins, as in Express;
    /// requests no route matches go to legacy. Empty by default.
    public var routes: [RouteConfig]
    /// Which differences matter and how much (`policy:`): ignored headers and JSON paths,
    /// downgraded kinds and the severity at which `verify` fails. ``DifferencePolicy/default``
    /// when the file has no `policy:`.
    public var policy: DifferencePolicy
    /// What the proxy does to the `X-Forwarded-*` fields of requests (`forwarded:`); by default it
    /// preserves what trusted peers send, so the app reads what it read without the proxy.
    public var forwarded: ForwardedHeaders
    /// How the proxy reads and writes its sockets (`io:`).
    public var io: IOMode
    /// The deadlines and sizes every client connection is held to (`limits:`).
    public var limits: ProxyLimits

    /// Creates a configuration; every argument after `candidate` defaults to the value the file
    /// gives when the key is left out.
    ///
    /// The value is not checked here: `ConfigurationLoader` (in BanyanConfig) validates what it
    /// reads from the file before it builds one.
    ///
    /// - Parameters:
    ///   - legacy: The legacy Express service.
    ///   - candidate: The rewrite.
    ///   - express: Which Express release line's path matching to imitate.
    ///   - listen: Where the proxy listens for clients.
    ///   - admin: Where the admin API and dashboard listen.
    ///   - adminToken: The admin API's bearer token, or nil.
    ///   - adminReadToken: A read-only bearer token, or nil.
    ///   - requestID: Whether the proxy adds an `x-request-id` to requests without one.
    ///   - promotion: The steps a promotion takes.
    ///   - state: Where Banyan keeps its state.
    ///   - servedByHeader: The name of the header that names the serving side.
    ///   - routes: The routes, in file order.
    ///   - policy: The difference policy.
    ///   - forwarded: What the proxy does to forwarding fields.
    ///   - io: How the proxy reads and writes its sockets.
    ///   - limits: The deadlines and sizes client connections are held to.
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
        io: IOMode = .direct,
        limits: ProxyLimits = ProxyLimits()
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
        self.limits = limits
    }
}
