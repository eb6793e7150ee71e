import BanyanConfig
import BanyanCore
import BanyanState
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A mode change that is in force on this proxy but could not be written to the state database:
/// it is kept and written (and so sent to the fleet) when the database is reachable again.
public struct ModeNotPersisted: Error, Sendable, CustomStringConvertible {
    /// The routes as they now run here.
    public let routes: [RouteRuntime]
    /// Changes waiting for the database, this one included.
    public let pending: Int
    /// Why the write failed.
    public let cause: String

    /// The note `banyan route set` and `banyan rollback` print before exiting with status 3:
    /// applied here, not persisted yet, why, and how many changes are waiting.
    public var description: String {
        "applied on this proxy at once; not persisted yet (\(cause)): it will be written and sent to the fleet "
            + "when the state database is reachable again (\(pending) change\(pending == 1 ? "" : "s") waiting)"
    }
}

/// A running proxy: the client listener, the admin listener, the event loops and the state store.
///
/// ``start(configuration:configPath:settings:store:log:)`` opens everything and returns once the
/// proxy accepts connections; the control methods (``setMode(route:mode:reason:cause:)``,
/// ``rollback(route:reason:cause:closeTunnels:)``, ``reload()``) are what the admin API calls;
/// ``shutdown()`` drains and closes. ``ProxyService`` runs one under swift-service-lifecycle.
public final class ProxyServer: Sendable {
    /// What the event loops share: the routes in force, the settings and the live counts.
    public let engine: ProxyEngine
    /// The port clients connect to (useful when the configuration asked for port 0).
    public let port: Int
    /// The port of the admin API.
    public var adminPort: Int { adminChannel.withLockedValue { $0?.localAddress?.port ?? 0 } }
    /// The admin listener's `HOST:PORT`, for a browser or `curl` (a wildcard host reads as loopback).
    public var adminAddress: String {
        var host = engine.snapshot.configuration.admin.host
        if host == "0.0.0.0" { host = "127.0.0.1" }
        if host == "::" { host = "::1" }
        return ListenAddress(host: host, port: adminPort).description
    }
    /// Where runtime changes and shadow differences are kept.
    public let store: any StateStore
    private let group: MultiThreadedEventLoopGroup
    private let ownsGroup: Bool
    private let listener: Listener
    /// How the proxy reads and writes its sockets: ``ProxySettings/io``, else the configuration's `io`.
    public var io: IOMode { connectPool.io }
    /// Opens every upstream connection; shut down last.
    private let connectPool: ConnectPool
    private let adminChannel: NIOLockedValueBox<(any Channel)?>
    private let loops: [ObjectIdentifier: NIOLoopBound<LoopContext>]
    private let configPath: String?
    private let overrides: NIOLockedValueBox<[String: RouteOverride]>
    private let stopped = NIOLockedValueBox(false)
    /// The Prometheus metrics served at `/metrics`.
    public let metrics: ProxyMetrics
    private let changes = NIOLockedValueBox(0)
    private let phases = NIOLockedValueBox<[String: String]>([:])
    /// Changes the routes' guards made, persisted and logged one at a time by ``guardTask``.
    let guardChanges: AsyncStream<GuardChange>
    let guardQueue: AsyncStream<GuardChange>.Continuation
    let guardTask = NIOLockedValueBox<Task<Void, Never>?>(nil)
    let log: @Sendable (String) -> Void
    /// With a PostgreSQL state: what keeps this proxy on the fleet's route state.
    let fleet = NIOLockedValueBox<FleetSync?>(nil)
    let fleetTask = NIOLockedValueBox<Task<Void, Never>?>(nil)
    /// Runtime changes in force here that the state database has not taken yet, oldest first.
    private let pendingWrites = NIOLockedValueBox<(writes: [(RouteOverride, RouteEvent)], dropped: Int)>(([], 0))

    private init(
        engine: ProxyEngine, port: Int, store: any StateStore, group: MultiThreadedEventLoopGroup,
        ownsGroup: Bool, listener: Listener, connectPool: ConnectPool,
        loops: [ObjectIdentifier: NIOLoopBound<LoopContext>],
        configPath: String?, overrides: [String: RouteOverride], metrics: ProxyMetrics,
        log: @escaping @Sendable (String) -> Void
    ) {
        self.metrics = metrics
        self.engine = engine
        self.port = port
        self.store = store
        self.group = group
        self.ownsGroup = ownsGroup
        self.listener = listener
        self.connectPool = connectPool
        self.adminChannel = NIOLockedValueBox(nil)
        self.loops = loops
        self.configPath = configPath
        self.overrides = NIOLockedValueBox(overrides)
        self.log = log
        // Bounded: past 256 changes waiting for the database, the oldest are dropped from the queue
        // (they are in force and logged; a later change of the same route supersedes them).
        (guardChanges, guardQueue) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(256))
    }

    /// Opens the state store, applies the runtime changes kept there, and starts listening.
    ///
    /// - Parameters:
    /// A runtime change made against a file value that has changed since is dropped here: the
    /// file is the newer decision (docs/proxy.md). With a PostgreSQL state the proxy also joins
    /// the fleet, named `host:port` of its client listener.
    ///
    /// - Parameters:
    ///   - configuration: the migration; `listen` and `admin` may use port 0 for a free port.
    ///   - configPath: the file to read again on ``reload()`` (SIGHUP); nil when the configuration
    ///     was not read from a file, and ``reload()`` then refuses.
    ///   - settings: tuning banyan.yaml does not expose; the defaults unless given.
    ///   - store: the state store; by default the one `configuration.state` names. The server
    ///     closes it on ``shutdown()``.
    ///   - log: where the proxy reports what it does on its own (the guard's verdicts).
    /// - Returns: the running proxy; ``port`` and ``adminPort`` tell where it listens.
    /// - Throws: ``ProxyError`` when the admin address is not loopback and there is no
    ///   `admin_token`, when the client or admin address cannot be listened on, or when the
    ///   access log cannot be opened; ``StateLocationError`` when the state store cannot be
    ///   opened; the store's error when its runtime changes cannot be read; NIO's error when the
    ///   legacy or candidate host does not resolve.
    public static func start(
        configuration: Configuration,
        configPath: String? = nil,
        settings: ProxySettings = ProxySettings(),
        store givenStore: (any StateStore)? = nil,
        log: @escaping @Sendable (String) -> Void = { _ in }
    ) async throws -> ProxyServer {
        if !configuration.admin.isLoopback && configuration.adminToken == nil {
            throw ProxyError(
                .adminNotLoopback,
                "admin: \(configuration.admin) is not a loopback address; set admin_token so the admin API "
                    + "requires a bearer token")
        }
        let store: any StateStore
        if let givenStore { store = givenStore } else { store = try await openStateStore(configuration.state) }
        var overrides: [String: RouteOverride] = [:]
        for override in try await store.routeOverrides() { overrides[override.route] = override }
        let snapshot = try RoutingSnapshot(configuration: configuration, overrides: overrides, previous: nil)
        for route in snapshot.routes where overrides[route.config.route] != nil && route.override == nil {
            // The file changed this route since the runtime change: the file wins (docs/proxy.md).
            try await store.removeOverride(route: route.config.route)
            overrides[route.config.route] = nil
        }
        let metrics = ProxyMetrics()
        let recorder = DifferenceRecorder(policy: configuration.policy, metrics: metrics)
        let engine = try ProxyEngine(
            snapshot: snapshot, settings: settings.resolved(with: configuration.limits), recorder: recorder, log: log)
        let io = settings.io ?? configuration.io
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, settings.threads))
        let connectPool = ConnectPool(io: io, bufferPerConnection: engine.settings.bufferPerConnection)
        var loops: [ObjectIdentifier: NIOLoopBound<LoopContext>] = [:]
        for loop in group.makeIterator() {
            loops[ObjectIdentifier(loop)] = try await loop.submit {
                NIOLoopBound(LoopContext(eventLoop: loop, engine: engine, connectPool: connectPool), eventLoop: loop)
            }.get()
        }
        let loopMap = loops
        let listener: Listener
        do {
            listener = try await Listener.start(io: io, at: configuration.listen, group: group) { channel, writer in
                let context = loopMap[ObjectIdentifier(channel.eventLoop)]!.value
                try channel.pipeline.syncOperations.addHandler(
                    ClientHandler(engine: engine, loop: context, writer: writer))
            }
        } catch {
            try? await group.shutdownGracefully()
            await connectPool.shutdown()
            throw ProxyError(.listen, "listen: cannot listen on \(configuration.listen): \(error)", cause: error)
        }
        let server = ProxyServer(
            engine: engine, port: listener.port, store: store,
            group: group, ownsGroup: true, listener: listener, connectPool: connectPool, loops: loops,
            configPath: configPath, overrides: overrides, metrics: metrics, log: log)
        server.startGuard()
        if let postgres = store as? PostgresStateStore {
            let host = ProcessInfo.processInfo.hostName
            server.startFleet(store: postgres, name: "\(host):\(listener.port)")
        }
        let admin: any Channel
        do {
            admin = try await AdminServer.bind(server: server, group: group, address: configuration.admin)
        } catch {
            await listener.stop()
            try? await group.shutdownGracefully()
            await connectPool.shutdown()
            throw ProxyError(.listen, "admin: cannot listen on \(configuration.admin): \(error)", cause: error)
        }
        server.adminChannel.withLockedValue { $0 = admin }
        try? await server.refreshDataPhases()
        return server
    }

    // MARK: Control

    /// Sets a route's mode at runtime: the next request uses it; it is persisted before this returns.
    ///
    /// With a PostgreSQL state the write also sends the change to the fleet. A failed write is
    /// tried once more (a PostgreSQL store connects again for it) before the change is kept for
    /// later.
    ///
    /// - Parameters:
    ///   - name: the route as written in `routes:`, or its pattern alone when only one route has it.
    ///   - mode: the mode to put in force.
    ///   - reason: why, as the event log shows it (the reason typed, or an automatic change's evidence).
    ///   - cause: who or what made the change: `cli`, `page`, `api`, `file` or `automatic`.
    /// - Returns: the route as it now runs.
    /// - Throws: ``ModeNotPersisted`` when the change is in force here but the state database
    ///   could not take it (it is kept and written when the database returns); a ``ProxyError``
    ///   for an unknown route (404).
    @discardableResult
    public func setMode(route name: String, mode: RouteMode, reason: String, cause: String = "api") async throws
        -> RouteRuntime
    {
        try await setMode(route: name, reason: reason, cause: cause) { _ in mode }
    }

    /// Moves a route one step along the configuration's promotion ladder (legacy → shadow →
    /// canary 1% → 5% → 25% → 50% → new by default).
    ///
    /// - Parameters:
    ///   - name: the route as written in `routes:`, or its pattern alone when only one route has it.
    ///   - reason: why, as the event log shows it.
    ///   - cause: who or what made the change: `cli`, `page`, `api`, `file` or `automatic`.
    /// - Returns: the route as it now runs.
    /// - Throws: ``ProxyError`` for an unknown route (404) or a route already on the ladder's last
    ///   step (409); ``ModeNotPersisted`` when the step is in force here but the state database
    ///   could not take it.
    @discardableResult
    public func promote(route name: String, reason: String, cause: String = "api") async throws -> RouteRuntime {
        let ladder = engine.snapshot.configuration.promotion
        return try await setMode(route: name, reason: reason, cause: cause) { current in
            guard let next = ladder.next(after: current) else {
                throw ProxyError(
                    .conflict,
                    "route '\(name)' is \(current), the last step of promotion; nothing to promote to")
            }
            return next
        }
    }

    private func setMode(
        route name: String, reason: String, cause: String, to target: (RouteMode) throws -> RouteMode
    ) async throws -> RouteRuntime {
        let (override, event) = try applyMode(route: name, reason: reason, cause: cause, to: target)
        let runtime = engine.snapshot.route(named: override.route)!
        do {
            try await persistPending()
            try await store.saveOverride(override, event: event)
        } catch {
            // Once more on a new connection: the database may have dropped the one the store had.
            do {
                try await persistPending()
                try await store.saveOverride(override, event: event)
            } catch {
                metrics.countStateWriteFailure(operation: "mode_change")
                let pending = queueWrite(override, event)
                throw ModeNotPersisted(routes: [runtime], pending: pending, cause: "\(error)")
            }
        }
        return runtime
    }

    /// Changes in force here that the state database has not taken yet, and how many were dropped.
    public var pendingStateWrites: (waiting: Int, dropped: Int) {
        pendingWrites.withLockedValue { ($0.writes.count, $0.dropped) }
    }

    func queueWrite(_ override: RouteOverride, _ event: RouteEvent) -> Int {
        pendingWrites.withLockedValue { pending in
            pending.writes.append((override, event))
            if pending.writes.count > engine.settings.pendingWriteLimit {
                pending.writes.removeFirst()
                pending.dropped += 1
            }
            return pending.writes.count
        }
    }

    /// Writes the changes kept while the database was away, oldest first; stops at the first failure.
    func persistPending() async throws {
        while let (override, event) = pendingWrites.withLockedValue({ $0.writes.first }) {
            try await store.saveOverride(override, event: event)
            pendingWrites.withLockedValue { pending in
                if pending.writes.first?.0 == override { pending.writes.removeFirst() }
            }
        }
    }

    /// Takes the fleet's route state as read from the database (another proxy changed it).
    func adoptOverrides(_ list: [RouteOverride]) {
        var incoming: [String: RouteOverride] = [:]
        for override in list { incoming[override.route] = override }
        try? overrides.withLockedValue { overrides in
            guard overrides != incoming else { return }
            let snapshot = engine.snapshot
            for route in snapshot.routes {
                // A remote guard's change keeps the local guard's trip, as a local one would.
                if let override = incoming[route.config.route], override.reason.hasPrefix("guard "),
                    override.mode != route.mode
                {
                    route.stats.expectAutomaticChange(to: override.mode)
                }
            }
            overrides = incoming
            _ = try engine.replaceSnapshot { snapshot in
                try RoutingSnapshot(configuration: snapshot.configuration, overrides: incoming, previous: snapshot)
            }
            // An open dashboard shows another proxy's change as it shows this one's.
            changes.withLockedValue { $0 += 1 }
        }
    }

    /// Puts a mode in force for the next request, without persisting it: what to persist is returned.
    func applyMode(
        route name: String, reason: String, cause: String, to target: (RouteMode) throws -> RouteMode
    ) throws -> (RouteOverride, RouteEvent) {
        let result = try overrides.withLockedValue { overrides in
            let snapshot = engine.snapshot
            guard let route = snapshot.route(named: name) else {
                let known = snapshot.routes.map { "'\($0.config.route)'" }.joined(separator: ", ")
                throw ProxyError(.unknownRoute, "no route '\(name)' in the configuration; routes: \(known)")
            }
            let mode = try target(route.mode)
            let override = RouteOverride(
                route: route.config.route, mode: mode, fileMode: route.config.mode, reason: reason,
                changedAt: Date().timeIntervalSince1970)
            overrides[route.config.route] = override
            let current = overrides
            _ = try engine.replaceSnapshot { snapshot in
                try RoutingSnapshot(configuration: snapshot.configuration, overrides: current, previous: snapshot)
            }
            let event = RouteEvent(
                route: override.route, from: route.mode.storageText, to: mode.storageText, reason: reason,
                at: override.changedAt, cause: cause)
            return (override, event)
        }
        noteChange(route: result.0.route, cause: cause)
        return result
    }

    /// Sends one route (or every route, when `route` is nil) back to legacy. Open upgrade tunnels
    /// (WebSocket) stay open unless `closeTunnels` says to close those of the routes rolled back.
    ///
    /// - Parameters:
    ///   - route: the route as written in `routes:` (or its pattern alone when only one route has
    ///     it); nil for every route.
    ///   - reason: why, as the event log shows it.
    ///   - cause: who or what made the change: `cli`, `page`, `api`, `file` or `automatic`.
    ///   - closeTunnels: whether to also close the routes' open upgrade tunnels; their clients
    ///     reconnect, to legacy.
    /// - Returns: the routes rolled back, as they now run.
    /// - Throws: ``ProxyError`` (404) for an unknown route; ``ModeNotPersisted`` naming every route
    ///   when the state database is away: the rollback is in force here all the same.
    public func rollback(
        route: String?, reason: String = "rollback", cause: String = "api", closeTunnels: Bool = false
    ) async throws -> [RouteRuntime] {
        var result: [RouteRuntime] = []
        var notPersisted: ModeNotPersisted?
        let names = route.map { [$0] } ?? engine.snapshot.routes.map(\.config.route)
        for name in names {
            do {
                result.append(try await setMode(route: name, mode: .legacy, reason: reason, cause: cause))
            } catch let failure as ModeNotPersisted {
                result += failure.routes
                notPersisted = failure
            }
        }
        if closeTunnels {
            let names = Set(result.map(\.config.route))
            for (_, bound) in loops {
                try await bound.eventLoop.submit {
                    for client in Array(bound.value.clients.values) {
                        for name in names { client.closeTunnel(route: name) }
                    }
                }.get()
            }
        }
        if let notPersisted {
            throw ModeNotPersisted(routes: result, pending: notPersisted.pending, cause: notPersisted.cause)
        }
        return result
    }

    /// How many mode changes this proxy made or applied since it started: the dashboard's stream
    /// watches it to push a change at once.
    public var changeCount: Int { changes.withLockedValue { $0 } }

    private func noteChange(route: String, cause: String) {
        changes.withLockedValue { $0 += 1 }
        metrics.countModeChange(route: route, cause: cause)
    }

    /// Upgrade tunnels open now, all routes and unmatched requests together.
    public var tunnelsOpen: Int {
        let snapshot = engine.snapshot
        let total = snapshot.routes.reduce(snapshot.unmatched.counters.tunnels.open) {
            $0 + $1.stats.counters.tunnels.open
        }
        return Int(total)
    }

    /// Reads the configuration file again (SIGHUP): routes and policy change; a runtime change
    /// stays in force unless the file now says something different for its route.
    ///
    /// The listen and admin addresses and the two upstreams keep their values until a restart. A
    /// route whose mode the reload changed gets an event with cause `file`.
    ///
    /// - Throws: ``ProxyError`` when the proxy was started without a file, or when the file does
    ///   not load or validate (the message names the line and key); the routes in force then stay.
    ///   The store's error when an event cannot be written, after the new routes are in force.
    public func reload() async throws {
        guard let configPath else { throw ProxyError(.reload, "no configuration file to reload (started without one)") }
        let configuration: Configuration
        do {
            configuration = try ConfigurationLoader.load(path: configPath)
        } catch {
            // The message is the problems as the file loader words them, each with its line.
            throw ProxyError(.reload, error.description, cause: error)
        }
        let before = Dictionary(
            engine.snapshot.routes.map { ($0.config.route, $0.mode.storageText) }, uniquingKeysWith: { a, _ in a })
        let stale = try overrides.withLockedValue { overrides in
            let snapshot = try engine.replaceSnapshot { current in
                var next = configuration
                // Where the proxy listens and which upstreams it uses need a restart.
                next.listen = current.configuration.listen
                next.admin = current.configuration.admin
                next.legacy = current.configuration.legacy
                next.candidate = current.configuration.candidate
                next.io = current.configuration.io
                return try RoutingSnapshot(configuration: next, overrides: overrides, previous: current)
            }
            let stale = snapshot.routes.filter { overrides[$0.config.route] != nil && $0.override == nil }
            for route in stale { overrides[route.config.route] = nil }
            return stale.map(\.config.route)
        }
        engine.recorder.updatePolicy(configuration.policy)
        let now = Date().timeIntervalSince1970
        for route in engine.snapshot.routes {
            guard let previous = before[route.config.route], previous != route.mode.storageText else {
                if stale.contains(route.config.route) { try await store.removeOverride(route: route.config.route) }
                continue
            }
            noteChange(route: route.config.route, cause: "file")
            let event = RouteEvent(
                route: route.config.route, from: previous, to: route.mode.storageText,
                reason: "the configuration file changed this route", at: now, cause: "file")
            do {
                if stale.contains(route.config.route) {
                    try await store.removeOverride(route: route.config.route, event: event)
                } else {
                    try await store.saveEvent(event)
                }
            } catch {
                metrics.countStateWriteFailure(operation: "reload")
                throw error
            }
        }
    }

    /// The data phase of each table a route names (`table:`), as last read from the state database.
    public var dataPhases: [String: String] { phases.withLockedValue { $0 } }

    /// Reads the tables' data phases again (the periodic flush does, every 500 ms).
    ///
    /// Does nothing when no route names a table.
    ///
    /// - Throws: the state store's error; ``dataPhases`` then keeps what it last read.
    public func refreshDataPhases() async throws {
        guard engine.snapshot.routes.contains(where: { $0.config.table != nil }) else { return }
        let current = try await store.dataPhases()
        phases.withLockedValue { $0 = current }
    }

    /// Writes the differences compared so far to the state store.
    ///
    /// Waits for the comparisons already queued, then merges what was aggregated since the last
    /// flush.
    ///
    /// - Throws: the state store's error; that batch of differences is then lost (and counted in
    ///   `banyan_state_write_failures_total`), the next batch is written as usual.
    public func flushDifferences() async throws {
        await engine.recorder.waitForComparisons()
        let (aggregates, totals) = engine.recorder.takePending()
        do {
            try await store.mergeDifferences(aggregates, totals: totals)
        } catch {
            metrics.countStateWriteFailure(operation: "differences")
            throw error
        }
    }

    /// Waits until no shadow copy or comparison is in flight (at most `timeout`), then flushes.
    ///
    /// Tests call it before reading the stored differences; ``shutdown()`` calls it with 2 s.
    ///
    /// - Parameter timeout: the longest wait before flushing what was compared so far.
    /// - Throws: the state store's error, as ``flushDifferences()``.
    public func settleShadows(timeout: Duration = .seconds(10)) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while (engine.shadowsInFlight > 0 || engine.recorder.comparisonsInFlight > 0) && clock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        try await flushDifferences()
    }

    // MARK: Shutdown

    /// Stops accepting connections, lets requests in flight finish (up to the drain timeout),
    /// closes everything and writes the last differences.
    ///
    /// Shadow copies get up to 2 s more; then the guard's pending changes are written, the
    /// admin listener, every connection and tunnel, the state store and the access log are
    /// closed. A second call returns at once. Failures while closing are not reported: the proxy
    /// is going away.
    public func shutdown() async {
        let first = stopped.withLockedValue { stopped in
            defer { stopped = true }
            return !stopped
        }
        guard first else { return }
        engine.startDraining()
        await listener.stop()
        if let task = fleetTask.withLockedValue({ $0 }) {
            task.cancel()
            await task.value
        }
        let clock = ContinuousClock()
        let deadline = clock.now + .nanoseconds(engine.settings.drainTimeout.nanoseconds)
        while engine.requestsInFlight > 0 && clock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        try? await settleShadows(timeout: .seconds(2))
        guardQueue.finish()
        await guardTask.withLockedValue { $0 }?.value
        if let admin = adminChannel.withLockedValue({ $0 }) { try? await admin.close() }
        for (_, bound) in loops {
            try? await bound.eventLoop.submit {
                let loop = bound.value
                for client in Array(loop.clients.values) { client.checkDeadlines(now: .distantFuture) }
                loop.legacyPool.closeAll()
                loop.candidatePool.closeAll()
                loop.shadows.abandonAll()
                loop.shadowPool.closeAll()
                loop.compares.abandonAll()
                loop.comparePool.closeAll()
            }.get()
        }
        try? await store.close()
        engine.accessLog?.close()
        if ownsGroup { try? await group.shutdownGracefully() }
        await connectPool.shutdown()
    }
}
