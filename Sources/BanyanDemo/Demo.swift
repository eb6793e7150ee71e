import BanyanConfig
import BanyanContract
import BanyanCore
import BanyanHTTP
import BanyanProcess
import BanyanProxy
import BanyanState
import Foundation

/// `banyan demo`: the example Express shop and a port of it behind the proxy, every route in
/// shadow mode; realistic traffic; what the candidate answered differently. First the naive port
/// (classic porting mistakes), then the careful one, then a promotion and a rollback, then a
/// WebSocket. What happens is reported as ``DemoEvent``s, which the command prints.
public enum Demo {
    /// The careful candidate.
    public enum CarefulPort: String, Sendable, CaseIterable {
        /// `Examples/ShopPort`.
        case swift
        /// `Examples/shop-rust`.
        case rust

        /// The name the demo prints.
        public var name: String { self == .rust ? "shop-rust" : "ShopPort" }
    }

    /// What to run, and where.
    public struct Options: Sendable {
        /// The repository's root: the folder that holds `Examples/`.
        public var root: String
        /// Where the state databases and the services' logs go; emptied first.
        public var stateFolder: String
        /// How many requests of the realistic mix to send after the scripted ones.
        public var requests: Int
        /// The Swift port's executable, run as the naive port (`--naive`).
        public var naiveExecutable: String
        public var careful: CarefulPort
        /// The careful port's executable.
        public var carefulExecutable: String
        /// Serve the naive setup at the end until SIGINT or SIGTERM.
        public var keep: Bool

        public init(
            root: String, stateFolder: String, requests: Int, naiveExecutable: String, careful: CarefulPort,
            carefulExecutable: String, keep: Bool = false
        ) {
            self.root = root
            self.stateFolder = stateFolder
            self.requests = requests
            self.naiveExecutable = naiveExecutable
            self.careful = careful
            self.carefulExecutable = carefulExecutable
            self.keep = keep
        }
    }

    /// The route the demo promotes and rolls back.
    public static let promotedRoute = "GET /users/:id"

    /// Runs the whole demo, reporting each step and result to `report` as it happens. Every
    /// service it started has ended when this returns or throws.
    ///
    /// - Throws: ``DemoError`` when a file it needs is broken, a service does not start or dies.
    public static func run(_ options: Options, report: @escaping @Sendable (DemoEvent) -> Void) async throws {
        let base: Configuration
        do { base = try ConfigurationLoader.load(path: "\(options.root)/Examples/banyan.yaml") } catch {
            throw DemoError(error.description)
        }
        let specs: [RequestSpec]
        do { specs = try RequestSource.load(path: "\(options.root)/Examples/requests.http") } catch {
            throw DemoError(error.description)
        }
        try? FileManager.default.removeItem(atPath: options.stateFolder)
        try FileManager.default.createDirectory(atPath: options.stateFolder, withIntermediateDirectories: true)

        report(.overview(routes: base.routes.count))
        report(.naiveStep)
        try await withPass(options, base: base, naive: true) { naive in
            try await drive(naive, specs: specs, mix: options.requests, report: report)
            report(.carefulStep(options.careful))
            try await withPass(options, base: base, naive: false) { careful in
                try await drive(careful, specs: specs, mix: options.requests, report: report)
                report(.promotionStep)
                report(.promotion(try await promoteAndRollBack(careful.server, route: promotedRoute)))
                report(.liveConnectionStep)
                report(.liveConnection(try await liveConnection(careful.server)))
            }
            report(
                .finished(
                    admin: "127.0.0.1:\(naive.server.adminPort)", proxyPort: naive.server.port,
                    dashboard: "http://\(naive.server.adminAddress)/", keeping: options.keep))
            if options.keep { try await naive.keepServing() }
        }
    }

    /// One pass: the Express shop, a port, and the proxy with every route in shadow mode.
    private static func withPass(
        _ options: Options, base: Configuration, naive: Bool,
        _ body: @escaping @Sendable (DemoServices) async throws -> Void
    ) async throws {
        let suffix = naive ? "-naive" : ""
        let legacy = DemoServiceSpec(
            name: "the Express shop", executable: "/usr/bin/env",
            arguments: ["node", "Examples/shop-legacy/server.js"],
            environment: ["NODE_PATH": "/usr/share/nodejs", "NODE_ENV": "production", "HOST": "127.0.0.1"],
            portVariable: "PORT", directory: options.root, log: "\(options.stateFolder)/legacy\(suffix).log")
        let candidate = DemoServiceSpec(
            name: naive ? "ShopPort --naive" : options.careful.name,
            executable: naive ? options.naiveExecutable : options.carefulExecutable,
            arguments: ["--host", "127.0.0.1"] + (naive ? ["--naive"] : []), portArgument: "--port",
            directory: options.root, log: "\(options.stateFolder)/port\(suffix).log")
        var configuration = base
        configuration.state = "sqlite:\(options.stateFolder)/\(naive ? "naive" : "careful").sqlite"
        for index in configuration.routes.indices {
            configuration.routes[index].mode = .shadow
            configuration.routes[index].shadowNonIdempotent = true
        }
        try await withDemoServices(legacy: legacy, candidate: candidate, configuration: configuration, body)
    }

    /// Reports the pass's services, sends the traffic, and reports what it found.
    private static func drive(
        _ services: DemoServices, specs: [RequestSpec], mix: Int, report: @Sendable (DemoEvent) -> Void
    ) async throws {
        report(
            .started(
                DemoPass(
                    legacyPort: services.legacy.port, candidate: services.candidate.name,
                    candidatePort: services.candidate.port, proxyPort: services.server.port,
                    adminPort: services.server.adminPort,
                    processes: [services.legacy.processIdentifier, services.candidate.processIdentifier])))
        report(.sent(try await sendTraffic(services.server, specs: specs, mix: mix)))
        report(.summary(try await summary(services.server)))
    }

    /// The reads the realistic mix draws from, like a client's.
    static let reads = [
        "/users/1", "/users/2", "/users/3", "/users/7", "/users/12", "/users/99", "/users/abc", "/users",
        "/users?limit=2", "/orders/ord_123", "/orders/ord_124", "/orders/ord_999", "/price/AAPL", "/price/MSFT",
        "/price/NOPE", "/day-of-year?date=2026-06-02", "/day-of-year?date=2024-12-31", "/health", "/users/1/",
    ]

    /// The requests of Examples/requests.http in order, then `mix` reads drawn at random; then
    /// waits until every shadow copy has been compared.
    ///
    /// The requests go out on one keep-alive connection, in runs that each end with a request
    /// that changes something (not safe, RFC 9110 §9.2.1). After each such run the shadow copies
    /// are settled before the next run: a copy of `POST /users` must reach the candidate before
    /// the copy of the `GET /users/13` that follows it, or the candidate would answer 404 for a
    /// user it has not created yet, and the report would depend on timing.
    static func sendTraffic(_ server: ProxyServer, specs: [RequestSpec], mix: Int) async throws -> DemoTraffic {
        var planned = specs.map(\.request)
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<mix {
            planned.append(HTTPRequest(method: "GET", target: reads.randomElement(using: &generator)!))
        }
        var runs: [[HTTPRequest]] = [[]]
        for request in planned {
            runs[runs.count - 1].append(request)
            if !MethodSemantics.isSafe(request.method) { runs.append([]) }
        }
        let port = server.port
        let progress = ProgressLine(label: "sending", total: planned.count)
        defer { progress.finish() }
        let connection = LockedConnection()
        var servedBy: [String: Int] = [:]
        for run in runs where !run.isEmpty {
            let counts = try await offThePool { cancelled -> [String: Int] in
                var counts: [String: Int] = [:]
                for request in run {
                    if cancelled.isSet { throw CancellationError() }
                    let response = try connection.send(request, port: port)
                    counts[response.headers["served-by"] ?? "none", default: 0] += 1
                    progress.advance("\(request.method) \(request.target)")
                }
                return counts
            }
            servedBy.merge(counts, uniquingKeysWith: +)
            try await server.settleShadows()
        }
        return DemoTraffic(requests: planned.count, servedBy: servedBy)
    }

    /// What the state database holds after a pass.
    static func summary(_ server: ProxyServer) async throws -> DemoSummary {
        let totals = try await server.store.shadowTotals()
        let aggregates = try await server.store.differenceAggregates()
        var groups: [String: DemoSummary.Group] = [:]
        var order: [String] = []
        for aggregate in aggregates where aggregate.severity >= .cosmetic {
            let key = "\(aggregate.severity)\u{1}\(aggregate.kind)\u{1}\(aggregate.location)"
            if groups[key] == nil {
                order.append(key)
                groups[key] = DemoSummary.Group(
                    severity: aggregate.severity, kind: aggregate.kind, location: aggregate.location, count: 0,
                    routes: [], first: aggregate)
            }
            groups[key]!.count += aggregate.count
            groups[key]!.routes.append(aggregate.route)
        }
        return DemoSummary(
            failAt: server.engine.snapshot.configuration.policy.failAt,
            routes: totals.sorted { $0.failing > $1.failing || ($0.failing == $1.failing && $0.route < $1.route) },
            differences: order.compactMap { groups[$0] }.sorted { ($0.severity, $0.count) > ($1.severity, $1.count) })
    }

    /// Sends the route to the candidate, then back to legacy, with the `served-by` of a request after each.
    static func promoteAndRollBack(_ server: ProxyServer, route: String) async throws -> DemoPromotion {
        let port = server.port
        @Sendable func servedBy() async throws -> String {
            try await offThePool { _ in
                let connection = try HTTPConnection(host: "127.0.0.1", port: port, timeout: 10)
                return try connection.send(HTTPRequest(method: "GET", target: "/users/1")).response
                    .headers["served-by"] ?? "none"
            }
        }
        try await server.setMode(route: route, mode: .new, reason: "route set")
        let afterSet = try await servedBy()
        let started = ContinuousClock.now
        _ = try await server.rollback(route: route)
        let took = ContinuousClock.now - started
        return DemoPromotion(
            route: route, servedByAfterSet: afterSet, servedByAfterRollback: try await servedBy(), took: took)
    }

    /// Opens a WebSocket to GET /live through the proxy, echoes a message, and reads the status
    /// while it is open.
    static func liveConnection(_ server: ProxyServer) async throws -> DemoLiveConnection {
        let port = server.port
        let adminPort = server.adminPort
        return try await offThePool { _ in
            let socket = try WebSocketClient(host: "127.0.0.1", port: port, target: "/live")
            defer { socket.close() }
            let message = "hello from banyan demo"
            try socket.send(text: message)
            let echo = try socket.receive().text
            let answer = try HTTPClient(base: BaseURL(host: "127.0.0.1", port: adminPort)).send(
                HTTPRequest(method: "GET", target: "/api/routes")
            ).response
            return DemoLiveConnection(
                servedBy: socket.handshake.response.headers["served-by"] ?? "none", sent: message, echo: echo,
                status: try ProxyStatus.decode(fromJSON: answer.body))
        }
    }
}

/// Runs blocking work (sockets) on a dispatch thread, never on one of the threads tasks run on.
/// `work` is handed a flag that is set when the calling task is cancelled.
func offThePool<Value: Sendable>(
    _ work: @escaping @Sendable (LockedFlag) throws -> Value
) async throws -> Value {
    let cancelled = LockedFlag()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try work(cancelled) }) }
        }
    } onCancel: {
        cancelled.set()
    }
}

extension Demo {
    /// The Swift port's debug executable, built (`swift build --package-path Examples/ShopPort`,
    /// its output on this process's) when missing; `note` is told before a build starts.
    ///
    /// - Throws: ``DemoError`` when the build fails.
    public static func swiftPort(root: String, note: @Sendable (String) -> Void) async throws -> String {
        try await buildIfMissing(
            "\(root)/Examples/ShopPort/.build/debug/ShopPort", root: root,
            command: ["swift", "build", "--package-path", "Examples/ShopPort"],
            note:
                "building the Swift port (swift build --package-path Examples/ShopPort; a few minutes the first time)",
            failure: "the Swift port did not build; run 'swift build --package-path Examples/ShopPort'", report: note)
    }

    /// The Rust port's release executable, built offline from Debian's crates when missing.
    ///
    /// - Throws: ``DemoError`` when the build fails.
    public static func rustPort(root: String, note: @Sendable (String) -> Void) async throws -> String {
        try await buildIfMissing(
            "\(root)/Examples/shop-rust/target/release/shop-rust", root: root,
            command: ["bash", "scripts/build-shop-rust.sh"],
            note: "building the Rust port (scripts/build-shop-rust.sh; about a minute the first time)",
            failure: "the Rust port did not build; run 'bash scripts/build-shop-rust.sh'", report: note)
    }

    private static func buildIfMissing(
        _ binary: String, root: String, command: [String], note: String, failure: String,
        report: @Sendable (String) -> Void
    ) async throws -> String {
        if FileManager.default.isExecutableFile(atPath: binary) { return binary }
        report(note)
        let build: ChildProcess
        do {
            build = try ChildProcess("/usr/bin/env", command, directory: root, output: 1, error: 2)
        } catch {
            throw DemoError("\(failure) (\(error))")
        }
        let status = await build.waitForExit()
        guard status == 0, FileManager.default.isExecutableFile(atPath: binary) else { throw DemoError(failure) }
        return binary
    }
}

/// One keep-alive connection to the proxy for the demo's traffic, opened again when the proxy
/// closed it; used from one thread at a time.
final class LockedConnection: @unchecked Sendable {
    // @unchecked: `connection` is touched only under `lock`.
    private let lock = NSLock()
    private var connection: HTTPConnection?

    /// Sends `request` on the connection (opening one to `port` when there is none open) and
    /// returns the answer.
    func send(_ request: HTTPRequest, port: Int) throws -> HTTPResponse {
        try lock.withLock {
            if connection?.isOpen != true {
                connection = try HTTPConnection(host: "127.0.0.1", port: port, timeout: 10)
            }
            return try connection!.send(request).response
        }
    }
}
