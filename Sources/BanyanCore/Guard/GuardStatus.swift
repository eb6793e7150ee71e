/// One route's guard as `banyan guard status` and the admin API show it.
public struct GuardStatus: Sendable, Hashable, Codable {
    /// The route as written in `routes:`.
    public var route: String
    /// The guard's state (`waiting`, `healthy`, `tripped`, …).
    public var state: RouteGuard.State
    /// True when the guard only records what it would do.
    public var observe: Bool
    /// The route's mode as the guard last heard it (`canary:5`).
    public var mode: String
    /// Samples in the window that count toward `minSamples`, and that minimum.
    public var samples: Int
    /// The samples a rate rule needs in the window.
    public var minSamples: Int
    /// The window's length in seconds.
    public var window: Double
    /// The candidate's answers and failures in the window (with other proxies' where a fleet shares
    /// them), its failure rate and the rate's bounds.
    public var candidateAnswers: Int
    /// The candidate's failures among them.
    public var candidateFailures: Int
    /// `candidateFailures / candidateAnswers`.
    public var candidateFailureRate: Double
    /// The Wilson bounds of that rate: lower, upper.
    public var candidateFailureBounds: [Double]
    /// Legacy's answers and failures in the window.
    public var legacyAnswers: Int
    /// Legacy's failures among them.
    public var legacyFailures: Int
    /// The failure rate above which (at its lower bound) the candidate trips.
    public var failureThreshold: Double
    /// p99 of each side in seconds, where known.
    public var legacyP99: Double?
    /// The candidate's p99 in seconds, where known.
    public var candidateP99: Double?
    /// Of the counts above, those from other proxies of the fleet.
    public var peerSamples: Int
    /// Comparisons in the window, those differing at or above `fail_at`, and the rate's bounds.
    public var comparisons: Int
    /// Comparisons with a difference at or above `fail_at`.
    public var differing: Int
    /// The Wilson bounds of the difference rate: lower, upper.
    public var differenceBounds: [Double]
    /// The allowed difference rate.
    public var differenceThreshold: Double
    /// The candidate's current run of failures, and the run that trips.
    public var consecutiveFailures: Int
    /// The run of candidate failures that trips at once (0: the rule is off).
    public var consecutiveLimit: Int
    /// The last verdict's action and its evidence, if the guard has acted.
    public var lastAction: String?
    /// The numbers behind ``lastAction``.
    public var lastEvidence: GuardEvidence?
    /// Seconds from the last verdict's deciding sample to its change being in force and persisted.
    public var appliedAfter: Double?
}

extension RouteGuard {
    /// The guard's numbers at `time`, for a route named `route`.
    public func status(route: String, at time: Double) -> GuardStatus {
        var current = self
        current.tick(at: time)
        let z = WilsonInterval.z(confidence: settings.confidence)
        let counts = current.counts
        let failureBounds = WilsonInterval.bounds(
            successes: counts.candidateFailures, trials: counts.candidateAnswers, z: z)
        let differenceBounds = WilsonInterval.bounds(successes: counts.differing, trials: counts.comparisons, z: z)
        let samples = mode == .shadow ? counts.comparisons : max(counts.candidateAnswers, counts.comparisons)
        return GuardStatus(
            route: route, state: current.state(at: time), observe: settings.observe, mode: mode.storageText,
            samples: samples, minSamples: settings.minSamples, window: window.length,
            candidateAnswers: counts.candidateAnswers, candidateFailures: counts.candidateFailures,
            candidateFailureRate: counts.candidateAnswers == 0
                ? 0 : Double(counts.candidateFailures) / Double(counts.candidateAnswers),
            candidateFailureBounds: [failureBounds.lower, failureBounds.upper], legacyAnswers: counts.legacyAnswers,
            legacyFailures: counts.legacyFailures, failureThreshold: current.failureThreshold,
            legacyP99: current.window.legacy.latency.quantile(0.99),
            candidateP99: current.window.candidate.latency.quantile(0.99),
            peerSamples: peers.candidateAnswers + peers.comparisons,
            comparisons: counts.comparisons, differing: counts.differing,
            differenceBounds: [differenceBounds.lower, differenceBounds.upper],
            differenceThreshold: settings.differenceRate, consecutiveFailures: consecutive,
            consecutiveLimit: settings.consecutiveFailures, lastAction: lastVerdict.map { $0.action.name },
            lastEvidence: lastVerdict?.evidence)
    }
}

extension GuardVerdict.Action {
    /// The action's name in events and reports: `trip:legacy`, `mark_failing`, `promote`, …
    public var name: String {
        switch self {
        case .trip(let mode): "trip:\(mode.storageText)"
        case .markFailing: "mark_failing"
        case .restore(let mode): "restore:\(mode.storageText)"
        case .clearFailing: "clear_failing"
        case .promote: "promote"
        }
    }
}
