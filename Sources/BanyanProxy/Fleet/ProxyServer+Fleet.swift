import BanyanCore
import BanyanState
import Foundation

extension ProxyServer {
    /// Starts following the fleet's route state in PostgreSQL.
    func startFleet(store: PostgresStateStore, name: String) {
        let sync = FleetSync(
            store: store, name: name, period: engine.settings.fleetPeriod,
            adopt: { [self] overrides in adoptOverrides(overrides) },
            beforeRead: { [self] in try await persistPending() },
            guardCounts: { [self] in
                var counts: [String: GuardCounts] = [:]
                for route in engine.snapshot.routes {
                    if let local = route.stats.localGuardCounts() { counts[route.config.route] = local }
                }
                return counts
            },
            peerCounts: { [self] counts in
                for route in engine.snapshot.routes {
                    route.stats.updateGuardPeers(counts[route.config.route] ?? GuardCounts())
                }
            }, log: log)
        fleet.withLockedValue { $0 = sync }
        let task = Task { await sync.run() }
        fleetTask.withLockedValue { $0 = task }
    }

    /// The fleet as this proxy last read it, when the state is in PostgreSQL.
    ///
    /// - Returns: the members and this proxy's own standing; nil when the state is not in
    ///   PostgreSQL (a SQLite state has no fleet, and `GET /api/fleet` answers 404).
    public func fleetStatus() -> FleetStatus? {
        guard let sync = fleet.withLockedValue({ $0 }) else { return nil }
        let state = sync.current
        let pending = pendingStateWrites
        return FleetStatus(
            proxy: sync.name, applied: state.applied, reachable: state.reachable, listening: state.listening,
            lastError: state.lastError, pendingWrites: pending.waiting, droppedWrites: pending.dropped,
            members: state.members)
    }
}

/// A proxy's view of its fleet: `banyan status` and `GET /api/fleet` show it.
public struct FleetStatus: Sendable, Codable, Equatable {
    /// This proxy's name in the fleet.
    public var proxy: String
    /// The version of the route state it applied (-1 before the first read).
    public var applied: Int64
    /// Whether its last read of the state database worked.
    public var reachable: Bool
    /// Whether it is listening for the fleet's change notifications now.
    public var listening: Bool
    /// Why the last read failed, if it did.
    public var lastError: String?
    /// Changes in force here that the database has not taken yet.
    public var pendingWrites: Int
    /// Changes dropped past the limit of kept ones.
    public var droppedWrites: Int
    /// Every proxy that reported, as of the last read.
    public var members: [FleetMember]
}

extension FleetStatus {
    /// The fleet in the admin API's answer to `GET /api/fleet` (snake_case keys).
    ///
    /// - Throws: `DecodingError` naming the key that is missing or of the wrong type.
    public static func decode(fromJSON bytes: some Collection<UInt8>) throws -> FleetStatus {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(FleetStatus.self, from: Data(bytes))
    }
}
