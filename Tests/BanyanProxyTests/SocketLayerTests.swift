import NIOCore
import Testing

@testable import BanyanProxy

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

@Suite("The direct socket layer")
struct SocketLayerTests {
    /// A port of 127.0.0.1 that is bound but not listening, so a connect to it is refused at once;
    /// closed by the caller.
    private func refusingPort() throws -> (descriptor: CInt, port: Int) {
        let socket = try streamSocket(family: AF_INET)
        let address = try SocketAddress(ipAddress: "127.0.0.1", port: 0)
        let bound = address.withSockAddr { bind(socket, $0, socklen_t($1)) }
        try #require(bound == 0)
        var storage = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) }
        }
        try #require(named == 0)
        return (socket, Int(UInt16(bigEndian: storage.sin_port)))
    }

    @Test("a refused connect is a SocketFailure that keeps its errno, with a message and a debug description")
    func refusedConnectKeepsTheErrno() async throws {
        let (socket, port) = try refusingPort()
        defer { closeSocket(socket) }
        let pool = ConnectPool(io: .direct, threads: 1)
        let address = try SocketAddress(ipAddress: "127.0.0.1", port: port)
        let failure = #expect(throws: SocketFailure.self) {
            _ = try pool.connectedSocket(to: address, timeout: .seconds(2))
        }
        await pool.shutdown()
        #expect(failure?.errno == ECONNREFUSED)
        #expect(failure?.code == ECONNREFUSED)
        #expect(failure?.operation == "connect to \(address)")
        #expect(failure?.description == "connect to \(address): Connection refused")
        #expect(
            failure.map(String.init(reflecting:))
                == "SocketFailure(operation: connect to \(address), errno: \(ECONNREFUSED), "
                + "message: connect to \(address): Connection refused)")
    }

    @Test("an accepted socket is closed on exec from the start, and stop frees the port")
    func acceptedSocketsAreCloseOnExec() async throws {
        let acceptor = try Acceptor(host: "127.0.0.1", port: 0)
        let (accepted, continuation) = AsyncStream.makeStream(of: CInt.self)
        acceptor.start { descriptor in continuation.yield(descriptor) }
        let client = try streamSocket(family: AF_INET)
        defer { closeSocket(client) }
        let address = try SocketAddress(ipAddress: "127.0.0.1", port: acceptor.port)
        let connected = address.withSockAddr { connect(client, $0, socklen_t($1)) }
        try #require(connected == 0)
        var iterator = accepted.makeAsyncIterator()
        let descriptor = try #require(await iterator.next())
        #expect(fcntl(descriptor, F_GETFD) & FD_CLOEXEC == FD_CLOEXEC)
        closeSocket(descriptor)
        acceptor.stop()
        // The port is free again: a new listener binds it.
        let again = try Acceptor(host: "127.0.0.1", port: acceptor.port)
        #expect(again.port == acceptor.port)
        again.stop()
    }
}
