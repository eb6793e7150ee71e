import BanyanCore
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Synchronization

/// Tuning that banyan.yaml does not expose (tests and benchmarks set some of it).
///
/// Each value is read once, when ``ProxyServer/start(configuration:configPath:settings:store:log:)``
/// builds the proxy; the defaults are what `banyan proxy` runs with.
public struct ProxySettings: Sendable {
    /// Event-loop threads for clients and upstream connections: 1 unless `banyan proxy --threads
    /// N` says otherwise; below 1 counts as 1.
    public var threads: Int = 1
    /// How long legacy may take to start its answer: 60 s. Past it the client gets 504 (a
    /// candidate's limit is the route's `timeout`, 30 s by default).
    public var legacyTimeout: TimeAmount = .seconds(60)
    /// How long a connection to an upstream may take to be made: 2 s. Past it the upstream counts
    /// as refusing the connection.
    public var connectTimeout: TimeAmount = .seconds(2)
    /// How long an idle pooled upstream connection is kept: 4 s, below Node's 5 s keep-alive, so
    /// the proxy closes it before Node does.
    public var upstreamIdleTimeout: TimeAmount = .seconds(4)
    /// How long an idle client connection is kept between requests: 60 s.
    public var clientIdleTimeout: TimeAmount = .seconds(60)
    /// How long an upgrade tunnel (WebSocket) may carry nothing either way before it is closed:
    /// 10 minutes.
    public var tunnelIdleTimeout: TimeAmount = .seconds(600)
    /// How long SIGTERM waits for requests in flight before closing their connections: 10 s.
    public var drainTimeout: TimeAmount = .seconds(10)
    /// The largest request body kept for a replay (fallback, stale-connection retry) or a shadow
    /// copy, in bytes: 1 MiB. A larger body is not replayed and not copied (`skipped_large`). A
    /// request with neither fallback nor a copy keeps 64 KiB, for a stale-connection retry.
    public var retainedBodyLimit = 1 << 20
    /// The largest answer kept for a shadow comparison, in bytes: 4 MiB. A copy with a larger
    /// answer on either side is not compared (`skipped_large`).
    public var shadowResponseLimit = 4 << 20
    /// How long a shadow copy may wait for others to go out with it: 1 ms (zero: the end of the
    /// event loop's current turn).
    public var shadowBatchWindow: TimeAmount = .milliseconds(1)
    /// How many shadow copies one connection carries at once, pipelined: 16 (1: no pipelining).
    public var shadowPipelineDepth = 16
    /// How often differences are written to the state database (and the data phases read): 500 ms.
    public var flushInterval: Duration = .milliseconds(500)
    /// With a PostgreSQL state: how often the proxy re-reads the fleet's route state even without
    /// a notification, and reports the version it applied: 2 s, so a lost notification costs at
    /// most one period.
    public var fleetPeriod: Duration = .seconds(2)
    /// Runtime changes kept for the state database while it is unreachable: 1,000; past this the
    /// oldest are dropped (and counted in `GET /api/fleet`'s `dropped_writes`).
    public var pendingWriteLimit = 1_000
    /// Where the access log goes (`banyan proxy --access-log`); nil writes none.
    public var accessLog: AccessLogSettings?
    /// How the proxy reads and writes its sockets, over the configuration's `io` (`banyan proxy
    /// --io`); nil keeps the configuration's.
    public var io: IOMode?

    /// The defaults above: what `banyan proxy` runs with unless `--threads` or `--access-log` says
    /// otherwise.
    public init() {}
}

/// One configured route as the data plane sees it: its configuration, its current mode and its counters.
///
/// A routing change builds new ones (sharing the counters); a request keeps the one it was routed
/// with, so a change never alters a request in flight.
public final class RouteRuntime: Sendable {
    /// The route's position in `routes:`, from 0; the first match wins.
    public let index: Int
    /// The route as configured (pattern, sticky key, shadow settings, guard, …), after a reload
    /// the file's new values.
    public let config: RouteConfig
    /// The mode in force: the runtime change's when one is in force, otherwise the file's.
    public let mode: RouteMode
    /// The mode the file gives, to show beside a runtime change.
    public let fileMode: RouteMode
    /// The runtime change in force (`banyan route set`, `banyan rollback`, the guard); nil when
    /// the file's mode is in force, including when the file changed the route since the change
    /// was made.
    public let override: RouteOverride?
    /// The route's live counters and guard; the same object across routing changes, so counts
    /// survive a mode change, and a reload that keeps the route as written.
    public let stats: RouteStats
    /// Whether the candidate's answers to safe requests are compared with legacy's answer to a
    /// copy (`guard: {compare: true}` on a route in `canary`); worked out once per routing change,
    /// so a route without it pays one branch a request.
    let compares: Bool

    init(index: Int, config: RouteConfig, mode: RouteMode, override: RouteOverride?, stats: RouteStats) {
        self.index = index
        self.config = config
        self.mode = mode
        if case .canary = mode {
            compares = config.guardSettings.enabled && config.guardSettings.compare
        } else {
            compares = false
        }
        self.fileMode = config.mode
        self.override = override
        self.stats = stats
    }
}

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

/// Everything the event loops share: the routing snapshot, counters, shadow capacity, upstream
/// addresses. Each event loop has its own ``LoopContext`` with its connection pools.
public final class ProxyEngine: Sendable {
    /// The tuning the proxy was started with; fixed for its lifetime.
    public let settings: ProxySettings
    private let snapshotBox: NIOLockedValueBox<RoutingSnapshot>
    let legacyAddress: SocketAddress
    let candidateAddress: SocketAddress
    let recorder: DifferenceRecorder
    /// One line per answered request, when asked for.
    let accessLog: AccessLog?
    private let shadowInFlight = NIOLockedValueBox<[Int: Int]>([:])
    private let drainingBox = NIOLockedValueBox(false)
    private let activeExchanges = Atomic<Int>(0)

    init(snapshot: RoutingSnapshot, settings: ProxySettings, recorder: DifferenceRecorder) throws {
        self.settings = settings
        self.snapshotBox = NIOLockedValueBox(snapshot)
        let configuration = snapshot.configuration
        self.legacyAddress = try SocketAddress.makeAddressResolvingHost(
            configuration.legacy.host, port: configuration.legacy.port)
        self.candidateAddress = try SocketAddress.makeAddressResolvingHost(
            configuration.candidate.host, port: configuration.candidate.port)
        self.recorder = recorder
        self.accessLog = try settings.accessLog.map(AccessLog.init)
    }

    /// The routes in force now.
    public var snapshot: RoutingSnapshot { snapshotBox.withLockedValue { $0 } }

    func replaceSnapshot(_ build: (RoutingSnapshot) throws -> RoutingSnapshot) rethrows -> RoutingSnapshot {
        try snapshotBox.withLockedValue { current in
            current = try build(current)
            return current
        }
    }

    var isDraining: Bool { drainingBox.withLockedValue { $0 } }
    func startDraining() { drainingBox.withLockedValue { $0 = true } }

    /// Requests between their head arriving and their answer finishing.
    public var requestsInFlight: Int { activeExchanges.load(ordering: .acquiring) }
    func exchangeStarted() { activeExchanges.add(1, ordering: .releasing) }
    func exchangeEnded() { activeExchanges.subtract(1, ordering: .releasing) }

    /// Takes a shadow slot for `route` when fewer than `limit` copies are in flight.
    func acquireShadowSlot(route: Int, limit: Int) -> Bool {
        shadowInFlight.withLockedValue { counts in
            let current = counts[route, default: 0]
            guard current < limit else { return false }
            counts[route] = current + 1
            return true
        }
    }

    func releaseShadowSlot(route: Int) {
        shadowInFlight.withLockedValue { $0[route, default: 1] -= 1 }
    }

    /// Shadow copies in flight, all routes together.
    public var shadowsInFlight: Int { shadowInFlight.withLockedValue { $0.values.reduce(0, +) } }
}

/// What one event loop owns: its upstream pools and the connections it serves. Only touched on
/// that event loop.
final class LoopContext {
    let eventLoop: any EventLoop
    let legacyPool: UpstreamPool
    let candidatePool: UpstreamPool
    /// Shadow copies use their own connections, so a slow candidate cannot take the canary's.
    let shadowPool: UpstreamPool
    let shadows: ShadowDispatcher
    /// A canary's copies for legacy (`compare: true`), on connections of their own, so that they
    /// never take a connection the client's requests to legacy wait for.
    let comparePool: UpstreamPool
    let compares: ShadowDispatcher
    var clients: [ObjectIdentifier: ClientHandler] = [:]
    private var sweeping = false
    /// Connections written to during this pass over the ready sockets, flushed together after it.
    private var unflushed: [(DirectWriter, ChannelHandlerContext)] = []

    /// - Parameter connectPool: opens every upstream connection of this loop's pools.
    init(eventLoop: any EventLoop, engine: ProxyEngine, connectPool: ConnectPool) {
        self.eventLoop = eventLoop
        let settings = engine.settings
        func pool(_ address: SocketAddress) -> UpstreamPool {
            UpstreamPool(
                eventLoop: eventLoop, address: address, connectPool: connectPool,
                connectTimeout: settings.connectTimeout, idleTimeout: settings.upstreamIdleTimeout)
        }
        func dispatcher(_ pool: UpstreamPool) -> ShadowDispatcher {
            ShadowDispatcher(
                pool: pool, window: settings.shadowBatchWindow, depth: settings.shadowPipelineDepth,
                responseLimit: settings.shadowResponseLimit)
        }
        legacyPool = pool(engine.legacyAddress)
        candidatePool = pool(engine.candidateAddress)
        // Shadow copies go to the candidate, a canary's comparison copies to legacy: each lane has
        // its own connections, so a copy never waits behind a client's request.
        shadowPool = pool(engine.candidateAddress)
        shadows = dispatcher(shadowPool)
        comparePool = pool(engine.legacyAddress)
        compares = dispatcher(comparePool)
    }

    /// Flushes `writer` once the event loop has handled every socket that was ready, so the
    /// writes of one pass leave together: a peer woken by the first finds the others waiting.
    func flushAfterPass(_ writer: DirectWriter, _ context: ChannelHandlerContext) {
        if unflushed.isEmpty {
            eventLoop.assumeIsolated().execute { [self] in
                // By index, without a copy: a flush that adds to the list is served in this loop too.
                var index = 0
                while index < unflushed.count {
                    let (writer, context) = unflushed[index]
                    writer.flush(context)
                    index += 1
                }
                unflushed.removeAll(keepingCapacity: true)
            }
        }
        unflushed.append((writer, context))
    }

    func pool(for backend: Backend) -> UpstreamPool {
        backend == .legacy ? legacyPool : candidatePool
    }

    /// Checks deadlines every 50 ms: answer timeouts, shadow timeouts, idle connections. One
    /// timer per loop instead of one per request keeps the data path free of timer bookkeeping.
    func startSweeping() {
        guard !sweeping else { return }
        sweeping = true
        scheduleSweep()
    }

    private func scheduleSweep() {
        eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(50)) { [self] in
            let now = NIODeadline.now()
            for client in Array(clients.values) { client.checkDeadlines(now: now) }
            shadows.checkDeadlines(now: now)
            compares.checkDeadlines(now: now)
            legacyPool.closeExpired(now: now)
            candidatePool.closeExpired(now: now)
            shadowPool.closeExpired(now: now)
            comparePool.closeExpired(now: now)
            scheduleSweep()
        }
    }
}
