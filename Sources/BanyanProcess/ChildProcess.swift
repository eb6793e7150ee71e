import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A child process that could not be started or did not end as asked, with what to do about it.
public struct ProcessError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A child process started with posix_spawn and awaited with waitpid. Foundation's `Process`
/// can miss a child's exit (seen with `git commit` and `pg_ctl`): `waitUntilExit` and
/// `isRunning` then wait forever on a zombie, holding one of the few threads that tasks run on.
/// Standard input is /dev/null, and the child inherits no other descriptor of this process: a
/// socket of an in-process server held by a child would keep its connection open.
///
/// Every child started and not yet reaped is listed in ``unreaped``, so that a test suite (or a
/// command) can check at its end that it left no process behind.
public final class ChildProcess: @unchecked Sendable {
    // @unchecked: `status` is only touched under `lock`.
    public let processIdentifier: pid_t
    private let lock = NSLock()
    private var status: Int32?

    /// Starts `executable`; `environment` is the whole environment (`KEY=value`), nil for this
    /// process's own; `output` and `error` are descriptors the child writes to (nil: /dev/null).
    ///
    /// - Throws: ``ProcessError`` when posix_spawn fails (the executable is missing, for one).
    public init(
        _ executable: String, _ arguments: [String], environment: [String]? = nil, directory: String? = nil,
        output: Int32? = nil, error: Int32? = nil
    ) throws(ProcessError) {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        if let output {
            posix_spawn_file_actions_adddup2(&actions, output, 1)
        } else {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        }
        if let error {
            posix_spawn_file_actions_adddup2(&actions, error, 2)
        } else {
            posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        }
        // A descriptor closed here in the meantime is not an error: glibc ignores EBADF for a close action.
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? [] {
            if let descriptor = Int32(name), descriptor > 2 {
                posix_spawn_file_actions_addclose(&actions, descriptor)
            }
        }
        // Glibc's posix_spawn_file_actions_addchdir_np is not visible to Swift: env -C changes folder.
        let command = directory.map { ["/usr/bin/env", "-C", $0, executable] } ?? [executable]
        let argv = (command + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let envp = environment.map { $0.map { strdup($0) } + [nil] }
        defer { envp?.forEach { free($0) } }
        // The spawning thread (a Dispatch or test-pool thread) blocks most signals, and a child
        // inherits that mask: SIGTERM would stay pending, and `stop` would always wait out its grace
        // and kill. The child starts with no signal blocked and every signal at its default action.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid = pid_t()
        let spawned =
            envp.map { posix_spawn(&pid, command[0], &actions, &attributes, argv, $0) }
            ?? posix_spawn(&pid, command[0], &actions, &attributes, argv, environ)
        guard spawned == 0 else {
            throw ProcessError("cannot run \(executable): \(String(cString: strerror(spawned)))")
        }
        processIdentifier = pid
        Self.registry.add(pid: pid, command: ([executable] + arguments).joined(separator: " "))
    }

    /// The children started and not yet reaped (their exit not collected by waitpid), oldest first.
    public static var unreaped: [(pid: Int32, command: String)] { registry.entries }

    private static let registry = Registry()

    /// Collects the exit if it happened; `blocking` waits for it.
    private func reap(blocking: Bool) -> Int32? {
        lock.lock()
        defer { lock.unlock() }
        if let status { return status }
        var raw: Int32 = 0
        while true {
            let result = waitpid(processIdentifier, &raw, blocking ? 0 : WNOHANG)
            if result == -1 && errno == EINTR { continue }
            guard result == processIdentifier else { return nil }
            let signal = raw & 0x7f
            status = signal == 0 ? (raw >> 8) & 0xff : 128 + signal
            Self.registry.remove(pid: processIdentifier)
            return status
        }
    }

    public var isRunning: Bool { reap(blocking: false) == nil }

    /// The exit status (128 + the signal for one that a signal ended); 0 while running.
    public var terminationStatus: Int32 { reap(blocking: false) ?? 0 }

    /// The exit status (128 + the signal for one that a signal ended), or nil while it runs.
    public var exitStatus: Int32? { reap(blocking: false) }

    /// SIGTERM.
    public func terminate() {
        if isRunning { kill(processIdentifier, SIGTERM) }
    }

    /// SIGKILL, as a crash would, and waits for the end.
    public func killNow() {
        if isRunning { kill(processIdentifier, SIGKILL) }
        _ = reap(blocking: true)
    }

    /// Waits for the end at most `timeLimit` seconds: the exit status, or nil if it still runs.
    /// This blocks the calling thread; from async code use ``shutdown(grace:)`` or poll ``exitStatus``.
    @discardableResult
    public func wait(timeLimit: Double = .infinity) -> Int32? {
        let deadline = Date().addingTimeInterval(timeLimit)
        var pause: UInt32 = 1_000
        while true {
            if let status = reap(blocking: false) { return status }
            if Date() >= deadline { return nil }
            usleep(pause)
            pause = min(pause * 2, 20_000)
        }
    }

    /// Waits for the end, however long it takes.
    public func waitUntilExit() {
        wait()
    }

    /// SIGTERM, then SIGKILL if it has not ended `grace` seconds later; returns when it has ended.
    public func stop(grace: Double = 5) {
        terminate()
        if wait(timeLimit: grace) == nil { killNow() }
    }

    /// Awaits the end, however long it takes, on a dispatch thread: the exit status.
    public func waitForExit() async -> Int32 {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: self.wait() ?? 0) }
        }
    }

    /// ``stop(grace:)`` from async code: the wait happens on a dispatch thread, never on one of the
    /// threads tasks run on, and it completes even when the calling task is cancelled (a child is
    /// stopped whatever made its user give up). Returns the exit status.
    @discardableResult
    public func shutdown(grace: Double = 5) async -> Int32 {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                self.stop(grace: grace)
                continuation.resume(returning: self.reap(blocking: true) ?? 0)
            }
        }
    }

    /// The children started and not yet reaped.
    private final class Registry: @unchecked Sendable {
        // @unchecked: `children` is only touched under `lock`.
        private let lock = NSLock()
        private var children: [(pid: Int32, command: String)] = []

        func add(pid: Int32, command: String) {
            lock.withLock { children.append((pid, command)) }
        }

        func remove(pid: Int32) {
            lock.withLock { children.removeAll { $0.pid == pid } }
        }

        var entries: [(pid: Int32, command: String)] { lock.withLock { children } }
    }
}
