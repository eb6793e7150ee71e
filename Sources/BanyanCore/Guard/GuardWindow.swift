/// What one side of a route answered within the guard's window.
public struct AnswerCounts: Sendable, Hashable {
    /// Answers seen (each request the side served, whatever came of it).
    public var answers = 0
    /// Answers that failed: a 5xx, a reset, a timeout, or a fallback away from the side.
    public var failures = 0
    /// How long the answers took, in buckets fine enough to read a p99 from.
    public var latency = LatencyBuckets()

    /// Creates counts for a side that has not answered yet.
    public init() {}

    mutating func record(failed: Bool, bucket: Int) {
        answers += 1
        if failed { failures += 1 }
        latency.record(bucket: bucket)
    }

    mutating func add(_ other: AnswerCounts) {
        answers += other.answers
        failures += other.failures
        latency.add(other.latency)
    }

    mutating func subtract(_ other: AnswerCounts) {
        answers -= other.answers
        failures -= other.failures
        latency.subtract(other.latency)
    }
}

/// The guard's evidence over the last ``length`` seconds, kept as slices of a twelfth of it that
/// leave the window one at a time, with running totals so that reading them costs nothing.
///
/// The window holds the current slice and the twelve before it: between 60 and 65 seconds of
/// evidence for a 60-second window, never less than its length.
public struct GuardWindow: Sendable, Hashable {
    /// The number of slices in a window's length: it slides in steps of `length / 12`.
    public static let sliceCount = 12
    /// The slots kept: the current slice and the ``sliceCount`` before it.
    static let slotCount = sliceCount + 1

    struct Slice: Sendable, Hashable {
        var index = Int.min
        var legacy = AnswerCounts()
        var candidate = AnswerCounts()
        var comparisons = 0
        var differing = 0
    }

    /// The window's length in seconds.
    public let length: Double
    private let sliceLength: Double
    private var slices: [Slice]
    /// Legacy's answers in the window.
    public private(set) var legacy = AnswerCounts()
    /// The candidate's answers in the window.
    public private(set) var candidate = AnswerCounts()
    /// Shadow (or canary `compare`) comparisons in the window.
    public private(set) var comparisons = 0
    /// Comparisons with a difference at or above the policy's `fail_at`.
    public private(set) var differing = 0

    /// An empty window.
    ///
    /// - Parameter length: seconds; at least 0.012.
    public init(length: Double) {
        self.length = max(length, 0.012)
        self.sliceLength = self.length / Double(Self.sliceCount)
        self.slices = Array(repeating: Slice(), count: Self.slotCount)
    }

    /// Counts one answer of one side.
    public mutating func recordAnswer(_ side: Backend, failed: Bool, latency: Double, at time: Double) {
        let position = slot(for: time)
        let bucket = LatencyBuckets.bucket(for: latency)
        switch side {
        case .legacy:
            slices[position].legacy.record(failed: failed, bucket: bucket)
            legacy.record(failed: failed, bucket: bucket)
        case .candidate:
            slices[position].candidate.record(failed: failed, bucket: bucket)
            candidate.record(failed: failed, bucket: bucket)
        }
    }

    /// Counts one comparison of the two sides' answers.
    public mutating func recordComparison(differing isDiffering: Bool, at time: Double) {
        let position = slot(for: time)
        slices[position].comparisons += 1
        comparisons += 1
        if isDiffering {
            slices[position].differing += 1
            differing += 1
        }
    }

    /// Drops what is older than the window at `time`.
    public mutating func advance(to time: Double) {
        let current = sliceIndex(time)
        for position in 0..<Self.slotCount where slices[position].index != Int.min {
            if slices[position].index < current - Self.sliceCount { expire(position) }
        }
    }

    /// Forgets everything.
    public mutating func clear() {
        self = GuardWindow(length: length)
    }

    private func sliceIndex(_ time: Double) -> Int {
        Int((time / sliceLength).rounded(.down))
    }

    /// The slot for `time`, emptied first when it still holds an older slice.
    private mutating func slot(for time: Double) -> Int {
        advance(to: time)
        let index = sliceIndex(time)
        let position = ((index % Self.slotCount) + Self.slotCount) % Self.slotCount
        if slices[position].index != index {
            if slices[position].index != Int.min { expire(position) }
            slices[position].index = index
        }
        return position
    }

    private mutating func expire(_ position: Int) {
        let slice = slices[position]
        legacy.subtract(slice.legacy)
        candidate.subtract(slice.candidate)
        comparisons -= slice.comparisons
        differing -= slice.differing
        slices[position] = Slice()
    }
}

/// The counts behind the guard's rate rules, as one proxy of a fleet shares them with the others.
public struct GuardCounts: Sendable, Hashable, Codable {
    /// The candidate's answers.
    public var candidateAnswers = 0
    /// The candidate's failed answers.
    public var candidateFailures = 0
    /// Legacy's answers.
    public var legacyAnswers = 0
    /// Legacy's failed answers.
    public var legacyFailures = 0
    /// Comparisons of the two sides' answers.
    public var comparisons = 0
    /// Comparisons with a difference at or above `fail_at`.
    public var differing = 0

    /// Creates counts with nothing counted, as a proxy without peers has.
    public init() {}

    /// Creates counts from their parts, as a peer's row in the fleet's state database holds them.
    public init(
        candidateAnswers: Int, candidateFailures: Int, legacyAnswers: Int, legacyFailures: Int, comparisons: Int,
        differing: Int
    ) {
        self.candidateAnswers = candidateAnswers
        self.candidateFailures = candidateFailures
        self.legacyAnswers = legacyAnswers
        self.legacyFailures = legacyFailures
        self.comparisons = comparisons
        self.differing = differing
    }

    /// The sum of two proxies' counts.
    public static func + (lhs: GuardCounts, rhs: GuardCounts) -> GuardCounts {
        GuardCounts(
            candidateAnswers: lhs.candidateAnswers + rhs.candidateAnswers,
            candidateFailures: lhs.candidateFailures + rhs.candidateFailures,
            legacyAnswers: lhs.legacyAnswers + rhs.legacyAnswers,
            legacyFailures: lhs.legacyFailures + rhs.legacyFailures,
            comparisons: lhs.comparisons + rhs.comparisons, differing: lhs.differing + rhs.differing)
    }
}

extension GuardWindow {
    /// The window's counts as the rate rules read them and as this proxy shares them with its peers.
    public var counts: GuardCounts {
        GuardCounts(
            candidateAnswers: candidate.answers, candidateFailures: candidate.failures, legacyAnswers: legacy.answers,
            legacyFailures: legacy.failures, comparisons: comparisons, differing: differing)
    }
}
