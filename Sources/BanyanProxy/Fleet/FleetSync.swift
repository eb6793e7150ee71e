import BanyanCore
import BanyanState
import Foundation
import NIOConcurrencyHelpers

/// Keeps one proxy of a fleet on the route state the fleet shares in PostgreSQL.
///
/// Every runtime change raises the state's version and announces it with `NOTIFY`; this proxy
/// listens on a connection of its own and re-reads the route state when the announced version is
/// not the one it applied. Notifications are lost while a listener is disconnected, and only
/// sessions listening at the moment of the commit get them, so it also re-reads on every
/// reconnect and every ``period`` (2 s by default): a lost notification costs at most one period.
/// Each re-read reports the version applied with a heartbeat, which `banyan status` shows for
/// every proxy. While the database is away the proxy keeps serving with the modes it has.
final class FleetSync: Sendable {
    /// What the proxy knows of the fleet, for the status.
    struct State: Sendable {
        var applied: Int64 = -1
        var reachable = true
        /// Whether the listener is registered with the server now.
        var listening = false
        var lastError: String?
        var members: [FleetMember] = []
        var lastSync: Double = 0
    }

    let store: PostgresStateStore
    /// This proxy's name in the fleet table.
    let name: String
    let period: Duration
    private let startedAt = Date().timeIntervalSince1970
    private let adopt: @Sendable ([RouteOverride]) -> Void
    private let beforeRead: @Sendable () async throws -> Void
    private let guardCounts: @Sendable () -> [String: GuardCounts]
    private let peerCounts: @Sendable ([String: GuardCounts]) -> Void
    private let log: @Sendable (String) -> Void
    private let state = NIOLockedValueBox(State())
    /// One re-read at a time: a notification that arrives during one asks for another after it.
    private let turn = SyncTurn()

    init(
        store: PostgresStateStore, name: String, period: Duration,
        adopt: @escaping @Sendable ([RouteOverride]) -> Void, beforeRead: @escaping @Sendable () async throws -> Void,
        guardCounts: @escaping @Sendable () -> [String: GuardCounts],
        peerCounts: @escaping @Sendable ([String: GuardCounts]) -> Void, log: @escaping @Sendable (String) -> Void
    ) {
        self.guardCounts = guardCounts
        self.peerCounts = peerCounts
        self.store = store
        self.name = name
        self.period = period
        self.adopt = adopt
        self.beforeRead = beforeRead
        self.log = log
    }

    var current: State { state.withLockedValue { $0 } }

    /// Runs until cancelled: the listener and the periodic re-read.
    func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask { [self] in
                while !Task.isCancelled {
                    // Re-read on every (re)connect: changes made while no listener was there.
                    await sync()
                    do {
                        try await store.listenForChanges(
                            listening: { [self] in
                                state.withLockedValue { $0.listening = true }
                                // What changed between the re-read above and the listener.
                                await sync()
                            },
                            { [self] version in
                                if version != current.applied { await sync() }
                            })
                    } catch {
                        if !Task.isCancelled { noteFailure(error) }
                    }
                    state.withLockedValue { $0.listening = false }
                    try? await Task.sleep(for: .milliseconds(500))
                }
            }
            group.addTask { [self] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: period)
                    await sync()
                }
            }
        }
    }

    /// Re-reads the route state when its version moved, applies it, and reports the version applied.
    func sync() async {
        await turn.run { [self] in
            do {
                // Changes made here while the database was away go first, so that reading the
                // fleet's state does not undo them.
                try await beforeRead()
                let version = try await store.stateVersion()
                if version != current.applied {
                    let overrides = try await store.routeOverrides()
                    adopt(overrides)
                    state.withLockedValue { $0.applied = version }
                }
                let now = Date().timeIntervalSince1970
                let applied = current.applied
                try await store.recordApplied(proxy: name, version: applied, startedAt: startedAt, at: now)
                // The guard's evidence adds up across the fleet: share this proxy's counts, take the
                // others' (written under the same route state, within three periods).
                try await store.recordGuardCounts(proxy: name, version: applied, counts: guardCounts(), at: now)
                let stale = 3 * Double(period.components.seconds) + Double(period.components.attoseconds) / 1e18
                peerCounts(try await store.peerGuardCounts(excluding: name, version: applied, since: now - stale))
                let members = try await store.fleetMembers()
                let wasUnreachable = state.withLockedValue { state in
                    defer {
                        state.reachable = true
                        state.lastError = nil
                        state.members = members
                        state.lastSync = now
                    }
                    return !state.reachable
                }
                if wasUnreachable { log("banyan fleet: the state database is reachable again; version \(version)") }
            } catch {
                noteFailure(error)
            }
        }
    }

    private func noteFailure(_ error: any Error) {
        let first = state.withLockedValue { state in
            defer {
                state.reachable = false
                state.lastError = "\(error)"
            }
            return state.reachable
        }
        if first { log("banyan fleet: serving with the modes in force; \(error)") }
    }
}

/// Runs one body at a time, in arrival order.
private actor SyncTurn {
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func run(_ body: @Sendable () async -> Void) async {
        if busy {
            await withCheckedContinuation { waiting.append($0) }
        }
        busy = true
        await body()
        if waiting.isEmpty {
            busy = false
        } else {
            waiting.removeFirst().resume()
        }
    }
}
