import NIOCore
import NIOPosix

/// Receives what an upstream connection reads while a request owns it.
protocol UpstreamDelegate: AnyObject {
    func upstreamRead(_ buffer: ByteBuffer, from connection: UpstreamConnection)
    func upstreamReadComplete(from connection: UpstreamConnection)
    func upstreamClosed(_ connection: UpstreamConnection)
}

/// One keep-alive connection to legacy or the candidate, owned by one request at a time.
final class UpstreamConnection {
    let channel: any Channel
    private let handler: UpstreamHandler
    unowned let pool: UpstreamPool
    weak var delegate: (any UpstreamDelegate)?
    /// Requests this connection carried before the current one.
    var requestsServed = 0
    /// Shadow answers read on it, over every batch it carried.
    var shadowAnswers = 0
    var isActive = true
    var idleSince = NIODeadline.now()

    init(channel: any Channel, handler: UpstreamHandler, pool: UpstreamPool) {
        self.channel = channel
        self.handler = handler
        self.pool = pool
    }

    func write(_ buffer: ByteBuffer) {
        handler.write(buffer)
    }

    func flush() {
        handler.flush()
    }

    func flush(after loop: LoopContext) {
        handler.flush(after: loop)
    }

    func close() {
        guard isActive else { return }
        isActive = false
        delegate = nil
        channel.close(promise: nil)
    }

    func setReading(_ enabled: Bool) {
        try? channel.syncOptions?.setOption(.autoRead, value: enabled)
        if enabled { channel.read() }
    }
}

/// The channel handler of an upstream connection: hands bytes to the request that owns it.
final class UpstreamHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var context: ChannelHandlerContext?
    unowned(unsafe) var connection: UpstreamConnection?
    /// Every byte to the upstream goes through it, in order.
    private let writer: DirectWriter

    init(descriptor: CInt) {
        writer = DirectWriter(descriptor: descriptor)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func write(_ buffer: ByteBuffer) {
        writer.write(buffer)
    }

    func flush() {
        if let context { writer.flush(context) }
    }

    func flush(after loop: LoopContext) {
        if let context { loop.flushAfterPass(writer, context) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let connection else { return }
        if let delegate = connection.delegate {
            delegate.upstreamRead(unwrapInboundIn(data), from: connection)
        } else {
            // Bytes on an idle connection: the upstream is out of step; never reuse it.
            connection.pool.discard(connection)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        guard let connection, let delegate = connection.delegate else { return }
        delegate.upstreamReadComplete(from: connection)
    }

    func channelInactive(context: ChannelHandlerContext) {
        guard let connection else { return }
        connection.isActive = false
        let delegate = connection.delegate
        connection.delegate = nil
        connection.pool.discard(connection)
        delegate?.upstreamClosed(connection)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

/// Keep-alive connections to one upstream, for one event loop. Not thread-safe: only used on
/// its event loop, which is also where every connection it makes lives.
final class UpstreamPool {
    let eventLoop: any EventLoop
    let address: SocketAddress
    let connectTimeout: TimeAmount
    let idleTimeout: TimeAmount
    private var idle: [UpstreamConnection] = []
    private let maxIdle = 256

    init(eventLoop: any EventLoop, address: SocketAddress, connectTimeout: TimeAmount, idleTimeout: TimeAmount) {
        self.eventLoop = eventLoop
        self.address = address
        self.connectTimeout = connectTimeout
        self.idleTimeout = idleTimeout
    }

    /// An idle connection, if one is open.
    func takeIdle() -> UpstreamConnection? {
        while let connection = idle.popLast() {
            if connection.isActive { return connection }
        }
        return nil
    }

    /// An idle connection when there is one, else a new one. `reused` says which.
    func acquire(
        fresh: Bool = false,
        _ completion: @escaping (Result<(UpstreamConnection, reused: Bool), any Error>) -> Void
    ) {
        if !fresh, let connection = takeIdle() {
            completion(.success((connection, true)))
            return
        }
        // The socket is connected on a thread of the pool, so the proxy knows its descriptor
        // (for direct writes) and a slow connect never holds up the event loop.
        let eventLoop = self.eventLoop
        let address = self.address
        let timeout = connectTimeout
        connectThreads.runIfActive(eventLoop: eventLoop) {
            try connectedSocket(to: address, timeout: timeout)
        }.flatMap { descriptor in
            ClientBootstrap(group: eventLoop)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(UpstreamHandler(descriptor: descriptor))
                    }
                }
                .withConnectedSocket(descriptor)
        }.assumeIsolated().whenComplete { [self] result in
            switch result {
            case .success(let channel):
                do {
                    let handler = try channel.pipeline.syncOperations.handler(type: UpstreamHandler.self)
                    let connection = UpstreamConnection(channel: channel, handler: handler, pool: self)
                    handler.connection = connection
                    self.track(connection)
                    completion(.success((connection, false)))
                } catch {
                    channel.close(promise: nil)
                    completion(.failure(error))
                }
            case .failure(let error):
                completion(.failure(error))
            }
        }
    }

    private var all: [ObjectIdentifier: UpstreamConnection] = [:]

    private func track(_ connection: UpstreamConnection) {
        all[ObjectIdentifier(connection)] = connection
    }

    /// Takes a connection back after a complete exchange.
    func release(_ connection: UpstreamConnection) {
        connection.delegate = nil
        connection.requestsServed += 1
        guard connection.isActive, idle.count < maxIdle else {
            discard(connection)
            return
        }
        connection.idleSince = .now()
        idle.append(connection)
    }

    /// Closes a connection and forgets it.
    func discard(_ connection: UpstreamConnection) {
        if let index = idle.firstIndex(where: { $0 === connection }) { idle.remove(at: index) }
        all[ObjectIdentifier(connection)] = nil
        connection.close()
    }

    /// Closes idle connections older than the idle timeout, before the upstream does it on its side.
    func closeExpired(now: NIODeadline) {
        guard let oldest = idle.first, oldest.idleSince + idleTimeout < now else { return }
        let expired = idle.filter { $0.idleSince + idleTimeout < now }
        for connection in expired { discard(connection) }
    }

    /// Closes every connection (shutdown).
    func closeAll() {
        for connection in Array(all.values) { discard(connection) }
        idle.removeAll()
    }
}
