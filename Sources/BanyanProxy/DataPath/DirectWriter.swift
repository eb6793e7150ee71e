import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The outgoing bytes of one connection whose socket the proxy opened or accepted itself.
///
/// A flush with nothing still queued in NIO goes straight to the socket with one `send(2)`: a
/// request head, a small answer, or a batch of pipelined shadow copies (small buffers are joined
/// first, up to 16 KiB) costs one system call and no trip through NIO's channel pipeline and
/// pending-write bookkeeping. Anything else (larger batches, the rest of a send the socket took
/// only part of, bytes behind ones NIO has not finished writing) goes through NIO in order, which
/// also waits for the socket to become writable. Every write of the connection goes
/// through its writer, so bytes never overtake each other.
///
/// Only used on the connection's event loop. The descriptor is written to only while NIO reports
/// the channel active: NIO closes the descriptor before it marks the channel inactive, and nothing
/// of the proxy runs in between.
final class DirectWriter {
    private let descriptor: CInt
    private var queued: [ByteBuffer] = []
    /// Writes handed to NIO that it has not finished.
    private var inNIO = 0
    /// Where several small buffers of one flush are joined, kept for the next flush.
    private var joinedBuffer: ByteBuffer?

    init(descriptor: CInt) {
        self.descriptor = descriptor
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
        guard inNIO == 0, var buffer = queuedAsOne() else {
            let rest = queued
            queued.removeAll()
            handToNIO(rest, context)
            return
        }
        queued.removeAll(keepingCapacity: true)
        let sent = buffer.withUnsafeReadableBytes { bytes -> Int in
            guard let base = bytes.baseAddress, bytes.count > 0 else { return 0 }
            return send(descriptor, base, bytes.count, Int32(MSG_NOSIGNAL))
        }
        if sent == buffer.readableBytes { return }
        if sent < 0 {
            let code = errno
            guard code == EAGAIN || code == EWOULDBLOCK || code == EINTR else {
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

/// A socket setting the proxy applies to the sockets it opens or accepts itself.
private func setOption(_ socket: CInt, _ level: CInt, _ name: CInt, _ value: CInt) {
    var value = value
    _ = setsockopt(socket, level, name, &value, socklen_t(MemoryLayout<CInt>.size))
}

/// A new stream socket, closed on exec.
private func streamSocket(family: CInt) throws -> CInt {
    #if os(Linux)
        let socket = Glibc.socket(family, CInt(SOCK_STREAM.rawValue) | CInt(SOCK_CLOEXEC.rawValue), 0)
    #else
        let socket = Darwin.socket(family, SOCK_STREAM, 0)
    #endif
    guard socket >= 0 else { throw SocketFailure("socket", errno: errno) }
    return socket
}

/// Why the proxy could not listen or connect.
struct SocketFailure: Error, CustomStringConvertible {
    let description: String

    init(_ what: String, errno code: CInt) {
        description = "\(what): \(String(cString: strerror(code)))"
    }
}

/// The threads upstream connections are made on: a connect blocks one until it succeeds, fails or
/// times out, so a slow or unreachable upstream holds up a few of these, never an event loop.
let connectThreads: NIOThreadPool = {
    let pool = NIOThreadPool(numberOfThreads: 8)
    pool.start()
    return pool
}()

/// Connects a TCP socket to `address` within `timeout`, blocking the calling thread (one of
/// `connectThreads`, never an event loop). The socket comes back non-blocking, with TCP_NODELAY.
func connectedSocket(to address: SocketAddress, timeout: TimeAmount) throws -> CInt {
    let family: CInt
    switch address {
    case .v4: family = AF_INET
    case .v6: family = AF_INET6
    case .unixDomainSocket: family = AF_UNIX
    }
    let socket = try streamSocket(family: family)
    _ = fcntl(socket, F_SETFL, fcntl(socket, F_GETFL) | O_NONBLOCK)
    var result = address.withSockAddr { pointer, size in
        connect(socket, pointer, socklen_t(size))
    }
    if result != 0 && errno == EINPROGRESS {
        var poller = pollfd(fd: socket, events: Int16(POLLOUT), revents: 0)
        let milliseconds = max(1, Int32(clamping: timeout.nanoseconds / 1_000_000))
        repeat {
            result = poll(&poller, 1, milliseconds)
        } while result < 0 && errno == EINTR
        if result == 0 {
            close(socket)
            throw SocketFailure("connect to \(address)", errno: ETIMEDOUT)
        }
        var failure: CInt = 0
        var length = socklen_t(MemoryLayout<CInt>.size)
        _ = getsockopt(socket, SOL_SOCKET, SO_ERROR, &failure, &length)
        if failure != 0 {
            close(socket)
            throw SocketFailure("connect to \(address)", errno: failure)
        }
    } else if result != 0 {
        let code = errno
        close(socket)
        throw SocketFailure("connect to \(address)", errno: code)
    }
    if family != AF_UNIX { setOption(socket, CInt(IPPROTO_TCP), TCP_NODELAY, 1) }
    return socket
}

/// The client listener: a socket of the proxy's own, accepted on a thread of its own, each
/// connection handed to the next event loop (so the proxy knows every client socket's
/// descriptor, for its direct writes).
final class Acceptor: Sendable {
    let descriptor: CInt
    /// The port it listens on (the one the system chose when asked for port 0).
    let port: Int
    private let stopping = NIOLockedValueBox(false)
    private let finished = DispatchSemaphore(value: 0)
    private let started = NIOLockedValueBox(false)

    init(host: String, port: Int, backlog: CInt = 1024) throws {
        let address = try SocketAddress.makeAddressResolvingHost(host, port: port)
        let family: CInt = address.protocol == .inet6 ? AF_INET6 : AF_INET
        let socket = try streamSocket(family: family)
        setOption(socket, SOL_SOCKET, SO_REUSEADDR, 1)
        let bound = address.withSockAddr { pointer, size in bind(socket, pointer, socklen_t(size)) }
        guard bound == 0, listen(socket, backlog) == 0 else {
            let code = errno
            close(socket)
            throw SocketFailure("bind \(host):\(port)", errno: code)
        }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) }
        }
        var actual = port
        if named == 0 {
            actual = withUnsafePointer(to: &storage) { pointer -> Int in
                if family == AF_INET6 {
                    pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                        Int(UInt16(bigEndian: $0.pointee.sin6_port))
                    }
                } else {
                    pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                        Int(UInt16(bigEndian: $0.pointee.sin_port))
                    }
                }
            }
        }
        self.descriptor = socket
        self.port = actual
    }

    /// Accepts until `stop()`, on a thread of its own; `open` gets each new socket.
    func start(_ open: @escaping @Sendable (CInt) -> Void) {
        let descriptor = self.descriptor
        let stopping = self.stopping
        let finished = self.finished
        started.withLockedValue { $0 = true }
        let thread = Thread {
            while true {
                let client = accept(descriptor, nil, nil)
                if client >= 0 {
                    _ = fcntl(client, F_SETFD, FD_CLOEXEC)
                    setOption(client, CInt(IPPROTO_TCP), TCP_NODELAY, 1)
                    open(client)
                    continue
                }
                if stopping.withLockedValue({ $0 }) { break }
                let code = errno
                // Out of descriptors or memory, or anything unexpected: wait a little and go on.
                if code != EINTR && code != ECONNABORTED && code != EPROTO { usleep(10_000) }
            }
            // Closed here, after the last `accept`, so the number is never reused under it.
            close(descriptor)
            finished.signal()
        }
        thread.start()
    }

    /// Stops accepting: the thread leaves `accept`, closes the socket and ends; returns when the
    /// port is free again.
    func stop() {
        let first = stopping.withLockedValue { stopping in
            defer { stopping = true }
            return !stopping
        }
        guard first else { return }
        shutdown(descriptor, CInt(SHUT_RDWR))
        if started.withLockedValue({ $0 }) {
            finished.wait()
        } else {
            close(descriptor)
        }
    }
}
