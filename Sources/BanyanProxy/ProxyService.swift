import BanyanCore
import Logging
import ServiceLifecycle
import UnixSignals

/// The proxy as a long-running service: writes differences to the state store periodically,
/// reloads the configuration file on SIGHUP, and drains requests in flight on SIGTERM or SIGINT.
public struct ProxyService: Service {
    public let server: ProxyServer
    private let logger: Logger

    public init(server: ProxyServer, logger: Logger) {
        self.server = server
        self.logger = logger
    }

    public func run() async throws {
        let server = self.server
        let logger = self.logger
        await withDiscardingTaskGroup { group in
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: server.engine.settings.flushInterval)
                    do {
                        try await server.flushDifferences()
                    } catch {
                        logger.error("cannot write differences to the state database: \(error)")
                    }
                    do {
                        try await server.refreshDataPhases()
                    } catch {
                        logger.warning("cannot read the data phases from the state database: \(error)")
                    }
                }
            }
            group.addTask {
                for await _ in await UnixSignalsSequence(trapping: .sighup) {
                    do {
                        try await server.reload()
                        logger.info("configuration reloaded (SIGHUP)")
                    } catch {
                        logger.error("reload failed, keeping the routes in force: \(error)")
                    }
                }
            }
            try? await gracefulShutdown()
            logger.info(
                "draining requests in flight", metadata: ["requests": "\(server.engine.requestsInFlight)"])
            group.cancelAll()
        }
        await server.shutdown()
        logger.info("stopped")
    }

    /// Starts the proxy and runs it until SIGTERM or SIGINT.
    public static func run(
        configuration: Configuration,
        configPath: String?,
        settings: ProxySettings = ProxySettings(),
        logger: Logger
    ) async throws {
        let server = try await ProxyServer.start(
            configuration: configuration, configPath: configPath, settings: settings,
            log: { message in logger.info("\(message)") })
        let message =
            "listening on \(configuration.listen.host):\(server.port) (legacy \(configuration.legacy), candidate "
            + "\(configuration.candidate)); admin API and dashboard on http://\(server.adminAddress)/"
        logger.info(
            "\(message)",
            metadata: [
                "listen": "\(configuration.listen.host):\(server.port)", "admin": "\(server.adminAddress)",
                "io": "\(server.io)",
            ])
        try await serve(server, logger: logger)
    }

    /// Runs an already started proxy until SIGTERM or SIGINT.
    public static func serve(_ server: ProxyServer, logger: Logger) async throws {
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: ProxyService(server: server, logger: logger))],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: Logger(label: "banyan.proxy", factory: { _ in SwiftLogNoOpLogHandler() })))
        try await group.run()
    }
}
