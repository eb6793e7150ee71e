/// Why a request of a route that compares answers got no comparison. The raw value is the
/// `reason` label of `banyan_shadow_skipped_total` and the key in a route's status.
public enum ShadowSkipReason: String, Sendable, Hashable, CaseIterable {
    /// The method is not idempotent and the route does not allow shadowing it.
    case unsafe = "skipped_unsafe"
    /// The request fell outside the sampling rate.
    case sample = "skipped_sample"
    /// An upgrade (a tunnel) has no answer to compare.
    case upgrade = "skipped_upgrade"
    /// The request or an answer is larger than the proxy keeps for a comparison.
    case large = "skipped_large"
    /// The route's copies in flight, or the comparisons waiting, are at their limit.
    case busy = "skipped_busy"
}

extension ShadowChoice {
    /// Why no copy is sent, when the rollout decided against one on a shadowed route.
    public var skipReason: ShadowSkipReason? {
        switch self {
        case .none, .send: return nil
        case .skippedUnsafe: return .unsafe
        case .skippedSample: return .sample
        }
    }
}
