import BanyanCore
import BanyanState
import NIOCore

/// A copy of one request, off the client's path: for the candidate (shadow) or for legacy (a
/// canary's comparison). Waits for its batch, is written to a connection of its own pool, and
/// waits for its answer, which goes to the comparison.
final class ShadowCall {
    let route: RouteRuntime
    let pair: ShadowPair
    let head: ByteBuffer
    let body: ByteBuffer?
    let isHead: Bool
    /// Whether other requests may follow it on a connection before its answer is in, and whether
    /// it may be sent again after a connection failed under it (idempotent methods only:
    /// RFC 9112 §9.3.2).
    let pipelinable: Bool
    let deadline: NIODeadline
    /// When it was last written, for the candidate's latency.
    var sentAt: NIODeadline
    /// How many times it was written.
    var sends = 0
    /// When sent again: how many copies may share its new connection, at most as many as the
    /// connection that failed under it answered (so a candidate that closes after N answers
    /// answers every copy of a group of N).
    var resendGroup = 1
    private(set) var done = false

    init(
        route: RouteRuntime, pair: ShadowPair, head: ByteBuffer, body: ByteBuffer?, isHead: Bool, pipelinable: Bool,
        now: NIODeadline
    ) {
        self.route = route
        self.pair = pair
        self.head = head
        self.body = body
        self.isHead = isHead
        self.pipelinable = pipelinable
        self.sentAt = now
        self.deadline = now + .nanoseconds(Int64(route.config.shadow.timeout * 1e9))
    }

    /// The candidate's whole answer (head and body, as received).
    func answered(_ bytes: ByteBuffer, head: ResponseHead, now: NIODeadline) {
        guard !done else { return }
        done = true
        if pair.origin == .shadow {
            route.stats.recordShadowAnswer(
                status: head.status, microseconds: UInt64(max(0, (now - sentAt).nanoseconds / 1000)))
        }
        // The answer reaches the comparison before the slot is free: something waiting for
        // copies in flight and comparisons queued to be zero never sees the gap between them.
        pair.copyFinished(bytes, head: head.length)
        pair.releaseSlot()
    }

    /// No answer to compare: the timeout passed, the connection failed, or the answer was too large.
    func fail(timeout: Bool, skipped: ShadowSkipReason? = nil) {
        guard !done else { return }
        done = true
        if let skipped {
            route.stats.recordShadowSkipped(skipped)
        } else {
            route.stats.recordShadowFailure(timeout: timeout)
        }
        pair.abandon()
        pair.releaseSlot()
    }
}

/// Sends the copies of one event loop to one upstream in batches: copies made within a short window go
/// out together, pipelined on shadow connections (up to `depth` a connection, one write each),
/// so a copy costs a fraction of a write and a read instead of one of each, on the proxy and
/// on the candidate. Only touched on its event loop.
final class ShadowDispatcher {
    private let pool: UpstreamPool
    private let window: TimeAmount
    private let depth: Int
    private let responseLimit: Int
    private var waiting: [ShadowCall] = []
    private var flushScheduled = false
    private var lanes: [ObjectIdentifier: ShadowLane] = [:]

    init(pool: UpstreamPool, window: TimeAmount, depth: Int, responseLimit: Int) {
        self.pool = pool
        self.window = window
        self.depth = max(1, depth)
        self.responseLimit = responseLimit
    }

    /// Queues a copy for the next batch. A non-idempotent copy goes out at once, with whatever
    /// waits before it: the reads a client makes after a write then reach the candidate after it,
    /// as they reached legacy.
    func send(_ call: ShadowCall) {
        waiting.append(call)
        if waiting.count >= depth || !call.pipelinable {
            flush()
        } else if !flushScheduled {
            flushScheduled = true
            if window <= .zero {
                pool.eventLoop.assumeIsolated().execute { [self] in flush() }
            } else {
                pool.eventLoop.assumeIsolated().scheduleTask(in: window) { [self] in flush() }
            }
        }
    }

    /// Sends every waiting copy: consecutive idempotent copies share a connection, up to `depth`.
    /// A non-idempotent copy goes alone. Copies sent again go on a new connection, in groups no
    /// larger than the number of answers the connection that failed under them gave (alone when
    /// it gave none): the first request on a connection is the one that is always answered.
    private func flush() {
        flushScheduled = false
        guard !waiting.isEmpty else { return }
        let calls = waiting
        waiting.removeAll(keepingCapacity: true)
        var group: [ShadowCall] = []
        group.reserveCapacity(min(depth, calls.count))
        var again: [ShadowCall] = []
        for call in calls where !call.done {
            if !call.pipelinable {
                open([call], fresh: false)
                continue
            }
            if call.sends > 0 {
                if let first = again.first, again.count >= min(depth, first.resendGroup, call.resendGroup) {
                    open(again, fresh: true)
                    again.removeAll()
                }
                again.append(call)
                continue
            }
            if group.count == depth {
                open(group, fresh: false)
                group.removeAll(keepingCapacity: true)
            }
            group.append(call)
        }
        if !again.isEmpty { open(again, fresh: true) }
        if !group.isEmpty { open(group, fresh: false) }
    }

    private func open(_ calls: [ShadowCall], fresh: Bool) {
        let lane = ShadowLane(dispatcher: self, calls: calls, responseLimit: responseLimit)
        lanes[ObjectIdentifier(lane)] = lane
        pool.acquire(fresh: fresh) { result in
            switch result {
            case .failure:
                lane.connectFailed()
            case .success(let (connection, _)):
                lane.attach(connection)
            }
        }
    }

    /// A lane is over (every answer in, or given up).
    func closed(_ lane: ShadowLane) {
        lanes[ObjectIdentifier(lane)] = nil
    }

    /// Copies a failed connection did not answer: sent again when they may be, else failed.
    func resend(_ calls: some Sequence<ShadowCall>, now: NIODeadline) {
        for call in calls where !call.done {
            if call.pipelinable && call.sends < 2 && call.deadline > now {
                send(call)
            } else {
                call.fail(timeout: false)
            }
        }
    }

    /// Fails copies past their timeout (called by the loop's sweep every 50 ms).
    func checkDeadlines(now: NIODeadline) {
        for call in waiting where call.deadline < now { call.fail(timeout: true) }
        for lane in Array(lanes.values) { lane.checkDeadlines(now: now) }
    }

    /// Gives every copy up (shutdown).
    func abandonAll() {
        for call in waiting { call.fail(timeout: false) }
        waiting.removeAll()
        for lane in Array(lanes.values) { lane.abort(now: .now(), resend: false) }
    }
}

/// One shadow connection carrying a batch of copies, their answers read back in order.
final class ShadowLane {
    private unowned let dispatcher: ShadowDispatcher
    private var calls: CircularBuffer<ShadowCall>
    private let responseLimit: Int
    private var connection: UpstreamConnection?
    private var received: ByteBuffer?
    /// The head of the answer being read, and how far its body has been scanned.
    private var response: ResponseHead?
    private var scanned = 0
    private var scanner = ChunkedScanner()
    private var reusable = true
    private var over = false
    /// Answers the connection gave over its life, as of its last answer.
    private var connectionAnswers = 0

    init(dispatcher: ShadowDispatcher, calls: [ShadowCall], responseLimit: Int) {
        self.dispatcher = dispatcher
        self.calls = CircularBuffer(calls)
        self.responseLimit = responseLimit
    }

    func attach(_ connection: UpstreamConnection) {
        guard !over else {
            connection.pool.release(connection)
            return
        }
        // Copies that timed out while the connection was being made are not sent.
        if calls.contains(where: \.done) { calls = CircularBuffer(calls.filter { !$0.done }) }
        guard !calls.isEmpty else {
            over = true
            connection.pool.release(connection)
            dispatcher.closed(self)
            return
        }
        self.connection = connection
        connectionAnswers = connection.shadowAnswers
        connection.delegate = self
        let now = NIODeadline.now()
        for call in calls {
            call.sends += 1
            call.sentAt = now
            connection.write(call.head)
            if let body = call.body { connection.write(body) }
        }
        connection.flush()
    }

    func connectFailed() {
        guard !over else { return }
        over = true
        for call in calls { call.fail(timeout: false) }
        calls.removeAll()
        dispatcher.closed(self)
    }

    func checkDeadlines(now: NIODeadline) {
        guard !over, let front = calls.first else { return }
        if front.deadline < now && !front.done {
            // Answers come in order: nothing behind the late one can arrive before it.
            front.fail(timeout: true)
            abort(now: now, resend: true)
            return
        }
        for call in calls where call.deadline < now { call.fail(timeout: true) }
    }

    /// Drops the connection; copies still waiting for an answer are sent again or failed.
    func abort(now: NIODeadline, resend: Bool) {
        guard !over else { return }
        over = true
        if let connection { connection.pool.discard(connection) }
        connection = nil
        received = nil
        let rest = calls
        calls.removeAll()
        dispatcher.closed(self)
        if resend {
            for call in rest { call.resendGroup = max(1, connectionAnswers) }
            dispatcher.resend(rest, now: now)
        } else {
            for call in rest { call.fail(timeout: false) }
        }
    }

    /// Every answer read: the connection goes back to the pool (or is closed when the candidate
    /// said so), and copies it can no longer carry are sent again.
    private func settle(now: NIODeadline) {
        guard !over else { return }
        if calls.isEmpty {
            over = true
            if let connection {
                if reusable && received == nil {
                    connection.pool.release(connection)
                } else {
                    connection.pool.discard(connection)
                }
            }
            connection = nil
            dispatcher.closed(self)
        } else if !reusable && response == nil {
            abort(now: now, resend: true)
        }
    }
}

extension ShadowLane: UpstreamDelegate {
    func upstreamRead(_ buffer: ByteBuffer, from connection: UpstreamConnection) {
        guard !over, connection === self.connection else { return }
        if received == nil {
            received = buffer
        } else {
            var buffer = buffer
            received!.writeBuffer(&buffer)
        }
        let now = NIODeadline.now()
        while reusable, let front = calls.first, let available = received?.readableBytes, available > 0 {
            if response == nil {
                let result = received!.withUnsafeReadableBytes { ResponseHeadParser.parse($0, isHead: front.isHead) }
                switch result {
                case .incomplete:
                    if available > responseLimit {
                        calls.removeFirst().fail(timeout: false, skipped: .large)
                        abort(now: now, resend: true)
                    }
                    return
                case .invalid:
                    calls.removeFirst().fail(timeout: false)
                    abort(now: now, resend: true)
                    return
                case .complete(let head):
                    if head.isInterim {
                        received!.moveReaderIndex(forwardBy: head.length)
                        continue
                    }
                    response = head
                    scanned = head.length
                    scanner = ChunkedScanner()
                }
            }
            let head = response!
            var total: Int?
            switch head.framing {
            case .none:
                total = head.length
            case .length(let count):
                if available >= head.length + count { total = head.length + count }
            case .chunked:
                do {
                    scanned += try received!.withUnsafeReadableBytes { p in
                        try scanner.scan(UnsafeRawBufferPointer(rebasing: p[scanned...]))
                    }
                } catch {
                    calls.removeFirst().fail(timeout: false)
                    abort(now: now, resend: true)
                    return
                }
                if scanner.isComplete { total = scanned }
            case .untilClose:
                break
            }
            guard let total else {
                if available > responseLimit {
                    calls.removeFirst().fail(timeout: false, skipped: .large)
                    abort(now: now, resend: true)
                }
                return
            }
            let answer = received!.readSlice(length: total)!
            if received!.readableBytes == 0 { received = nil }
            response = nil
            if !head.reusable { reusable = false }
            connection.shadowAnswers += 1
            connectionAnswers = connection.shadowAnswers
            calls.removeFirst().answered(answer, head: head, now: now)
        }
        if received != nil && calls.isEmpty {
            // Bytes nobody asked for: the candidate is out of step; the connection is not reused.
            reusable = false
        }
        settle(now: now)
    }

    func upstreamReadComplete(from connection: UpstreamConnection) {}

    func upstreamClosed(_ connection: UpstreamConnection) {
        guard !over, connection === self.connection else { return }
        self.connection = nil
        let now = NIODeadline.now()
        if let head = response, head.framing == .untilClose, let front = calls.first {
            calls.removeFirst()
            front.answered(received ?? ByteBuffer(), head: head, now: now)
            received = nil
            response = nil
        }
        abort(now: now, resend: true)
    }
}
