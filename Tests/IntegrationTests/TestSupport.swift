import BanyanCore
import BanyanHTTP
import Foundation
import SharedTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A server process started for a test and stopped when the value goes away.
final class ServiceProcess: @unchecked Sendable {
    // @unchecked: the child is only touched from init, kill and deinit, which a test does not overlap.
    let name: String
    let port: Int
    let executable: String
    private let process: ChildProcess
    /// Standard output and standard error together, in a file: a service that logs a lot never
    /// blocks on a full pipe that nobody reads.
    private let output: OutputFile

    var base: BaseURL { BaseURL(host: "127.0.0.1", port: port) }
    var client: HTTPClient { HTTPClient(base: base, timeout: 15) }

    init(name: String, executable: String, arguments: [String], environment: [String: String] = [:]) throws {
        guard let port = findFreePort() else { throw TestFailure("no free port for \(name)") }
        TestLedger.watchForLeaks()
        self.name = name
        self.port = port
        self.executable = executable
        output = try OutputFile()
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value.replacingOccurrences(of: "{port}", with: String(port)) }
        process = try ChildProcess(
            executable, arguments.map { $0.replacingOccurrences(of: "{port}", with: String(port)) },
            environment: env.map { "\($0.key)=\($0.value)" }, directory: repositoryRoot.path,
            output: output.handle.fileDescriptor, error: output.handle.fileDescriptor)
        var listening = false
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning && Date() < deadline {
            if waitUntilListening(port: port, timeout: 0.2) {
                listening = true
                break
            }
        }
        guard listening else {
            let state =
                process.isRunning ? "is still not listening after 60 s" : "exited (\(process.terminationStatus))"
            stop()
            let log = output.text()
            throw TestFailure("\(name) on port \(port) \(state):\n\(log)")
        }
    }

    var pid: Int32 { process.processIdentifier }

    /// Stops the process now (SIGKILL), as a crash would.
    func kill() {
        process.killNow()
    }

    /// What the service printed so far.
    var log: String { output.text() }

    /// SIGTERM, and SIGKILL if the process has not ended 10 s later.
    private func stop() {
        process.stop(grace: 10)
    }

    deinit {
        stop()
    }

    /// The Express reference service, as it runs in production.
    static func legacy() throws -> ServiceProcess {
        try ServiceProcess(
            name: "shop-legacy", executable: try findExecutable("node"),
            arguments: ["Examples/shop-legacy/server.js"],
            environment: [
                "NODE_PATH": "/usr/share/nodejs", "NODE_ENV": "production", "PORT": "{port}", "HOST": "127.0.0.1",
            ])
    }

    /// Where the Swift port's executable is (`BANYAN_SHOPPORT_BIN`, or its debug build).
    static func portExecutable() throws -> String {
        let path =
            ProcessInfo.processInfo.environment["BANYAN_SHOPPORT_BIN"]
            ?? repositoryRoot.appendingPathComponent("Examples/ShopPort/.build/debug/ShopPort").path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw TestFailure(
                "the Swift port is not built at \(path): run 'swift build --package-path Examples/ShopPort' "
                    + "(or scripts/test.sh, which builds it), or set BANYAN_SHOPPORT_BIN")
        }
        return path
    }

    /// The Swift port, correct or with its classic porting mistakes.
    static func port(naive: Bool = false) throws -> ServiceProcess {
        let path = try portExecutable()
        return try ServiceProcess(
            name: naive ? "ShopPort --naive" : "ShopPort", executable: path,
            arguments: ["--host", "127.0.0.1", "--port", "{port}"] + (naive ? ["--naive"] : []))
    }

    /// The Rust port (`Examples/shop-rust`, release build).
    static func rustPort() throws -> ServiceProcess {
        let path =
            ProcessInfo.processInfo.environment["BANYAN_SHOPRUST_BIN"]
            ?? repositoryRoot.appendingPathComponent("Examples/shop-rust/target/release/shop-rust").path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw TestFailure(
                "the Rust port is not built at \(path): run scripts/test.sh (which installs the crates and "
                    + "builds it offline, see Examples/shop-rust/README.md), or set BANYAN_SHOPRUST_BIN")
        }
        return try ServiceProcess(
            name: "shop-rust", executable: path, arguments: ["--host", "127.0.0.1", "--port", "{port}"])
    }
}

/// The ports of the reference service that the integration tests hold to Express.
enum Port: String, CaseIterable, Sendable, CustomStringConvertible {
    /// `Examples/ShopPort` (Swift, Hummingbird).
    case swift
    /// `Examples/shop-rust` (Rust, hyper).
    case rust

    var description: String { rawValue }

    /// The `computedBy` tag the port puts in `GET /price/:symbol` (Express says "node").
    var backendTag: String { rawValue }

    /// Starts the correct port.
    func start() throws -> ServiceProcess {
        switch self {
        case .swift: try ServiceProcess.port()
        case .rust: try ServiceProcess.rustPort()
        }
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

func findExecutable(_ name: String) throws -> String {
    let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
    for directory in paths {
        let candidate = "\(directory)/\(name)"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    throw TestFailure("'\(name)' is not on the PATH; scripts/test.sh installs it")
}

extension HTTPRequest {
    /// A request with a JSON body.
    static func json(_ method: String, _ target: String, _ body: String) -> HTTPRequest {
        HTTPRequest(
            method: method, target: target, headers: HTTPHeaders([("Content-Type", "application/json")]),
            body: Array(body.utf8))
    }
}
