import NIOCore

#if canImport(Glibc)
    // Its header includes <sys/socket.h>, which makes the socket constants (SOCK_STREAM,
    // SOCK_CLOEXEC) visible through it.
    import CBanyanSocket
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Why a system call on a socket of the proxy's own failed (listening, accepting, connecting).
///
/// The errno stays with it (``errno``, also its ``code``), beside the operation that failed, so a
/// caller can tell a refused connection from a timeout without reading the message.
struct SocketFailure: Error, CustomStringConvertible, CustomDebugStringConvertible {
    /// The system's error number (`ECONNREFUSED`, `ETIMEDOUT`, …).
    let errno: CInt
    /// What failed, as the message names it (`connect to [IPv4]127.0.0.1/127.0.0.1:3000`).
    let operation: String
    /// What a user reads: the operation and the system's words for the errno.
    let message: String
    /// The error underneath, when another one led to this.
    let cause: (any Error)?

    /// The errno, as the project's other errors call their code.
    var code: CInt { errno }

    init(_ operation: String, errno code: CInt, cause: (any Error)? = nil) {
        self.errno = code
        self.operation = operation
        self.message = "\(operation): \(String(cString: strerror(code)))"
        self.cause = cause
    }

    var description: String { message }

    var debugDescription: String {
        var text = "SocketFailure(operation: \(operation), errno: \(errno), message: \(message)"
        if let cause { text += ", cause: \(String(reflecting: cause))" }
        return text + ")"
    }
}

/// Runs a system call on a descriptor the proxy owns, the way NIO's own wrapper does
/// (`NIOPosix/System.swift`): an interrupted call (`EINTR`) runs again, and an errno that only a
/// bug in the proxy can cause (`EBADF`, `EFAULT`, and `EINVAL` unless `invalidIsBug` is false:
/// a descriptor closed too early, a wrong pointer or argument) stops the process with the
/// call's name instead of passing for a peer that went away. Any other failure comes back as
/// `(-1, errno)`; a success as `(result, 0)`.
@inline(__always)
func systemCall<Result: FixedWidthInteger>(
    _ name: StaticString, invalidIsBug: Bool = true, _ body: () -> Result
) -> (result: Result, errno: CInt) {
    while true {
        let result = body()
        guard result == -1 else { return (result, 0) }
        let code = errno
        if code == EINTR { continue }
        if code == EBADF || code == EFAULT || (invalidIsBug && code == EINVAL) {
            systemCallBug(name, code)
        }
        return (result, code)
    }
}

/// Stops the process: `name` failed with an errno that means the proxy passed it a descriptor or
/// argument it does not own.
func systemCallBug(_ name: StaticString, _ code: CInt) -> Never {
    preconditionFailure(
        "\(name) failed with errno \(code) (\(String(cString: strerror(code)))) on a descriptor the proxy owns")
}

/// Closes a descriptor of the proxy's own. Not retried on `EINTR`: on Linux the descriptor is
/// released even then, and a retry could close one another thread just opened.
func closeSocket(_ socket: CInt) {
    if close(socket) != 0 {
        let code = errno
        if code == EBADF || code == EFAULT { systemCallBug("close", code) }
    }
}

/// A socket setting the proxy applies to the sockets it opens or accepts itself. `EINVAL` is not
/// a bug here: some kernels answer it for a socket whose peer already reset the connection.
func setSocketOption(_ socket: CInt, _ level: CInt, _ name: CInt, _ value: CInt) {
    var value = value
    _ = systemCall("setsockopt", invalidIsBug: false) {
        setsockopt(socket, level, name, &value, socklen_t(MemoryLayout<CInt>.size))
    }
}

/// A new stream socket, closed on exec.
func streamSocket(family: CInt) throws -> CInt {
    #if os(Linux)
        let (socket, code) = systemCall("socket") {
            Glibc.socket(family, CInt(SOCK_STREAM.rawValue) | CInt(SOCK_CLOEXEC.rawValue), 0)
        }
    #else
        let (socket, code) = systemCall("socket") { Darwin.socket(family, SOCK_STREAM, 0) }
        if socket >= 0 { _ = systemCall("fcntl") { fcntl(socket, F_SETFD, FD_CLOEXEC) } }
    #endif
    guard socket >= 0 else { throw SocketFailure("socket", errno: code) }
    return socket
}
