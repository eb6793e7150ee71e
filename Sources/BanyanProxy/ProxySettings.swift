import NIOCore

/// Tuning that banyan.yaml does not expose (tests and benchmarks set some of it).
public struct ProxySettings: Sendable {
    /// Event-loop threads for clients and upstream connections.
    public var threads: Int = 1
    /// How long legacy may take to start its answer.
    public var legacyTimeout: TimeAmount = .seconds(60)
    /// How long a connection to an upstream may take.
    public var connectTimeout: TimeAmount = .seconds(2)
    /// How long an idle pooled upstream connection is kept (below Node's 5 s keep-alive).
    public var upstreamIdleTimeout: TimeAmount = .seconds(4)
    /// How long an idle client connection is kept.
    public var clientIdleTimeout: TimeAmount = .seconds(60)
    /// How long an upgrade tunnel (WebSocket) may carry nothing either way before it is closed.
    public var tunnelIdleTimeout: TimeAmount = .seconds(600)
    /// How long SIGTERM waits for requests in flight.
    public var drainTimeout: TimeAmount = .seconds(10)
    /// The largest request body kept for a replay (fallback, stale-connection retry) or a shadow copy.
    public var retainedBodyLimit = 1 << 20
    /// The largest response kept for a shadow comparison.
    public var shadowResponseLimit = 4 << 20
    /// How long a shadow copy may wait for others to go out with it (zero: the end of the
    /// event loop's current turn).
    public var shadowBatchWindow: TimeAmount = .milliseconds(1)
    /// How many shadow copies one connection carries at once, pipelined (1: no pipelining).
    public var shadowPipelineDepth = 16
    /// How often differences are written to the state database.
    public var flushInterval: Duration = .milliseconds(500)
    /// With a PostgreSQL state: how often the proxy re-reads the fleet's route state even without
    /// a notification, and reports the version it applied.
    public var fleetPeriod: Duration = .seconds(2)
    /// Runtime changes kept for the state database while it is unreachable; past this the oldest
    /// are dropped (and counted).
    public var pendingWriteLimit = 1_000
    /// Where the access log goes (`banyan proxy --access-log`); nil writes none.
    public var accessLog: AccessLogSettings?

    public init() {}
}
