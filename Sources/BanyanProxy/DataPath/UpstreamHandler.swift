import NIOCore

/// The channel handler of an upstream connection: hands bytes to the request that owns it.
final class UpstreamHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var context: ChannelHandlerContext?
    /// The connection this handler reads for. Not counted, because the connection holds the
    /// handler (and a weak reference would cost a side table on every read). Safe: the pool keeps
    /// the connection (``UpstreamPool``'s list of all its connections) from the moment this is set
    /// until ``UpstreamPool/discard(_:)``, which closes the channel on its event loop while the
    /// connection is still held; NIO delivers `channelInactive`, the last event that reads this,
    /// within that close, before `discard` returns.
    unowned(unsafe) var connection: UpstreamConnection?
    /// Every byte to the upstream goes through it, in order.
    private let writer: DirectWriter

    /// - Parameter writer: sends directly on the socket the proxy connected (`io: direct`), or
    ///   through NIO (`io: nio`).
    init(writer: DirectWriter) {
        self.writer = writer
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

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        guard let connection, let delegate = connection.delegate else { return }
        delegate.upstreamWritabilityChanged(connection, writable: context.channel.isWritable)
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
