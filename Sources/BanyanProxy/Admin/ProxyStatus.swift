import BanyanCore
import Foundation

/// What `GET /api/routes` answers: every route with its mode and live counters. `banyan status`
/// and the dashboard read this one shape (docs/proxy.md lists its keys).
public struct ProxyStatus: Codable, Sendable, Equatable {
    /// Legacy's address as configured (`http://127.0.0.1:3000`).
    public var legacy: String
    /// The candidate's address as configured (`http://127.0.0.1:8080`).
    public var candidate: String
    /// Where clients connect, `HOST:PORT`, with the port the proxy actually listens on.
    public var listen: String
    /// Requests between their head arriving and their answer finishing, now.
    public var requestsInFlight: Int
    /// Shadow copies sent and not yet answered, all routes together, now.
    public var shadowsInFlight: Int
    /// Upgraded connections open now, all routes together; absent when the proxy does not count them.
    public var tunnelsOpen: Int?
    /// Every configured route, in the order of `routes:`.
    public var routes: [RouteStatus]
    /// The requests no route matched (legacy serves them).
    public var unmatched: BackendsStatus
    /// Client connections open now; absent from a proxy that does not count them.
    public var clientConnections: Int?
    /// How often each limit acted since the start, by cause (`head_timeout`, `send_timeout`,
    /// `upstream_paused`, …; docs/proxy.md, "Limits"); absent from a proxy that does not count them.
    public var limits: [String: Int]?

    enum CodingKeys: String, CodingKey {
        case legacy, candidate, listen, requestsInFlight, shadowsInFlight, routes, unmatched, limits
        case tunnelsOpen = "tunnels_open"
        case clientConnections = "client_connections"
    }

    /// The route called `name` (as written in `routes:`).
    public func route(named name: String) -> RouteStatus? { routes.first { $0.route == name } }
}

/// One route: its mode (and the file's), its runtime change, and its counters per side.
public struct RouteStatus: Codable, Sendable, Equatable {
    /// The route as written in `routes:` (`GET /users/:id`).
    public var route: String
    /// The mode in force (`legacy`, `shadow`, `canary:25`, `new`).
    public var mode: String
    /// The mode the configuration file gives.
    public var fileMode: String
    /// The runtime change in force, when one overrides the file.
    public var runtimeChange: RuntimeChange?
    /// The canary's sticky key: `header:NAME`, `cookie:NAME`, `param:NAME` or `client`.
    public var sticky: String
    /// Whether a request the candidate fails is answered by legacy instead (`fallback: true`).
    public var fallback: Bool
    /// Legacy's answers to clients (fallbacks included).
    public var legacy: BackendStatus
    /// The candidate's answers to clients (a canary's share, or all in `new`).
    public var candidate: BackendStatus
    /// The candidate's answers to shadow copies.
    public var shadow: BackendStatus
    /// What happened to the route's shadow copies (and, with `guard: {compare: true}`, a canary's
    /// comparison copies): sent, compared, differing, skipped.
    public var shadowDiffs: ShadowDiffStatus
    /// Requests answered by legacy after the candidate failed, by cause.
    public var fallbacks: [String: UInt64]
    /// Upgraded connections (WebSocket) of the route; absent when the proxy does not count them.
    public var tunnels: TunnelStatus?
    /// The table the route names (`table:`) and its data phase (`banyan data phase`), when known.
    public var table: String?
    /// The data phase of ``table`` (`LegacyOnly`, `DualWrite`, `Backfilling`, `NewPrimary`,
    /// `NewOnly`); `LegacyOnly` until `banyan data phase` records one, nil without a table.
    public var dataPhase: String?

    /// A runtime change in force: why and when it was made.
    public struct RuntimeChange: Codable, Sendable, Equatable {
        /// The reason typed with the change (`rollback` unless one was given), or the evidence
        /// of the guard's change.
        public var reason: String
        /// Seconds since 1970.
        public var changedAt: Double
    }

    enum CodingKeys: String, CodingKey {
        case route, mode, fileMode, runtimeChange, sticky, fallback, legacy, candidate, shadow, shadowDiffs,
            fallbacks, tunnels, table, dataPhase
    }

    /// Writes every key, `runtimeChange` always (null when the file's mode is in force), and
    /// `tunnels`, `table` and `dataPhase` only when present.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(route, forKey: .route)
        try container.encode(mode, forKey: .mode)
        try container.encode(fileMode, forKey: .fileMode)
        // Always present: null says "the file's mode is in force".
        try container.encode(runtimeChange, forKey: .runtimeChange)
        try container.encode(sticky, forKey: .sticky)
        try container.encode(fallback, forKey: .fallback)
        try container.encode(legacy, forKey: .legacy)
        try container.encode(candidate, forKey: .candidate)
        try container.encode(shadow, forKey: .shadow)
        try container.encode(shadowDiffs, forKey: .shadowDiffs)
        try container.encode(fallbacks, forKey: .fallbacks)
        try container.encodeIfPresent(tunnels, forKey: .tunnels)
        try container.encodeIfPresent(table, forKey: .table)
        try container.encodeIfPresent(dataPhase, forKey: .dataPhase)
    }
}

/// Requests, errors and latency percentiles of one side.
///
/// Latency runs from the request head's arrival to the end of the answer; the percentiles come
/// from a log-linear histogram and are within about 6% of the exact value.
public struct BackendStatus: Codable, Sendable, Equatable {
    /// Answers since the proxy started, the proxy's own 502 and 504 included.
    public var requests: UInt64
    /// Answers of 500 and above, and the proxy's own 502 and 504.
    public var errors: UInt64
    /// The median latency in milliseconds (0 before the first answer).
    public var p50Ms: Double
    /// The 90th-percentile latency in milliseconds.
    public var p90Ms: Double
    /// The 99th-percentile latency in milliseconds.
    public var p99Ms: Double
}

/// The three sides of a route or of the unmatched requests.
public struct BackendsStatus: Codable, Sendable, Equatable {
    /// Legacy's answers to clients.
    public var legacy: BackendStatus
    /// The candidate's answers to clients.
    public var candidate: BackendStatus
    /// The candidate's answers to shadow copies.
    public var shadow: BackendStatus
}

/// Shadow copies of a route: sent, compared, differing, failing, and why some were not sent.
public struct ShadowDiffStatus: Codable, Sendable, Equatable {
    /// Copies sent to the candidate since the proxy started.
    public var sent: UInt64
    /// Copies whose two answers went through the diff engine.
    public var compared: UInt64
    /// Compared exchanges with a difference above noise.
    public var differing: UInt64
    /// Compared exchanges with a difference at or above `failAt`.
    public var failing: UInt64
    /// `differing / compared` (0 when nothing was compared).
    public var diffRate: Double
    /// The policy's `fail_at` severity (`breaking`, `risky`, `cosmetic`).
    public var failAt: String
    /// Copies the candidate did not answer within the route's shadow timeout.
    public var timeouts: UInt64
    /// Copies that failed otherwise: the connection was refused, reset or closed before an
    /// answer, or an answer could not be parsed for the comparison.
    public var errors: UInt64
    /// Requests not copied, by reason: `skipped_unsafe` (a non-idempotent method),
    /// `skipped_sample` (outside the sample), `skipped_busy` (the concurrency cap was reached),
    /// `skipped_large` (a body or answer too large to keep), `skipped_upgrade` (an upgrade request).
    public var skipped: [String: UInt64]
}

/// Upgraded connections of a route.
public struct TunnelStatus: Codable, Sendable, Equatable {
    /// Tunnels open now.
    public var open: Int
    /// Tunnels opened since the proxy started.
    public var opened: Int
    /// Bytes the tunnels carried from the client to the upstream.
    public var bytesToUpstream: Int
    /// Bytes the tunnels carried from the upstream to the client.
    public var bytesToClient: Int
    /// The same for each side (`legacy`, `candidate`); only on the route's total.
    public var byBackend: [String: TunnelStatus]?

    enum CodingKeys: String, CodingKey {
        case open, opened
        case bytesToUpstream = "bytes_to_upstream"
        case bytesToClient = "bytes_to_client"
        case byBackend = "by_backend"
    }
}

extension TunnelStatus {
    init(_ counters: RouteStats.TunnelCounters) {
        self.init(
            open: Int(counters.open), opened: Int(counters.opened), bytesToUpstream: Int(counters.bytesToUpstream),
            bytesToClient: Int(counters.bytesToClient), byBackend: nil)
    }

    /// A route's tunnels, both sides together and each apart.
    init(route counters: RouteStats.Counters) {
        self.init(counters.tunnels)
        byBackend = [
            "legacy": TunnelStatus(counters.legacyTunnels), "candidate": TunnelStatus(counters.candidateTunnels),
        ]
    }
}

extension ProxyStatus {
    /// The status of a running proxy now.
    init(_ server: ProxyServer) {
        let snapshot = server.engine.snapshot
        let failAt = snapshot.configuration.policy.failAt
        self.init(
            legacy: snapshot.configuration.legacy.description, candidate: snapshot.configuration.candidate.description,
            listen: "\(snapshot.configuration.listen.host):\(server.port)",
            requestsInFlight: server.engine.requestsInFlight, shadowsInFlight: server.engine.shadowsInFlight,
            tunnelsOpen: server.tunnelsOpen,
            routes: snapshot.routes.map { route in
                var status = RouteStatus(route, failAt: failAt)
                if let table = route.config.table {
                    status.table = table
                    status.dataPhase = server.dataPhases[table] ?? MigrationPhase.legacyOnly.rawValue
                }
                return status
            },
            unmatched: BackendsStatus(snapshot.unmatched.counters),
            clientConnections: server.engine.clientConnections, limits: server.engine.limitEvents)
    }

    /// The JSON text the admin API answers with; on one line unless `pretty`.
    ///
    /// - Parameter pretty: whether to indent it, as `GET /api/routes` does; the event stream sends
    ///   it on one line.
    /// - Returns: the status as JSON with sorted keys, or `{}` should it not encode.
    public func jsonText(pretty: Bool = true) -> String { encodeJSON(self, pretty: pretty) }

    /// The status in the admin API's answer to `GET /api/routes` (``jsonText(pretty:)`` written it).
    ///
    /// - Throws: `DecodingError` naming the key that is missing or of the wrong type.
    public static func decode(fromJSON bytes: some Collection<UInt8>) throws -> ProxyStatus {
        try JSONDecoder().decode(ProxyStatus.self, from: Data(bytes))
    }
}

extension RouteStatus {
    init(_ route: RouteRuntime, failAt: Severity) {
        let counters = route.stats.counters
        let compared = counters.shadowCompared
        self.init(
            route: route.config.route, mode: route.mode.storageText, fileMode: route.fileMode.storageText,
            runtimeChange: route.override.map { RuntimeChange(reason: $0.reason, changedAt: $0.changedAt) },
            sticky: route.config.sticky.description, fallback: route.config.fallback,
            legacy: BackendStatus(counters.legacy), candidate: BackendStatus(counters.candidate),
            shadow: BackendStatus(counters.shadow),
            shadowDiffs: ShadowDiffStatus(
                sent: counters.shadowSent, compared: compared, differing: counters.shadowDiffering,
                failing: counters.shadowFailing,
                diffRate: compared == 0 ? 0 : rounded(Double(counters.shadowDiffering) / Double(compared)),
                failAt: failAt.rawValue, timeouts: counters.shadowTimeouts, errors: counters.shadowErrors,
                skipped: counters.shadowSkipped),
            fallbacks: counters.fallbacks, tunnels: TunnelStatus(route: counters), table: nil, dataPhase: nil)
    }
}

extension BackendStatus {
    init(_ counters: RouteStats.BackendCounters) {
        self.init(
            requests: counters.requests, errors: counters.errors,
            p50Ms: milliseconds(counters.latency.value(atQuantile: 0.5)),
            p90Ms: milliseconds(counters.latency.value(atQuantile: 0.9)),
            p99Ms: milliseconds(counters.latency.value(atQuantile: 0.99)))
    }
}

extension BackendsStatus {
    init(_ counters: RouteStats.Counters) {
        self.init(
            legacy: BackendStatus(counters.legacy), candidate: BackendStatus(counters.candidate),
            shadow: BackendStatus(counters.shadow))
    }
}

private func rounded(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }

private func milliseconds(_ microseconds: UInt64) -> Double { rounded(Double(microseconds) / 1000) }

/// Key-sorted JSON, pretty as every admin API answer is written, or on one line for the event stream.
func encodeJSON(_ value: some Encodable, pretty: Bool = true) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys]
    guard let data = try? encoder.encode(value) else { return "{}" }
    return String(decoding: data, as: UTF8.self)
}
