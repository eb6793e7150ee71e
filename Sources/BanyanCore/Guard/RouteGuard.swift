/// What the guard decided, for the proxy to carry out (or, in observe mode, only to record).
public struct GuardVerdict: Sendable, Hashable {
    /// The change the guard asks for.
    public enum Action: Sendable, Hashable {
        /// Take a `canary` or `new` route back to this mode.
        case trip(to: RouteMode)
        /// Mark a `shadow` route failing: it may not be promoted.
        case markFailing
        /// The cooldown passed and fresh samples were clean: return to this mode.
        case restore(to: RouteMode)
        /// The failing mark of a `shadow` route is cleared by fresh clean samples.
        case clearFailing
        /// Move the route one step up (the caller knows the steps).
        case promote
    }

    /// The change the guard asks the proxy to make to the route.
    public var action: Action
    /// The rule that decided and the counts and bounds it read, for the log and the status page.
    public var evidence: GuardEvidence
    /// True in observe mode: record and log the verdict, change nothing.
    public var observed: Bool
    /// When the deciding sample arrived, on the clock the guard was given.
    public var at: Double
}

/// One route's guard: takes the route's answers and comparisons as they happen and decides, on
/// every candidate sample, whether the candidate must go back.
///
/// A pure value with no clock and no I/O: the proxy passes the time with each event, and a test
/// can replay any traffic in microseconds. Rules (``GuardSettings`` holds their numbers):
/// - **consecutive failures**: the candidate failed ``GuardSettings/consecutiveFailures`` times
///   in a row: trips at once, whatever the sample size.
/// - **failure rate** (`canary`, `new`): with at least `minSamples` candidate answers in the
///   window, the Wilson lower bound of the candidate's failure rate is above ``failureThreshold``:
///   legacy's rate in the same window at its upper bound, plus the margin (the margin alone in
///   `new`).
/// - **latency** (`canary`, with `minSamples` answers on both sides): an answer is slow when it
///   takes longer than legacy's p99 × factor (and at least legacy's p99 + floor); legacy itself
///   has 1% of its answers above its p99, so the rule trips when the lower bound of the
///   candidate's slow share is above 1% plus the margin.
/// - **difference rate** (`shadow`, or `canary` with comparisons): with at least `minSamples`
///   comparisons, the lower bound of the share differing at or above `fail_at` is above the
///   allowed rate.
///
/// After a trip the guard stays tripped until a person changes the route
/// (``modeChanged(to:at:byPerson:)``), or, with a cooldown, until the cooldown has passed and
/// `minSamples` fresh samples were all clean: it never flaps.
public struct RouteGuard: Sendable {
    /// Where the guard stands.
    public enum State: String, Sendable, Hashable, Codable {
        /// The route is on legacy and was not sent there by the guard: nothing to watch.
        case idle
        /// Fewer samples than `minSamples` in the window: rate rules cannot trip yet.
        case waiting
        /// Enough samples, no rule tripped.
        case healthy
        /// The guard sent the route back; it stays back until a person moves it (or a cooldown).
        case tripped
        /// Tripped and the cooldown is running or fresh samples are being gathered.
        case coolingDown = "cooling_down"
        /// A `shadow` route whose differences tripped: promotion is blocked.
        case failing
        /// The guard is off for this route.
        case off
    }

    /// The thresholds this route's guard decides with: `guard:` in banyan.yaml, with the route's own
    /// values over the defaults.
    public private(set) var settings: GuardSettings
    /// The route's mode as the guard last heard it.
    public private(set) var mode: RouteMode
    /// The route's answers and comparisons of the last ``GuardSettings/window`` seconds.
    public private(set) var window: GuardWindow
    /// The candidate's current run of failures.
    public private(set) var consecutive = 0
    /// The last verdict, kept for the status.
    public private(set) var lastVerdict: GuardVerdict?
    /// When the route's mode last changed.
    public private(set) var modeSince: Double
    /// Samples (candidate answers or comparisons) since the mode last changed.
    public private(set) var samplesSinceChange = 0
    /// The other proxies' counts for this route in their windows, under the same route state
    /// (a fleet sharing PostgreSQL): the rate rules read the sum with the local window.
    public private(set) var peers = GuardCounts()

    private var trippedAt: Double?
    private var restoreMode: RouteMode?
    private var failingSince: Double?
    private var failing: Bool { failingSince != nil }
    /// Fresh samples since the cooldown ended, and whether all were clean.
    private var freshSamples = 0
    private let z: Double

    /// A guard for a route in `mode` from `time` on.
    public init(settings: GuardSettings, mode: RouteMode, at time: Double) {
        self.settings = settings
        self.mode = mode
        self.window = GuardWindow(length: settings.window)
        self.modeSince = time
        self.z = WilsonInterval.z(confidence: settings.confidence)
    }

    /// Whether answers can be evidence now: the guard is on and the route is not on legacy.
    public var watchesAnswers: Bool { settings.enabled && mode != .legacy }

    /// The guard's state at `time`.
    public func state(at time: Double) -> State {
        guard settings.enabled else { return .off }
        if trippedAt != nil {
            return settings.cooldown == nil ? .tripped : .coolingDown
        }
        if failing { return .failing }
        switch mode {
        case .legacy: return .idle
        case .shadow: return counts.comparisons >= settings.minSamples ? .healthy : .waiting
        case .canary, .new:
            let counts = self.counts
            let samples = max(counts.candidateAnswers, counts.comparisons)
            return samples >= settings.minSamples ? .healthy : .waiting
        }
    }

    /// Tells the guard the route's mode changed.
    ///
    /// - Parameters:
    ///   - newMode: the mode now in force.
    ///   - time: when.
    ///   - byPerson: true for a change a person made (CLI, page, file): it clears a trip or a
    ///     failing mark. False for the guard's own verdict being applied.
    public mutating func modeChanged(to newMode: RouteMode, at time: Double, byPerson: Bool) {
        if byPerson {
            trippedAt = nil
            restoreMode = nil
            failingSince = nil
        }
        mode = newMode
        modeSince = time
        samplesSinceChange = 0
        freshSamples = 0
        consecutive = 0
        window.clear()
        peers = GuardCounts()
    }

    /// The rate counts the rules read: this proxy's window plus the other proxies'.
    public var counts: GuardCounts { window.counts + peers }

    /// Takes the other proxies' counts (read from the fleet's state every few seconds).
    public mutating func updatePeers(_ counts: GuardCounts) {
        peers = counts
    }

    /// Replaces the settings (a reload of banyan.yaml); the evidence is kept.
    public mutating func update(settings newSettings: GuardSettings) {
        let length = window.length
        settings = newSettings
        if newSettings.window != length { window = GuardWindow(length: newSettings.window) }
    }

    /// Counts one answer of one side and decides.
    ///
    /// - Parameters:
    ///   - side: who answered the client.
    ///   - failed: a 5xx, a reset, a timeout, or a fallback away from this side.
    ///   - latency: seconds from the request to the end of the answer's head.
    ///   - time: when, in seconds.
    /// - Returns: a verdict when the guard acts on this sample.
    public mutating func recordAnswer(_ side: Backend, failed: Bool, latency: Double, at time: Double)
        -> GuardVerdict?
    {
        // On legacy nothing can be decided, and a legacy-mode route costs the data path nothing.
        guard watchesAnswers else { return nil }
        window.recordAnswer(side, failed: failed, latency: latency, at: time)
        guard side == .candidate else { return nil }
        consecutive = failed ? consecutive + 1 : 0
        samplesSinceChange += 1
        return decide(at: time, freshClean: !failed)
    }

    /// Counts one comparison of the two sides and decides.
    ///
    /// - Parameters:
    ///   - differing: true when a difference at or above the policy's `fail_at` was found (what
    ///     the policy downgraded does not count).
    ///   - time: when, in seconds.
    public mutating func recordComparison(differing: Bool, at time: Double) -> GuardVerdict? {
        guard settings.enabled else { return nil }
        window.recordComparison(differing: differing, at: time)
        samplesSinceChange += 1
        return decide(at: time, freshClean: !differing)
    }

    /// Lets time pass with no sample: old evidence leaves the window.
    public mutating func tick(at time: Double) {
        window.advance(to: time)
    }

    // MARK: - Deciding

    private mutating func decide(at time: Double, freshClean: Bool) -> GuardVerdict? {
        if let trippedAt { return considerRestore(trippedAt: trippedAt, at: time, clean: freshClean) }
        if let failingSince {
            guard let cooldown = settings.cooldown, time - failingSince >= cooldown else { return nil }
            return considerClear(clean: freshClean, at: time)
        }
        switch mode {
        case .legacy:
            return nil
        case .shadow:
            if let evidence = differenceEvidence() { return verdict(.markFailing, evidence, at: time) }
        case .canary, .new:
            if settings.consecutiveFailures > 0, consecutive >= settings.consecutiveFailures {
                return verdict(.trip(to: tripTarget), evidence(rule: .consecutiveFailures), at: time)
            }
            if let evidence = failureEvidence() ?? latencyEvidence() ?? differenceEvidence() {
                return verdict(.trip(to: tripTarget), evidence, at: time)
            }
        }
        return considerPromotion(at: time)
    }

    private var tripTarget: RouteMode { settings.tripTo == .legacy ? .legacy : .shadow }

    private mutating func verdict(_ action: GuardVerdict.Action, _ evidence: GuardEvidence, at time: Double)
        -> GuardVerdict
    {
        let result = GuardVerdict(action: action, evidence: evidence, observed: settings.observe, at: time)
        lastVerdict = result
        if settings.observe {
            // Nothing changes; fresh evidence is needed before the guard says so again.
            window.clear()
            consecutive = 0
            samplesSinceChange = 0
            return result
        }
        switch action {
        case .trip:
            trippedAt = time
            restoreMode = mode
        case .markFailing:
            failingSince = time
        case .restore, .clearFailing:
            trippedAt = nil
            restoreMode = nil
            failingSince = nil
        case .promote:
            break
        }
        freshSamples = 0
        return result
    }

    private func evidence(rule: GuardRule) -> GuardEvidence {
        let counts = self.counts
        return GuardEvidence(
            rule: rule, window: window.length, samples: counts.candidateAnswers, hits: counts.candidateFailures,
            rate: rate(counts.candidateFailures, counts.candidateAnswers), bound: 0, threshold: 0,
            legacySamples: counts.legacyAnswers, legacyFailures: counts.legacyFailures, legacyP99: nil,
            candidateP99: nil, consecutive: consecutive, confidence: settings.confidence,
            peerSamples: peers.candidateAnswers)
    }

    private func rate(_ hits: Int, _ samples: Int) -> Double {
        samples == 0 ? 0 : Double(hits) / Double(samples)
    }

    /// The failure rate the candidate's lower bound is held against: legacy's rate plus the margin.
    ///
    /// In `canary`, legacy's rate is taken at its upper bound, as high as the window lets it
    /// plausibly be: with few legacy answers the baseline is high and the rule waits for evidence
    /// on both sides (the consecutive-failure rule still acts). In `new`, legacy answers only as a
    /// fallback, which is no baseline: the threshold is the margin alone.
    public var failureThreshold: Double {
        guard case .canary = mode else { return settings.failureMargin }
        let counts = self.counts
        return WilsonInterval.upperBound(successes: counts.legacyFailures, trials: counts.legacyAnswers, z: z)
            + settings.failureMargin
    }

    private func failureEvidence() -> GuardEvidence? {
        let counts = self.counts
        guard counts.candidateAnswers >= settings.minSamples else { return nil }
        let threshold = failureThreshold
        let bound = WilsonInterval.lowerBound(
            successes: counts.candidateFailures, trials: counts.candidateAnswers, z: z)
        guard bound > threshold else { return nil }
        var result = evidence(rule: .failureRate)
        result.bound = bound
        result.threshold = threshold
        return result
    }

    private func latencyEvidence() -> GuardEvidence? {
        let candidate = window.candidate
        guard candidate.answers >= settings.minSamples, window.legacy.answers >= settings.minSamples,
            let legacyP99 = window.legacy.latency.quantile(0.99)
        else { return nil }
        let slowAbove = max(legacyP99 * settings.latencyFactor, legacyP99 + settings.latencyFloor)
        let slow = candidate.latency.count(above: slowAbove)
        let threshold = 0.01 + settings.latencyMargin
        let bound = WilsonInterval.lowerBound(successes: slow, trials: candidate.answers, z: z)
        guard bound > threshold else { return nil }
        var result = evidence(rule: .latency)
        result.hits = slow
        result.rate = rate(slow, candidate.answers)
        result.bound = bound
        // The threshold recorded is the latency that made an answer slow; the share is in `bound`.
        result.threshold = slowAbove
        result.legacyP99 = legacyP99
        result.candidateP99 = candidate.latency.quantile(0.99)
        return result
    }

    private func differenceEvidence() -> GuardEvidence? {
        let counts = self.counts
        guard counts.comparisons >= settings.minSamples else { return nil }
        let bound = WilsonInterval.lowerBound(successes: counts.differing, trials: counts.comparisons, z: z)
        guard bound > settings.differenceRate else { return nil }
        var result = evidence(rule: .differenceRate)
        result.samples = counts.comparisons
        result.hits = counts.differing
        result.rate = rate(counts.differing, counts.comparisons)
        result.peerSamples = peers.comparisons
        result.bound = bound
        result.threshold = settings.differenceRate
        return result
    }

    private func cleanEvidence(samples: Int) -> GuardEvidence {
        var result = evidence(rule: .clean)
        result.samples = samples
        result.hits = 0
        result.rate = 0
        result.bound = WilsonInterval.upperBound(successes: 0, trials: samples, z: z)
        result.threshold = 0
        return result
    }

    private mutating func considerRestore(trippedAt: Double, at time: Double, clean: Bool) -> GuardVerdict? {
        guard let cooldown = settings.cooldown, let restoreMode, time - trippedAt >= cooldown else { return nil }
        guard clean else {
            freshSamples = 0
            return nil
        }
        freshSamples += 1
        guard freshSamples >= settings.minSamples else { return nil }
        return verdict(.restore(to: restoreMode), cleanEvidence(samples: freshSamples), at: time)
    }

    private mutating func considerClear(clean: Bool, at time: Double) -> GuardVerdict? {
        guard clean else {
            freshSamples = 0
            return nil
        }
        freshSamples += 1
        guard freshSamples >= settings.minSamples else { return nil }
        return verdict(.clearFailing, cleanEvidence(samples: freshSamples), at: time)
    }

    /// A healthy route moves up after enough samples at its step, a minimum time, and a window
    /// whose failure (or difference) rate is within the threshold even at its upper bound.
    private mutating func considerPromotion(at time: Double) -> GuardVerdict? {
        guard let needed = settings.promoteAfterSamples, mode != .new, mode != .legacy,
            samplesSinceChange >= needed, time - modeSince >= settings.promoteMinimumTime
        else { return nil }
        var result: GuardEvidence
        let counts = self.counts
        if mode == .shadow {
            guard counts.comparisons >= settings.minSamples else { return nil }
            let upper = WilsonInterval.upperBound(successes: counts.differing, trials: counts.comparisons, z: z)
            guard upper <= settings.differenceRate else { return nil }
            result = cleanEvidence(samples: counts.comparisons)
            result.hits = counts.differing
            result.rate = rate(counts.differing, counts.comparisons)
            result.bound = upper
            result.threshold = settings.differenceRate
        } else {
            guard counts.candidateAnswers >= settings.minSamples else { return nil }
            let threshold = failureThreshold
            let upper = WilsonInterval.upperBound(
                successes: counts.candidateFailures, trials: counts.candidateAnswers, z: z)
            guard upper <= threshold else { return nil }
            result = cleanEvidence(samples: counts.candidateAnswers)
            result.hits = counts.candidateFailures
            result.rate = rate(counts.candidateFailures, counts.candidateAnswers)
            result.bound = upper
            result.threshold = threshold
        }
        samplesSinceChange = 0
        return verdict(.promote, result, at: time)
    }
}
