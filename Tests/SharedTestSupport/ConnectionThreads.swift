import Foundation
import NIOConcurrencyHelpers

#if canImport(Glibc)
    import Glibc
#endif

/// The listening side the tests' upstreams share: a socket on 127.0.0.1 and a thread per
/// accepted connection, all of which ``close()`` ends and awaits.
public final class ConnectionThreads: @unchecked Sendable {
    // @unchecked: `descriptors`, `accepted` and `stopped` are guarded by `lock`; the rest is set in init.
    /// The port it listens on, chosen by the system.
    public let port: Int
    private let listener: Int32
    private let lock = NIOLock()
    private var descriptors: [Int32] = []
    private var accepted = 0
    private var stopped = false
    private var accepting = false
    /// The accepting thread and one per connection; ``close()`` waits for them.
    private let threads = DispatchGroup()

    /// Listens; nothing is accepted until ``start(_:)`` (a server that never accepts holds its
    /// clients in the backlog).
    public init() throws {
        (listener, port) = try listeningSocket()
    }

    /// Accepts connections on a thread of its own, each served by `serve` on a thread of its own;
    /// the descriptor is closed when `serve` returns.
    public func start(_ serve: @escaping @Sendable (Int32) -> Void) {
        lock.withLock { accepting = true }
        threads.enter()
        Thread.detachNewThread { [self] in
            defer {
                Glibc.close(listener)
                threads.leave()
            }
            while true {
                let connection = accept(listener, nil, nil)
                if connection < 0 { return }
                let open = lock.withLock { () -> Bool in
                    if stopped { return false }
                    accepted += 1
                    descriptors.append(connection)
                    threads.enter()
                    return true
                }
                guard open else {
                    Glibc.close(connection)
                    return
                }
                Thread.detachNewThread { [self] in
                    serve(connection)
                    lock.withLock {
                        descriptors.removeAll { $0 == connection }
                        Glibc.close(connection)
                    }
                    threads.leave()
                }
            }
        }
    }

    /// Connections accepted so far.
    public var connections: Int { lock.withLock { accepted } }

    /// Stops listening, closes every connection and waits until its threads have ended.
    public func close() async {
        let (alreadyStopped, wasAccepting) = lock.withLock { () -> (Bool, Bool) in
            defer { stopped = true }
            if stopped { return (true, accepting) }
            // Shutting the sockets down wakes the threads blocked on them; each closes its own
            // descriptor as it ends, so that no number is closed twice or after its reuse.
            shutdown(listener, Int32(SHUT_RDWR))
            for fd in descriptors { shutdown(fd, Int32(SHUT_RDWR)) }
            return (false, accepting)
        }
        guard !alreadyStopped else { return }
        if !wasAccepting { Glibc.close(listener) }
        _ = try? await blocking { [threads] in threads.wait() }
    }
}
