import Foundation
import NIOConcurrencyHelpers
import NIOCore

#if canImport(Glibc)
    import CBanyanSocket
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The client listener of `io: direct`: a socket of the proxy's own, accepted on a thread of its
/// own, each connection handed to the next event loop (so the proxy knows every client socket's
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
        setSocketOption(socket, SOL_SOCKET, SO_REUSEADDR, 1)
        var (result, code) = address.withSockAddr { pointer, size in
            systemCall("bind") { bind(socket, pointer, socklen_t(size)) }
        }
        if result == 0 { (result, code) = systemCall("listen") { listen(socket, backlog) } }
        guard result == 0 else {
            closeSocket(socket)
            throw SocketFailure("bind \(host):\(port)", errno: code)
        }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let (named, _) = withUnsafeMutablePointer(to: &storage) { storage in
            storage.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                systemCall("getsockname") { getsockname(socket, pointer, &length) }
            }
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
                // `EINVAL` is what `accept` answers once `stop()` shut the socket down; before
                // that it is a bug, like `EBADF`.
                let (client, code) = systemCall("accept", invalidIsBug: false) { Self.acceptClient(descriptor) }
                if client >= 0 {
                    setSocketOption(client, CInt(IPPROTO_TCP), TCP_NODELAY, 1)
                    open(client)
                    continue
                }
                if stopping.withLockedValue({ $0 }) { break }
                switch code {
                case EINVAL:
                    systemCallBug("accept", code)
                case ECONNABORTED, EPROTO:
                    // The client gave up before it was accepted: take the next one.
                    continue
                default:
                    // Out of descriptors or memory, or refused by a firewall rule: wait a little
                    // and go on, as NIO's acceptor does.
                    usleep(10_000)
                }
            }
            // Closed here, after the last `accept`, so the number is never reused under it.
            closeSocket(descriptor)
            finished.signal()
        }
        thread.start()
    }

    /// One `accept`, the new socket closed on exec from the start: atomically with `accept4`
    /// where there is one, else right after.
    private static func acceptClient(_ descriptor: CInt) -> CInt {
        #if os(Linux)
            return CBanyanSocket_accept4(descriptor, nil, nil, CInt(SOCK_CLOEXEC.rawValue))
        #else
            let client = accept(descriptor, nil, nil)
            if client >= 0 { _ = systemCall("fcntl") { fcntl(client, F_SETFD, FD_CLOEXEC) } }
            return client
        #endif
    }

    /// Stops accepting: the thread leaves `accept`, closes the socket and ends; returns when the
    /// port is free again. (Linux wakes a thread blocked in `accept` when its socket is shut down.)
    func stop() {
        let first = stopping.withLockedValue { stopping in
            defer { stopping = true }
            return !stopping
        }
        guard first else { return }
        _ = systemCall("shutdown") { shutdown(descriptor, CInt(SHUT_RDWR)) }
        if started.withLockedValue({ $0 }) {
            finished.wait()
        } else {
            closeSocket(descriptor)
        }
    }
}
