/// The steps a route is promoted along, one at a time: by default legacy → shadow → canary 1% →
/// 5% → 25% → 50% → new (`promote_steps:` in banyan.yaml changes them).
public struct PromotionLadder: Sendable, Hashable {
    /// The modes after `legacy`, in the order a promotion takes them.
    public var steps: [RouteMode]

    /// The default ladder.
    public static let standard = PromotionLadder(steps: [
        .shadow, .canary(percent: 1), .canary(percent: 5), .canary(percent: 25), .canary(percent: 50), .new,
    ])

    /// Creates a ladder from the modes a route passes through after `legacy`.
    ///
    /// - Parameter steps: The modes in promotion order, each sending more traffic to the candidate
    ///   than the one before (`shadow`, `canary:10`, `new`).
    public init(steps: [RouteMode]) {
        self.steps = steps
    }

    /// The first step that sends more traffic to the candidate than `mode` does; nil when `mode`
    /// is at or beyond the last step.
    public func next(after mode: RouteMode) -> RouteMode? {
        steps.first { Self.rank($0) > Self.rank(mode) }
    }

    /// Orders modes by how much the candidate does: legacy, shadow, canary by percentage, new.
    static func rank(_ mode: RouteMode) -> Double {
        switch mode {
        case .legacy: -2
        case .shadow: -1
        case .canary(let percent): percent
        case .new: 101
        }
    }

    /// Whether each step sends more to the candidate than the one before it (and none is legacy).
    public var isIncreasing: Bool {
        var previous = Self.rank(.legacy)
        for step in steps {
            guard Self.rank(step) > previous else { return false }
            previous = Self.rank(step)
        }
        return !steps.isEmpty
    }
}
