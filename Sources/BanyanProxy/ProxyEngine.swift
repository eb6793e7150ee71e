import BanyanCore
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Synchronization

/// Tuning that banyan.yaml does not expose (tests and benchmarks set some of it).
public struct ProxySettings: Sendable {
    /// Event-loop threads for clients and upstream connections.
    public var threads: Int = 1
    /// How long legacy may take to start its answer.
    public var legacyTimeout: TimeAmount = .seconds(60)
    /// How long a connection to an upstream may take.
    public var connectTimeout: TimeAmount = .seconds(2)
    /// How long an idle pooled upstream connection is kept (below Node's 5 s keep-alive).
    public var upstreamIdleTimeout: TimeAmount = .seconds(4)
    /// How long an idle client connection is kept.
    public var clientIdleTimeout: TimeAmount = .seconds(60)
    /// How long an upgrade tunnel (WebSocket) may carry nothing either way before it is closed.
    public var tunnelIdleTimeout: TimeAmount = .seconds(600)
    /// How long SIGTERM waits for requests in flight.
    public var drainTimeout: TimeAmount = .seconds(10)
    /// The largest request body kept for a replay (fallback, stale-connection retry) or a shadow copy.
    public var retainedBodyLimit = 1 << 20
    /// The largest response kept for a shadow comparison.
    public var shadowResponseLimit = 4 << 20
    /// How long a shadow copy may wait for others to go out with it (zero: the end of the
    /// event loop's current turn).
    public var shadowBatchWindow: TimeAmount = .milliseconds(1)
    /// How many shadow copies one connection carries at once, pipelined (1: no pipelining).
    public var shadowPipelineDepth = 16
    /// How often differences are written to the state database.
    public var flushInterval: Duration = .milliseconds(500)
    /// With a PostgreSQL state: how often the proxy re-reads the fleet's route state even without
    /// a notification, and reports the version it applied.
    public var fleetPeriod: Duration = .seconds(2)
    /// Runtime changes kept for the state database while it is unreachable; past this the oldest
    /// are dropped (and counted).
    public var pendingWriteLimit = 1_000
    /// Where the access log goes (`banyan proxy --access-log`); nil writes none.
    public var accessLog: AccessLogSettings?
    /// How the proxy reads and writes its sockets, over the configuration's `io` (`banyan proxy
    /// --io`); nil keeps the configuration's.
    public var io: IOMode?

    public init() {}
}

/// One configured route as the data plane sees it: its configuration, its current mode and its counters.
public final class RouteRuntime: Sendable {
    public let index: Int
    public let config: RouteConfig
    public let mode: RouteMode
    /// The mode the file gives, to show beside a runtime change.
    public let fileMode: RouteMode
    public let override: RouteOverride?
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
    public let configuration: Configuration
    let table: RouteTable<Int>
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
    public func route(named text: String) -> RouteRuntime? {
        if let exact = routes.first(where: { $0.config.route == text }) { return exact }
        let byPattern = routes.filter { $0.config.pattern == text }
        return byPattern.count == 1 ? byPattern[0] : nil
    }
}

/// Everything the event loops share: the routing snapshot, counters, shadow capacity, upstream
/// addresses. Each event loop has its own ``LoopContext`` with its connection pools.
public final class ProxyEngine: Sendable {
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
