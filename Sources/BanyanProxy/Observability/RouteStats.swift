import BanyanCore
import NIOConcurrencyHelpers
import NIOCore

/// Live counters for one route, shared by every event loop and read by the admin API.
public final class RouteStats: Sendable {
    /// Requests, errors and latencies of one backend.
    public struct BackendCounters: Sendable, Equatable {
        /// Answers since the proxy started, the proxy's own 502 and 504 included.
        public var requests: UInt64 = 0
        /// Answers of 500 and above, and requests the proxy had to answer itself (502, 504).
        public var errors: UInt64 = 0
        /// Answers by status class: index 0 counts 1xx, 1 counts 2xx, … 4 counts 5xx.
        public var statusClasses: [UInt64] = [0, 0, 0, 0, 0]
        /// Each answer's latency, from the request head's arrival to the end of the answer, in
        /// microseconds.
        public var latency = RouteLatencyHistogram()
    }

    /// Upgrade tunnels (WebSocket and others) to one backend.
    public struct TunnelCounters: Sendable, Equatable {
        /// Tunnels open now.
        public var open: UInt64 = 0
        /// Tunnels opened since the proxy started.
        public var opened: UInt64 = 0
        /// Bytes the tunnels carried from the client to the upstream.
        public var bytesToUpstream: UInt64 = 0
        /// Bytes the tunnels carried from the upstream to the client.
        public var bytesToClient: UInt64 = 0

        /// Counters with the given values, each zero unless given.
        public init(open: UInt64 = 0, opened: UInt64 = 0, bytesToUpstream: UInt64 = 0, bytesToClient: UInt64 = 0) {
            self.open = open
            self.opened = opened
            self.bytesToUpstream = bytesToUpstream
            self.bytesToClient = bytesToClient
        }

        /// Both sets of counters added field by field: two backends' tunnels together.
        public static func + (lhs: TunnelCounters, rhs: TunnelCounters) -> TunnelCounters {
            TunnelCounters(
                open: lhs.open + rhs.open, opened: lhs.opened + rhs.opened,
                bytesToUpstream: lhs.bytesToUpstream + rhs.bytesToUpstream,
                bytesToClient: lhs.bytesToClient + rhs.bytesToClient)
        }
    }

    /// Everything counted for the route.
    public struct Counters: Sendable, Equatable {
        /// Legacy's answers to clients (fallbacks included).
        public var legacy = BackendCounters()
        /// The candidate's answers to clients; a failure that fell back to legacy counts here too,
        /// as a 502 (a 504 for a timeout).
        public var candidate = BackendCounters()
        /// The candidate's answers to shadow copies.
        public var shadow = BackendCounters()
        /// Requests answered by legacy after the candidate failed, by failure.
        public var fallbacks: [String: UInt64] = [:]
        /// Copies sent: to the candidate in `shadow`, to legacy for a canary with
        /// `guard: {compare: true}`.
        public var shadowSent: UInt64 = 0
        /// Copies whose two answers went through the diff engine (byte-identical pairs included).
        public var shadowCompared: UInt64 = 0
        /// Compared exchanges with at least one difference above noise.
        public var shadowDiffering: UInt64 = 0
        /// Compared exchanges with a difference at or above the policy's `fail_at`.
        public var shadowFailing: UInt64 = 0
        /// Copies not answered within the route's shadow timeout.
        public var shadowTimeouts: UInt64 = 0
        /// Copies that failed otherwise (refused, reset, closed, an answer that does not parse).
        public var shadowErrors: UInt64 = 0
        /// Requests not copied, by ``ShadowSkipReason`` raw value (`skipped_unsafe`, `skipped_sample`,
        /// `skipped_busy`, `skipped_large`, `skipped_upgrade`).
        public var shadowSkipped: [String: UInt64] = [:]
        /// Upgrade tunnels to legacy.
        public var legacyTunnels = TunnelCounters()
        /// Upgrade tunnels to the candidate.
        public var candidateTunnels = TunnelCounters()

        /// Both backends' tunnels together.
        public var tunnels: TunnelCounters { legacyTunnels + candidateTunnels }
    }

    /// The counters and the route's guard, behind one lock: an answer is counted and judged in
    /// one step, and the guard costs no second lock on the data path.
    private struct State {
        var counters = Counters()
        var routeGuard: RouteGuard?
        /// A mode the guard itself asked for, so that its arrival is not taken for a person's change.
        var automaticChange: RouteMode?
        /// Seconds from the last verdict's deciding sample to its change being in force.
        var appliedAfter: Double?
    }

    private let box = NIOLockedValueBox(State())
    /// The route as written in `routes:`, for the guard's verdicts; empty for unmatched requests.
    let route: String
    private let verdicts: GuardVerdicts?

    /// Counters with no route and no guard: those of the requests no route matches.
    public init() {
        self.route = ""
        self.verdicts = nil
    }

    init(route: String, verdicts: GuardVerdicts) {
        self.route = route
        self.verdicts = verdicts
    }

    /// A copy of everything counted so far, taken under the lock, so its numbers agree with each
    /// other.
    public var counters: Counters { box.withLockedValue { $0.counters } }

    /// The route's guard as it stands, if it has one.
    public func guardStatus() -> GuardStatus? {
        let now = Self.now()
        return box.withLockedValue { state in
            guard var status = state.routeGuard?.status(route: route, at: now) else { return nil }
            status.appliedAfter = state.appliedAfter
            return status
        }
    }

    /// This proxy's own guard counts for the route, to share with a fleet.
    func localGuardCounts() -> GuardCounts? {
        let now = Self.now()
        return box.withLockedValue { state in
            state.routeGuard?.tick(at: now)
            return state.routeGuard?.window.counts
        }
    }

    /// The other proxies' counts for the route.
    func updateGuardPeers(_ counts: GuardCounts) {
        box.withLockedValue { $0.routeGuard?.updatePeers(counts) }
    }

    /// Notes that the verdict decided at `decidedAt` (on ``now()``'s clock) is now in force.
    func verdictApplied(decidedAt: Double) {
        let lag = Self.now() - decidedAt
        box.withLockedValue { $0.appliedAfter = lag }
    }

    /// Seconds on the monotonic clock, the guard's time.
    static func now() -> Double {
        Double(NIODeadline.now().uptimeNanoseconds) / 1e9
    }

    /// Sets the guard up for the route's mode and settings (at start, on every routing change).
    ///
    /// A mode that differs from the one the guard knows is a person's change (CLI, page, file),
    /// unless the guard asked for exactly that mode itself (``expectAutomaticChange(to:)``).
    func configureGuard(settings: GuardSettings, mode: RouteMode) {
        guard verdicts != nil else { return }
        let now = Self.now()
        box.withLockedValue { state in
            guard settings.enabled else {
                state.routeGuard = nil
                return
            }
            guard var routeGuard = state.routeGuard else {
                state.routeGuard = RouteGuard(settings: settings, mode: mode, at: now)
                return
            }
            state.routeGuard = nil
            if routeGuard.settings != settings { routeGuard.update(settings: settings) }
            if routeGuard.mode != mode {
                let automatic = state.automaticChange == mode
                routeGuard.modeChanged(to: mode, at: now, byPerson: !automatic)
            }
            state.automaticChange = nil
            state.routeGuard = routeGuard
        }
    }

    /// Marks `mode` as the guard's own: the routing change that brings it keeps the trip in force.
    func expectAutomaticChange(to mode: RouteMode) {
        box.withLockedValue { $0.automaticChange = mode }
    }

    func record(_ backend: Backend, status: Int, microseconds: UInt64) {
        let verdict = box.withLockedValue { state -> GuardVerdict? in
            switch backend {
            case .legacy: Self.add(&state.counters.legacy, status: status, microseconds: microseconds)
            case .candidate: Self.add(&state.counters.candidate, status: status, microseconds: microseconds)
            }
            // A route on legacy reads no clock and counts nothing more.
            guard state.routeGuard?.watchesAnswers == true else { return nil }
            return state.routeGuard?.recordAnswer(
                backend, failed: status >= 500, latency: Double(microseconds) / 1e6, at: Self.now())
        }
        if let verdict { verdicts?.deliver(route: route, verdict) }
    }

    func recordFallback(_ failure: UpstreamFailure) {
        box.withLockedValue { $0.counters.fallbacks[failure.rawValue, default: 0] += 1 }
    }

    func recordShadowSkipped(_ reason: ShadowSkipReason) {
        box.withLockedValue { $0.counters.shadowSkipped[reason.rawValue, default: 0] += 1 }
    }

    func recordShadowSent() {
        box.withLockedValue { $0.counters.shadowSent += 1 }
    }

    func recordShadowAnswer(status: Int, microseconds: UInt64) {
        box.withLockedValue { Self.add(&$0.counters.shadow, status: status, microseconds: microseconds) }
    }

    func recordShadowFailure(timeout: Bool) {
        box.withLockedValue { state in
            if timeout { state.counters.shadowTimeouts += 1 } else { state.counters.shadowErrors += 1 }
        }
    }

    /// Counts a comparison; one with a difference at or above `fail_at` is evidence for the guard.
    func recordComparison(differing: Bool, failing: Bool) {
        let verdict = box.withLockedValue { state -> GuardVerdict? in
            state.counters.shadowCompared += 1
            if differing { state.counters.shadowDiffering += 1 }
            if failing { state.counters.shadowFailing += 1 }
            guard state.routeGuard != nil else { return nil }
            return state.routeGuard?.recordComparison(differing: failing, at: Self.now())
        }
        if let verdict { verdicts?.deliver(route: route, verdict) }
    }

    func recordTunnelOpened(_ backend: Backend) {
        box.withLockedValue { state in
            Self.tunnels(&state.counters, backend) {
                $0.open += 1; $0.opened += 1
            }
        }
    }

    func recordTunnelClosed(_ backend: Backend) {
        box.withLockedValue { state in Self.tunnels(&state.counters, backend) { $0.open -= 1 } }
    }

    func recordTunnelBytes(_ backend: Backend, toUpstream: Int, toClient: Int) {
        box.withLockedValue { state in
            Self.tunnels(&state.counters, backend) { tunnels in
                tunnels.bytesToUpstream += UInt64(toUpstream)
                tunnels.bytesToClient += UInt64(toClient)
            }
        }
    }

    private static func tunnels(
        _ counters: inout Counters, _ backend: Backend, _ change: (inout TunnelCounters) -> Void
    ) {
        switch backend {
        case .legacy: change(&counters.legacyTunnels)
        case .candidate: change(&counters.candidateTunnels)
        }
    }

    private static func add(_ counters: inout BackendCounters, status: Int, microseconds: UInt64) {
        counters.requests += 1
        if status >= 500 { counters.errors += 1 }
        counters.statusClasses[min(4, max(0, status / 100 - 1))] += 1
        counters.latency.record(microseconds: microseconds)
    }
}

/// Where the routes' guards send their verdicts: the server that carries them out.
final class GuardVerdicts: Sendable {
    private let handler = NIOLockedValueBox<(@Sendable (String, GuardVerdict) -> Void)?>(nil)

    /// Sets who carries verdicts out; verdicts before that are dropped (the proxy is starting).
    func setHandler(_ body: @escaping @Sendable (String, GuardVerdict) -> Void) {
        handler.withLockedValue { $0 = body }
    }

    func deliver(route: String, _ verdict: GuardVerdict) {
        handler.withLockedValue { $0 }?(route, verdict)
    }
}
