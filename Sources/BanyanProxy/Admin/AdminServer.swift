import BanyanCore
import BanyanState
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// The admin listener: the JSON API, the dashboard page, its event stream, and `/metrics`.
enum AdminServer {
    static func bind(server: ProxyServer, group: any EventLoopGroup, address: ListenAddress) async throws
        -> any Channel
    {
        try await bindHTTP(group: group, address: address) { AdminHandler(server: server) }
    }

    /// An HTTP/1.1 listener whose connections each get the handler `makeHandler` returns.
    static func bindHTTP<Handler: ChannelInboundHandler>(
        group: any EventLoopGroup, address: ListenAddress, makeHandler: @escaping @Sendable () -> Handler
    ) async throws -> any Channel {
        try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(makeHandler())
                }
            }
            .bind(host: address.host, port: address.port).get()
    }
}

/// A request to the admin API, as ``AdminAPI/handle(_:)`` reads it: the few parts of an HTTP
/// request the API looks at, without the transport.
public struct AdminRequest: Sendable {
    /// The request method in upper case (`GET`, `POST`).
    public var method: String
    /// The request target: path and query.
    public var path: String
    /// The `Authorization` field (`Bearer TOKEN`); nil when the request has none.
    public var authorization: String?
    /// The `Cookie` field, where the dashboard keeps its token.
    public var cookie: String?
    /// The `Content-Type` field; nil when the request has none. A `POST` that has one must say
    /// `application/json`, and a `POST` with a body must have one (else 415).
    public var contentType: String?
    /// The request body: JSON for a `POST`, empty otherwise. The listener stops adding to it past
    /// 1 MiB.
    public var body: [UInt8]

    /// A request with the given parts; the fields default to absent and the body to empty.
    public init(
        method: String, path: String, authorization: String? = nil, cookie: String? = nil, contentType: String? = nil,
        body: [UInt8] = []
    ) {
        self.method = method
        self.path = path
        self.authorization = authorization
        self.cookie = cookie
        self.contentType = contentType
        self.body = body
    }

    /// The path without its query.
    var route: String { String(path.prefix { $0 != "?" }) }

    /// The value of query parameter `name`, percent-decoded.
    func query(_ name: String) -> String? {
        guard let mark = path.firstIndex(of: "?") else { return nil }
        for pair in path[path.index(after: mark)...].split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.first == Substring(name) {
                let value = parts.count > 1 ? String(parts[1]) : ""
                return value.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? value
            }
        }
        return nil
    }
}

/// An answer of the admin listener.
public struct AdminResponse: Sendable {
    /// The HTTP status: 200, 303 for the dashboard's sign-in link, or an error (400, 401, 403, 404,
    /// 409, 415, 500) whose body is `{"error": …}`.
    public var status: Int
    /// The `Content-Type` field (`application/json; charset=utf-8` for the API).
    public var contentType: String
    /// The answer's bytes; empty for the event stream, whose events follow the head.
    public var body: [UInt8]
    /// Fields beyond `content-type`, `cache-control` and `content-length`, which the listener
    /// always writes: name and value, in order (`location`, `set-cookie`,
    /// `content-security-policy`).
    public var headers: [(String, String)]
    /// Whether the answer is the dashboard's event stream rather than a body.
    var isEventStream = false

    init(status: Int, contentType: String, body: [UInt8], headers: [(String, String)] = []) {
        self.status = status
        self.contentType = contentType
        self.body = body
        self.headers = headers
    }

    static func json(_ status: Int, _ text: String) -> AdminResponse {
        AdminResponse(status: status, contentType: "application/json; charset=utf-8", body: Array(text.utf8))
    }

    /// The body as text.
    public var text: String { String(decoding: body, as: UTF8.self) }
}

/// What a caller of the admin listener may do.
public enum AdminRole: String, Sendable {
    /// Everything: read, change modes, reload (`admin_token`, or anyone when there is no token).
    case admin
    /// Read everything; every change answers 403 (`admin_read_token`).
    case reader = "read-only"
}

final class AdminHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let server: ProxyServer
    private var request: AdminRequest?
    private var streaming = false

    init(server: ProxyServer) {
        self.server = server
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            request = AdminRequest(
                method: head.method.rawValue, path: head.uri, authorization: head.headers["authorization"].first,
                cookie: head.headers["cookie"].first, contentType: head.headers["content-type"].first)
        case .body(var buffer):
            if request != nil, request!.body.count < 1 << 20 {
                request!.body += buffer.readBytes(length: buffer.readableBytes) ?? []
            }
        case .end:
            guard let request, !streaming else { return }
            self.request = nil
            let server = self.server
            let future = context.eventLoop.makeFutureWithTask {
                await AdminAPI(server: server).handle(request)
            }
            future.assumeIsolated().whenSuccess { response in
                var headers = NIOHTTP1.HTTPHeaders()
                headers.add(name: "content-type", value: response.contentType)
                headers.add(name: "cache-control", value: "no-store")
                for (name, value) in response.headers { headers.add(name: name, value: value) }
                if response.isEventStream {
                    self.startStream(context: context, headers: headers)
                    return
                }
                headers.add(name: "content-length", value: String(response.body.count))
                context.write(
                    self.wrapOutboundOut(
                        .head(
                            HTTPResponseHead(
                                version: .http1_1, status: HTTPResponseStatus(statusCode: response.status),
                                headers: headers))),
                    promise: nil)
                context.write(self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: response.body)))), promise: nil)
                context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
            }
        }
    }

    /// Server-sent events: the status now and every second, and at once (within 100 ms) after a
    /// mode change, with a `change` event the page answers by reading the event log again.
    private func startStream(context: ChannelHandlerContext, headers: NIOHTTP1.HTTPHeaders) {
        streaming = true
        context.writeAndFlush(
            wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
        streamTick(context: context, seenChanges: -1, ticks: 10)
    }

    private func streamTick(context: ChannelHandlerContext, seenChanges: Int, ticks: Int) {
        guard context.channel.isActive else { return }
        var ticks = ticks + 1
        let changes = server.changeCount
        if changes != seenChanges {
            if seenChanges >= 0 { send("event: change\ndata: {\"changes\": \(changes)}\n\n", context: context) }
            ticks = 10
        }
        if ticks >= 10 {
            ticks = 0
            let status = ProxyStatus(server).jsonText(pretty: false)
            send("event: status\ndata: \(status)\n\n", context: context)
        }
        context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(100)) {
            self.streamTick(context: context, seenChanges: changes, ticks: ticks)
        }
    }

    private func send(_ text: String, context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: text)))), promise: nil)
    }
}

/// The admin listener's routes, independent of the transport.
///
/// The listener hands each request to ``handle(_:)``; tests call it directly.
public struct AdminAPI: Sendable {
    let server: ProxyServer

    /// The API of `server`.
    public init(server: ProxyServer) {
        self.server = server
    }

    /// The endpoints, for the 404 answer and docs/proxy.md.
    static let endpoints = [
        "GET /", "GET /dashboard.js", "GET /metrics", "GET /api/whoami", "GET /api/routes", "GET /api/events",
        "GET /api/stream",
        "GET /api/differences", "GET /api/guard", "GET /api/fleet", "POST /api/routes/mode", "POST /api/promote",
        "POST /api/rollback", "POST /api/reload",
    ]

    /// Who is asking: nil when the request carries no valid token and one is required.
    func role(of request: AdminRequest) -> AdminRole? {
        let configuration = server.engine.snapshot.configuration
        guard let token = configuration.adminToken else { return .admin }
        var presented: [String] = []
        if let authorization = request.authorization, authorization.hasPrefix("Bearer ") {
            presented.append(String(authorization.dropFirst("Bearer ".count)))
        }
        if let cookie = request.cookie {
            for part in cookie.split(separator: ";") {
                let pair = part.trimmingCharacters(in: .whitespaces)
                if pair.hasPrefix("banyan_token=") { presented.append(String(pair.dropFirst("banyan_token=".count))) }
            }
        }
        if presented.contains(token) { return .admin }
        if let reader = configuration.adminReadToken, presented.contains(reader) { return .reader }
        return nil
    }

    /// Answers one request.
    ///
    /// A request without a valid token, where one is required, gets 401 (the dashboard's sign-in
    /// page for `GET /`); a `POST` with the read-only token gets 403; a `POST` whose
    /// `Content-Type` is not `application/json`, or that has a body and no `Content-Type`, gets
    /// 415. A failed operation is answered with its status and
    /// `{"error": …}`, never thrown.
    ///
    /// - Parameter request: the request, authorization and body included.
    /// - Returns: the answer to send back; ``AdminResponse/status`` says how it went.
    public func handle(_ request: AdminRequest) async -> AdminResponse {
        let path = request.route
        // The page's link with ?token= trades the token for a cookie, so it leaves the address bar.
        if request.method == "GET" && path == "/", let token = request.query("token"),
            role(of: AdminRequest(method: "GET", path: "/", authorization: "Bearer \(token)")) != nil
        {
            return AdminResponse(
                status: 303, contentType: "text/plain; charset=utf-8", body: Array("see /\n".utf8),
                headers: [
                    ("location", "/"),
                    ("set-cookie", "banyan_token=\(token); Path=/; HttpOnly; SameSite=Strict"),
                ])
        }
        guard let role = role(of: request) else {
            if request.method == "GET" && path == "/" {
                return AdminResponse(
                    status: 401, contentType: "text/html; charset=utf-8", body: Array(Dashboard.signIn.utf8))
            }
            return .json(
                401,
                error(
                    "the admin API requires 'Authorization: Bearer TOKEN' (admin_token or admin_read_token in the "
                        + "configuration)"))
        }
        if request.method == "POST" {
            guard role == .admin else {
                return .json(
                    403, error("this token can read but not change anything (admin_read_token); use admin_token"))
            }
            // A form another site posts cannot set this type without the browser asking first.
            guard request.contentType?.lowercased().hasPrefix("application/json") ?? request.body.isEmpty else {
                return .json(415, error("send the request body as application/json"))
            }
        }
        do {
            return try await route(request, path: path, role: role)
        } catch let failure as ProxyError {
            return .json(Self.status(of: failure.code), error(failure.description))
        } catch {
            return .json(500, self.error("\(error)"))
        }
    }

    private func route(_ request: AdminRequest, path: String, role: AdminRole) async throws -> AdminResponse {
        let failAt = server.engine.snapshot.configuration.policy.failAt
        switch (request.method, path) {
        case ("GET", "/"):
            return AdminResponse(
                status: 200, contentType: "text/html; charset=utf-8", body: Array(Dashboard.page.utf8),
                headers: [("content-security-policy", Dashboard.contentSecurityPolicy)])
        case ("GET", "/dashboard.js"):
            return AdminResponse(
                status: 200, contentType: "text/javascript; charset=utf-8", body: Array(Dashboard.script.utf8))
        case ("GET", "/metrics"):
            return AdminResponse(
                status: 200, contentType: "text/plain; version=0.0.4; charset=utf-8",
                body: server.metrics.exposition(server))
        case ("GET", "/api/whoami"):
            return .json(
                200,
                JSONValue.object([
                    .init(key: "role", value: .string(role.rawValue)),
                    .init(
                        key: "promoteSteps",
                        value: .array(
                            server.engine.snapshot.configuration.promotion.steps.map { .string($0.storageText) })),
                ]).prettyText())
        case ("GET", "/api/routes"):
            return .json(200, ProxyStatus(server).jsonText())
        case ("GET", "/api/stream"):
            var response = AdminResponse(status: 200, contentType: "text/event-stream", body: [])
            response.isEventStream = true
            return response
        case ("GET", "/api/events"):
            let limit = request.query("limit").flatMap(Int.init) ?? 200
            let events = try await server.store.events(limit: max(1, min(limit, 10_000)))
            return .json(
                200,
                JSONValue.object([
                    .init(key: "events", value: .array(events.map(Self.event)))
                ]).prettyText())
        case ("POST", "/api/routes/mode"):
            let body = try ChangeRequest(request.body)
            guard let route = body.route, let modeName = body.mode else {
                throw ProxyError(.usage, "send {\"route\": \"GET /users/:id\", \"mode\": \"canary\", \"percent\": 25}")
            }
            guard let mode = RouteMode(storageText: modeName, percent: body.percent) else {
                throw ProxyError(
                    .usage, "'\(modeName)' is not a mode (legacy, shadow, canary with a percent from 0 to 100, new)")
            }
            if modeName != "canary" && body.percent != nil {
                throw ProxyError(.usage, "a percentage goes with canary only")
            }
            return try await Self.change(failAt: failAt) {
                [
                    try await server.setMode(
                        route: route, mode: mode, reason: body.reason ?? "route set", cause: body.cause)
                ]
            }
        case ("POST", "/api/promote"):
            let body = try ChangeRequest(request.body)
            guard let route = body.route else { throw ProxyError(.usage, "send {\"route\": \"GET /users/:id\"}") }
            return try await Self.change(failAt: failAt) {
                [try await server.promote(route: route, reason: body.reason ?? "promote", cause: body.cause)]
            }
        case ("POST", "/api/rollback"):
            let body = try ChangeRequest(request.body)
            guard body.route != nil || body.all else {
                throw ProxyError(.usage, "send {\"route\": \"…\"} or {\"all\": true}")
            }
            return try await Self.change(failAt: failAt, many: true) {
                try await server.rollback(
                    route: body.all ? nil : body.route, reason: body.reason ?? "rollback", cause: body.cause,
                    closeTunnels: body.closeTunnels)
            }
        case ("GET", "/api/differences"):
            try await server.flushDifferences()
            let aggregates = try await server.store.differenceAggregates()
            let totals = try await server.store.shadowTotals()
            return .json(
                200, AdminJSON.differences(aggregates: aggregates, totals: totals, failAt: failAt).prettyText())
        case ("GET", "/api/guard"):
            var statuses = server.guardStatus()
            if let name = request.query("route") {
                guard let runtime = server.engine.snapshot.route(named: name) else {
                    throw ProxyError(.unknownRoute, "no route '\(name)' in the configuration")
                }
                statuses = statuses.filter { $0.route == runtime.config.route }
            }
            return .json(200, try Self.snakeCaseJSON(GuardReport(guards: statuses)))
        case ("GET", "/api/fleet"):
            guard let fleet = server.fleetStatus() else {
                throw ProxyError(.notFound, "this proxy's state is not in PostgreSQL: it has no fleet")
            }
            return .json(200, try Self.snakeCaseJSON(fleet))
        case ("POST", "/api/reload"):
            try await server.reload()
            return .json(200, ProxyStatus(server).jsonText())
        default:
            throw ProxyError(
                .notFound,
                "no such admin endpoint: \(request.method) \(path); try "
                    + Self.endpoints.joined(separator: ", "))
        }
    }

    /// Answers a mode change: the route (or, for a rollback, `{"routes": […]}`), with
    /// `"persisted": false` and a `"warning"` when the change is in force here but the state
    /// database could not take it yet.
    private static func change(
        failAt: Severity, many: Bool = false, _ body: () async throws -> [RouteRuntime]
    ) async throws -> AdminResponse {
        var routes: [RouteRuntime]
        var notPersisted: ModeNotPersisted?
        do {
            routes = try await body()
        } catch let failure as ModeNotPersisted {
            routes = failure.routes
            notPersisted = failure
        }
        let statuses = routes.map { RouteStatus($0, failAt: failAt) }
        var json = try JSONParser.parse(
            Array((many ? encodeJSON(["routes": statuses]) : encodeJSON(statuses[0])).utf8))
        if let notPersisted, case .object(var members) = json {
            members.append(.init(key: "persisted", value: .bool(false)))
            members.append(.init(key: "warning", value: .string(notPersisted.description)))
            json = .object(members)
        }
        return .json(200, json.prettyText())
    }

    /// Pretty JSON with snake_case keys, as `GET /api/guard` and `GET /api/fleet` answer.
    static func snakeCaseJSON(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func event(_ event: RouteEvent) -> JSONValue {
        .object([
            .init(key: "route", value: .string(event.route)),
            .init(key: "from", value: .string(event.from)),
            .init(key: "to", value: .string(event.to)),
            .init(key: "cause", value: .string(event.cause)),
            .init(key: "reason", value: .string(event.reason)),
            .init(key: "at", value: AdminJSON.double(event.at)),
        ])
    }

    /// The HTTP status the admin API answers a ``ProxyError`` with.
    static func status(of code: ProxyError.Code) -> Int {
        switch code {
        case .unknownRoute, .notFound: return 404
        case .conflict: return 409
        default: return 400
        }
    }

    private func error(_ message: String) -> String {
        JSONValue.object([.init(key: "error", value: .string(message))]).prettyText()
    }
}

/// The body of a change: `{"route", "mode", "percent", "all", "reason", "cause"}`, each optional.
struct ChangeRequest {
    var route: String?
    var mode: String?
    var percent: Double?
    var all = false
    var reason: String?
    /// Who sends the change (`cli`, `page`); `api` when not said.
    var cause = "api"
    /// With a rollback: close the routes' open upgrade tunnels too.
    var closeTunnels = false

    /// The causes a caller may name; `file` and `automatic` are the proxy's own.
    static let callerCauses: Set<String> = ["cli", "page", "api"]

    init(_ bytes: [UInt8]) throws {
        let body: JSONValue
        do {
            body = try JSONParser.parse(bytes)
        } catch {
            throw ProxyError(.usage, "the request body is not JSON: \(error)", cause: error)
        }
        if case .string(let value)? = body["route"] { route = value }
        if case .string(let value)? = body["mode"] { mode = value }
        if case .number(let value)? = body["percent"] { percent = value.doubleValue }
        if case .bool(let value)? = body["all"] { all = value }
        if case .bool(let value)? = body["close_tunnels"] { closeTunnels = value }
        if case .string(let value)? = body["reason"], !value.trimmingCharacters(in: .whitespaces).isEmpty {
            reason = value
        }
        if case .string(let value)? = body["cause"] {
            guard Self.callerCauses.contains(value) else {
                throw ProxyError(.usage, "cause '\(value)' is not one of cli, page, api")
            }
            cause = value
        }
    }
}

/// The admin API's answer to `GET /api/guard`.
public struct GuardReport: Sendable, Codable {
    /// One entry per route with a guard, in the order of `routes:`.
    public var guards: [GuardStatus]
}
