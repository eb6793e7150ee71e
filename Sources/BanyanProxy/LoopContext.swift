import BanyanCore
import NIOCore

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
