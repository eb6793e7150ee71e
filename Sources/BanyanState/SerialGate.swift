import Foundation

/// Lets one async task at a time through, in arrival order. Each state store runs its operations
/// on one connection, where a transaction's `BEGIN … COMMIT` spans several awaits, so a second
/// writer must wait for the first to end rather than begin inside it.
final class SerialGate: @unchecked Sendable {
    // @unchecked: `busy` and `waiting` are only touched under `lock`.
    private let lock = NSLock()
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    /// Runs `body` when no other body of this gate is running.
    func run<T>(_ body: () async throws -> T) async throws -> T {
        await enter()
        defer { leave() }
        return try await body()
    }

    private func enter() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            lock.lock()
            if busy {
                waiting.append(continuation)
                lock.unlock()
            } else {
                busy = true
                lock.unlock()
                continuation.resume()
            }
        }
    }

    private func leave() {
        lock.lock()
        if waiting.isEmpty {
            busy = false
            lock.unlock()
        } else {
            let next = waiting.removeFirst()
            lock.unlock()
            next.resume()
        }
    }
}
