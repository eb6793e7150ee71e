import BanyanCore
import NIOCore

/// What a client connection becomes after the upstream answered its upgrade request with
/// `101 Switching Protocols`: a byte tunnel to that upstream connection, in both directions.
///
/// The proxy no longer parses anything: bytes from the client go to the upstream connection's
/// writer and bytes from the upstream go to the client's, so each direction keeps the order of
/// the direct writes and NIO's (see ``DirectWriter``). The tunnel ends when either side closes,
/// when it has carried nothing for the idle timeout (the client connection's state machine
/// keeps the time of its last bytes), on shutdown, or on a rollback of its route
/// that asks to close tunnels. It is never shadowed and never goes back to the pool.
final class Tunnel {
    let connection: UpstreamConnection
    /// The route the upgrade request matched (nil: no route, it went to legacy).
    let route: RouteRuntime?
    let stats: RouteStats
    let backend: Backend
    private var isOpen = true

    init(connection: UpstreamConnection, route: RouteRuntime?, stats: RouteStats, backend: Backend) {
        self.connection = connection
        self.route = route
        self.stats = stats
        self.backend = backend
        stats.recordTunnelOpened(backend)
    }

    /// Sends client bytes to the upstream (flushed at the end of the event loop's pass).
    func toUpstream(_ buffer: ByteBuffer, loop: LoopContext) {
        guard isOpen, buffer.readableBytes > 0 else { return }
        stats.recordTunnelBytes(backend, toUpstream: buffer.readableBytes, toClient: 0)
        connection.write(buffer)
        connection.flush(after: loop)
    }

    /// Counts upstream bytes on their way to the client.
    func countToClient(_ count: Int) {
        guard isOpen, count > 0 else { return }
        stats.recordTunnelBytes(backend, toUpstream: 0, toClient: count)
    }

    /// Closes the upstream side and counts the tunnel closed; the client side is the caller's.
    func close() {
        guard isOpen else { return }
        isOpen = false
        stats.recordTunnelClosed(backend)
        connection.pool.discard(connection)
    }
}
