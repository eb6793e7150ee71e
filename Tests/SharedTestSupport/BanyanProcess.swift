import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The repository's root folder, found from this file's location.
public let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// How a process ended and what it printed.
public struct ProcessOutput: Sendable {
    public var status: Int32
    public var output: String
    public var error: String
}

/// The built `banyan` executable: `BANYAN_BIN`, or the debug build in this repository.
public func banyanExecutable() throws -> String {
    let path =
        ProcessInfo.processInfo.environment["BANYAN_BIN"]
        ?? repositoryRoot.appendingPathComponent(".build/debug/banyan").path
    guard FileManager.default.isExecutableFile(atPath: path) else {
        throw TestSupportError("banyan is not built at \(path): run 'swift build' first, or set BANYAN_BIN")
    }
    return path
}

/// Runs `executable` to its end and returns its status, standard output and standard error.
/// `environment` is added to this process's own.
///
/// The process starts with posix_spawn and is awaited with waitpid, its output goes to temporary
/// files: a child that outlives it (a browser's helper, a server a tool starts) can neither hide
/// its exit nor keep a pipe open. A process still running after `timeLimit` seconds is stopped
/// (SIGTERM, then SIGKILL) and the call throws with what it printed so far.
public func runToEnd(
    _ executable: String, _ arguments: [String], environment: [String: String] = [:], directory: URL? = nil,
    timeLimit: Double = 600
) throws -> ProcessOutput {
    let output = try OutputFile()
    let error = try OutputFile()
    let variables = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
    let status = try spawnAndWait(
        executable, arguments, environment: variables.map { "\($0.key)=\($0.value)" },
        directory: directory?.path, output: output.handle.fileDescriptor,
        error: error.handle.fileDescriptor, timeLimit: timeLimit)
    guard let status else {
        throw TestSupportError(
            "\(executable) \(arguments.joined(separator: " ")) did not end within \(String(format: "%g", timeLimit)) s and was "
                + "stopped; standard output:\n\(output.text())\nstandard error:\n\(error.text())")
    }
    return ProcessOutput(status: status, output: output.text(), error: error.text())
}

/// Starts `executable` with posix_spawn, standard input from /dev/null, and waits for it: its
/// exit status (128 + the signal for one that a signal ended), or nil when it ran past
/// `timeLimit` seconds and was stopped.
func spawnAndWait(
    _ executable: String, _ arguments: [String], environment: [String]?, directory: String?, output: Int32,
    error: Int32, timeLimit: Double
) throws(TestSupportError) -> Int32? {
    TestLedger.watchForLeaks()
    let child = try ChildProcess(
        executable, arguments, environment: environment, directory: directory, output: output, error: error)
    if let status = child.wait(timeLimit: timeLimit) { return status }
    child.stop()
    return nil
}

/// A child process started with posix_spawn and awaited with waitpid. Foundation's `Process`
/// can miss a child's exit (seen here with `git commit` and `pg_ctl`): `waitUntilExit` and
/// `isRunning` then wait forever on a zombie, holding one of the few threads the tests' tasks
/// run on. Standard input is /dev/null, and the child inherits no other descriptor of this
/// process: a socket of an in-process server held by a child would keep its connection open.
public final class ChildProcess: @unchecked Sendable {
    // @unchecked: `status` is only touched under `lock`.
    public let processIdentifier: pid_t
    private let lock = NSLock()
    private var status: Int32?

    /// The children spawned and not yet reaped by waitpid, oldest first, with their command lines.
    public static var unreaped: [(pid: Int32, command: String)] { spawned.withLock { $0 } }
    private static let spawned = Mutex<[(pid: Int32, command: String)]>([])

    /// Starts `executable`; `environment` is the whole environment (`KEY=value`), nil for this
    /// process's own; `output` and `error` are descriptors the child writes to (nil: /dev/null).
    public init(
        _ executable: String, _ arguments: [String], environment: [String]? = nil, directory: String? = nil,
        output: Int32? = nil, error: Int32? = nil
    ) throws(TestSupportError) {
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
            throw TestSupportError("cannot run \(executable): \(String(cString: strerror(spawned)))")
        }
        processIdentifier = pid
        Self.spawned.withLock { $0.append((pid, (command + arguments).joined(separator: " "))) }
    }

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
            Self.spawned.withLock { $0.removeAll { $0.pid == processIdentifier } }
            let signal = raw & 0x7f
            status = signal == 0 ? (raw >> 8) & 0xff : 128 + signal
            return status
        }
    }

    public var isRunning: Bool { reap(blocking: false) == nil }

    /// The exit status (128 + the signal for one that a signal ended); 0 while running.
    public var terminationStatus: Int32 { reap(blocking: false) ?? 0 }

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
}

/// A temporary file that takes a child process's output, removed when the value goes away.
public final class OutputFile {
    public let url: URL
    public let handle: FileHandle

    public init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("banyan-test-output-\(UUID())")
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw TestSupportError("cannot create \(url.path)")
        }
        handle = try FileHandle(forWritingTo: url)
    }

    /// What was written so far.
    public func text() -> String {
        String(decoding: (try? Data(contentsOf: url)) ?? Data(), as: UTF8.self)
    }

    deinit {
        try? handle.close()
        try? FileManager.default.removeItem(at: url)
    }
}

/// ``runToEnd(_:_:environment:directory:timeLimit:)`` on a dispatch thread: a test waiting for the process
/// never holds one of the few threads that other tests' tasks run on.
public func runOffThePool(
    _ executable: String, _ arguments: [String], environment: [String: String] = [:], directory: URL? = nil,
    timeLimit: Double = 600
) async throws -> ProcessOutput {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async {
            continuation.resume(
                with: Result {
                    try runToEnd(
                        executable, arguments, environment: environment, directory: directory, timeLimit: timeLimit)
                })
        }
    }
}
