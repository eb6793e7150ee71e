import NIOCore
import NIOPosix

// The trivial server the generators are measured against: it answers every request head with the
// same 2-byte answer without parsing HTTP, so that the generator, not the server, is the limit.
// Usage: LoadgenServer PORT

final class TrivialHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    static let answer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok"
    var matched = 0
    var response: ByteBuffer?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        var heads = 0
        // Count the blank lines that end request heads (the requests carry no body).
        buffer.withUnsafeReadableBytes { bytes in
            let pattern: [UInt8] = [13, 10, 13, 10]
            for byte in bytes {
                if byte == pattern[matched] {
                    matched += 1
                    if matched == 4 {
                        heads += 1
                        matched = 0
                    }
                } else {
                    matched = byte == 13 ? 1 : 0
                }
            }
        }
        if response == nil { response = context.channel.allocator.buffer(string: Self.answer) }
        for _ in 0..<heads { context.write(wrapOutboundOut(response!), promise: nil) }
        if heads > 0 { context.flush() }
    }
}

let port = Int(CommandLine.arguments.dropFirst().first ?? "") ?? 8080
let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let channel = try ServerBootstrap(group: group)
    .serverChannelOption(.backlog, value: 1024)
    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
    .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
    .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(TrivialHandler()) }
    }
    .bind(host: "127.0.0.1", port: port).wait()
print("listening on 127.0.0.1:\(port)")
try channel.closeFuture.wait()
