/// One of the two services behind the proxy.
public enum Backend: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// The Express service being replaced; it serves every route that has not moved.
    case legacy
    /// The rewrite that takes routes over one at a time.
    case candidate

    /// The side's name as reports, headers and the admin API write it: `legacy` or `candidate`.
    public var description: String { rawValue }
}

/// Whether a request gets a shadow copy, and why not when it does not (``skipReason`` gives the
/// metrics label).
public enum ShadowChoice: Sendable, Hashable {
    /// The route is not in shadow mode.
    case none
    /// A copy goes to the candidate.
    case send
    /// Not copied: the method is not idempotent and the route does not allow shadowing it.
    case skippedUnsafe
    /// Not copied: the request fell outside the sampling rate.
    case skippedSample
}

/// Who serves one request, whether the candidate gets a copy, and whether the request may fall
/// back to legacy.
public struct RolloutDecision: Sendable, Hashable {
    /// The side whose answer the client gets (unless a fallback changes it).
    public var primary: Backend
    /// Whether the candidate also gets a copy whose answer is compared and discarded.
    public var shadow: ShadowChoice
    /// Whether a failure of the candidate may be answered by legacy instead (see ``FallbackRule``).
    public var fallback: Bool

    /// Creates a decision from its parts.
    ///
    /// The proxy does not build one by hand: it asks
    /// ``decide(mode:method:fallback:shadowSample:shadowNonIdempotent:bucket:draw:)``.
    ///
    /// - Parameters:
    ///   - primary: The side whose answer the client gets.
    ///   - shadow: Whether the candidate gets a copy.
    ///   - fallback: Whether a candidate failure may be answered by legacy.
    public init(primary: Backend, shadow: ShadowChoice = .none, fallback: Bool = false) {
        self.primary = primary
        self.shadow = shadow
        self.fallback = fallback
    }

    /// Decides for one request.
    ///
    /// - Parameters:
    ///   - mode: the route's current mode.
    ///   - method: the request method, upper case.
    ///   - fallback: whether the route enables fallback to legacy.
    ///   - shadowSample: the share of requests copied in shadow mode (0–1).
    ///   - shadowNonIdempotent: whether the route allows copying non-idempotent requests.
    ///   - bucket: the sticky key's bucket (``StickyBucket``), asked only for a canary.
    ///   - draw: a uniform random number in 0..<1, asked only for shadow sampling.
    /// - Returns: `legacy` for a legacy route, a canary outside its percentage or a shadow route
    ///   (with the shadow choice); `candidate`, with the route's fallback, for a new route or a
    ///   canary inside its percentage.
    public static func decide(
        mode: RouteMode,
        method: String,
        fallback: Bool = false,
        shadowSample: Double = 1,
        shadowNonIdempotent: Bool = false,
        bucket: () -> Int,
        draw: () -> Double
    ) -> RolloutDecision {
        switch mode {
        case .legacy:
            return RolloutDecision(primary: .legacy)
        case .new:
            return RolloutDecision(primary: .candidate, fallback: fallback)
        case .canary(let percent):
            if percent <= 0 { return RolloutDecision(primary: .legacy) }
            let candidate = percent >= 100 || StickyBucket.isCandidate(bucket: bucket(), percent: percent)
            return candidate
                ? RolloutDecision(primary: .candidate, fallback: fallback) : RolloutDecision(primary: .legacy)
        case .shadow:
            if !shadowNonIdempotent && !MethodSemantics.isIdempotent(method) {
                return RolloutDecision(primary: .legacy, shadow: .skippedUnsafe)
            }
            if shadowSample < 1 && !(draw() < shadowSample) {
                return RolloutDecision(primary: .legacy, shadow: .skippedSample)
            }
            return RolloutDecision(primary: .legacy, shadow: .send)
        }
    }
}

/// How a request to an upstream (the candidate, or legacy) failed.
public enum UpstreamFailure: String, Sendable, Hashable {
    /// The connection could not be made (refused, unreachable, connect timeout): the upstream
    /// never received the request.
    case refused
    /// The connection closed or reset before a complete answer head arrived.
    case reset
    /// No answer head arrived within the route's timeout.
    case timeout
    /// The answer's status is 500 or above.
    case serverError = "server_error"
}

/// When a request the candidate failed may be answered by legacy instead.
public enum FallbackRule {
    /// Whether to replay the request on legacy.
    ///
    /// Only when the route enables fallback, the request can still be replayed in full, and
    /// either the candidate never received it or its method is idempotent: repeating a POST the
    /// candidate may have acted on could apply it twice.
    public static func shouldFallBack(
        enabled: Bool,
        method: String,
        failure: UpstreamFailure,
        replayable: Bool
    ) -> Bool {
        guard enabled, replayable else { return false }
        if failure == .refused { return true }
        return MethodSemantics.isIdempotent(method)
    }

    /// The status the client gets when the failure is not answered by legacy: 504 for a timeout,
    /// 502 otherwise (a candidate's own 5xx is passed through, not replaced).
    public static func gatewayStatus(for failure: UpstreamFailure) -> Int {
        failure == .timeout ? 504 : 502
    }
}
