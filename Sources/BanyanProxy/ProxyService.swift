import BanyanCore
import Logging
import ServiceLifecycle
import UnixSignals

/// The proxy as a long-running service: writes differences to the state store periodically,
/// reloads the configuration file on SIGHUP, and drains requests in flight on SIGTERM or SIGINT.
public struct ProxyService: Service {
    public let server: ProxyServer
    private let log: @Sendable (String) -> Void

    public init(server: ProxyServer, log: @escaping @Sendable (String) -> Void) {
        self.server = server
        self.log = log
    }

    public func run() async throws {
        let server = self.server
        let log = self.log
        await withDiscardingTaskGroup { group in
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: server.engine.settings.flushInterval)
                    do {
                        try await server.flushDifferences()
                    } catch {
                        log("banyan proxy: cannot write differences to the state database: \(error)")
                    }
                }
            }
            group.addTask {
                for await _ in await UnixSignalsSequence(trapping: .sighup) {
                    do {
                        try await server.reload()
                        log("banyan proxy: configuration reloaded (SIGHUP)")
                    } catch {
                        log("banyan proxy: reload failed, keeping the routes in force: \(error)")
                    }
                }
            }
            try? await gracefulShutdown()
            log("banyan proxy: draining \(server.engine.requestsInFlight) requests in flight")
            group.cancelAll()
        }
        await server.shutdown()
        log("banyan proxy: stopped")
    }

    /// Starts the proxy and runs it until SIGTERM or SIGINT.
    public static func run(
        configuration: Configuration,
        configPath: String?,
        settings: ProxySettings = ProxySettings(),
        log: @escaping @Sendable (String) -> Void
    ) async throws {
        let server = try await ProxyServer.start(
            configuration: configuration, configPath: configPath, settings: settings, log: log)
        log(
            "banyan proxy: listening on \(configuration.listen.host):\(server.port) (legacy \(configuration.legacy), "
                + "candidate \(configuration.candidate)); admin API on \(configuration.admin.host):\(server.adminPort)")
        try await serve(server, log: log)
    }

    /// Runs an already started proxy until SIGTERM or SIGINT.
    public static func serve(_ server: ProxyServer, log: @escaping @Sendable (String) -> Void) async throws {
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: ProxyService(server: server, log: log))],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: Logger(label: "banyan.proxy", factory: { _ in SwiftLogNoOpLogHandler() })))
        try await group.run()
    }
}
