import NIOCore
import NIOHTTP1
import NIOPosix
import SharedTestSupport

/// An HTTP server that stops answering for `stall` seconds every `period` seconds, like a process
/// in a garbage-collection pause: a request that arrives during a stall is answered when it ends.
final class StallingServer: Sendable {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let channel: any Channel
    /// NIODeadline uptime of the first stall's start.
    let origin: UInt64
    let period: UInt64
    let stall: UInt64
    var port: Int { channel.localAddress?.port ?? 0 }

    /// - Parameter delay: seconds every answer waits on a timer (no CPU), as for a database.
    init(period: Double, stall: Double, firstStallAfter: Double, delay: Double = 0) throws {
        let delay = UInt64(delay * 1e9)
        let origin = NIODeadline.now().uptimeNanoseconds + UInt64(firstStallAfter * 1e9)
        let period = UInt64(period * 1e9)
        let stall = UInt64(stall * 1e9)
        self.origin = origin
        self.period = period
        self.stall = stall
        channel = try ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(
                        StallingHandler(origin: origin, period: period, stall: stall, delay: delay))
                }
            }
            .bind(host: "127.0.0.1", port: 0).wait()
    }

    /// When a request arriving at `time` is answered: at the end of the stall it falls in, or at once.
    static func answerTime(_ time: UInt64, origin: UInt64, period: UInt64, stall: UInt64) -> UInt64 {
        guard time >= origin else { return time }
        let into = (time - origin) % period
        return into < stall ? time + (stall - into) : time
    }

    func stop() {
        try? channel.close().wait()
        try? group.syncShutdownGracefully()
    }
}

/// Starts a ``StallingServer``, runs `body` with it and stops it before returning, also when `body` throws.
func withStallingServer<Result>(
    period: Double, stall: Double, firstStallAfter: Double, delay: Double = 0, fileID: String = #fileID,
    line: Int = #line, _ body: (StallingServer) throws -> Result
) throws -> Result {
    try withTestServer(
        "stalling server", fileID: fileID, line: line,
        start: { try StallingServer(period: period, stall: stall, firstStallAfter: firstStallAfter, delay: delay) },
        close: { $0.stop() }, body)
}

final class StallingHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    let origin: UInt64
    let period: UInt64
    let stall: UInt64
    let delay: UInt64

    init(origin: UInt64, period: UInt64, stall: UInt64, delay: UInt64) {
        self.origin = origin
        self.period = period
        self.stall = stall
        self.delay = delay
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .end = unwrapInboundIn(data) else { return }
        let now = NIODeadline.now().uptimeNanoseconds
        let at = Swift.max(StallingServer.answerTime(now, origin: origin, period: period, stall: stall), now + delay)
        if at == now {
            respond(context)
        } else {
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            context.eventLoop.scheduleTask(deadline: .uptimeNanoseconds(at)) {
                loopBound.value.0.respond(loopBound.value.1)
            }
        }
    }

    private func respond(_ context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Length", value: "2")
        context.write(
            wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: "ok")))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}
