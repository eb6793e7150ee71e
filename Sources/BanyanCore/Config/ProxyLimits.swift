/// The bounds the proxy holds every client connection to (`limits:` in banyan.yaml): how long each
/// phase of a request may take, how many bytes it may hold for a slow reader, and how large a
/// request head may grow.
///
/// The defaults are in the range nginx and HAProxy use. Each expiry is counted per cause
/// (`banyan_limit_events_total`), logged, and answered as nginx answers it: 408 for a request
/// head or body that did not arrive in time, 504 for an upstream that did not answer, a close
/// otherwise (docs/proxy.md, "Limits").
public struct ProxyLimits: Sendable, Hashable {
    /// The most bytes of answer the proxy holds for one client that reads slower than the
    /// upstream sends (`buffer_per_connection`, 256 KiB): past it the proxy stops reading that
    /// upstream until the client catches up, and the same the other way for a request body.
    public var bufferPerConnection: Int
    /// The longest a request head may take to arrive, from its first byte to its empty line, in
    /// seconds (`head_timeout`, 60 s like nginx's `client_header_timeout`): slowloris gets 408.
    public var headTimeout: Double
    /// The longest a request body may take to arrive, from the end of its head, in seconds
    /// (`body_timeout`, 300 s like Node's `requestTimeout`): 408 before the answer started, a
    /// close after. A total, so that a body trickling a byte a second cannot hold a connection.
    public var bodyTimeout: Double
    /// The longest a client connection may wait for its next request, in seconds
    /// (`idle_timeout`, 60 s).
    public var idleTimeout: Double
    /// The longest a connection to an upstream may take to be made, in seconds
    /// (`connect_timeout`, 2 s); past it the upstream counts as refusing.
    public var connectTimeout: Double
    /// The longest legacy may take to start its answer, in seconds (`response_timeout`, 60 s
    /// like nginx's `proxy_read_timeout`); the client then gets 504. A candidate's limit is its
    /// route's `timeout`.
    public var responseTimeout: Double
    /// The longest a client may take no bytes of its answer, in seconds (`send_timeout`, 60 s
    /// like nginx's): the connection is then closed.
    public var sendTimeout: Double
    /// The longest an upgrade tunnel (WebSocket) may carry nothing either way, in seconds
    /// (`tunnel_idle_timeout`, 600 s).
    public var tunnelIdleTimeout: Double
    /// The most header fields a request may have (`max_header_fields`, 100; HAProxy allows 101): 431.
    public var maxHeaderFields: Int
    /// The most bytes a request line and its fields may take (`max_head_size`, 16 KiB, Node's
    /// `maxHeaderSize`): 431.
    public var maxHeadSize: Int
    /// The longest request target, in bytes (`max_uri_length`, 8 KiB like nginx's
    /// `large_client_header_buffers`): 414.
    public var maxURILength: Int
    /// The most client connections open at once (`max_connections`, 10,000): a new connection
    /// past it is closed at once, counted and logged, and the others keep being served.
    public var maxConnections: Int

    /// Limits as given; every default is the one its property names.
    public init(
        bufferPerConnection: Int = 256 * 1024, headTimeout: Double = 60, bodyTimeout: Double = 300,
        idleTimeout: Double = 60, connectTimeout: Double = 2, responseTimeout: Double = 60, sendTimeout: Double = 60,
        tunnelIdleTimeout: Double = 600, maxHeaderFields: Int = 100, maxHeadSize: Int = 16_384,
        maxURILength: Int = 8_192, maxConnections: Int = 10_000
    ) {
        self.bufferPerConnection = bufferPerConnection
        self.headTimeout = headTimeout
        self.bodyTimeout = bodyTimeout
        self.idleTimeout = idleTimeout
        self.connectTimeout = connectTimeout
        self.responseTimeout = responseTimeout
        self.sendTimeout = sendTimeout
        self.tunnelIdleTimeout = tunnelIdleTimeout
        self.maxHeaderFields = maxHeaderFields
        self.maxHeadSize = maxHeadSize
        self.maxURILength = maxURILength
        self.maxConnections = maxConnections
    }
}

/// Why the proxy ended or refused a client connection on its own: the `cause` label of
/// `banyan_limit_events_total`, and the keys of the status's `limits`.
public enum LimitEvent: String, Sendable, CaseIterable {
    /// A request head did not complete within `head_timeout` (answered 408).
    case headTimeout = "head_timeout"
    /// A request body did not complete within `body_timeout` (408, or a close once the answer started).
    case bodyTimeout = "body_timeout"
    /// A connection carried no request for `idle_timeout` (closed).
    case idleTimeout = "idle_timeout"
    /// A client took no bytes of its answer for `send_timeout` (closed).
    case sendTimeout = "send_timeout"
    /// A tunnel carried nothing for `tunnel_idle_timeout` (closed).
    case tunnelIdleTimeout = "tunnel_idle_timeout"
    /// A connection came in while `max_connections` were open (closed at once).
    case maxConnections = "max_connections"
    /// The proxy stopped reading an upstream because the client was `buffer_per_connection` behind.
    case upstreamPaused = "upstream_paused"
    /// The proxy stopped reading a client's body because the upstream was not taking it.
    case clientPaused = "client_paused"
}
