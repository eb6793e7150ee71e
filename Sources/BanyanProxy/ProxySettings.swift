import BanyanCore
import NIOCore

/// Tuning that banyan.yaml does not expose (tests and benchmarks set some of it).
///
/// Each value is read once, when ``ProxyServer/start(configuration:configPath:settings:store:log:)``
/// builds the proxy; the defaults are what `banyan proxy` runs with.
public struct ProxySettings: Sendable {
    /// Event-loop threads for clients and upstream connections: 1 unless `banyan proxy --threads
    /// N` says otherwise; below 1 counts as 1.
    public var threads: Int = 1
    /// How long legacy may take to start its answer: 60 s. Past it the client gets 504 (a
    /// candidate's limit is the route's `timeout`, 30 s by default).
    public var legacyTimeout: TimeAmount = .seconds(60)
    /// How long a connection to an upstream may take to be made: 2 s. Past it the upstream counts
    /// as refusing the connection.
    public var connectTimeout: TimeAmount = .seconds(2)
    /// How long an idle pooled upstream connection is kept: 4 s, below Node's 5 s keep-alive, so
    /// the proxy closes it before Node does.
    public var upstreamIdleTimeout: TimeAmount = .seconds(4)
    /// How long an idle client connection is kept between requests: 60 s.
    public var clientIdleTimeout: TimeAmount = .seconds(60)
    /// How long an upgrade tunnel (WebSocket) may carry nothing either way before it is closed:
    /// 10 minutes.
    public var tunnelIdleTimeout: TimeAmount = .seconds(600)
    /// How long SIGTERM waits for requests in flight before closing their connections: 10 s.
    public var drainTimeout: TimeAmount = .seconds(10)
    /// The largest request body kept for a replay (fallback, stale-connection retry) or a shadow
    /// copy, in bytes: 1 MiB. A larger body is not replayed and not copied (`skipped_large`). A
    /// request with neither fallback nor a copy keeps 64 KiB, for a stale-connection retry.
    public var retainedBodyLimit = 1 << 20
    /// The largest answer kept for a shadow comparison, in bytes: 4 MiB. A copy with a larger
    /// answer on either side is not compared (`skipped_large`).
    public var shadowResponseLimit = 4 << 20
    /// How long a shadow copy may wait for others to go out with it: 1 ms (zero: the end of the
    /// event loop's current turn).
    public var shadowBatchWindow: TimeAmount = .milliseconds(1)
    /// How many shadow copies one connection carries at once, pipelined: 16 (1: no pipelining).
    public var shadowPipelineDepth = 16
    /// How often differences are written to the state database (and the data phases read): 500 ms.
    public var flushInterval: Duration = .milliseconds(500)
    /// With a PostgreSQL state: how often the proxy re-reads the fleet's route state even without
    /// a notification, and reports the version it applied: 2 s, so a lost notification costs at
    /// most one period.
    public var fleetPeriod: Duration = .seconds(2)
    /// Runtime changes kept for the state database while it is unreachable: 1,000; past this the
    /// oldest are dropped (and counted in `GET /api/fleet`'s `dropped_writes`).
    public var pendingWriteLimit = 1_000
    /// Where the access log goes (`banyan proxy --access-log`); nil writes none.
    public var accessLog: AccessLogSettings?
    /// How the proxy reads and writes its sockets, over the configuration's `io` (`banyan proxy
    /// --io`); nil keeps the configuration's.
    public var io: IOMode?
    /// The most bytes of answer held for a client that reads slower than its upstream sends:
    /// 256 KiB. Past it the proxy stops reading that upstream until the client catches up. The same
    /// bound holds a request body for an upstream that takes it slower than the client sends it.
    public var bufferPerConnection = 256 * 1024
    /// How long a request head may take from its first byte to its end: 60 s; then 408.
    public var headTimeout: TimeAmount = .seconds(60)
    /// How long a request body may take from the end of its head: 300 s; then 408, or a close
    /// once the answer started.
    public var bodyTimeout: TimeAmount = .seconds(300)
    /// How long a client may take none of its answer's bytes: 60 s; then the connection closes.
    public var sendTimeout: TimeAmount = .seconds(60)
    /// How many client connections may be open at once: 10,000; a new one past it is closed.
    public var maxConnections = 10_000
    /// The sizes a request head may reach: 16 KiB in all, an 8 KiB target, 100 fields.
    public var headLimits = HeadLimits()

    /// The defaults above: what `banyan proxy` runs with unless `--threads` or `--access-log` says
    /// otherwise.
    public init() {}

    /// These settings with the file's `limits:` in place of every value still at its default:
    /// a value a caller set (a test, a benchmark) wins over the file.
    public func resolved(with limits: ProxyLimits) -> ProxySettings {
        let defaults = ProxySettings()
        var result = self
        func time(_ seconds: Double) -> TimeAmount { .nanoseconds(Int64((seconds * 1e9).rounded())) }
        func take<Value: Equatable>(_ path: WritableKeyPath<ProxySettings, Value>, _ value: Value) {
            if self[keyPath: path] == defaults[keyPath: path] { result[keyPath: path] = value }
        }
        take(\.legacyTimeout, time(limits.responseTimeout))
        take(\.connectTimeout, time(limits.connectTimeout))
        take(\.clientIdleTimeout, time(limits.idleTimeout))
        take(\.tunnelIdleTimeout, time(limits.tunnelIdleTimeout))
        take(\.bufferPerConnection, limits.bufferPerConnection)
        take(\.headTimeout, time(limits.headTimeout))
        take(\.bodyTimeout, time(limits.bodyTimeout))
        take(\.sendTimeout, time(limits.sendTimeout))
        take(\.maxConnections, limits.maxConnections)
        take(
            \.headLimits,
            HeadLimits(
                headBytes: limits.maxHeadSize, targetBytes: limits.maxURILength, fields: limits.maxHeaderFields))
        return result
    }
}
