import BanyanCore
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Synchronization

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
    private let openClients = Atomic<Int>(0)
    /// How often each ``LimitEvent`` happened, indexed as `LimitEvent.allCases`.
    private let limitCounts = NIOLockedValueBox([Int](repeating: 0, count: LimitEvent.allCases.count))
    /// Where the proxy reports what it does on its own: here, each connection a limit ended.
    let log: @Sendable (String) -> Void

    init(
        snapshot: RoutingSnapshot, settings: ProxySettings, recorder: DifferenceRecorder,
        log: @escaping @Sendable (String) -> Void = { _ in }
    ) throws {
        self.settings = settings
        self.log = log
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

    /// Admits a new client connection unless `maxConnections` are open; each admitted one ends
    /// with ``clientClosed()``.
    func admitClient() -> Bool {
        let open = openClients.wrappingAdd(1, ordering: .relaxed).newValue
        guard open > settings.maxConnections else { return true }
        openClients.subtract(1, ordering: .relaxed)
        return false
    }

    func clientClosed() { openClients.subtract(1, ordering: .relaxed) }

    /// Client connections open now.
    public var clientConnections: Int { openClients.load(ordering: .relaxed) }

    /// Counts one `event` and logs it with the client's address and what happened.
    func count(_ event: LimitEvent, client: String, detail: String) {
        let index = LimitEvent.allCases.firstIndex(of: event)!
        limitCounts.withLockedValue { $0[index] += 1 }
        if event != .upstreamPaused && event != .clientPaused {
            log("banyan proxy: \(event.rawValue): \(client): \(detail)")
        }
    }

    /// How often each limit acted since the start, by ``LimitEvent`` raw value.
    public var limitEvents: [String: Int] {
        let counts = limitCounts.withLockedValue { $0 }
        var result: [String: Int] = [:]
        for (index, event) in LimitEvent.allCases.enumerated() { result[event.rawValue] = counts[index] }
        return result
    }

    /// Shadow copies in flight, all routes together.
    public var shadowsInFlight: Int { shadowInFlight.withLockedValue { $0.values.reduce(0, +) } }
}
