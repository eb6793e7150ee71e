import BanyanCore
import NIOCore
import NIOPosix

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Opens the proxy's connections to its upstreams, for every ``UpstreamPool``.
///
/// With `io: direct` a socket is connected on one of the pool's threads (a connect blocks one
/// until it succeeds, fails or times out, so a slow or unreachable upstream holds up a few of
/// these, never an event loop) and then handed to NIO, so the proxy knows its descriptor for its
/// direct writes. With `io: nio` it is NIO's `ClientBootstrap.connect`, and no thread is started.
/// Either way the channel's write-buffer water marks are the proxy's `buffer_per_connection` (high)
/// and half of it (low), as for its clients: a request body waits in the proxy up to that bound
/// before the client is paused (`client_paused`), not NIO's 64 KiB. The server that makes the pool
/// shuts it down (``shutdown()``).
final class ConnectPool: Sendable {
    /// Opens an active channel to `address` on `eventLoop`; the pool adds the ``UpstreamHandler``
    /// (tests put one of NIO's testing channels in the place of a socket).
    typealias Connector =
        @Sendable (_ address: SocketAddress, _ eventLoop: any EventLoop) -> EventLoopFuture<any Channel>

    /// How writes go out on the connections it opens.
    let io: IOMode
    private let threads: NIOThreadPool?
    private let connector: Connector?
    /// The water marks of every channel it opens: `buffer_per_connection` and half of it.
    private let waterMark: ChannelOptions.Types.WriteBufferWaterMark

    /// - Parameters:
    ///   - io: `direct` connects on threads of the pool's own, `nio` with NIO's bootstrap.
    ///   - threads: how many connects may block at once (`io: direct`).
    ///   - connector: opens the channels instead of a socket (tests); nil for real connections.
    ///   - bufferPerConnection: the bytes NIO may hold for a connection before it counts as not
    ///     writable (``ProxySettings/bufferPerConnection``).
    init(io: IOMode, threads: Int = 8, connector: Connector? = nil, bufferPerConnection: Int = 256 * 1024) {
        self.io = io
        self.connector = connector
        self.waterMark = .init(low: bufferPerConnection / 2, high: bufferPerConnection)
        if io == .direct && connector == nil {
            let pool = NIOThreadPool(numberOfThreads: threads)
            pool.start()
            self.threads = pool
        } else {
            self.threads = nil
        }
    }

    /// Stops the connect threads once the connects in progress are done.
    func shutdown() async {
        try? await threads?.shutdownGracefully()
    }

    /// A new connection to `address` within `timeout`, its channel on `eventLoop` with an
    /// ``UpstreamHandler`` whose writer suits the pool's I/O.
    func connect(to address: SocketAddress, timeout: TimeAmount, on eventLoop: any EventLoop)
        -> EventLoopFuture<any Channel>
    {
        if let connector {
            return connector(address, eventLoop).flatMapThrowing { channel in
                try channel.pipeline.syncOperations.addHandler(UpstreamHandler(writer: DirectWriter()))
                return channel
            }
        }
        guard let threads else {
            return ClientBootstrap(group: eventLoop)
                .connectTimeout(timeout)
                .channelOption(.tcpOption(.tcp_nodelay), value: 1)
                .channelOption(.writeBufferWaterMark, value: waterMark)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(UpstreamHandler(writer: DirectWriter()))
                    }
                }
                .connect(to: address)
        }
        return threads.runIfActive(eventLoop: eventLoop) {
            try self.connectedSocket(to: address, timeout: timeout)
        }.flatMap { [waterMark] descriptor in
            ClientBootstrap(group: eventLoop)
                .channelOption(.writeBufferWaterMark, value: waterMark)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            UpstreamHandler(writer: DirectWriter(descriptor: descriptor)))
                    }
                }
                .withConnectedSocket(descriptor)
        }
    }

    /// Connects a TCP socket to `address` within `timeout`, blocking the calling thread (one of
    /// the pool's, never an event loop). The socket comes back non-blocking, with TCP_NODELAY.
    func connectedSocket(to address: SocketAddress, timeout: TimeAmount) throws -> CInt {
        let deadline = NIODeadline.now() + timeout
        let family: CInt
        switch address {
        case .v4: family = AF_INET
        case .v6: family = AF_INET6
        case .unixDomainSocket: family = AF_UNIX
        }
        let socket = try streamSocket(family: family)
        let (flags, _) = systemCall("fcntl") { fcntl(socket, F_GETFL) }
        _ = systemCall("fcntl") { fcntl(socket, F_SETFL, flags | O_NONBLOCK) }
        // Not through `systemCall`: an interrupted connect of a non-blocking socket goes on in the
        // background, so EINTR means the same as EINPROGRESS (POSIX), and a retry would fail.
        #if canImport(Glibc)
            let connected = address.withSockAddr { pointer, size in Glibc.connect(socket, pointer, socklen_t(size)) }
        #else
            let connected = address.withSockAddr { pointer, size in Darwin.connect(socket, pointer, socklen_t(size)) }
        #endif
        let code = connected == 0 ? 0 : errno
        if code == EBADF || code == EFAULT || code == EINVAL { systemCallBug("connect", code) }
        if code == EINPROGRESS || code == EINTR {
            var poller = pollfd(fd: socket, events: Int16(POLLOUT), revents: 0)
            // Run again after an interruption, with what is left of the timeout.
            let (ready, pollFailure) = systemCall("poll") {
                let left = (deadline - .now()).nanoseconds
                return poll(&poller, 1, max(0, Int32(clamping: (left + 999_999) / 1_000_000)))
            }
            if ready <= 0 {
                closeSocket(socket)
                throw SocketFailure("connect to \(address)", errno: ready == 0 ? ETIMEDOUT : pollFailure)
            }
            var failure: CInt = 0
            var length = socklen_t(MemoryLayout<CInt>.size)
            _ = systemCall("getsockopt") { getsockopt(socket, SOL_SOCKET, SO_ERROR, &failure, &length) }
            if failure != 0 {
                closeSocket(socket)
                throw SocketFailure("connect to \(address)", errno: failure)
            }
        } else if code != 0 {
            closeSocket(socket)
            throw SocketFailure("connect to \(address)", errno: code)
        }
        if family != AF_UNIX { setSocketOption(socket, CInt(IPPROTO_TCP), TCP_NODELAY, 1) }
        return socket
    }
}
