import BanyanCore
import BanyanProxy
import BanyanState

/// A step of the demo or what it found, in the order it happens.
public enum DemoEvent: Sendable, Equatable {
    /// The example migration: how many routes `Examples/banyan.yaml` has.
    case overview(routes: Int)
    /// Step 1 begins: the naive port.
    case naiveStep
    /// Step 2 begins: the careful port.
    case carefulStep(Demo.CarefulPort)
    /// Step 3 begins: a promotion and a rollback.
    case promotionStep
    /// Step 4 begins: a WebSocket through the proxy.
    case liveConnectionStep
    /// A pass's services and proxy are up.
    case started(DemoPass)
    /// A pass's traffic went through the proxy.
    case sent(DemoTraffic)
    /// What a pass's shadow copies showed.
    case summary(DemoSummary)
    case promotion(DemoPromotion)
    case liveConnection(DemoLiveConnection)
    /// The demo is over; the naive pass's proxy is still up (and stays up, when `keeping`).
    case finished(admin: String, proxyPort: Int, dashboard: String, keeping: Bool)
}

/// The traffic of one pass.
public struct DemoTraffic: Sendable, Equatable {
    /// Requests sent: the scripted ones and the mix.
    public var requests: Int
    /// How many answers each side served (`served-by`), `none` for an answer without the header.
    public var servedBy: [String: Int]
}

/// What the shadow copies of one pass showed.
public struct DemoSummary: Sendable, Equatable {
    /// The policy's `fail_at`.
    public var failAt: Severity
    /// Every route's totals, the most failing first, then by name.
    public var routes: [ShadowTotals]
    /// One entry per kind of difference and place, across routes, most serious first.
    public var differences: [Group]

    /// Shadow copies compared, all routes together.
    public var compared: Int { routes.reduce(0) { $0 + $1.compared } }
    /// Compared copies with a difference at or above `failAt`.
    public var failing: Int { routes.reduce(0) { $0 + $1.failing } }

    /// One kind of difference at one place, across the routes that showed it.
    public struct Group: Sendable, Equatable {
        public var severity: Severity
        public var kind: DifferenceKind
        public var location: String
        /// How many times it was seen, all routes together.
        public var count: Int
        public var routes: [String]
        /// The first route's aggregate, with its explanation and sample exchanges.
        public var first: DifferenceAggregate
    }
}

/// A route sent to the candidate and rolled back.
public struct DemoPromotion: Sendable, Equatable {
    public var route: String
    /// The `served-by` of a request after `route set … new`.
    public var servedByAfterSet: String
    /// The `served-by` of a request after the rollback.
    public var servedByAfterRollback: String
    /// How long the rollback took.
    public var took: Duration
}

/// A WebSocket opened through the proxy.
public struct DemoLiveConnection: Sendable, Equatable {
    /// The `served-by` of the handshake's answer.
    public var servedBy: String
    public var sent: String
    public var echo: String
    /// The proxy's status while the WebSocket was open.
    public var status: ProxyStatus
}

/// The services and the proxy of one pass.
public struct DemoPass: Sendable, Equatable {
    public var legacyPort: Int
    /// The candidate's name (`ShopPort --naive`, `shop-rust`).
    public var candidate: String
    public var candidatePort: Int
    public var proxyPort: Int
    public var adminPort: Int
    /// The process identifiers of legacy and the candidate.
    public var processes: [Int32]
}
