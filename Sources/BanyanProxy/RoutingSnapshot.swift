import BanyanCore
import NIOCore

/// The routes in force at one moment. A change builds a new snapshot; the next request reads it.
public final class RoutingSnapshot: Sendable {
    /// The configuration the snapshot was built from; after a reload, the file's new routes and
    /// policy with the addresses the proxy started with (those need a restart).
    public let configuration: Configuration
    let table: RouteTable<Int>
    /// Every configured route in the order of `routes:`.
    public let routes: [RouteRuntime]
    /// Counters for requests no route matches (they go to legacy).
    public let unmatched: RouteStats
    let legacyPrefix: String
    let candidatePrefix: String
    /// Where the routes' guards send their verdicts; the same for every snapshot of one proxy.
    let verdicts: GuardVerdicts
    /// What happens to the forwarding fields of requests.
    let forwarded: ForwardedHeaders

    init(configuration: Configuration, overrides: [String: RouteOverride], previous: RoutingSnapshot?) throws {
        self.configuration = configuration
        let verdicts = previous?.verdicts ?? GuardVerdicts()
        self.verdicts = verdicts
        var table = RouteTable<Int>()
        var routes: [RouteRuntime] = []
        for (index, config) in configuration.routes.enumerated() {
            let route = try Route(parsing: config.route, flavor: configuration.express)
            table.append(route, value: index)
            let stats =
                previous?.routes.first { $0.config.route == config.route }?.stats
                ?? RouteStats(route: config.route, verdicts: verdicts)
            let (mode, stale) = ModeResolution.effectiveMode(file: config.mode, override: overrides[config.route])
            stats.configureGuard(settings: config.guardSettings, mode: mode)
            routes.append(
                RouteRuntime(
                    index: index, config: config, mode: mode, override: stale ? nil : overrides[config.route],
                    stats: stats))
        }
        self.table = table
        self.routes = routes
        self.unmatched = previous?.unmatched ?? RouteStats()
        self.legacyPrefix = configuration.legacy.pathPrefix
        self.candidatePrefix = configuration.candidate.pathPrefix
        self.forwarded = configuration.forwarded
    }

    /// The route named by `text`: as written in `routes:` (`GET /users/:id`), or its pattern alone
    /// when only one route has it.
    ///
    /// - Returns: the route, or nil when no route is written so, or when several routes share the
    ///   pattern (name one with its method then).
    public func route(named text: String) -> RouteRuntime? {
        if let exact = routes.first(where: { $0.config.route == text }) { return exact }
        let byPattern = routes.filter { $0.config.pattern == text }
        return byPattern.count == 1 ? byPattern[0] : nil
    }
}
