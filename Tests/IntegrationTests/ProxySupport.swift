import BanyanCore
import BanyanHTTP
import BanyanProxy
import BanyanState
import Dispatch
import Foundation
import NIOConcurrencyHelpers
import SharedTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// A proxy started in this process for one test, with its state in a fresh SQLite file. Tests get
/// one from ``withTestProxy(legacy:candidate:routes:configure:settings:statePath:state:policy:fileID:line:_:)``,
/// which awaits its shutdown.
struct TestProxy {
    let server: ProxyServer
    let statePath: String

    var client: HTTPClient { HTTPClient(base: BaseURL(host: "127.0.0.1", port: server.port), timeout: 15) }

    /// The configuration of a proxy on free ports of 127.0.0.1 for `routes` (Express 4 syntax),
    /// with its state in `state`, or in a SQLite file at `statePath` (a fresh one when nil).
    static func configuration(
        legacy: BaseURL, candidate: BaseURL, routes: [String], configure: (inout [RouteConfig]) -> Void,
        statePath: String?, state: String?, policy: DifferencePolicy
    ) throws -> (configuration: Configuration, statePath: String) {
        var routeConfigs = try routes.map { text in
            let route = try Route(parsing: text, flavor: .express4)
            return RouteConfig(route: text, method: route.method, pattern: route.pattern.source)
        }
        configure(&routeConfigs)
        let path =
            statePath
            ?? FileManager.default.temporaryDirectory.appendingPathComponent(
                "banyan-proxy-\(UUID().uuidString)/state.sqlite"
            ).path
        let configuration = Configuration(
            legacy: legacy, candidate: candidate, express: .express4,
            listen: ListenAddress(host: "127.0.0.1", port: 0), admin: ListenAddress(host: "127.0.0.1", port: 0),
            state: state ?? "sqlite:\(path)", routes: routeConfigs, policy: policy)
        return (configuration, path)
    }

    /// Sends one request on a new connection.
    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let client = self.client
        return try await blocking { try client.send(request).response }
    }

    func get(_ target: String, headers: [(String, String)] = []) async throws -> HTTPResponse {
        try await send(HTTPRequest(method: "GET", target: target, headers: HTTPHeaders(headers)))
    }
}

/// Starts a proxy for `routes` (Express 4 syntax) in front of `legacy` and `candidate`, runs
/// `body` with it and awaits the proxy's shutdown before returning, also when `body` throws.
///
/// - Parameters:
///   - configure: changes the routes' settings (mode, shadow, fallback) before the start.
///   - statePath: the SQLite state file; nil for a fresh one. A second proxy given the first's
///     ``TestProxy/statePath`` starts from what the first one stored.
///   - state: a state location (`postgres://…`) instead of the SQLite file.
func withTestProxy<Result>(
    legacy: BaseURL, candidate: BaseURL, routes: [String], configure: (inout [RouteConfig]) -> Void = { _ in },
    settings: ProxySettings = ProxySettings(), statePath: String? = nil, state: String? = nil,
    policy: DifferencePolicy = .default, fileID: String = #fileID, line: Int = #line,
    _ body: (TestProxy) async throws -> Result
) async throws -> Result {
    let (configuration, path) = try TestProxy.configuration(
        legacy: legacy, candidate: candidate, routes: routes, configure: configure, statePath: statePath,
        state: state, policy: policy)
    return try await withTestServer(
        "proxy for \(routes.count) routes", fileID: fileID, line: line,
        start: {
            TestProxy(
                server: try await ProxyServer.start(configuration: configuration, settings: settings), statePath: path)
        }, close: { await $0.server.shutdown() }, { try await body($0) })
}

/// Starts a proxy with `configuration`, runs `body` with it and awaits the proxy's shutdown
/// before returning, also when `body` throws.
func withProxyServer<Result>(
    configuration: Configuration, settings: ProxySettings = ProxySettings(), configPath: String? = nil,
    fileID: String = #fileID, line: Int = #line, _ body: (ProxyServer) async throws -> Result
) async throws -> Result {
    try await withTestServer(
        "proxy", fileID: fileID, line: line,
        start: {
            try await ProxyServer.start(configuration: configuration, configPath: configPath, settings: settings)
        },
        close: { await $0.shutdown() }, body)
}

/// `count` proxies with the same settings, each started by
/// ``withTestProxy(legacy:candidate:routes:configure:settings:statePath:state:policy:fileID:line:_:)``,
/// for `body`; every one is shut down before returning.
func withTestProxies<Result>(
    count: Int, legacy: BaseURL, candidate: BaseURL, routes: [String],
    configure: (inout [RouteConfig]) -> Void = { _ in }, settings: ProxySettings = ProxySettings(),
    state: String? = nil, fileID: String = #fileID, line: Int = #line, _ body: ([TestProxy]) async throws -> Result
) async throws -> Result {
    func more(_ started: [TestProxy]) async throws -> Result {
        if started.count == count { return try await body(started) }
        return try await withTestProxy(
            legacy: legacy, candidate: candidate, routes: routes, configure: configure, settings: settings,
            state: state, fileID: fileID, line: line
        ) { proxy in try await more(started + [proxy]) }
    }
    return try await more([])
}
