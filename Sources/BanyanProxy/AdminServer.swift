import BanyanCore
import BanyanState
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// The admin API, on a listener of its own: routes with live counters, mode changes, rollback,
/// stored differences. JSON in and out; a bearer token when the configuration sets one.
enum AdminServer {
    static func bind(server: ProxyServer, group: any EventLoopGroup, address: ListenAddress) async throws
        -> any Channel
    {
        try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(AdminHandler(server: server))
                }
            }
            .bind(host: address.host, port: address.port).get()
    }
}

/// A request to the admin API.
public struct AdminRequest: Sendable {
    public var method: String
    public var path: String
    public var authorization: String?
    public var body: [UInt8]

    /// A request as the admin listener received it.
    public init(method: String, path: String, authorization: String? = nil, body: [UInt8] = []) {
        self.method = method
        self.path = path
        self.authorization = authorization
        self.body = body
    }
}

final class AdminHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let server: ProxyServer
    private var request: AdminRequest?

    init(server: ProxyServer) {
        self.server = server
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            request = AdminRequest(
                method: head.method.rawValue, path: head.uri, authorization: head.headers["authorization"].first,
                body: [])
        case .body(var buffer):
            if request != nil, request!.body.count < 1 << 20 {
                request!.body += buffer.readBytes(length: buffer.readableBytes) ?? []
            }
        case .end:
            guard let request else { return }
            self.request = nil
            let server = self.server
            let future = context.eventLoop.makeFutureWithTask {
                await AdminAPI(server: server).handle(request)
            }
            future.assumeIsolated().whenSuccess { (status, body) in
                var headers = NIOHTTP1.HTTPHeaders()
                headers.add(name: "content-type", value: "application/json; charset=utf-8")
                headers.add(name: "content-length", value: String(body.utf8.count))
                context.write(
                    self.wrapOutboundOut(
                        .head(
                            HTTPResponseHead(
                                version: .http1_1, status: HTTPResponseStatus(statusCode: status), headers: headers))),
                    promise: nil)
                context.write(self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
                context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
            }
        }
    }
}

/// The admin API's routes, independent of the transport.
public struct AdminAPI: Sendable {
    let server: ProxyServer

    public init(server: ProxyServer) {
        self.server = server
    }

    /// Answers one request: a status and a JSON body.
    public func handle(_ request: AdminRequest) async -> (Int, String) {
        if let token = server.engine.snapshot.configuration.adminToken, request.authorization != "Bearer \(token)" {
            return (
                401, error("the admin API requires 'Authorization: Bearer TOKEN' (admin_token in the configuration)")
            )
        }
        let path = String(request.path.prefix { $0 != "?" })
        do {
            switch (request.method, path) {
            case ("GET", "/api/routes"):
                return (200, AdminJSON.status(server).prettyText())
            case ("POST", "/api/routes/mode"):
                let body = try parseBody(request.body)
                guard case .string(let route)? = body["route"], case .string(let modeName)? = body["mode"] else {
                    return (400, error("send {\"route\": \"GET /users/:id\", \"mode\": \"canary\", \"percent\": 25}"))
                }
                var percent: Double?
                if case .number(let number)? = body["percent"] { percent = number.doubleValue }
                guard let mode = RouteMode(storageText: modeName, percent: percent) else {
                    return (
                        400,
                        error(
                            "'\(modeName)' is not a mode (legacy, shadow, canary with a percent from 0 to 100, new)"
                        )
                    )
                }
                if modeName != "canary" && percent != nil {
                    return (400, error("a percentage goes with canary only"))
                }
                let runtime: RouteRuntime
                var notPersisted: ModeNotPersisted?
                do {
                    runtime = try await server.setMode(route: route, mode: mode, reason: "route set")
                } catch let failure as ModeNotPersisted {
                    runtime = failure.routes[0]
                    notPersisted = failure
                }
                let json = AdminJSON.route(runtime, failAt: server.engine.snapshot.configuration.policy.failAt)
                return (200, Self.noting(notPersisted, in: json).prettyText())
            case ("POST", "/api/rollback"):
                let body = try parseBody(request.body)
                var route: String?
                if case .string(let name)? = body["route"] { route = name }
                let all: Bool
                if case .bool(let value)? = body["all"] { all = value } else { all = false }
                guard route != nil || all else { return (400, error("send {\"route\": \"…\"} or {\"all\": true}")) }
                var closeTunnels = false
                if case .bool(let value)? = body["close_tunnels"] { closeTunnels = value }
                let routes: [RouteRuntime]
                var notPersisted: ModeNotPersisted?
                do {
                    routes = try await server.rollback(route: all ? nil : route, closeTunnels: closeTunnels)
                } catch let failure as ModeNotPersisted {
                    routes = failure.routes
                    notPersisted = failure
                }
                let failAt = server.engine.snapshot.configuration.policy.failAt
                let json = JSONValue.object([
                    .init(key: "routes", value: .array(routes.map { AdminJSON.route($0, failAt: failAt) }))
                ])
                return (200, Self.noting(notPersisted, in: json).prettyText())
            case ("GET", "/api/differences"):
                try await server.flushDifferences()
                let aggregates = try await server.store.differenceAggregates()
                let totals = try await server.store.shadowTotals()
                return (200, AdminJSON.differences(aggregates: aggregates, totals: totals, server: server).prettyText())
            case ("GET", "/api/fleet"):
                guard let fleet = server.fleetStatus() else {
                    return (404, error("this proxy's state is not in PostgreSQL: it has no fleet"))
                }
                return (200, try Self.encode(fleet))
            case ("GET", "/api/guard"):
                return (200, try guardJSON(route: queryValue(request.path, "route")))
            case ("POST", "/api/reload"):
                try await server.reload()
                return (200, AdminJSON.status(server).prettyText())
            default:
                return (
                    404,
                    error(
                        "no such admin endpoint: \(request.method) \(path); try GET /api/routes, "
                            + "POST /api/routes/mode, POST /api/rollback, GET /api/differences, GET /api/guard, POST /api/reload"
                    )
                )
            }
        } catch let failure as ProxyError {
            return (failure.status, error(failure.description))
        } catch {
            return (500, self.error("\(error)"))
        }
    }

    /// Every route's guard (or one route's, by its name as in `routes:`), as `banyan guard status` reads it.
    private func guardJSON(route: String?) throws -> String {
        var statuses = server.guardStatus()
        if let route {
            guard let runtime = server.engine.snapshot.route(named: route) else {
                throw ProxyError(status: 404, "no route '\(route)' in the configuration")
            }
            statuses = statuses.filter { $0.route == runtime.config.route }
        }
        return try Self.encode(GuardReport(guards: statuses))
    }

    /// Pretty JSON with snake_case keys, as the rest of the admin API.
    private static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// Adds `"persisted": false` and the warning when the change could not be written yet.
    private static func noting(_ failure: ModeNotPersisted?, in json: JSONValue) -> JSONValue {
        guard let failure, case .object(var members) = json else { return json }
        members.append(.init(key: "persisted", value: .bool(false)))
        members.append(.init(key: "warning", value: .string(failure.description)))
        return .object(members)
    }

    /// The value of `name` in the request target's query, percent-decoded (`+` as a space).
    private func queryValue(_ target: String, _ name: String) -> String? {
        guard let question = target.firstIndex(of: "?") else { return nil }
        for pair in target[target.index(after: question)...].split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, parts[0] == name else { continue }
            return String(parts[1]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding
        }
        return nil
    }

    private func parseBody(_ bytes: [UInt8]) throws -> JSONValue {
        do {
            return try JSONParser.parse(bytes)
        } catch {
            throw ProxyError("the request body is not JSON: \(error)")
        }
    }

    private func error(_ message: String) -> String {
        JSONValue.object([.init(key: "error", value: .string(message))]).prettyText()
    }
}

/// The admin API's answer to `GET /api/guard`.
public struct GuardReport: Sendable, Codable {
    /// One entry per route with a guard, in the order of `routes:`.
    public var guards: [GuardStatus]
}
