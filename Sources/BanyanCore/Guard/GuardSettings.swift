/// How a route's guard judges the candidate, and what it does when the candidate is worse.
///
/// Read from `guard:` at the top of banyan.yaml (the defaults for every route) and from a
/// route's own `guard:` (which overrides them, or turns the guard off with `guard: false`).
/// Every default below is in the documentation's table (docs/fleet.md).
public struct GuardSettings: Sendable, Hashable {
    /// Where a tripped `canary` or `new` route goes.
    public enum TripTarget: String, Sendable, Hashable {
        /// Every request goes back to legacy.
        case legacy
        /// Legacy serves and the candidate keeps getting copies, so fresh evidence can clear it.
        case shadow
    }

    /// Whether the guard watches the route. Default: on.
    public var enabled: Bool
    /// Log and record what the guard would do, and change nothing. Default: off.
    public var observe: Bool
    /// Samples of the candidate (answers in `canary`/`new`, comparisons in `shadow`) needed in
    /// the window before a rate rule may trip. Default: 200.
    public var minSamples: Int
    /// The sliding window, in seconds. Default: 60.
    public var window: Double
    /// The one-sided confidence of the bounds. Default: 0.999.
    public var confidence: Double
    /// How much the candidate's failure rate may exceed legacy's (an absolute share). Default: 0.01.
    public var failureMargin: Double
    /// A candidate answer counts as slow when it takes longer than legacy's p99 times this factor
    /// (and at least ``latencyFloor`` more than legacy's p99). Default: 1.5.
    public var latencyFactor: Double
    /// The least a slow answer exceeds legacy's p99 by, in seconds. Default: 0.005.
    public var latencyFloor: Double
    /// How much the share of slow candidate answers may exceed the 1% legacy itself has above its
    /// p99. Default: 0.01.
    public var latencyMargin: Double
    /// The share of shadow comparisons with differences at or above the policy's `fail_at` that
    /// is tolerated. Default: 0.01.
    public var differenceRate: Double
    /// This many candidate failures in a row trip at once, whatever the sample size. Default: 5.
    public var consecutiveFailures: Int
    /// In `canary`, safe requests without a body that the candidate served are also sent to
    /// legacy off the client's path and the two answers compared, so the difference rate is
    /// evidence in a canary too. Default: off.
    public var compare: Bool
    /// Where a tripped `canary` or `new` route goes. Default: legacy.
    public var tripTo: TripTarget
    /// When set, a tripped route returns to the mode it had once this many seconds have passed
    /// and ``minSamples`` fresh samples were clean. Default: nil (a person promotes it again).
    public var cooldown: Double?
    /// When set, a healthy route moves one step up after this many clean samples.
    public var promoteAfterSamples: Int?
    /// With ``promoteAfterSamples``: the least time a route stays at a step, in seconds.
    /// Default: 300.
    public var promoteMinimumTime: Double

    /// The guard every route in `canary` or `new` mode gets unless the file says otherwise.
    public init(
        enabled: Bool = true,
        observe: Bool = false,
        minSamples: Int = 200,
        window: Double = 60,
        confidence: Double = 0.999,
        failureMargin: Double = 0.01,
        latencyFactor: Double = 1.5,
        latencyFloor: Double = 0.005,
        latencyMargin: Double = 0.01,
        differenceRate: Double = 0.01,
        consecutiveFailures: Int = 5,
        compare: Bool = false,
        tripTo: TripTarget = .legacy,
        cooldown: Double? = nil,
        promoteAfterSamples: Int? = nil,
        promoteMinimumTime: Double = 300
    ) {
        self.enabled = enabled
        self.observe = observe
        self.minSamples = minSamples
        self.window = window
        self.confidence = confidence
        self.failureMargin = failureMargin
        self.latencyFactor = latencyFactor
        self.latencyFloor = latencyFloor
        self.latencyMargin = latencyMargin
        self.differenceRate = differenceRate
        self.consecutiveFailures = consecutiveFailures
        self.compare = compare
        self.tripTo = tripTo
        self.cooldown = cooldown
        self.promoteAfterSamples = promoteAfterSamples
        self.promoteMinimumTime = promoteMinimumTime
    }
}
