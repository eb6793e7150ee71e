import BanyanCore
import Logging
import ServiceLifecycle
import UnixSignals

/// The proxy as a long-running service: writes differences to the state store periodically,
/// reloads the configuration file on SIGHUP, and drains requests in flight on SIGTERM or SIGINT.
///
/// Put it in a `ServiceGroup` with SIGTERM and SIGINT as graceful-shutdown signals (as
/// ``serve(_:logger:)`` does), or call ``run(configuration:configPath:settings:logger:)`` to
/// start and serve in one step.
public struct ProxyService: Service {
    /// The proxy it runs; started already, and shut down when ``run()`` ends.
    public let server: ProxyServer
    private let logger: Logger

    /// A service for `server`, reporting reloads, drains and state-database failures to `logger`.
    public init(server: ProxyServer, logger: Logger) {
        self.server = server
        self.logger = logger
    }

    /// Serves until graceful shutdown is triggered, then drains and shuts the proxy down.
    ///
    /// Meanwhile it writes differences and reads the data phases every
    /// ``ProxySettings/flushInterval``, logging a failure and going on, and reloads the file on
    /// each SIGHUP, logging a refused file and keeping the routes in force. Returns once
    /// ``ProxyServer/shutdown()`` has finished; it does not throw.
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

    /// Starts the proxy and runs it until SIGTERM or SIGINT: what `banyan proxy` does.
    ///
    /// - Parameters:
    ///   - configuration: the migration, validated.
    ///   - configPath: the file SIGHUP reads again; nil when there is none.
    ///   - settings: tuning banyan.yaml does not expose.
    ///   - logger: where the proxy's own lines go (start, reload, drain, state-database failures,
    ///     the guard's verdicts).
    /// - Throws: what ``ProxyServer/start(configuration:configPath:settings:store:log:)`` throws
    ///   when the proxy cannot start.
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

    /// Runs an already started proxy until SIGTERM or SIGINT, then drains it and shuts it down.
    ///
    /// - Throws: the service group's error, should its signal handling fail.
    public static func serve(_ server: ProxyServer, logger: Logger) async throws {
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: ProxyService(server: server, logger: logger))],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: Logger(label: "banyan.proxy", factory: { _ in SwiftLogNoOpLogHandler() })))
        try await group.run()
    }
}
