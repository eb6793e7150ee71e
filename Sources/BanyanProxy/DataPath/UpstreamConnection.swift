import NIOCore

/// Receives what an upstream connection reads while a request owns it.
protocol UpstreamDelegate: AnyObject {
    func upstreamRead(_ buffer: ByteBuffer, from connection: UpstreamConnection)
    func upstreamReadComplete(from connection: UpstreamConnection)
    func upstreamClosed(_ connection: UpstreamConnection)
    /// The connection's socket stopped (false) or started again (true) taking bytes as fast as
    /// they are written: a request body should wait for it.
    func upstreamWritabilityChanged(_ connection: UpstreamConnection, writable: Bool)
}

extension UpstreamDelegate {
    func upstreamWritabilityChanged(_ connection: UpstreamConnection, writable: Bool) {}
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
