import ArgumentParser
import BanyanConfig
import BanyanContract
import BanyanCore
import BanyanHTTP
import BanyanProxy
import BanyanState
import Foundation
import Logging

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Watch Banyan shadow the example Express shop with its Swift port, naive then careful.",
        discussion: """
            Run from the repository root. Starts the Express shop (Examples/shop-legacy), its Swift port \
            (Examples/ShopPort, built when missing) and the proxy with every route in shadow mode and its \
            state in .banyan/demo; sends realistic traffic through the proxy; and prints what the candidate \
            answered differently. First the naive port (classic porting mistakes), then the careful one, \
            then a promotion and a rollback.
            """
    )

    @Flag(help: "Keep the naive setup running at the end, to explore it with status, diff --proxy and route set.")
    var keep = false
    @Option(help: "How many requests of the realistic mix to send after the scripted ones.") var requests = 300
    @Option(help: "The careful candidate: swift (Examples/ShopPort) or rust (Examples/shop-rust).")
    var port: CarefulPort = .swift

    enum CarefulPort: String, ExpressibleByArgument, CaseIterable {
        case swift, rust
    }

    func run() async throws {
        let root = FileManager.default.currentDirectoryPath
        guard FileManager.default.fileExists(atPath: "\(root)/Examples/banyan.yaml") else {
            throw UsageError("run 'banyan demo' from the repository root (the folder holding Examples/)")
        }
        let base: Configuration
        do { base = try ConfigurationLoader.load(path: "Examples/banyan.yaml") } catch {
            throw UsageError(error.description)
        }
        let specs: [RequestSpec]
        do { specs = try RequestSource.load(path: "Examples/requests.http") } catch {
            throw UsageError(error.description)
        }
        let portBinary = try buildPortIfMissing(root: root)
        let carefulBinary = port == .rust ? try buildRustPortIfMissing(root: root) : portBinary
        let carefulName = port == .rust ? "shop-rust" : "ShopPort"
        try? FileManager.default.removeItem(atPath: ".banyan/demo")
        try FileManager.default.createDirectory(atPath: ".banyan/demo", withIntermediateDirectories: true)

        heading("the example migration: Examples/banyan.yaml (\(base.routes.count) routes), every route in shadow mode")
        print(
            """
            Legacy serves every request; the proxy copies each one to the Swift port off the client's path,
            compares the two answers with the policy, and keeps the differences in .banyan/demo/*.sqlite.
            Both services keep their data in memory, so writes are copied too (shadow_non_idempotent) to keep
            them in step; against a shared database you would leave that off.
            """)

        heading("1. the naive port (ShopPort --naive): the classic porting mistakes")
        let naive = try await DemoRun.start(
            base: base, portBinary: portBinary, name: "ShopPort --naive", naive: true,
            statePath: ".banyan/demo/naive.sqlite")
        try await naive.drive(specs: specs, mix: requests)
        try await naive.printSummary()

        heading("2. the careful \(port == .rust ? "Rust" : "Swift") port (\(carefulName)): the same traffic")
        let careful = try await DemoRun.start(
            base: base, portBinary: carefulBinary, name: carefulName, naive: false,
            statePath: ".banyan/demo/careful.sqlite")
        try await careful.drive(specs: specs, mix: requests)
        try await careful.printSummary()

        heading("3. promote a route, then roll it back (no restart)")
        try await careful.promoteAndRollBack(route: "GET /users/:id")

        heading("4. one live connection: a WebSocket on GET /live through the proxy")
        try await careful.showLiveConnection()
        await careful.stop()

        heading("look deeper")
        let admin = "127.0.0.1:\(naive.server.adminPort)"
        print(
            """
            The naive run's differences, with sample exchanges, are what 'banyan diff --proxy' prints
            (--format json for tools). Against a running proxy (banyan demo --keep keeps this one):
                banyan status --admin \(admin)
                banyan diff --proxy --admin \(admin)
                banyan route set 'GET /users/:id' canary 5 --admin \(admin)
                banyan rollback --all --admin \(admin)
            Your own migration: write a banyan.yaml (docs/configuration.md) and run 'banyan proxy' (docs/proxy.md).
            """)
        let dashboard = "http://\(naive.server.adminAddress)/"
        if keep {
            print(
                "\nkeeping the naive setup: proxy on 127.0.0.1:\(naive.server.port), admin API on \(admin); "
                    + "Ctrl-C stops it")
            print("dashboard: \(dashboard)")
            var logger = Logger(label: "banyan.proxy")
            logger.logLevel = .notice
            try await ProxyService.serve(naive.server, logger: logger)
        } else {
            print("\ndashboard: \(dashboard) (up while the demo runs; 'banyan demo --keep' keeps it up)")
        }
        await naive.stop()
    }

    private func buildPortIfMissing(root: String) throws -> String {
        let binary = "\(root)/Examples/ShopPort/.build/debug/ShopPort"
        if FileManager.default.isExecutableFile(atPath: binary) { return binary }
        printError(
            "building the Swift port (swift build --package-path Examples/ShopPort; a few minutes the first time)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["swift", "build", "--package-path", "Examples/ShopPort"]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0, FileManager.default.isExecutableFile(atPath: binary) else {
            throw UsageError("the Swift port did not build; run 'swift build --package-path Examples/ShopPort'")
        }
        return binary
    }
}

extension DemoCommand {
    /// The Rust port's release binary, built offline from Debian's crates when missing.
    fileprivate func buildRustPortIfMissing(root: String) throws -> String {
        let binary = "\(root)/Examples/shop-rust/target/release/shop-rust"
        if FileManager.default.isExecutableFile(atPath: binary) { return binary }
        printError("building the Rust port (scripts/build-shop-rust.sh; about a minute the first time)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["bash", "scripts/build-shop-rust.sh"]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0, FileManager.default.isExecutableFile(atPath: binary) else {
            throw UsageError("the Rust port did not build; run 'bash scripts/build-shop-rust.sh'")
        }
        return binary
    }
}

private func heading(_ text: String) {
    print("\n\u{1B}[1m== \(text)\u{1B}[0m")
}

/// One pass of the demo: the two services and the proxy in front of them.
private final class DemoRun: Sendable {
    let server: ProxyServer
    let legacy: ChildProcess
    let port: ChildProcess
    let naive: Bool

    private init(server: ProxyServer, legacy: ChildProcess, port: ChildProcess, naive: Bool) {
        self.server = server
        self.legacy = legacy
        self.port = port
        self.naive = naive
    }

    static func start(
        base: Configuration,
        portBinary: String,
        name: String,
        naive: Bool,
        statePath: String
    ) async throws -> DemoRun {
        let legacy = try ChildProcess.start(
            name: "the Express shop", executable: "/usr/bin/env",
            arguments: ["node", "Examples/shop-legacy/server.js"],
            environment: ["NODE_PATH": "/usr/share/nodejs", "NODE_ENV": "production", "HOST": "127.0.0.1"],
            portVariable: "PORT", log: ".banyan/demo/legacy\(naive ? "-naive" : "").log")
        let port = try ChildProcess.start(
            name: name, executable: portBinary,
            arguments: ["--host", "127.0.0.1"] + (naive ? ["--naive"] : []), portArgument: "--port",
            log: ".banyan/demo/port\(naive ? "-naive" : "").log")
        var configuration = base
        configuration.legacy = BaseURL(host: "127.0.0.1", port: legacy.port)
        configuration.candidate = BaseURL(host: "127.0.0.1", port: port.port)
        configuration.listen = ListenAddress(host: "127.0.0.1", port: 0)
        configuration.admin = ListenAddress(host: "127.0.0.1", port: 0)
        configuration.state = "sqlite:\(statePath)"
        for index in configuration.routes.indices {
            configuration.routes[index].mode = .shadow
            configuration.routes[index].shadowNonIdempotent = true
        }
        let server: ProxyServer
        do {
            server = try await ProxyServer.start(configuration: configuration)
        } catch {
            legacy.stop()
            port.stop()
            throw UsageError("the proxy did not start: \(error)")
        }
        print(
            "started the Express shop on :\(legacy.port), \(port.name) on :\(port.port), "
                + "the proxy on :\(server.port) (admin :\(server.adminPort))")
        return DemoRun(server: server, legacy: legacy, port: port, naive: naive)
    }

    /// The requests of Examples/requests.http in order, then a mix of reads like a client's.
    func drive(specs: [RequestSpec], mix: Int) async throws {
        var planned = specs.map(\.request)
        let reads = [
            "/users/1", "/users/2", "/users/3", "/users/7", "/users/12", "/users/99", "/users/abc", "/users",
            "/users?limit=2", "/orders/ord_123", "/orders/ord_124", "/orders/ord_999", "/price/AAPL", "/price/MSFT",
            "/price/NOPE", "/day-of-year?date=2026-06-02", "/day-of-year?date=2024-12-31", "/health", "/users/1/",
        ]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<mix {
            planned.append(HTTPRequest(method: "GET", target: reads.randomElement(using: &generator)!))
        }
        let port = server.port
        let total = planned.count
        let requests = planned
        let outcome = try await withCheckedThrowingContinuation {
            (continuation: CheckedContinuation<(Int, [String: Int]), any Error>) in
            DispatchQueue.global().async {
                continuation.resume(
                    with: Result {
                        let progress = ProgressLine(label: "sending", total: total)
                        defer { progress.finish() }
                        var connection = try HTTPConnection(host: "127.0.0.1", port: port, timeout: 10)
                        var servedBy: [String: Int] = [:]
                        for request in requests {
                            if !connection.isOpen {
                                connection = try HTTPConnection(host: "127.0.0.1", port: port, timeout: 10)
                            }
                            let response = try connection.send(request).response
                            servedBy[response.headers["served-by"] ?? "none", default: 0] += 1
                            progress.advance("\(request.method) \(request.target)")
                        }
                        return (requests.count, servedBy)
                    })
            }
        }
        try await server.settleShadows()
        let served = outcome.1.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        print("sent \(outcome.0) requests through the proxy; served-by: \(served)")
    }

    func printSummary() async throws {
        let totals = try await server.store.shadowTotals()
        let aggregates = try await server.store.differenceAggregates()
        let failAt = server.engine.snapshot.configuration.policy.failAt
        let compared = totals.reduce(0) { $0 + $1.compared }
        let failing = totals.reduce(0) { $0 + $1.failing }
        print(
            "\(compared) shadow copies compared; \(failing) showed a difference at or above \(failAt) "
                + "(the policy's fail_at)\n")
        let width = totals.map(\.route.count).max() ?? 10
        print(
            "    " + "route".padding(toLength: width, withPad: " ", startingAt: 0)
                + "  compared  failing (\(failAt) or worse)  only milder differences")
        for total in totals.sorted(by: { $0.failing > $1.failing || ($0.failing == $1.failing && $0.route < $1.route) })
        {
            print(
                "    " + total.route.padding(toLength: width, withPad: " ", startingAt: 0)
                    + String(
                        format: "  %8d  %21d  %23d", total.compared, total.failing, total.differing - total.failing))
        }
        // One line per kind of difference and place, across routes.
        struct Group {
            var severity: Severity
            var kind: DifferenceKind
            var location: String
            var count: Int
            var routes: [String]
            var first: DifferenceAggregate
        }
        var groups: [String: Group] = [:]
        for aggregate in aggregates where aggregate.severity >= .cosmetic {
            let key = "\(aggregate.severity)\u{1}\(aggregate.kind)\u{1}\(aggregate.location)"
            if groups[key] == nil {
                groups[key] = Group(
                    severity: aggregate.severity, kind: aggregate.kind, location: aggregate.location, count: 0,
                    routes: [], first: aggregate)
            }
            groups[key]!.count += aggregate.count
            groups[key]!.routes.append(aggregate.route)
        }
        guard !groups.isEmpty else {
            print("\nno differences above noise: the port answers like Express on this traffic")
            return
        }
        let ordered = groups.values.sorted { ($0.severity, $0.count) > ($1.severity, $1.count) }
        print("\nwhat differs, most serious first (severity, kind, place, count), with one sample exchange:")
        for group in ordered.prefix(12) {
            var line = "  \(group.severity) \(group.kind)"
            if !group.location.isEmpty { line += " \(group.location)" }
            line += " ×\(group.count) on "
            line += group.routes.count == 1 ? group.routes[0] : "\(group.routes.count) routes"
            print(line)
            let aggregate = group.first
            print("      \(aggregate.explanation)\(aggregate.policyReason.map { " (policy: \($0))" } ?? "")")
            if let sample = aggregate.samples.first {
                var example = "      e.g. \(sample.method) \(sample.target): legacy \(sample.legacyStatus)"
                if group.kind != .status, let value = sample.legacyValue { example += " \(value.prefix(50))" }
                example += ", candidate \(sample.candidateStatus)"
                if group.kind != .status, let value = sample.candidateValue { example += " \(value.prefix(50))" }
                print(example)
            }
        }
        if ordered.count > 12 { print("  … and \(ordered.count - 12) more (banyan diff --proxy lists them all)") }
    }

    func promoteAndRollBack(route: String) async throws {
        let port = server.port
        @Sendable func servedBy() throws -> String {
            let connection = try HTTPConnection(host: "127.0.0.1", port: port, timeout: 10)
            return try connection.send(HTTPRequest(method: "GET", target: "/users/1")).response.headers["served-by"]
                ?? "none"
        }
        func blocking(_ work: @escaping @Sendable () throws -> String) async throws -> String {
            try await withCheckedThrowingContinuation { continuation in
                DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
            }
        }
        try await server.setMode(route: route, mode: .new, reason: "route set")
        print("banyan route set '\(route)' new      → next GET /users/1 served-by: \(try await blocking(servedBy))")
        let started = ContinuousClock.now
        _ = try await server.rollback(route: route)
        let elapsed = ContinuousClock.now - started
        print(
            "banyan rollback '\(route)'           → next GET /users/1 served-by: \(try await blocking(servedBy)) "
                + "(the change took \(elapsed.formatted(.units(allowed: [.milliseconds], fractionalPart: .show(length: 1)))), "
                + "persisted in the state database)")
    }

    /// Opens a WebSocket to GET /live through the proxy, echoes a message, and prints what
    /// `banyan status` says of tunnels while it is open.
    func showLiveConnection() async throws {
        let port = server.port
        let adminPort = server.adminPort
        let lines = try await withCheckedThrowingContinuation {
            (continuation: CheckedContinuation<[String], any Error>) in
            DispatchQueue.global().async {
                continuation.resume(
                    with: Result {
                        let socket = try WebSocketClient(host: "127.0.0.1", port: port, target: "/live")
                        defer { socket.close() }
                        try socket.send(text: "hello from banyan demo")
                        let echo = try socket.receive().text
                        let status = try JSONDecoder().decode(
                            ProxyStatus.self,
                            from: Data(
                                HTTPClient(base: BaseURL(host: "127.0.0.1", port: adminPort)).send(
                                    HTTPRequest(method: "GET", target: "/api/routes")
                                ).response.body))
                        return [
                            "GET /live switched to WebSocket (101, served-by: "
                                + "\(socket.handshake.response.headers["served-by"] ?? "none")); the echo: \"\(echo)\"",
                            "banyan status, while it is open:",
                        ] + StatusText.tunnelLines(status).map { "  " + $0 }
                    })
            }
        }
        for line in lines { print(line) }
        print(
            "The route is in shadow mode, but a tunnel is never copied: legacy serves it, and a rollback leaves it "
                + "open unless you add --close-tunnels.")
    }

    func stop() async {
        await server.shutdown()
        legacy.stop()
        port.stop()
    }
}

/// A service the demo started, on a free port, stopped when the demo ends.
private final class ChildProcess: Sendable {
    let name: String
    let port: Int
    private let process: Process

    private init(name: String, port: Int, process: Process) {
        self.name = name
        self.port = port
        self.process = process
    }

    static func start(
        name: String, executable: String, arguments: [String], environment: [String: String] = [:],
        portVariable: String? = nil, portArgument: String? = nil, log: String
    ) throws -> ChildProcess {
        guard let port = findFreePort() else { throw UsageError("no free port for \(name)") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments + (portArgument.map { [$0, String(port)] } ?? [])
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        if let portVariable { env[portVariable] = String(port) }
        process.environment = env
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let handle = FileHandle(forWritingAtPath: log)
        process.standardOutput = handle
        process.standardError = handle
        do { try process.run() } catch { throw UsageError("cannot start \(name): \(error)") }
        guard waitUntilListening(port: port, timeout: 30) else {
            process.terminate()
            throw UsageError("\(name) did not start listening on port \(port); see \(log)")
        }
        return ChildProcess(name: name, port: port, process: process)
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }
}
