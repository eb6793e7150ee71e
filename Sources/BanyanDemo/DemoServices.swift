import BanyanConfig
import BanyanCore
import BanyanHTTP
import BanyanProcess
import BanyanProxy
import Foundation
import Logging

/// A service the demo starts as a child process, on a free port that it is told on its command
/// line or in its environment.
public struct DemoServiceSpec: Sendable {
    /// The name the demo prints (`the Express shop`, `ShopPort --naive`).
    public var name: String
    public var executable: String
    public var arguments: [String]
    /// Added to this process's environment.
    public var environment: [String: String]
    /// The variable that gives the port (`PORT`), if it is given that way.
    public var portVariable: String?
    /// The option that gives the port (`--port`), if it is given that way.
    public var portArgument: String?
    /// The folder the child runs in.
    public var directory: String
    /// The file that takes its standard output and error, emptied when it starts.
    public var log: String

    public init(
        name: String, executable: String, arguments: [String], environment: [String: String] = [:],
        portVariable: String? = nil, portArgument: String? = nil, directory: String, log: String
    ) {
        self.name = name
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.portVariable = portVariable
        self.portArgument = portArgument
        self.directory = directory
        self.log = log
    }
}

/// A problem that ends the demo: a file it needs, a service that did not start or that died.
public struct DemoError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A service the demo started, listening on `port`.
public final class DemoService: Sendable {
    public let name: String
    public let port: Int
    /// The file that holds what it printed.
    public let log: String
    let process: ChildProcess

    private init(name: String, port: Int, log: String, process: ChildProcess) {
        self.name = name
        self.port = port
        self.log = log
        self.process = process
    }

    /// How many times a service that exits before it listens is started again on another port: the
    /// port is found free, then bound by the child, and another process may take it in between.
    static let attempts = 3

    /// Starts the service and returns once it accepts connections. A child that exits first (its
    /// port taken in the meantime) is started again on another port; the last failure throws
    /// with the end of its log.
    static func start(_ spec: DemoServiceSpec, timeLimit: Duration = .seconds(30)) async throws -> DemoService {
        var failure = DemoError("\(spec.name) did not start")
        for _ in 0..<attempts {
            try Task.checkCancellation()
            guard let port = findFreePort() else { throw DemoError("no free port for \(spec.name)") }
            let process = try spawn(spec, port: port)
            let clock = ContinuousClock()
            let deadline = clock.now + timeLimit
            while true {
                if let status = process.exitStatus {
                    failure = DemoError(
                        "\(spec.name) exited (status \(status)) before it listened on port \(port); "
                            + logTail(spec.log))
                    break
                }
                if acceptsConnections(port: port) {
                    return DemoService(name: spec.name, port: port, log: spec.log, process: process)
                }
                if clock.now >= deadline {
                    await process.shutdown()
                    throw DemoError(
                        "\(spec.name) did not start listening on port \(port) within \(timeLimit); "
                            + logTail(spec.log))
                }
                do {
                    try await Task.sleep(for: .milliseconds(50))
                } catch {
                    await process.shutdown()
                    throw error
                }
            }
        }
        throw failure
    }

    private static func spawn(_ spec: DemoServiceSpec, port: Int) throws -> ChildProcess {
        _ = FileManager.default.createFile(atPath: spec.log, contents: nil)
        guard let handle = FileHandle(forWritingAtPath: spec.log) else {
            throw DemoError("cannot write \(spec.log)")
        }
        defer { try? handle.close() }
        var environment = ProcessInfo.processInfo.environment
        for (key, value) in spec.environment { environment[key] = value }
        if let portVariable = spec.portVariable { environment[portVariable] = String(port) }
        do {
            return try ChildProcess(
                spec.executable, spec.arguments + (spec.portArgument.map { [$0, String(port)] } ?? []),
                environment: environment.map { "\($0.key)=\($0.value)" }, directory: spec.directory,
                output: handle.fileDescriptor, error: handle.fileDescriptor)
        } catch {
            throw DemoError("cannot start \(spec.name): \(error)")
        }
    }

    /// Whether a connection to the port succeeds now; on the loopback interface the answer is
    /// immediate (accepted or refused).
    private static func acceptsConnections(port: Int) -> Bool {
        guard let connection = try? HTTPConnection(host: "127.0.0.1", port: port, timeout: 1) else { return false }
        connection.close()
        return true
    }

    public var processIdentifier: Int32 { process.processIdentifier }

    /// The exit status if it ended, nil while it runs.
    public var exitStatus: Int32? { process.exitStatus }

    /// Stops it (SIGTERM, then SIGKILL 5 s later) and awaits its end.
    func stop() async {
        await process.shutdown()
    }

    /// The error that says it died, with the end of its log.
    func exitedError(status: Int32) -> DemoError {
        DemoError("\(name) (port \(port)) exited with status \(status) while the demo ran; " + Self.logTail(log))
    }

    /// The last lines of a log, said so that the reader knows where the rest is.
    static func logTail(_ path: String, lines: Int = 20) -> String {
        let text = String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self)
        let last = text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines + 1)
            .joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        return last.isEmpty ? "its log (\(path)) is empty" : "the end of its log (\(path)):\n\(last)"
    }
}

/// The two services and the proxy of one pass of the demo.
public final class DemoServices: Sendable {
    public let legacy: DemoService
    public let candidate: DemoService
    public let server: ProxyServer
    private let ending = LockedFlag()

    init(legacy: DemoService, candidate: DemoService, server: ProxyServer) {
        self.legacy = legacy
        self.candidate = candidate
        self.server = server
    }

    /// Serves until SIGINT or SIGTERM (`banyan demo --keep`). The services get the terminal's
    /// Ctrl-C as well, so from here on their end is expected, not an error.
    public func keepServing() async throws {
        ending.set()
        var logger = Logger(label: "banyan.proxy")
        logger.logLevel = .notice
        try await ProxyService.serve(server, logger: logger)
    }

    /// The service that died, with its status, unless their end is expected.
    func deadService() -> (DemoService, Int32)? {
        if ending.isSet { return nil }
        for service in [legacy, candidate] {
            if let status = service.exitStatus { return (service, status) }
        }
        return nil
    }
}

/// Starts `legacy` and `candidate` and a proxy in front of them (the `configuration` with their
/// addresses and free ports for its listeners), runs `body`, and stops all three however `body`
/// ends: returning, throwing or cancelled. The services' exits are awaited before this returns.
///
/// While `body` runs, a service that dies ends it at once with an error that holds the end of the
/// service's log: `body` is cancelled, and the error is thrown from here.
///
/// - Throws: ``DemoError`` when a service does not start or dies; the proxy's error when it does
///   not start; what `body` throws.
public func withDemoServices<Result: Sendable>(
    legacy: DemoServiceSpec, candidate: DemoServiceSpec, configuration base: Configuration,
    _ body: @escaping @Sendable (DemoServices) async throws -> Result
) async throws -> Result {
    try await withService(legacy) { legacyService in
        try await withService(candidate) { candidateService in
            var configuration = base
            configuration.legacy = BaseURL(host: "127.0.0.1", port: legacyService.port)
            configuration.candidate = BaseURL(host: "127.0.0.1", port: candidateService.port)
            configuration.listen = ListenAddress(host: "127.0.0.1", port: 0)
            configuration.admin = ListenAddress(host: "127.0.0.1", port: 0)
            let server: ProxyServer
            do {
                server = try await ProxyServer.start(configuration: configuration)
            } catch {
                throw DemoError("the proxy did not start: \(error)")
            }
            let services = DemoServices(legacy: legacyService, candidate: candidateService, server: server)
            let outcome: Swift.Result<Result, any Error>
            do {
                outcome = .success(try await watching(services, body))
            } catch {
                // A request that failed because a service died says less than the death itself.
                if let (dead, status) = services.deadService() {
                    outcome = .failure(dead.exitedError(status: status))
                } else {
                    outcome = .failure(error)
                }
            }
            await server.shutdown()
            return try outcome.get()
        }
    }
}

/// Starts a service, runs `body` with it, and stops it however `body` ends.
private func withService<Result: Sendable>(
    _ spec: DemoServiceSpec, _ body: (DemoService) async throws -> Result
) async throws -> Result {
    let service = try await DemoService.start(spec)
    let outcome: Swift.Result<Result, any Error>
    do {
        outcome = .success(try await body(service))
    } catch {
        outcome = .failure(error)
    }
    await service.stop()
    return try outcome.get()
}

/// Runs `body` while watching the services: the first of the two to end decides, and the other
/// is cancelled.
private func watching<Result: Sendable>(
    _ services: DemoServices, _ body: @escaping @Sendable (DemoServices) async throws -> Result
) async throws -> Result {
    try await withThrowingTaskGroup(of: WatchEnding<Result>.self) { group in
        group.addTask { .finished(try await body(services)) }
        group.addTask {
            while !Task.isCancelled {
                if let (dead, status) = services.deadService() { throw dead.exitedError(status: status) }
                try await Task.sleep(for: .milliseconds(100))
            }
            return .watchEnded
        }
        defer { group.cancelAll() }
        while let ending = try await group.next() {
            if case .finished(let result) = ending { return result }
        }
        throw CancellationError()
    }
}

/// How the first task of ``watching(_:_:)`` ended.
private enum WatchEnding<Result: Sendable>: Sendable {
    case finished(Result)
    case watchEnded
}

/// A flag set once, read from any thread.
final class LockedFlag: @unchecked Sendable {
    // @unchecked: `value` is only touched under `lock`.
    private let lock = NSLock()
    private var value = false

    func set() { lock.withLock { value = true } }

    var isSet: Bool { lock.withLock { value } }
}
