import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The outgoing bytes of one connection, whose socket the proxy opened or accepted itself
/// (`io: direct`) or NIO did (`io: nio`).
///
/// With a descriptor, a flush with nothing still queued in NIO goes straight to the socket with
/// one `send(2)`: a request head, a small answer, or a batch of pipelined shadow copies (small
/// buffers are joined first, up to 16 KiB) costs one system call and no trip through NIO's channel
/// pipeline and pending-write bookkeeping. Anything else (larger batches, the rest of a send the
/// socket took only part of, bytes behind ones NIO has not finished writing) goes through NIO in
/// order, which also waits for the socket to become writable. Every write of the connection goes
/// through its writer, so bytes never overtake each other.
///
/// Without a descriptor (`io: nio`, and NIO's testing channels) every flush is `context.write`
/// and `context.flush`: the same handlers run on plain NIO. The choice is one comparison per
/// flush, with no allocation and no dynamic dispatch on the direct path.
///
/// Only used on the connection's event loop. The descriptor is written to only while NIO reports
/// the channel active: NIO closes the descriptor before it marks the channel inactive, and nothing
/// of the proxy runs in between.
final class DirectWriter {
    /// The socket `send(2)` writes to; -1 when every write goes through NIO.
    private let descriptor: CInt
    private var queued: [ByteBuffer] = []
    /// Writes handed to NIO that it has not finished (direct writes wait for them).
    private var inNIO = 0
    /// Where several small buffers of one flush are joined, kept for the next flush.
    private var joinedBuffer: ByteBuffer?

    /// A writer that sends on `descriptor` itself whenever NIO holds nothing back (`io: direct`).
    init(descriptor: CInt) {
        precondition(descriptor >= 0, "a direct writer needs the connection's descriptor")
        self.descriptor = descriptor
        queued.reserveCapacity(4)
    }

    /// A writer whose every write goes through NIO's `context.write` (`io: nio`).
    init() {
        self.descriptor = -1
        queued.reserveCapacity(4)
    }

    /// Bytes written to the connection so far (queued included), for the access log.
    private(set) var written = 0

    func write(_ buffer: ByteBuffer) {
        written &+= buffer.readableBytes
        queued.append(buffer)
    }

    /// Sends what was written since the last flush.
    func flush(_ context: ChannelHandlerContext) {
        guard !queued.isEmpty else { return }
        guard context.channel.isActive else {
            queued.removeAll(keepingCapacity: true)
            return
        }
        guard descriptor >= 0 else {
            for buffer in queued { context.write(NIOAny(buffer), promise: nil) }
            queued.removeAll(keepingCapacity: true)
            context.flush()
            return
        }
        guard inNIO == 0, var buffer = queuedAsOne() else {
            let rest = queued
            queued.removeAll()
            handToNIO(rest, context)
            return
        }
        queued.removeAll(keepingCapacity: true)
        let descriptor = self.descriptor
        let (sent, failure) = buffer.withUnsafeReadableBytes { bytes -> (Int, CInt) in
            guard let base = bytes.baseAddress, bytes.count > 0 else { return (0, 0) }
            return systemCall("send") { send(descriptor, base, bytes.count, Int32(MSG_NOSIGNAL)) }
        }
        if sent == buffer.readableBytes { return }
        if sent < 0 {
            guard failure == EAGAIN || failure == EWOULDBLOCK else {
                // The peer is gone (reset, broken pipe): NIO closes the channel and says so.
                context.close(promise: nil)
                return
            }
        } else {
            buffer.moveReaderIndex(forwardBy: sent)
        }
        handToNIO([buffer], context)
    }

    /// The queued bytes as one buffer: the only one, or several small ones (a batch of pipelined
    /// shadow copies) joined into a buffer kept for the next time; nil when they are too large to join.
    private func queuedAsOne() -> ByteBuffer? {
        if queued.count == 1 { return queued[0] }
        var total = 0
        for buffer in queued { total += buffer.readableBytes }
        guard total <= 16_384 else { return nil }
        var joined = joinedBuffer ?? ByteBufferAllocator().buffer(capacity: 4096)
        joinedBuffer = nil
        joined.clear(minimumCapacity: total)
        for var buffer in queued { joined.writeBuffer(&buffer) }
        joinedBuffer = joined
        return joined
    }

    /// Queues `buffers` in NIO behind whatever it still holds, and flushes; later writes follow
    /// them through NIO until it has written them all.
    private func handToNIO(_ buffers: [ByteBuffer], _ context: ChannelHandlerContext) {
        for buffer in buffers.dropLast() { context.write(NIOAny(buffer), promise: nil) }
        let promise = context.eventLoop.makePromise(of: Void.self)
        inNIO += 1
        promise.futureResult.assumeIsolated().whenComplete { [self] _ in inNIO -= 1 }
        context.writeAndFlush(NIOAny(buffers.last!), promise: promise)
    }
}
