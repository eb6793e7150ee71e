import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Counts the servers the tests start and stop, so that the test process can prove at its exit
/// that none outlived its test.
///
/// Every scoped helper (``withTestServer(_:fileID:line:start:close:_:)`` and the `with…` helpers
/// built on it) opens an entry when its server is listening and closes it when the server's
/// shutdown has returned. On first use the ledger registers a handler that runs when the test
/// process exits (XCTest's and swift-testing's runs under `swift test` each end in `exit`): if a
/// server is still open or a child process (``ChildProcess/unreaped``) was never reaped, it prints
/// each one, with where it was started, to standard error, kills the children left, and ends the
/// process with status 1, so that the `swift test` run fails.
public enum TestLedger {
    /// One open server: what it is and where the test started it.
    public struct Entry: Sendable, Equatable {
        public var what: String
        public var startedAt: String
    }

    private struct State {
        var next = 0
        var open: [Int: Entry] = [:]
        var started = 0
        var stopped = 0
        var watching = false
    }

    private static let state = Mutex(State())

    /// Records that `what` was started at `startedAt`; returns the ticket that ``closed(_:)`` takes.
    public static func opened(_ what: String, startedAt: String) -> Int {
        watchForLeaks()
        return state.withLock { state in
            state.next += 1
            state.started += 1
            state.open[state.next] = Entry(what: what, startedAt: startedAt)
            return state.next
        }
    }

    /// Records that the server with `ticket` has stopped.
    public static func closed(_ ticket: Int) {
        state.withLock { state in
            if state.open.removeValue(forKey: ticket) != nil { state.stopped += 1 }
        }
    }

    /// The servers started and not stopped, in the order they started.
    public static var open: [Entry] {
        state.withLock { state in state.open.sorted { $0.key < $1.key }.map(\.value) }
    }

    /// How many servers were started and stopped so far.
    public static var counts: (started: Int, stopped: Int) {
        state.withLock { ($0.started, $0.stopped) }
    }

    /// Makes the process check at its exit that every server stopped and every child process was
    /// reaped. Called by the ledger itself and by the helpers that start child processes; only the
    /// first call registers the check.
    public static func watchForLeaks() {
        let first = state.withLock { state in
            defer { state.watching = true }
            return !state.watching
        }
        if first { atexit { TestLedger.checkAtExit() } }
    }

    /// What is left at exit, one line each; empty when nothing is.
    public static func leftOpen() -> [String] {
        let (started, stopped) = counts
        var lines = open.map { "\($0.what), started at \($0.startedAt), was not stopped" }
        if !lines.isEmpty { lines.insert("\(started) servers started, \(stopped) stopped:", at: 0) }
        let children = ChildProcess.unreaped
        if !children.isEmpty {
            lines.append("\(children.count) child processes were never reaped:")
            lines += children.map { "  pid \($0.pid): \($0.command)" }
        }
        return lines
    }

    private static func checkAtExit() {
        let lines = leftOpen()
        guard !lines.isEmpty else { return }
        let text = (["", "The tests left servers or child processes running:"] + lines).joined(separator: "\n") + "\n"
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        // A child left running would outlive the run: it goes with the process.
        for child in ChildProcess.unreaped { kill(child.pid, SIGKILL) }
        // exit() is already running: _exit ends the process with a failing status at once.
        _exit(1)
    }
}

/// Starts a server with `start`, runs `body` with it, and always awaits `close` before
/// returning, also when `body` throws, and keeps the ``TestLedger`` in step: the server is
/// entered when it has started and leaves when `close` has returned.
///
/// - Parameters:
///   - what: names the server in the ledger's report ("proxy", "recording upstream").
///   - fileID, line: where the test started it, for the same report.
public func withTestServer<Server, Result>(
    _ what: String, fileID: String = #fileID, line: Int = #line,
    start: () async throws -> Server, close: (Server) async -> Void,
    _ body: (Server) async throws -> Result
) async throws -> Result {
    let server = try await start()
    let ticket = TestLedger.opened(what, startedAt: "\(fileID):\(line)")
    let result: Result
    do {
        result = try await body(server)
    } catch {
        await close(server)
        TestLedger.closed(ticket)
        throw error
    }
    await close(server)
    TestLedger.closed(ticket)
    return result
}

/// Checks `condition` every `interval` until it holds or `timeout` has passed; whether it held.
/// Tests await what they wait for with it instead of sleeping a fixed time.
public func eventually(
    timeout: Duration = .seconds(5), interval: Duration = .milliseconds(10),
    _ condition: () async throws -> Bool
) async throws -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now.advanced(by: timeout)
    while clock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: interval)
    }
    return try await condition()
}

/// ``withTestServer(_:fileID:line:start:close:_:)`` for a server that starts and stops without
/// suspending, in a test that does not.
public func withTestServer<Server, Result>(
    _ what: String, fileID: String = #fileID, line: Int = #line,
    start: () throws -> Server, close: (Server) -> Void, _ body: (Server) throws -> Result
) throws -> Result {
    let server = try start()
    let ticket = TestLedger.opened(what, startedAt: "\(fileID):\(line)")
    defer {
        close(server)
        TestLedger.closed(ticket)
    }
    return try body(server)
}
