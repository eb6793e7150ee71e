import BanyanCore
import NIOCore
import NIOPosix

/// Where clients connect: the proxy's own ``Acceptor`` (`io: direct`) or a NIO server channel
/// (`io: nio`). Either way each client's channel gets its handler from the same initializer,
/// with the writer that suits the I/O.
enum Listener: Sendable {
    case direct(Acceptor)
    case nio(any Channel)

    /// Puts a client's handler in its channel's pipeline, on the channel's event loop.
    typealias Initializer = @Sendable (_ channel: any Channel, _ writer: DirectWriter) throws -> Void

    /// Listens on `address`, each client's channel on the next event loop of `group`.
    static func start(
        io: IOMode, at address: ListenAddress, group: MultiThreadedEventLoopGroup,
        initialize: @escaping Initializer
    ) async throws -> Listener {
        switch io {
        case .direct:
            let acceptor = try Acceptor(host: address.host, port: address.port)
            acceptor.start { descriptor in
                ClientBootstrap(group: group.next())
                    .channelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try initialize(channel, DirectWriter(descriptor: descriptor))
                        }
                    }
                    .withConnectedSocket(descriptor)
                    .whenFailure { _ in }
            }
            return .direct(acceptor)
        case .nio:
            let channel = try await ServerBootstrap(group: group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .serverChannelOption(.backlog, value: 1024)
                .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture { try initialize(channel, DirectWriter()) }
                }
                .bind(host: address.host, port: address.port)
                .get()
            return .nio(channel)
        }
    }

    /// The port clients connect to (the one the system chose when asked for port 0).
    var port: Int {
        switch self {
        case .direct(let acceptor): acceptor.port
        case .nio(let channel): channel.localAddress?.port ?? 0
        }
    }

    /// Stops accepting; returns when the port is free again.
    func stop() async {
        switch self {
        case .direct(let acceptor): acceptor.stop()
        case .nio(let channel): try? await channel.close()
        }
    }
}
