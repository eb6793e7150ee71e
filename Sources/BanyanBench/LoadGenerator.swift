import BanyanCore
import NIOCore
import NIOPosix

/// A request ready for the wire.
public struct PreparedRequest: Sendable {
    /// The HTTP/1.1 bytes, `Host` and framing included.
    public var bytes: ByteBuffer
    /// False for HEAD, whose answer has no body.
    public var expectsBody: Bool
    /// For reports: `GET /price/AAPL`.
    public var label: String

    /// Serializes a request for the target `host:port`.
    public init(_ request: HTTPRequest, host: String, port: Int) {
        self.bytes = ByteBuffer(bytes: request.serialized(host: "\(host):\(port)"))
        self.expectsBody = request.method.uppercased() != "HEAD"
        self.label = "\(request.method) \(request.target)"
    }
}

/// What one load run does.
public struct LoadPlan: Sendable {
    /// How requests are paced.
    public enum Mode: Sendable, Hashable {
        /// Requests are due at a constant rate whatever the answers do; each latency runs from the
        /// moment its request was due, so a stalled server shows in the tail.
        case openLoop(rate: Double)
        /// Each connection sends its next request when the previous answer arrives, and latency runs
        /// from the actual send: the classic load tools' measurement, which hides stalls
        /// (coordinated omission). Used to show the difference and to find the generator's ceiling.
        case closedLoop
    }

    public var host: String
    public var port: Int
    /// Sent in turn.
    public var requests: [PreparedRequest]
    public var mode: Mode
    public var connections: Int
    /// Seconds during which requests are due (open loop) or sent (closed loop).
    public var duration: Double
    /// Seconds after which an unanswered request counts as a timeout.
    public var timeout: Double

    public init(
        host: String, port: Int, requests: [PreparedRequest], mode: Mode, connections: Int, duration: Double,
        timeout: Double
    ) {
        self.host = host
        self.port = port
        self.requests = requests
        self.mode = mode
        self.connections = connections
        self.duration = duration
        self.timeout = timeout
    }
}

/// What one load run measured.
public struct LoadResult: Sendable {
    /// Microseconds from the moment each request was due (open loop) or sent (closed loop) to the
    /// end of its answer. Timed-out requests are recorded with the time they had waited.
    public var latency = LatencyHistogram()
    /// Microseconds the generator itself sent behind schedule, beyond any wait for a busy connection:
    /// a large value means the generator, not the server, was saturated.
    public var sendLag = LatencyHistogram()
    /// Requests that were due in the run (open loop); equal to `sent` in closed loop.
    public var scheduled = 0
    public var sent = 0
    /// Answers received, whatever their status.
    public var completed = 0
    /// Connections refused, reset or closed mid-answer, and answers that are not HTTP.
    public var errors = 0
    public var timeouts = 0
    public var statusCounts: [Int: Int] = [:]
    public var responseBytes = 0
    /// Requests that were due while every connection was busy, so they waited for one.
    public var waitedForConnection = 0
    public var reconnects = 0
    /// The run's time zero (NIODeadline uptime): request i of an open-loop run was due at
    /// `startUptimeNanoseconds + i × 10⁹ / rate`.
    public var startUptimeNanoseconds: UInt64 = 0
    /// From time zero to the last answer.
    public var elapsedSeconds = 0.0
    /// The first error, for the report.
    public var firstError: String?

    /// Answers per second over the run.
    public var achievedRate: Double { elapsedSeconds > 0 ? Double(completed) / elapsedSeconds : 0 }

    public init() {}
}

/// Runs load plans on one event loop (one thread): constant-rate open loop, or closed loop.
public enum LoadGenerator {
    /// Starts the plan; the future completes when every due request has been answered, failed or
    /// timed out, and every connection is closed. Fails only when the target cannot be reached at all.
    public static func run(_ plan: LoadPlan, on loop: any EventLoop) -> EventLoopFuture<LoadResult> {
        let promise = loop.makePromise(of: LoadResult.self)
        loop.execute {
            LoadRun(plan: plan, loop: loop, promise: promise).start()
        }
        return promise.futureResult
    }
}

/// One run's state. Confined to its event loop: every method runs on `loop` (the handlers call it
/// from channel callbacks, the timers are scheduled on the same loop), which is what makes the
/// unchecked conformance safe.
final class LoadRun: @unchecked Sendable {
    final class Connection {
        var channel: (any Channel)?
        var framer = ResponseFramer()
        /// The request sequence number in flight, or nil.
        var inFlight: Int?
        var due: UInt64 = 0
        var sentAt: UInt64 = 0
        var freeSince: UInt64 = 0
        /// Closed by the run (timeout, finish): the close is not an error.
        var abandoned = false
    }

    let plan: LoadPlan
    let loop: any EventLoop
    let promise: EventLoopPromise<LoadResult>
    var result = LoadResult()
    var connections: [Connection] = []
    var idle: [Int] = []
    var origin: UInt64 = 0
    var end: UInt64 = 0
    let interval: Double
    let total: Int
    var next = 0
    var inFlight = 0
    var tick: Scheduled<Void>?
    var tickDeadline: UInt64 = 0
    var sweep: RepeatedTask?
    var finished = false
    var lastCompletion: UInt64 = 0
    var statusTable = [Int](repeating: 0, count: 600)
    let openLoop: Bool
    let timeoutNanoseconds: UInt64

    init(plan: LoadPlan, loop: any EventLoop, promise: EventLoopPromise<LoadResult>) {
        self.plan = plan
        self.loop = loop
        self.promise = promise
        switch plan.mode {
        case .openLoop(let rate):
            openLoop = true
            interval = 1e9 / rate
            total = Swift.max(1, Int((rate * plan.duration).rounded()))
        case .closedLoop:
            openLoop = false
            interval = 0
            total = Int.max
        }
        timeoutNanoseconds = UInt64(plan.timeout * 1e9)
    }

    func start() {
        connections = (0..<plan.connections).map { _ in Connection() }
        let connects = (0..<plan.connections).map { connect($0) }
        EventLoopFuture.andAllSucceed(connects, on: loop).whenComplete { outcome in
            switch outcome {
            case .success:
                self.begin()
            case .failure(let error):
                self.abort("\(self.plan.host):\(self.plan.port): \(describe(error))", cause: error)
            }
        }
    }

    private func connect(_ id: Int) -> EventLoopFuture<Void> {
        let run = self
        return ClientBootstrap(group: loop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(5))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ConnectionHandler(run: run, id: id))
                }
            }
            .connect(host: plan.host, port: plan.port)
            .map { channel in
                self.connections[id].channel = channel
                self.connections[id].abandoned = false
                self.connections[id].freeSince = uptimeNow()
            }
    }

    private func begin() {
        origin = uptimeNow()
        result.startUptimeNanoseconds = origin
        end = origin + UInt64(plan.duration * 1e9)
        idle = Array((0..<connections.count).reversed())
        for connection in connections { connection.freeSince = origin }
        sweep = loop.scheduleRepeatedTask(initialDelay: .milliseconds(20), delay: .milliseconds(20)) { _ in
            self.checkTimeouts()
        }
        pump(now: origin)
    }

    private func abort(_ message: String, cause: any Error) {
        guard !finished else { return }
        finished = true
        for connection in connections { connection.channel?.close(promise: nil) }
        promise.fail(BenchError(.connect, message, cause: cause))
    }

    /// The instant request `sequence` is due.
    @inline(__always) private func dueTime(_ sequence: Int) -> UInt64 {
        origin &+ UInt64(Double(sequence) * interval)
    }

    /// Sends every request that is due on idle connections, then arranges the next tick.
    func pump(now: UInt64) {
        guard !finished else { return }
        if openLoop {
            let elapsed = now >= origin ? Double(now - origin) : 0
            let due = Swift.min(total, Int(elapsed / interval) + 1)
            while next < due, let id = idle.popLast() {
                send(next, on: id, now: now)
                next += 1
            }
            if next < total {
                if !idle.isEmpty { scheduleTick(at: dueTime(next)) }
            } else if inFlight == 0 {
                finish()
            }
        } else {
            if now < end {
                while let id = idle.popLast() {
                    send(next, on: id, now: now)
                    next += 1
                }
            } else if inFlight == 0 {
                finish()
            }
        }
    }

    private func scheduleTick(at deadline: UInt64) {
        if tick != nil && tickDeadline <= deadline { return }
        tick?.cancel()
        tickDeadline = deadline
        tick = loop.scheduleTask(deadline: NIODeadline.uptimeNanoseconds(deadline)) {
            self.tick = nil
            self.pump(now: uptimeNow())
        }
    }

    private func send(_ sequence: Int, on id: Int, now: UInt64) {
        let connection = connections[id]
        let due = openLoop ? dueTime(sequence) : now
        if openLoop {
            // Only the generator's own delay: a request that waited for a busy connection is the
            // server's doing, and its wait is in its latency already.
            let ready = Swift.max(due, connection.freeSince)
            result.sendLag.record(now > ready ? (now - ready) / 1000 : 0)
            if connection.freeSince > due { result.waitedForConnection += 1 }
        }
        let request = plan.requests[sequence % plan.requests.count]
        connection.framer.reset(expectsBody: request.expectsBody)
        connection.inFlight = sequence
        connection.due = due
        connection.sentAt = now
        inFlight += 1
        result.sent += 1
        connection.channel?.writeAndFlush(request.bytes, promise: nil)
    }

    func read(_ id: Int, _ buffer: ByteBuffer) {
        let connection = connections[id]
        guard connection.inFlight != nil else {
            if !connection.abandoned { failConnection(id, "bytes arrived with no request in flight") }
            return
        }
        result.responseBytes += buffer.readableBytes
        let outcome = buffer.withUnsafeReadableBytes { connection.framer.consume($0) }
        switch outcome {
        case .needMore:
            return
        case .complete(let status, _, let closes):
            complete(id, status: status)
            if closes {
                connection.abandoned = true
                connection.channel?.close(promise: nil)
            } else {
                idle.append(id)
            }
            pump(now: connection.freeSince)
        case .malformed(let problem):
            failConnection(id, problem)
        }
    }

    private func complete(_ id: Int, status: Int) {
        let connection = connections[id]
        let time = uptimeNow()
        result.latency.record(time > connection.due ? (time - connection.due + 500) / 1000 : 0)
        // A flat table: a dictionary update per answer costs more than the rest of the bookkeeping.
        if status >= 0 && status < statusTable.count {
            statusTable[status] += 1
        } else {
            result.statusCounts[status, default: 0] += 1
        }
        result.completed += 1
        lastCompletion = time
        connection.inFlight = nil
        connection.freeSince = time
        inFlight -= 1
    }

    private func failConnection(_ id: Int, _ problem: String) {
        let connection = connections[id]
        if connection.inFlight != nil {
            connection.inFlight = nil
            inFlight -= 1
            result.errors += 1
            if result.firstError == nil { result.firstError = problem }
        }
        connection.abandoned = true
        connection.channel?.close(promise: nil)
    }

    func closed(_ id: Int) {
        let connection = connections[id]
        connection.channel = nil
        if connection.inFlight != nil {
            if case .complete(let status, _, _) = connection.framer.connectionClosed() {
                complete(id, status: status)
            } else {
                connection.inFlight = nil
                inFlight -= 1
                result.errors += 1
                if result.firstError == nil { result.firstError = "the server closed the connection mid-answer" }
            }
        }
        guard !finished else { return }
        idle.removeAll { $0 == id }
        reconnect(id)
    }

    private func reconnect(_ id: Int) {
        result.reconnects += 1
        connect(id).whenComplete { outcome in
            guard !self.finished else {
                self.connections[id].channel?.close(promise: nil)
                return
            }
            switch outcome {
            case .success:
                self.idle.append(id)
                self.pump(now: uptimeNow())
            case .failure(let error):
                if self.result.firstError == nil { self.result.firstError = describe(error) }
                self.loop.scheduleTask(in: .milliseconds(50)) {
                    if !self.finished { self.reconnect(id) }
                }
            }
        }
    }

    func caught(_ id: Int, _ error: any Error) {
        failConnection(id, describe(error))
    }

    private func checkTimeouts() {
        guard !finished else { return }
        let time = uptimeNow()
        for connection in connections where connection.inFlight != nil {
            if time - connection.sentAt > timeoutNanoseconds {
                result.timeouts += 1
                result.latency.record((time - connection.due) / 1000)
                connection.inFlight = nil
                inFlight -= 1
                connection.abandoned = true
                connection.channel?.close(promise: nil)
            }
        }
        // A run never outlives its schedule by more than the timeout.
        if time > end + timeoutNanoseconds + 1_000_000_000 {
            if openLoop { result.timeouts += total - next }
            finish()
            return
        }
        pump(now: time)
    }

    private func finish() {
        guard !finished else { return }
        finished = true
        tick?.cancel()
        sweep?.cancel()
        result.timeouts += inFlight
        result.scheduled = openLoop ? total : result.sent
        for (status, count) in statusTable.enumerated() where count > 0 {
            result.statusCounts[status, default: 0] += count
        }
        let last = lastCompletion > origin ? lastCompletion : uptimeNow()
        result.elapsedSeconds = openLoop ? Double(last - origin) / 1e9 : plan.duration
        let closes = connections.compactMap { connection -> EventLoopFuture<Void>? in
            connection.abandoned = true
            connection.inFlight = nil
            return connection.channel?.close()
        }
        let result = self.result
        EventLoopFuture.andAllComplete(closes, on: loop).whenComplete { _ in
            self.promise.succeed(result)
        }
    }
}

/// Feeds one connection's reads and closes to its run.
final class ConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let run: LoadRun
    let id: Int

    init(run: LoadRun, id: Int) {
        self.run = run
        self.id = id
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        run.read(id, unwrapInboundIn(data))
    }

    func channelInactive(context: ChannelHandlerContext) {
        run.closed(id)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        run.caught(id, error)
    }
}

@inline(__always) func uptimeNow() -> UInt64 {
    NIODeadline.now().uptimeNanoseconds
}

func describe(_ error: any Error) -> String {
    if let error = error as? IOError { return error.description }
    if let error = error as? ChannelError {
        switch error {
        case .connectTimeout: return "the connection timed out"
        default: return "\(error)"
        }
    }
    return "\(error)"
}
