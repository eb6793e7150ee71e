import BanyanCore
import NIOCore

/// Serves one client connection: parses request heads, decides who answers, forwards the
/// request and streams the answer back as bytes. Requests on one connection are served one at
/// a time, in order (pipelined requests wait in the inbound buffer). After a `101 Switching
/// Protocols` the connection is a ``Tunnel`` to the upstream that switched.
///
/// The connection's life (its phase, its deadlines, which way bytes are held back) is one
/// value, BanyanCore's `ClientConnectionStateMachine`: the handler tells it what happened and
/// carries out what it answers. While an upgrade request waits for its answer, later client
/// bytes wait in `inbound`: they may be the new protocol's, or the next request when the
/// upstream does not switch.
final class ClientHandler: ChannelInboundHandler, UpstreamDelegate {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let engine: ProxyEngine
    private let loop: LoopContext
    private var context: ChannelHandlerContext!
    private var inbound: ByteBuffer?
    private var exchange: Exchange?
    /// The connection's life; see ``ClientConnectionStateMachine``.
    private var state: ClientConnectionStateMachine
    /// The tunnel, once the upstream switched protocols.
    private var tunnel: Tunnel?
    private var clientAddress = "unknown"
    /// Whether `forwarded.trusted` of the snapshot with this identity believes the client.
    private var trust: (snapshot: ObjectIdentifier, trusted: Bool)?
    /// The upstream connection not read while the client is `bufferPerConnection` behind
    /// (`state.upstreamHeld`).
    private var heldUpstream: UpstreamConnection?
    private let servedBy: String
    /// Every byte to the client goes through it, in order.
    private let writer: DirectWriter
    /// Buffers kept for the next exchange's heads (see `reusedBuffer`).
    private var upstreamScratch: ByteBuffer?
    private var clientScratch: ByteBuffer?
    /// The `served-by` field lines, ready to copy.
    private let servedByLegacy: [UInt8]
    private let servedByCandidate: [UInt8]

    /// - Parameter writer: sends directly on the client's socket (`io: direct`), or through NIO
    ///   (`io: nio`).
    init(engine: ProxyEngine, loop: LoopContext, writer: DirectWriter) {
        self.engine = engine
        self.loop = loop
        self.writer = writer
        self.servedBy = engine.snapshot.configuration.servedByHeader
        self.servedByLegacy = Array("\(servedBy): legacy\r\n".utf8)
        self.servedByCandidate = Array("\(servedBy): candidate\r\n".utf8)
        let settings = engine.settings
        self.state = ClientConnectionStateMachine(
            now: uptime(.now()),
            deadlines: .init(
                head: settings.headTimeout.nanoseconds, body: settings.bodyTimeout.nanoseconds,
                idle: settings.clientIdleTimeout.nanoseconds, send: settings.sendTimeout.nanoseconds,
                tunnelIdle: settings.tunnelIdleTimeout.nanoseconds))
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        let bound = engine.settings.bufferPerConnection
        try? context.channel.syncOptions?.setOption(
            .writeBufferWaterMark, value: ChannelOptions.Types.WriteBufferWaterMark(low: bound / 2, high: bound))
        loop.clients[ObjectIdentifier(self)] = self
        loop.startSweeping()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        loop.clients[ObjectIdentifier(self)] = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        clientAddress = context.channel.remoteAddress?.ipAddress ?? "unknown"
        guard state.opened(admitted: engine.admitClient()) else {
            engine.count(
                .maxConnections, client: clientAddress,
                detail: "\(engine.settings.maxConnections) connections are open; closed this one")
            context.close(promise: nil)
            return
        }
        context.fireChannelActive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if state.clientWritabilityChanged(writable: context.channel.isWritable, now: uptime(.now())) {
            releaseHeldUpstream()
        }
        context.fireChannelWritabilityChanged()
    }

    /// Stops reading `connection` while the client is `bufferPerConnection` behind; the client's
    /// socket becoming writable again resumes it.
    private func holdUpstreamWhileBehind(_ connection: UpstreamConnection) {
        guard state.upstreamReadComplete(clientWritable: context.channel.isWritable) else { return }
        heldUpstream = connection
        connection.setReading(false)
        engine.count(.upstreamPaused, client: clientAddress, detail: "")
    }

    /// Reads the held upstream again (the client caught up, or the upstream goes back to its
    /// pool or away).
    private func releaseHeldUpstream() {
        heldUpstream?.setReading(true)
        heldUpstream = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        if state.inactive() { engine.clientClosed() }
        tunnel?.close()
        if let exchange { abandon(exchange) }
        loop.clients[ObjectIdentifier(self)] = nil
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        closeNow()
    }

    // MARK: Client → upstream

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        if state.isClosed { return }
        if let tunnel {
            state.tunnelCarried(now: uptime(.now()))
            tunnel.toUpstream(buffer, loop: loop)
            return
        }
        if let exchange, !exchange.requestComplete {
            feedBody(exchange, &buffer)
            exchange.connection?.flush()
        }
        if exchange == nil { state.bytesArrived(now: uptime(.now())) }
        if buffer.readableBytes > 0 {
            if inbound == nil {
                inbound = buffer
            } else {
                inbound!.writeBuffer(&buffer)
            }
        }
        if exchange == nil {
            processInbound()
        } else if let inbound, state.inboundBuffered(inbound.readableBytes) == .pause {
            pauseReading()
        }
    }

    private func processInbound() {
        while !state.isClosed, tunnel == nil, exchange == nil, var buffer = inbound, buffer.readableBytes > 0 {
            let result = buffer.withUnsafeReadableBytes {
                RequestHeadParser.parse($0, limits: engine.settings.headLimits)
            }
            switch result {
            case .incomplete:
                return
            case .rejected(let rejection):
                inbound = nil
                reject(rejection)
                return
            case .complete(let head):
                let headBytes = buffer.readSlice(length: head.leadingBytes + head.length)!
                inbound = buffer.readableBytes > 0 ? buffer : nil
                start(head: head, headBytes: headBytes)
                if let exchange, !exchange.requestComplete, var rest = inbound {
                    inbound = nil
                    feedBody(exchange, &rest)
                    exchange.connection?.flush()
                    if rest.readableBytes > 0 { inbound = rest }
                }
            }
        }
    }

    private func start(head: RequestHead, headBytes: ByteBuffer) {
        let now = NIODeadline.now()
        let snapshot = engine.snapshot
        let path = String(head.path)
        let route = snapshot.table.matchIndex(method: head.method, path: path).map {
            snapshot.routes[snapshot.table.entries[$0].value]
        }
        var decision = RolloutDecision(primary: .legacy)
        var compare = false
        if let route {
            decision = RolloutDecision.decide(
                mode: route.mode, method: head.method, fallback: route.config.fallback,
                shadowSample: route.config.shadow.sample, shadowNonIdempotent: route.config.shadowNonIdempotent,
                bucket: {
                    StickyBucket.bucket(
                        for: self.stickyValue(
                            route.config.sticky, head: head, headBytes: headBytes, path: path, table: snapshot.table))
                },
                draw: { Double.random(in: 0..<1) })
            if head.upgrade && decision.shadow == .send {
                // A tunnel has no answer to compare; its upgrade request is not copied either.
                decision.shadow = .none
                route.stats.recordShadowSkipped(.upgrade)
            }
            if let reason = decision.shadow.skipReason { route.stats.recordShadowSkipped(reason) }
            // A canary's comparison copies only what legacy may see twice without effect: a safe
            // method with no body, and no upgrade.
            if route.compares {
                compare =
                    decision.primary == .candidate && MethodSemantics.isSafe(head.method) && !head.upgrade
                    && head.framing == .none
            }
        }
        let retainLimit =
            decision.fallback || decision.shadow == .send ? engine.settings.retainedBodyLimit : 65_536
        let exchange = Exchange(
            head: head, headBytes: headBytes, route: route, stats: route?.stats ?? snapshot.unmatched,
            decision: decision, clientAddress: clientAddress, peerTrusted: trusts(snapshot), snapshot: snapshot,
            retainLimit: retainLimit, now: now)
        self.exchange = exchange
        state.requestStarted(
            now: uptime(now), requestComplete: exchange.requestComplete, upstreamDeadline: .max)
        engine.exchangeStarted()
        if decision.shadow == .send || compare || engine.accessLog != nil || snapshot.configuration.requestID {
            exchange.identify(generate: snapshot.configuration.requestID, bytesBefore: writer.written)
        }
        if decision.shadow == .send || compare, let route {
            if exchange.retainedOverflow {
                route.stats.recordShadowSkipped(.large)
            } else if engine.acquireShadowSlot(route: route.index, limit: route.config.shadow.concurrency) {
                exchange.shadow = ShadowPair(
                    route: route, method: head.method, target: head.target, requestID: exchange.requestID,
                    engine: engine, origin: compare ? .canary : .shadow)
                exchange.servedCopy = context.channel.allocator.buffer(capacity: 1024)
                exchange.servedCopySide = decision.primary
            } else {
                route.stats.recordShadowSkipped(.busy)
            }
        }
        // An upgrade goes on a connection of its own: the tunnel keeps it, and servers built on NIO's
        // upgrader (Hummingbird, Vapor) switch protocols only on a connection's first request.
        startAttempt(exchange, fresh: head.upgrade, now: now)
        if exchange.requestComplete { requestFinished(exchange) }
    }

    /// Whether the snapshot's `forwarded.trusted` believes this client (worked out once per configuration).
    private func trusts(_ snapshot: RoutingSnapshot) -> Bool {
        let identity = ObjectIdentifier(snapshot)
        if let trust, trust.snapshot == identity { return trust.trusted }
        let trusted = snapshot.forwarded.trusts(clientAddress)
        trust = (identity, trusted)
        return trusted
    }

    private func stickyValue(
        _ sticky: StickyKey, head: RequestHead, headBytes: ByteBuffer, path: String, table: RouteTable<Int>
    ) -> String {
        switch sticky {
        case .header(let name):
            return Exchange.fieldValue(name.lowercased(), head: head, headBytes: headBytes) ?? clientAddress
        case .cookie(let name):
            return Exchange.fieldValue("cookie", head: head, headBytes: headBytes).flatMap {
                cookieValue(named: name, in: $0)
            } ?? clientAddress
        case .param(let name):
            return table.match(method: head.method, path: path)?.parameters?[name] ?? clientAddress
        case .client:
            return clientAddress
        }
    }

    private func feedBody(_ exchange: Exchange, _ buffer: inout ByteBuffer) {
        guard buffer.readableBytes > 0 else { return }
        var slice: ByteBuffer
        switch exchange.body {
        case .none:
            return
        case .length(let remaining):
            let count = min(remaining, buffer.readableBytes)
            slice = buffer.readSlice(length: count)!
            exchange.body = .length(remaining: remaining - count)
            if remaining == count { exchange.requestComplete = true }
        case .chunked(var scanner):
            let count: Int
            do {
                count = try buffer.withUnsafeReadableBytes { try scanner.scan($0) }
            } catch {
                exchange.body = .chunked(scanner)
                failRequestBody(exchange, reason: (error as? ChunkedScanner.Malformed)?.reason ?? "\(error)")
                buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
                return
            }
            slice = buffer.readSlice(length: count)!
            exchange.body = .chunked(scanner)
            if scanner.isComplete { exchange.requestComplete = true }
        }
        sendBody(exchange, &slice)
        if exchange.requestComplete {
            state.requestCompleted()
            requestFinished(exchange)
        }
    }

    private func sendBody(_ exchange: Exchange, _ slice: inout ByteBuffer) {
        if exchange.retaining {
            if exchange.retained == nil {
                exchange.retained = context.channel.allocator.buffer(capacity: slice.readableBytes)
            }
            var copy = slice
            exchange.retained!.writeBuffer(&copy)
            if exchange.retained!.readableBytes
                > (exchange.decision.fallback || exchange.shadow != nil
                    ? engine.settings.retainedBodyLimit : 65_536)
            {
                exchange.retaining = false
                exchange.retainedOverflow = true
                if exchange.shadow != nil { dropShadow(exchange, reason: .large) }
                if exchange.connection == nil {
                    exchange.pending = exchange.retained
                    exchange.retained = nil
                    return
                }
                exchange.retained = nil
            } else if exchange.connection == nil {
                return
            }
        } else if exchange.connection == nil {
            if exchange.pending == nil {
                exchange.pending = slice
            } else {
                exchange.pending!.writeBuffer(&slice)
            }
            return
        }
        exchange.connection?.write(slice)
    }

    private func requestFinished(_ exchange: Exchange) {
        guard let pair = exchange.shadow, let route = exchange.route else { return }
        // The copy goes to the side that does not serve the client.
        let copySide: Backend = pair.origin == .shadow ? .candidate : .legacy
        let shadowHead = exchange.upstreamHead(
            for: copySide, allocator: context.channel.allocator,
            extra: "x-banyan-shadow: 1\r\n" + (exchange.requestIDLine ?? ""), shadowCopy: true)
        pair.callStarted = true
        route.stats.recordShadowSent()
        (copySide == .candidate ? loop.shadows : loop.compares).send(
            ShadowCall(
                route: route, pair: pair, head: shadowHead, body: exchange.retained,
                isHead: exchange.head.method == "HEAD", pipelinable: exchange.isIdempotent, now: .now()))
    }

    private func failRequestBody(_ exchange: Exchange, reason: String) {
        if exchange.response == nil {
            exchange.connection.map { $0.pool.discard($0) }
            exchange.connection = nil
            finishExchange(exchange)
            reject(RequestRejection(status: 400, reason: "the chunked request body is malformed: \(reason)"))
        } else {
            closeNow()
        }
    }

    // MARK: Attempts

    private func startAttempt(_ exchange: Exchange, fresh: Bool, now: NIODeadline = .now()) {
        exchange.attempt += 1
        let attempt = exchange.attempt
        let backend = exchange.backend
        let deadline =
            now
            + (backend == .candidate
                ? .nanoseconds(Int64((exchange.route?.config.timeout ?? 30) * 1e9)) : engine.settings.legacyTimeout)
        state.attemptStarted(upstreamDeadline: uptime(deadline))
        let pool = loop.pool(for: backend)
        if !fresh, let connection = pool.takeIdle() {
            send(exchange, on: connection, reused: true)
            return
        }
        pool.acquire(fresh: fresh) { [self] result in
            guard self.exchange === exchange, exchange.attempt == attempt, !state.isClosed else {
                if case .success(let (connection, _)) = result { connection.pool.release(connection) }
                return
            }
            switch result {
            case .failure:
                attemptFailed(exchange, .refused)
            case .success(let (connection, reused)):
                send(exchange, on: connection, reused: reused)
            }
        }
    }

    /// Writes the request (head, and the body so far) to the connection the attempt got.
    private func send(_ exchange: Exchange, on connection: UpstreamConnection, reused: Bool) {
        exchange.connection = connection
        exchange.connectionReused = reused
        connection.delegate = self
        var head = reusedBuffer(&upstreamScratch, capacity: exchange.head.length + 128)
        exchange.writeUpstreamHead(for: exchange.backend, into: &head, extra: exchange.requestIDLine)
        keepScratch(&upstreamScratch, head)
        connection.write(head)
        if exchange.retaining || (exchange.attempt > 1 && exchange.replayable) {
            if let retained = exchange.retained { connection.write(retained) }
        } else if let pending = exchange.pending {
            connection.write(pending)
            exchange.pending = nil
        }
        connection.flush(after: loop)
    }

    private func attemptFailed(_ exchange: Exchange, _ failure: UpstreamFailure) {
        if let connection = exchange.connection {
            connection.pool.discard(connection)
            exchange.connection = nil
        }
        exchange.responseBuffer = nil
        let malformed = exchange.malformedAnswer
        exchange.malformedAnswer = nil
        // A pooled connection the upstream closed as the request went out: try once more on a new
        // one. A malformed answer is no such race: it is not tried again.
        if failure == .reset && malformed == nil && exchange.connectionReused && exchange.staleRetries == 0
            && exchange.replayable && exchange.isIdempotent
        {
            exchange.staleRetries += 1
            startAttempt(exchange, fresh: true)
            return
        }
        if exchange.backend == .candidate {
            exchange.stats.record(
                .candidate, status: FallbackRule.gatewayStatus(for: failure), microseconds: elapsed(exchange))
            if FallbackRule.shouldFallBack(
                enabled: exchange.decision.fallback, method: exchange.head.method, failure: failure,
                replayable: exchange.replayable)
            {
                exchange.fallbackReason = failure
                exchange.stats.recordFallback(failure)
                exchange.backend = .legacy
                startAttempt(exchange, fresh: false)
                return
            }
        } else {
            exchange.stats.record(
                .legacy, status: FallbackRule.gatewayStatus(for: failure), microseconds: elapsed(exchange))
        }
        let status = FallbackRule.gatewayStatus(for: failure)
        let what: String
        switch failure {
        case .refused: what = "refused the connection or could not be reached"
        case .reset:
            what =
                malformed.map { "answered with a head that is not valid HTTP/1.x: \($0)" }
                ?? "closed the connection before answering"
        case .timeout: what = "did not answer in time"
        case .serverError: what = "failed"
        }
        exchange.shadow?.abandon()
        exchange.shadow = nil
        finishExchange(exchange)
        let keepAlive = exchange.head.keepAlive && exchange.requestComplete && !engine.isDraining
        writeProxyResponse(
            status: status,
            body: "banyan: the \(exchange.backend) service \(what) (\(exchange.head.method) "
                + "\(exchange.head.target))\n", close: !keepAlive)
        engine.accessLog?.record(exchange.accessEntry(status: status, bytes: writer.written, served: "banyan"))
        if keepAlive { nextRequest(closeClient: false, now: .now()) }
    }

    /// Acts on the deadline that passed, if any (the loop's sweep calls it every few hundred
    /// milliseconds; shutdown calls it with a far future to close every connection).
    func checkDeadlines(now: NIODeadline) {
        guard let expiry = state.tick(now: uptime(now), draining: engine.isDraining) else { return }
        switch expiry {
        case .tunnelIdle:
            engine.count(.tunnelIdleTimeout, client: clientAddress, detail: "the tunnel carried nothing; closed")
            closeNow()
        case .sendStalled:
            engine.count(
                .sendTimeout, client: clientAddress,
                detail: tunnel == nil
                    ? "the client took no bytes of its answer; closed" : "the client took no bytes; closed")
            closeNow()
        case .upstreamTimeout:
            if let exchange { attemptFailed(exchange, .timeout) }
        case .bodyTimeout:
            if let exchange { bodyTimedOut(exchange) }
        case .headTimeout:
            engine.count(.headTimeout, client: clientAddress, detail: "the request head did not complete; 408")
            inbound = nil
            writeProxyResponse(
                status: 408, reason: "Request Timeout",
                body: "banyan: the request head did not arrive within \(seconds(engine.settings.headTimeout))\n",
                close: true)
        case .draining:
            closeNow()
        case .idle:
            engine.count(.idleTimeout, client: clientAddress, detail: "no request; closed")
            closeNow()
        }
    }

    /// A request body that did not complete within `bodyTimeout`: 408 while no answer has
    /// started (the upstream connection, holding part of the body, is closed), a close after.
    private func bodyTimedOut(_ exchange: Exchange) {
        engine.count(.bodyTimeout, client: clientAddress, detail: "the request body did not complete")
        guard exchange.response == nil else {
            closeNow()
            return
        }
        exchange.connection.map { $0.pool.discard($0) }
        exchange.connection = nil
        finishExchange(exchange)
        writeProxyResponse(
            status: 408, reason: "Request Timeout",
            body: "banyan: the request body did not arrive within \(seconds(engine.settings.bodyTimeout))\n",
            close: true)
    }

    // MARK: Upstream → client

    func upstreamRead(_ buffer: ByteBuffer, from connection: UpstreamConnection) {
        if let tunnel {
            guard tunnel.connection === connection, !state.isClosed else { return }
            state.tunnelCarried(now: uptime(.now()))
            tunnel.countToClient(buffer.readableBytes)
            writer.write(buffer)
            return
        }
        guard let exchange, exchange.connection === connection else { return }
        var buffer = buffer
        if exchange.servedCopy != nil && exchange.backend == exchange.servedCopySide {
            var copy = buffer
            exchange.servedCopy!.writeBuffer(&copy)
            if exchange.servedCopy!.readableBytes > engine.settings.shadowResponseLimit {
                dropShadow(exchange, reason: .large)
            }
        }
        if exchange.response == nil {
            if exchange.responseBuffer == nil {
                exchange.responseBuffer = buffer
            } else {
                exchange.responseBuffer!.writeBuffer(&buffer)
            }
            guard let rest = parseResponseHead(exchange) else { return }
            buffer = rest
        }
        forwardBody(exchange, &buffer)
    }

    /// Parses the answer head once it is complete and sends the client its head; returns the
    /// bytes after it, or nil when the head is incomplete or the exchange took another turn.
    private func parseResponseHead(_ exchange: Exchange) -> ByteBuffer? {
        while var buffer = exchange.responseBuffer {
            let result = buffer.withUnsafeReadableBytes {
                ResponseHeadParser.parse($0, isHead: exchange.head.method == "HEAD")
            }
            switch result {
            case .incomplete:
                return nil
            case .invalid(let reason):
                exchange.malformedAnswer = reason
                attemptFailed(exchange, .reset)
                return nil
            case .complete(let response):
                let raw = buffer.readSlice(length: response.length)!
                exchange.responseBuffer = buffer
                if response.isInterim {
                    exchange.sawInterim = true
                    writer.write(raw)
                    writer.flush(context)
                    continue
                }
                if response.status == 101 {
                    if exchange.head.upgrade {
                        startTunnel(exchange, response, raw, rest: buffer)
                    } else {
                        // Switching protocols on a request that did not ask to: the upstream is out of step.
                        attemptFailed(exchange, .reset)
                    }
                    return nil
                }
                if exchange.backend == .candidate && response.status >= 500
                    && FallbackRule.shouldFallBack(
                        enabled: exchange.decision.fallback, method: exchange.head.method, failure: .serverError,
                        replayable: exchange.replayable)
                {
                    attemptFailed(exchange, .serverError)
                    return nil
                }
                exchange.response = response
                state.answerStarted()
                exchange.responseBuffer = nil
                var out = clientHead(exchange, response, raw, room: buffer.readableBytes)
                if case .length(let count) = response.framing {
                    exchange.responseRemaining = count
                    // A small body that is already here goes out in the same write as the head.
                    if count <= buffer.readableBytes && count <= 16_384 {
                        var body = buffer.readSlice(length: count)!
                        out.writeBuffer(&body)
                        exchange.responseRemaining = 0
                    }
                }
                keepScratch(&clientScratch, out)
                writer.write(out)
                return buffer
            }
        }
        return nil
    }

    /// Sends the client the upstream's `101` (with served-by) and the bytes after it, and turns
    /// the connection into a tunnel to that upstream connection; client bytes that came after the
    /// upgrade request go to the upstream first.
    private func startTunnel(_ exchange: Exchange, _ response: ResponseHead, _ raw: ByteBuffer, rest: ByteBuffer) {
        guard let connection = exchange.connection else { return }
        exchange.connection = nil
        exchange.response = response
        exchange.stats.record(exchange.backend, status: response.status, microseconds: elapsed(exchange))
        writer.write(clientHead(exchange, response, raw, room: 0))
        let tunnel = Tunnel(
            connection: connection, route: exchange.route, stats: exchange.stats, backend: exchange.backend)
        finishExchange(exchange)
        self.tunnel = tunnel
        let resume = state.tunnelStarted(now: uptime(.now()))
        if rest.readableBytes > 0 {
            tunnel.countToClient(rest.readableBytes)
            writer.write(rest)
        }
        if let early = inbound {
            inbound = nil
            tunnel.toUpstream(early, loop: loop)
        }
        if resume { resumeReading() }
    }

    /// Closes the connection when it is a tunnel of the route named `route` (every tunnel when nil).
    func closeTunnel(route: String?) {
        guard let tunnel, !state.isClosed else { return }
        if let route, tunnel.route?.config.route != route { return }
        flushAndClose()
    }

    /// The head the client gets, with `room` bytes to spare for a body that may follow it.
    private func clientHead(
        _ exchange: Exchange, _ response: ResponseHead, _ raw: ByteBuffer, room: Int
    ) -> ByteBuffer {
        let http10 = exchange.head.minorVersion == 0
        exchange.dechunk = http10 && response.framing == .chunked
        // A 101 leaves the connection open for the new protocol. An upstream that closes its
        // connection after this answer has the client's closed too, at the same moment.
        exchange.closeClient =
            response.status != 101
            && (!exchange.head.keepAlive || response.framing == .untilClose || exchange.dechunk
                || engine.isDraining || !exchange.requestComplete || response.saysClose)
        // The upstream's Connection and Keep-Alive lines go on as they are, unless the proxy
        // closes a connection the upstream keeps: then it says so itself.
        let replaceConnection = exchange.closeClient && !response.saysClose
        var out = reusedBuffer(&clientScratch, capacity: response.length + 64 + min(room, 16_384))
        raw.withUnsafeReadableBytes { p in
            // The status line and the kept fields go out in runs of consecutive lines.
            var runEnd = response.statusLineEnd
            var runStart = 0
            for line in response.keptLines {
                if exchange.dechunk && line.count > 18
                    && equalsLower(
                        UnsafeRawBufferPointer(rebasing: p[line.lowerBound..<line.lowerBound + 18]),
                        "transfer-encoding:")
                {
                    continue
                }
                if replaceConnection && (line == response.connectionLine || line == response.keepAliveLine) { continue }
                if line.lowerBound != runEnd {
                    out.writeBytes(UnsafeRawBufferPointer(rebasing: p[runStart..<runEnd]))
                    runStart = line.lowerBound
                }
                runEnd = line.upperBound
            }
            out.writeBytes(UnsafeRawBufferPointer(rebasing: p[runStart..<runEnd]))
        }
        if let reason = exchange.fallbackReason {
            out.writeString(servedBy)
            out.writeStaticString(": ")
            out.writeString(exchange.backend.rawValue)
            out.writeStaticString("; fallback=")
            out.writeString(reason.rawValue)
            out.writeStaticString("\r\n")
        } else {
            out.writeBytes(exchange.backend == .legacy ? servedByLegacy : servedByCandidate)
        }
        if let line = exchange.requestIDLine { out.writeString(line) }
        if replaceConnection {
            out.writeStaticString("connection: close\r\n\r\n")
        } else if http10 && !exchange.closeClient && !response.saysKeepAlive {
            out.writeStaticString("connection: keep-alive\r\n\r\n")
        } else {
            out.writeStaticString("\r\n")
        }
        return out
    }

    /// A buffer for a head (and a small body) this connection sends. The one the last exchange
    /// used is taken again when its bytes are written and nothing else holds it, so a
    /// keep-alive connection does not allocate per request.
    private func reusedBuffer(_ scratch: inout ByteBuffer?, capacity: Int) -> ByteBuffer {
        if var buffer = scratch {
            scratch = nil
            buffer.clear(minimumCapacity: capacity)
            return buffer
        }
        return context.channel.allocator.buffer(capacity: max(capacity, 512))
    }

    /// Keeps `buffer` for the next exchange unless it grew large.
    private func keepScratch(_ scratch: inout ByteBuffer?, _ buffer: ByteBuffer) {
        scratch = buffer.capacity <= 4096 ? buffer : nil
    }

    private func forwardBody(_ exchange: Exchange, _ buffer: inout ByteBuffer) {
        guard let response = exchange.response else { return }
        switch response.framing {
        case .none:
            if buffer.readableBytes > 0 { exchange.upstreamSpoiled = true }
            finishResponse(exchange)
        case .length:
            let count = min(exchange.responseRemaining, buffer.readableBytes)
            if count > 0 { writer.write(buffer.readSlice(length: count)!) }
            exchange.responseRemaining -= count
            if exchange.responseRemaining == 0 {
                if buffer.readableBytes > 0 { exchange.upstreamSpoiled = true }
                finishResponse(exchange)
            }
        case .chunked:
            guard buffer.readableBytes > 0 else { return }
            var scanner = exchange.responseScanner
            do {
                if exchange.dechunk {
                    let allocator = context.channel.allocator
                    var data = allocator.buffer(capacity: buffer.readableBytes)
                    let count = try buffer.withUnsafeReadableBytes { p in
                        try scanner.scan(p) { range in data.writeBytes(UnsafeRawBufferPointer(rebasing: p[range])) }
                    }
                    buffer.moveReaderIndex(forwardBy: count)
                    if data.readableBytes > 0 { writer.write(data) }
                } else {
                    let count = try buffer.withUnsafeReadableBytes { try scanner.scan($0) }
                    writer.write(buffer.readSlice(length: count)!)
                }
            } catch {
                closeNow()
                return
            }
            exchange.responseScanner = scanner
            if scanner.isComplete {
                if buffer.readableBytes > 0 { exchange.upstreamSpoiled = true }
                finishResponse(exchange)
            }
        case .untilClose:
            if buffer.readableBytes > 0 { writer.write(buffer) }
        }
    }

    func upstreamReadComplete(from connection: UpstreamConnection) {
        if let tunnel {
            if tunnel.connection === connection && !state.isClosed {
                writer.flush(context)
                holdUpstreamWhileBehind(connection)
            }
            return
        }
        guard let exchange, exchange.connection === connection, exchange.response != nil else { return }
        writer.flush(context)
        holdUpstreamWhileBehind(connection)
    }

    func upstreamWritabilityChanged(_ connection: UpstreamConnection, writable: Bool) {
        guard let exchange, exchange.connection === connection else { return }
        switch state.upstreamWritabilityChanged(writable: writable, inboundBytes: inbound?.readableBytes ?? 0) {
        case .pause:
            pauseReading()
            engine.count(.clientPaused, client: clientAddress, detail: "")
        case .resume:
            resumeReading()
        case .none:
            break
        }
    }

    func upstreamClosed(_ connection: UpstreamConnection) {
        if let tunnel {
            // The upstream ended the tunnel: the client gets what was read, then the close.
            if tunnel.connection === connection { flushAndClose() }
            return
        }
        guard let exchange, exchange.connection === connection else { return }
        guard let response = exchange.response else {
            attemptFailed(exchange, .reset)
            return
        }
        exchange.connection = nil
        if response.framing == .untilClose {
            finishResponse(exchange)
        } else {
            // The answer was cut short after its head went out: only closing tells the client.
            exchange.shadow?.abandon()
            exchange.stats.record(exchange.backend, status: 502, microseconds: elapsed(exchange))
            finishExchange(exchange)
            closeNow()
        }
    }

    private func finishResponse(_ exchange: Exchange) {
        let response = exchange.response!
        if let connection = exchange.connection {
            exchange.connection = nil
            if state.answerEnded() { releaseHeldUpstream() }
            // After a refused upgrade the upstream may still read the connection as the new protocol.
            if response.reusable && exchange.requestComplete && !exchange.upstreamSpoiled && !exchange.head.upgrade {
                connection.pool.release(connection)
            } else {
                connection.pool.discard(connection)
            }
        }
        let now = NIODeadline.now()
        exchange.stats.record(exchange.backend, status: response.status, microseconds: elapsed(exchange, now: now))
        engine.accessLog?.record(
            exchange.accessEntry(status: response.status, bytes: writer.written, served: exchange.backend.rawValue))
        if let pair = exchange.shadow {
            if exchange.backend == exchange.servedCopySide, let copy = exchange.servedCopy {
                // The copy starts with the final head unless interim answers came before it.
                pair.servedFinished(copy, head: exchange.sawInterim ? nil : exchange.response?.length)
            } else {
                pair.abandon()
            }
        }
        finishExchange(exchange)
        nextRequest(closeClient: exchange.closeClient, now: now)
    }

    /// The exchange ended at `now`: close the connection (`closeClient`), or go on with the
    /// next request, whose bytes may already be waiting.
    private func nextRequest(closeClient: Bool, now: NIODeadline) {
        switch state.exchangeEnded(now: uptime(now), closeClient: closeClient, inboundPending: inbound != nil) {
        case .close:
            closeAfterFlush()
        case .next(let resume):
            loop.flushAfterPass(writer, context)
            if resume { resumeReading() }
            processInbound()
        }
    }

    private func finishExchange(_ exchange: Exchange) {
        guard self.exchange === exchange else { return }
        self.exchange = nil
        if let pair = exchange.shadow, !pair.callStarted { pair.abandon() }
        exchange.shadow = nil
        exchange.servedCopy = nil
        engine.exchangeEnded()
    }

    private func dropShadow(_ exchange: Exchange, reason: ShadowSkipReason) {
        guard let pair = exchange.shadow else { return }
        exchange.route?.stats.recordShadowSkipped(reason)
        pair.abandon()
        exchange.shadow = nil
        exchange.servedCopy = nil
    }

    private func abandon(_ exchange: Exchange) {
        if let connection = exchange.connection { connection.pool.discard(connection) }
        exchange.connection = nil
        exchange.shadow?.abandon()
        finishExchange(exchange)
    }

    private func elapsed(_ exchange: Exchange, now: NIODeadline = .now()) -> UInt64 {
        UInt64(max(0, (now - exchange.start).nanoseconds / 1000))
    }

    // MARK: Answers of the proxy's own

    private func reject(_ rejection: RequestRejection) {
        writeProxyResponse(
            status: rejection.status, reason: rejection.reasonPhrase,
            body: "banyan: request refused: \(rejection.reason)\n",
            close: true)
    }

    private func writeProxyResponse(status: Int, reason: String? = nil, body: String, close: Bool) {
        guard !state.isClosed else { return }
        let phrase =
            reason ?? (status == 504 ? "Gateway Timeout" : status == 502 ? "Bad Gateway" : "Error")
        var out = context.channel.allocator.buffer(capacity: 160 + body.utf8.count)
        out.writeString("HTTP/1.1 \(status) \(phrase)\r\ncontent-type: text/plain; charset=utf-8\r\n")
        out.writeString("content-length: \(body.utf8.count)\r\n\(servedBy): banyan\r\n")
        out.writeString(close ? "connection: close\r\n\r\n" : "\r\n")
        out.writeString(body)
        writer.write(out)
        if close { flushAndClose() } else { writer.flush(context) }
    }

    private func flushAndClose() {
        guard state.closing() else { return }
        closeAfterFlush()
    }

    /// Closes the connection once what was written is out; the state is already closed.
    private func closeAfterFlush() {
        tunnel?.close()
        inbound = nil
        writer.flush(context)
        let promise = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(capacity: 0)), promise: promise)
        let context = self.context!
        promise.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }

    private func closeNow() {
        if let exchange { abandon(exchange) }
        tunnel?.close()
        _ = state.closing()
        context.close(promise: nil)
    }

    private func pauseReading() {
        try? context.channel.syncOptions?.setOption(.autoRead, value: false)
    }

    private func resumeReading() {
        try? context.channel.syncOptions?.setOption(.autoRead, value: true)
        context.read()
    }
}

/// A deadline as ``ClientConnectionStateMachine`` counts time: nanoseconds of uptime (the far
/// future clamped, so that shutdown's `distantFuture` expires every deadline).
private func uptime(_ deadline: NIODeadline) -> Int64 {
    Int64(clamping: deadline.uptimeNanoseconds)
}

/// A time as the proxy's answers say it: `5 s`, `1.5 s`, `500 ms`.
private func seconds(_ amount: TimeAmount) -> String {
    let nanoseconds = amount.nanoseconds
    if nanoseconds % 1_000_000_000 == 0 { return "\(nanoseconds / 1_000_000_000) s" }
    if nanoseconds < 1_000_000_000 { return "\(nanoseconds / 1_000_000) ms" }
    return "\(Double(nanoseconds) / 1e9) s"
}
