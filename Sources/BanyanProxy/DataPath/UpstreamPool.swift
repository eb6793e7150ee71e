import NIOCore

/// Keep-alive connections to one upstream, for one event loop. Not thread-safe: only used on
/// its event loop, which is also where every connection it makes lives.
final class UpstreamPool {
    let eventLoop: any EventLoop
    let address: SocketAddress
    let connectTimeout: TimeAmount
    let idleTimeout: TimeAmount
    /// Opens the connections; the server owns it and shuts it down.
    private let connectPool: ConnectPool
    private var idle: [UpstreamConnection] = []
    private let maxIdle = 256

    init(
        eventLoop: any EventLoop, address: SocketAddress, connectPool: ConnectPool, connectTimeout: TimeAmount,
        idleTimeout: TimeAmount
    ) {
        self.eventLoop = eventLoop
        self.address = address
        self.connectPool = connectPool
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
        // With `io: direct` the socket is connected on a thread of the connect pool, so the proxy
        // knows its descriptor (for direct writes) and a slow connect never holds up the event loop.
        connectPool.connect(to: address, timeout: connectTimeout, on: eventLoop).assumeIsolated().whenComplete {
            [self] result in
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
