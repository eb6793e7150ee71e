import BanyanCore
import NIOConcurrencyHelpers

/// Live counters for one route, shared by every event loop and read by the admin API.
public final class RouteStats: Sendable {
    /// Requests, errors and latencies of one backend.
    public struct BackendCounters: Sendable, Equatable {
        public var requests: UInt64 = 0
        /// Answers of 500 and above, and requests the proxy had to answer itself (502, 504).
        public var errors: UInt64 = 0
        /// Answers by status class: index 0 counts 1xx, 1 counts 2xx, … 4 counts 5xx.
        public var statusClasses: [UInt64] = [0, 0, 0, 0, 0]
        public var latency = LatencyHistogram()
    }

    /// Everything counted for the route.
    public struct Counters: Sendable, Equatable {
        public var legacy = BackendCounters()
        public var candidate = BackendCounters()
        /// The candidate's answers to shadow copies.
        public var shadow = BackendCounters()
        /// Requests answered by legacy after the candidate failed, by failure.
        public var fallbacks: [String: UInt64] = [:]
        public var shadowSent: UInt64 = 0
        public var shadowCompared: UInt64 = 0
        /// Compared exchanges with at least one difference above noise.
        public var shadowDiffering: UInt64 = 0
        /// Compared exchanges with a difference at or above the policy's `fail_at`.
        public var shadowFailing: UInt64 = 0
        public var shadowTimeouts: UInt64 = 0
        public var shadowErrors: UInt64 = 0
        public var shadowSkipped: [String: UInt64] = [:]
    }

    private let box = NIOLockedValueBox(Counters())

    public init() {}

    public var counters: Counters { box.withLockedValue { $0 } }

    func record(_ backend: Backend, status: Int, microseconds: UInt64) {
        box.withLockedValue { counters in
            switch backend {
            case .legacy: Self.add(&counters.legacy, status: status, microseconds: microseconds)
            case .candidate: Self.add(&counters.candidate, status: status, microseconds: microseconds)
            }
        }
    }

    func recordFallback(_ failure: CandidateFailure) {
        box.withLockedValue { $0.fallbacks[failure.rawValue, default: 0] += 1 }
    }

    func recordShadowSkipped(_ reason: String) {
        box.withLockedValue { $0.shadowSkipped[reason, default: 0] += 1 }
    }

    func recordShadowSent() {
        box.withLockedValue { $0.shadowSent += 1 }
    }

    func recordShadowAnswer(status: Int, microseconds: UInt64) {
        box.withLockedValue { Self.add(&$0.shadow, status: status, microseconds: microseconds) }
    }

    func recordShadowFailure(timeout: Bool) {
        box.withLockedValue { counters in
            if timeout { counters.shadowTimeouts += 1 } else { counters.shadowErrors += 1 }
        }
    }

    func recordComparison(differing: Bool, failing: Bool) {
        box.withLockedValue { counters in
            counters.shadowCompared += 1
            if differing { counters.shadowDiffering += 1 }
            if failing { counters.shadowFailing += 1 }
        }
    }

    private static func add(_ counters: inout BackendCounters, status: Int, microseconds: UInt64) {
        counters.requests += 1
        if status >= 500 { counters.errors += 1 }
        counters.statusClasses[min(4, max(0, status / 100 - 1))] += 1
        counters.latency.record(microseconds: microseconds)
    }
}
