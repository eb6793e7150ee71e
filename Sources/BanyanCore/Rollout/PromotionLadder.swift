/// The steps a route climbs from legacy to new: `legacy → shadow → canary 1 → 5 → 25 → 50 → new`
/// by default.
public struct PromotionLadder: Sendable, Hashable {
    /// The steps, lowest first.
    public var steps: [RouteMode]

    /// The default ladder.
    public static let standard = PromotionLadder(steps: [
        .legacy, .shadow, .canary(percent: 1), .canary(percent: 5), .canary(percent: 25), .canary(percent: 50), .new,
    ])

    /// A ladder of the given steps, lowest first.
    public init(steps: [RouteMode]) {
        self.steps = steps
    }

    /// The first step above `mode`, or nil when `mode` is at or above the top.
    ///
    /// A mode between two steps (a canary at 10%) goes to the next step above it (25%).
    public func next(after mode: RouteMode) -> RouteMode? {
        steps.first { Self.rank($0) > Self.rank(mode) }
    }

    /// legacy < shadow < canary by percentage < new.
    static func rank(_ mode: RouteMode) -> Double {
        switch mode {
        case .legacy: -2
        case .shadow: -1
        case .canary(let percent): percent
        case .new: 1_000
        }
    }
}
