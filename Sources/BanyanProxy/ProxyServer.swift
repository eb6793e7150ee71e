import BanyanConfig
import BanyanCore
import BanyanState
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// An error from starting or controlling the proxy, with what to do about it.
public struct ProxyError: Error, Sendable, CustomStringConvertible {
    /// The HTTP status the admin API answers with.
    public let status: Int
    public let description: String

    init(status: Int = 400, _ description: String) {
        self.status = status
        self.description = description
    }
}

/// A running proxy: the client listener, the admin listener, the event loops and the state store.
public final class ProxyServer: Sendable {
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
    private let acceptor: Acceptor
    private let adminChannel: NIOLockedValueBox<(any Channel)?>
    private let loops: [ObjectIdentifier: NIOLoopBound<LoopContext>]
    private let configPath: String?
    private let overrides: NIOLockedValueBox<[String: RouteOverride]>
    private let stopped = NIOLockedValueBox(false)
    /// The Prometheus metrics served at `/metrics`.
    public let metrics: ProxyMetrics
    private let changes = NIOLockedValueBox(0)
    private let phases = NIOLockedValueBox<[String: String]>([:])

    private init(
        engine: ProxyEngine, port: Int, store: any StateStore, group: MultiThreadedEventLoopGroup,
        ownsGroup: Bool, acceptor: Acceptor, loops: [ObjectIdentifier: NIOLoopBound<LoopContext>],
        configPath: String?, overrides: [String: RouteOverride], metrics: ProxyMetrics
    ) {
        self.metrics = metrics
        self.engine = engine
        self.port = port
        self.store = store
        self.group = group
        self.ownsGroup = ownsGroup
        self.acceptor = acceptor
        self.adminChannel = NIOLockedValueBox(nil)
        self.loops = loops
        self.configPath = configPath
        self.overrides = NIOLockedValueBox(overrides)
    }

    /// Opens the state store, applies the runtime changes kept there, and starts listening.
    ///
    /// - Parameters:
    ///   - configuration: the migration; `listen` and `admin` may use port 0 for a free port.
    ///   - configPath: the file to read again on ``reload()`` (SIGHUP).
    ///   - store: the state store; by default the one `configuration.state` names.
    public static func start(
        configuration: Configuration,
        configPath: String? = nil,
        settings: ProxySettings = ProxySettings(),
        store givenStore: (any StateStore)? = nil
    ) async throws -> ProxyServer {
        if !configuration.admin.isLoopback && configuration.adminToken == nil {
            throw ProxyError(
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
        let engine = try ProxyEngine(snapshot: snapshot, settings: settings, recorder: recorder)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, settings.threads))
        var loops: [ObjectIdentifier: NIOLoopBound<LoopContext>] = [:]
        for loop in group.makeIterator() {
            loops[ObjectIdentifier(loop)] = try await loop.submit {
                NIOLoopBound(LoopContext(eventLoop: loop, engine: engine), eventLoop: loop)
            }.get()
        }
        let loopMap = loops
        let acceptor: Acceptor
        do {
            acceptor = try Acceptor(host: configuration.listen.host, port: configuration.listen.port)
        } catch {
            try? await group.shutdownGracefully()
            throw ProxyError("listen: cannot listen on \(configuration.listen): \(error)")
        }
        acceptor.start { descriptor in
            let loop = group.next()
            ClientBootstrap(group: loop)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let context = loopMap[ObjectIdentifier(channel.eventLoop)]!.value
                        try channel.pipeline.syncOperations.addHandler(
                            ClientHandler(engine: engine, loop: context, descriptor: descriptor))
                    }
                }
                .withConnectedSocket(descriptor)
                .whenFailure { _ in }
        }
        let server = ProxyServer(
            engine: engine, port: acceptor.port, store: store,
            group: group, ownsGroup: true, acceptor: acceptor, loops: loops,
            configPath: configPath, overrides: overrides, metrics: metrics)
        let admin: any Channel
        do {
            admin = try await AdminServer.bind(server: server, group: group, address: configuration.admin)
        } catch {
            acceptor.stop()
            try? await group.shutdownGracefully()
            throw ProxyError("admin: cannot listen on \(configuration.admin): \(error)")
        }
        server.adminChannel.withLockedValue { $0 = admin }
        try? await server.refreshDataPhases()
        return server
    }

    // MARK: Control

    /// Sets a route's mode at runtime: the next request uses it; it is persisted before this returns.
    ///
    /// - Parameters:
    ///   - reason: why, as the event log shows it (the reason typed, or an automatic change's evidence).
    ///   - cause: who or what made the change: `cli`, `page`, `api`, `file` or `automatic`.
    @discardableResult
    public func setMode(route name: String, mode: RouteMode, reason: String, cause: String = "api") async throws
        -> RouteRuntime
    {
        try await setMode(route: name, reason: reason, cause: cause) { _ in mode }
    }

    /// Moves a route one step along the configuration's promotion ladder (legacy → shadow →
    /// canary 1% → 5% → 25% → 50% → new by default).
    @discardableResult
    public func promote(route name: String, reason: String, cause: String = "api") async throws -> RouteRuntime {
        let ladder = engine.snapshot.configuration.promotion
        return try await setMode(route: name, reason: reason, cause: cause) { current in
            guard let next = ladder.next(after: current) else {
                throw ProxyError(
                    status: 409,
                    "route '\(name)' is \(current), the last step of promotion; nothing to promote to")
            }
            return next
        }
    }

    private func setMode(
        route name: String, reason: String, cause: String, to target: (RouteMode) throws -> RouteMode
    ) async throws -> RouteRuntime {
        let (override, previous) = try overrides.withLockedValue { overrides in
            let snapshot = engine.snapshot
            guard let route = snapshot.route(named: name) else {
                let known = snapshot.routes.map { "'\($0.config.route)'" }.joined(separator: ", ")
                throw ProxyError(status: 404, "no route '\(name)' in the configuration; routes: \(known)")
            }
            let override = RouteOverride(
                route: route.config.route, mode: try target(route.mode), fileMode: route.config.mode, reason: reason,
                changedAt: Date().timeIntervalSince1970)
            overrides[route.config.route] = override
            let current = overrides
            _ = try engine.replaceSnapshot { snapshot in
                try RoutingSnapshot(configuration: snapshot.configuration, overrides: current, previous: snapshot)
            }
            return (override, route.mode)
        }
        noteChange(route: override.route, cause: cause)
        do {
            try await store.saveOverride(
                override,
                event: RouteEvent(
                    route: override.route, from: previous.storageText, to: override.mode.storageText, reason: reason,
                    at: override.changedAt, cause: cause))
        } catch {
            metrics.countStateWriteFailure(operation: "mode_change")
            throw error
        }
        return engine.snapshot.route(named: override.route)!
    }

    /// Sends one route (or every route, when `route` is nil) back to legacy.
    public func rollback(route: String?, reason: String = "rollback", cause: String = "api") async throws
        -> [RouteRuntime]
    {
        if let route { return [try await setMode(route: route, mode: .legacy, reason: reason, cause: cause)] }
        var result: [RouteRuntime] = []
        for runtime in engine.snapshot.routes {
            result.append(
                try await setMode(route: runtime.config.route, mode: .legacy, reason: reason, cause: cause))
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

    /// Reads the configuration file again (SIGHUP): routes and policy change; a runtime change
    /// stays in force unless the file now says something different for its route.
    public func reload() async throws {
        guard let configPath else { throw ProxyError("no configuration file to reload (started without one)") }
        let configuration: Configuration
        do {
            configuration = try ConfigurationLoader.load(path: configPath)
        } catch {
            throw ProxyError(error.description)
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
    public func refreshDataPhases() async throws {
        guard engine.snapshot.routes.contains(where: { $0.config.table != nil }) else { return }
        let current = try await store.dataPhases()
        phases.withLockedValue { $0 = current }
    }

    /// Writes the differences compared so far to the state store.
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
    public func shutdown() async {
        let first = stopped.withLockedValue { stopped in
            defer { stopped = true }
            return !stopped
        }
        guard first else { return }
        engine.startDraining()
        acceptor.stop()
        let clock = ContinuousClock()
        let deadline = clock.now + .nanoseconds(engine.settings.drainTimeout.nanoseconds)
        while engine.requestsInFlight > 0 && clock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        try? await settleShadows(timeout: .seconds(2))
        if let admin = adminChannel.withLockedValue({ $0 }) { try? await admin.close() }
        for (_, bound) in loops {
            try? await bound.eventLoop.submit {
                let loop = bound.value
                for client in Array(loop.clients.values) { client.checkDeadlines(now: .distantFuture) }
                loop.legacyPool.closeAll()
                loop.candidatePool.closeAll()
                loop.shadows.abandonAll()
                loop.shadowPool.closeAll()
            }.get()
        }
        try? await store.close()
        engine.accessLog?.close()
        if ownsGroup { try? await group.shutdownGracefully() }
    }
}
