/// The life of one client connection of the proxy as a value: which phase it is in, which of its
/// deadlines runs, and which way bytes are held back. It takes events (bytes arrived, a request
/// started, the client's socket filled up, the clock ticked) and returns what to do (pause
/// reading, hold the upstream, answer 408, close); it does no I/O and reads no clock, so every
/// path through it is tested as a plain value (`ClientConnectionStateMachineTests`).
///
/// The proxy's `ClientHandler` owns one and carries its actions out: it parses, routes and
/// writes, and asks this value whenever the connection's life changes. The request itself
/// (routing, retries, fallback, the shadow copy) is the handler's `Exchange`; this value keeps
/// only what every exchange and a tunnel share.
///
/// ```
///   idle ──bytes──▶ readingHead ──head parsed──▶ exchange ──101──▶ tunnel
///    ▲                   ▲                           │
///    │                   └── answer ended, bytes wait┤
///    └────────────────────── answer ended, keep-alive┘
///
///   any state ── a close, an expiry, a refusal ──▶ closed
/// ```
///
/// Times are nanoseconds on one monotonic clock (the handler passes `NIODeadline`'s uptime).
/// Comparisons subtract, so a `now` far in the future (shutdown expires every deadline at once)
/// cannot overflow.
public struct ClientConnectionStateMachine: Sendable {
    /// The connection's deadlines, in nanoseconds (`limits:` in banyan.yaml).
    public struct Deadlines: Sendable, Equatable {
        /// From a head's first byte to its empty line (`head_timeout`).
        public var head: Int64
        /// From a request's head to the end of its body (`body_timeout`).
        public var body: Int64
        /// Between requests (`idle_timeout`).
        public var idle: Int64
        /// With the client taking no bytes of its answer (`send_timeout`).
        public var send: Int64
        /// With a tunnel carrying nothing either way (`tunnel_idle_timeout`).
        public var tunnelIdle: Int64

        /// Deadlines as given, each in nanoseconds.
        public init(head: Int64, body: Int64, idle: Int64, send: Int64, tunnelIdle: Int64) {
            self.head = head
            self.body = body
            self.idle = idle
            self.send = send
            self.tunnelIdle = tunnelIdle
        }
    }

    /// Where the connection is in its life.
    public enum State: Sendable, Equatable {
        /// Between requests, with nothing buffered, since `since`.
        case idle(since: Int64)
        /// Bytes of a request head have been arriving since `since`; the head is not complete.
        case readingHead(since: Int64)
        /// A request is being served: its body may still be streaming in, the upstream may not
        /// have answered yet, or its answer is streaming out.
        case exchange(Exchange)
        /// The upstream switched protocols: bytes flow both ways unparsed; the last went either
        /// way at `lastActivity`.
        case tunnel(lastActivity: Int64)
        /// Closed, or closing once the bytes already written are out.
        case closed
    }

    /// The request in progress, as far as the connection's deadlines care.
    public struct Exchange: Sendable, Equatable {
        /// When its head was parsed: the body deadline counts from here.
        public var started: Int64
        /// Whether its body has been read to the end.
        public var requestComplete: Bool
        /// Whether the answer's head went to the client (the answer can then only be cut short by a close).
        public var answerStarted: Bool
        /// When the current attempt's upstream must have started its answer.
        public var upstreamDeadline: Int64

        /// An exchange as given.
        public init(started: Int64, requestComplete: Bool, answerStarted: Bool, upstreamDeadline: Int64) {
            self.started = started
            self.requestComplete = requestComplete
            self.answerStarted = answerStarted
            self.upstreamDeadline = upstreamDeadline
        }
    }

    /// What to do with the client's reads.
    public enum ReadAction: Sendable, Equatable {
        /// Leave them as they are.
        case none
        /// Stop reading the client.
        case pause
        /// Read the client again.
        case resume
    }

    /// What a deadline that passed asks for; `tick(now:draining:)` returns the first one.
    public enum Expiry: Sendable, Equatable {
        /// The tunnel carried nothing for `tunnelIdle`: count, close.
        case tunnelIdle
        /// The client took no bytes for `send`: count, close.
        case sendStalled
        /// The upstream did not start its answer by the attempt's deadline: a 504 or a fallback.
        case upstreamTimeout
        /// The request body did not complete within `body`: 408 when `answerStarted` is false,
        /// else a close.
        case bodyTimeout(answerStarted: Bool)
        /// The head did not complete within `head`: 408 and close.
        case headTimeout
        /// The proxy is draining and the connection is between requests: close.
        case draining
        /// No request came for `idle`: count, close.
        case idle
    }

    /// What ending an exchange asks for.
    public enum EndAction: Sendable, Equatable {
        /// Close the connection once what was written is out.
        case close
        /// Go on with the next request; `resumeReading` when reading had been paused.
        case next(resumeReading: Bool)
    }

    // The stored state is internal so that the events, which run on every request, are
    // `@inlinable` into the proxy's data path; the public view of it is read-only.
    @usableFromInline var _state: State
    @usableFromInline var _readingPaused = false
    @usableFromInline var _upstreamHeld = false
    @usableFromInline var _sendStalledSince: Int64?
    @usableFromInline var _admitted = false
    @usableFromInline let deadlines: Deadlines

    /// Where the connection is.
    @inlinable public var state: State { _state }
    /// Whether reading the client is paused: its upstream is not taking the body, or pipelined
    /// bytes past ``inboundLimit`` wait behind the exchange in progress.
    @inlinable public var readingPaused: Bool { _readingPaused }
    /// Whether the upstream that answers is not being read because the client is
    /// `buffer_per_connection` behind.
    @inlinable public var upstreamHeld: Bool { _upstreamHeld }
    /// When the client stopped taking bytes; nil while it keeps up.
    @inlinable public var sendStalledSince: Int64? { _sendStalledSince }
    /// Whether the connection holds a place among `max_connections`.
    @inlinable public var admitted: Bool { _admitted }
    /// The most bytes of pipelined requests read ahead while an exchange is in progress.
    public let inboundLimit: Int

    /// A connection accepted at `now`.
    ///
    /// - Parameters:
    ///   - now: when it was accepted; the idle deadline counts from here.
    ///   - deadlines: its deadlines.
    ///   - inboundLimit: the most bytes read ahead of the exchange in progress (64 KiB).
    public init(now: Int64, deadlines: Deadlines, inboundLimit: Int = 65_536) {
        self._state = .idle(since: now)
        self.deadlines = deadlines
        self.inboundLimit = inboundLimit
    }

    /// Whether the connection is closed or closing.
    @inlinable
    public var isClosed: Bool {
        if case .closed = _state { return true }
        return false
    }

    /// Whether the connection is a tunnel.
    @inlinable
    public var isTunnel: Bool {
        if case .tunnel = _state { return true }
        return false
    }

    // MARK: Opening and closing

    /// The connection became active; `admitted` says whether it got a place among
    /// `max_connections`. Returns whether to serve it; when not, it is closed.
    @inlinable
    public mutating func opened(admitted: Bool) -> Bool {
        guard admitted else {
            _state = .closed
            return false
        }
        self._admitted = true
        return true
    }

    /// The proxy closes the connection (a refusal, an expiry, an error, the end of a tunnel).
    /// Returns false when it was already closed or closing: nothing more to do.
    @inlinable
    public mutating func closing() -> Bool {
        if case .closed = _state { return false }
        _state = .closed
        return true
    }

    /// The connection's channel went inactive. Returns whether it held a place among
    /// `max_connections`, to give back exactly once.
    @inlinable
    public mutating func inactive() -> Bool {
        _state = .closed
        defer { _admitted = false }
        return _admitted
    }

    // MARK: Requests

    /// Client bytes arrived while no request is in progress: a head has started (its deadline
    /// counts from its first byte).
    @inlinable
    public mutating func bytesArrived(now: @autoclosure () -> Int64) {
        if case .idle = _state { _state = .readingHead(since: now()) }
    }

    /// `bytes` of pipelined requests wait behind the exchange in progress. Pauses reading past
    /// ``inboundLimit``.
    @inlinable
    public mutating func inboundBuffered(_ bytes: Int) -> ReadAction {
        guard case .exchange = _state, bytes > inboundLimit, !_readingPaused else { return .none }
        _readingPaused = true
        return .pause
    }

    /// A request head was parsed at `now`; its first attempt must be answered by `upstreamDeadline`.
    @inlinable
    public mutating func requestStarted(now: Int64, requestComplete: Bool, upstreamDeadline: Int64) {
        guard !isClosed else { return }
        _state = .exchange(
            Exchange(
                started: now, requestComplete: requestComplete, answerStarted: false,
                upstreamDeadline: upstreamDeadline))
    }

    /// Another attempt (a retry, a fallback) went out; it must be answered by `upstreamDeadline`.
    @inlinable
    public mutating func attemptStarted(upstreamDeadline: Int64) {
        guard case .exchange(var exchange) = _state else { return }
        exchange.upstreamDeadline = upstreamDeadline
        _state = .exchange(exchange)
    }

    /// The request body has been read to its end.
    @inlinable
    public mutating func requestCompleted() {
        guard case .exchange(var exchange) = _state else { return }
        exchange.requestComplete = true
        _state = .exchange(exchange)
    }

    /// The answer's head went to the client.
    @inlinable
    public mutating func answerStarted() {
        guard case .exchange(var exchange) = _state else { return }
        exchange.answerStarted = true
        _state = .exchange(exchange)
    }

    /// The exchange ended with an answer that leaves the connection open (`closeClient` false)
    /// or not, at `now`; `inboundPending` says whether bytes of a next request are waiting.
    /// The upstream is no longer held (see ``answerEnded()``).
    @inlinable
    public mutating func exchangeEnded(now: Int64, closeClient: Bool, inboundPending: Bool) -> EndAction {
        _upstreamHeld = false
        guard !isClosed else { return .close }
        if closeClient {
            _state = .closed
            return .close
        }
        _state = inboundPending ? .readingHead(since: now) : .idle(since: now)
        defer { _readingPaused = false }
        return .next(resumeReading: _readingPaused)
    }

    /// The upstream that answered is done with (back to its pool or closed). Returns whether it
    /// had been held, so that it is read again first.
    @inlinable
    public mutating func answerEnded() -> Bool {
        defer { _upstreamHeld = false }
        return _upstreamHeld
    }

    /// The upstream switched protocols at `now`: the connection is a tunnel. Returns whether to
    /// read the client again (its bytes now go to the tunnel).
    @inlinable
    public mutating func tunnelStarted(now: Int64) -> Bool {
        guard !isClosed else { return false }
        _state = .tunnel(lastActivity: now)
        defer { _readingPaused = false }
        return _readingPaused
    }

    /// The tunnel carried bytes at `now`.
    @inlinable
    public mutating func tunnelCarried(now: Int64) {
        if case .tunnel = _state { _state = .tunnel(lastActivity: now) }
    }

    // MARK: Backpressure

    /// The client's socket filled past its high mark (`writable` false) or drained below its low
    /// mark, at `now`. Returns whether to read the held upstream again.
    @inlinable
    public mutating func clientWritabilityChanged(writable: Bool, now: @autoclosure () -> Int64) -> Bool {
        if writable {
            _sendStalledSince = nil
            defer { _upstreamHeld = false }
            return _upstreamHeld
        }
        if _sendStalledSince == nil { _sendStalledSince = now() }
        return false
    }

    /// The proxy passed on what it read from the upstream that answers (or the tunnel's);
    /// `clientWritable` is the client socket's writability now. Returns whether to stop reading
    /// that upstream: the client is `buffer_per_connection` behind.
    @inlinable
    public mutating func upstreamReadComplete(clientWritable: Bool) -> Bool {
        guard !clientWritable, !_upstreamHeld, !isClosed else { return false }
        _upstreamHeld = true
        return true
    }

    /// The upstream receiving the request body filled its socket (`writable` false) or drained
    /// it; `inboundBytes` wait unread behind the exchange. Pauses the client's body while the
    /// upstream is not taking it.
    @inlinable
    public mutating func upstreamWritabilityChanged(writable: Bool, inboundBytes: Int) -> ReadAction {
        guard case .exchange(let exchange) = _state, !exchange.requestComplete else { return .none }
        if !writable {
            if _readingPaused { return .none }
            _readingPaused = true
            return .pause
        }
        guard _readingPaused, inboundBytes <= inboundLimit else { return .none }
        _readingPaused = false
        return .resume
    }

    // MARK: Deadlines

    /// The clock reads `now`; `draining` says whether the proxy is shutting down. Returns the
    /// deadline that passed, if any, without acting on it: the caller's answer to it (a 408, a
    /// fallback, a close) reports back through the other events.
    @inlinable
    public func tick(now: Int64, draining: Bool) -> Expiry? {
        if let stalled = _sendStalledSince, now - stalled > deadlines.send, !isClosed {
            return .sendStalled
        }
        switch _state {
        case .closed:
            return nil
        case .tunnel(let lastActivity):
            return now - lastActivity > deadlines.tunnelIdle ? .tunnelIdle : nil
        case .exchange(let exchange):
            if !exchange.answerStarted && now > exchange.upstreamDeadline { return .upstreamTimeout }
            if !exchange.requestComplete && now - exchange.started > deadlines.body {
                return .bodyTimeout(answerStarted: exchange.answerStarted)
            }
            return nil
        case .readingHead(let since):
            if now - since > deadlines.head { return .headTimeout }
            return draining ? .draining : nil
        case .idle(let since):
            if draining { return .draining }
            return now - since > deadlines.idle ? .idle : nil
        }
    }
}
