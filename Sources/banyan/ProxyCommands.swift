import ArgumentParser
import BanyanConfig
import BanyanCore
import BanyanHTTP
import BanyanProxy
import Foundation
import Logging

struct ProxyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proxy",
        abstract: "Run the strangler-fig proxy in front of legacy and the candidate.",
        discussion: """
            Each request is matched against the configured routes (Express semantics, first match wins; \
            unmatched requests go to legacy) and served according to the route's mode. Runtime changes \
            ('banyan route set', 'banyan rollback') apply to the next request and are kept in the state \
            database. SIGHUP reloads the file (a runtime change stays until the file changes that route); \
            SIGTERM drains requests in flight. See docs/proxy.md.
            """
    )

    @OptionGroup var config: ConfigOptions
    @Option(help: "Event-loop threads.") var threads = 1
    @Option(
        help:
            "How the proxy's own log lines are written to standard error: text (readable) or json (one object a line).")
    var logFormat: LogFormatOption = .text
    @Option(
        help: ArgumentHelp(
            "Write one line per answered request to FILE (appended), or to standard output with '-'.",
            discussion: "Off by default. The format is in docs/proxy.md; --log-format json makes it JSON too.",
            valueName: "FILE|-"))
    var accessLog: String?
    @Option(
        help: ArgumentHelp(
            "How the proxy reads and writes its sockets: direct or nio, instead of the configuration's 'io'.",
            discussion:
                "direct (the default) writes with send(2) itself; nio runs on plain SwiftNIO. See docs/proxy.md.",
            valueName: "direct|nio"))
    var io: IOModeOption?

    func run() async throws {
        guard let configuration = try config.loadIfPresent() else {
            throw UsageError("no banyan.yaml here; name the configuration with --config")
        }
        let format = logFormat.format
        LoggingSystem.bootstrap { label in
            switch format {
            case .json: return JSONLogHandler(label: label)
            case .text: return StreamLogHandler.standardError(label: label)
            }
        }
        var settings = ProxySettings()
        settings.threads = threads
        settings.accessLog = accessLog.map { AccessLogSettings(destination: $0, format: format) }
        settings.io = io?.mode
        do {
            try await ProxyService.run(
                configuration: configuration, configPath: config.path ?? ConfigurationLoader.defaultFileName,
                settings: settings, logger: Logger(label: "banyan.proxy"))
        } catch let error as ProxyError {
            throw UsageError(error.description)
        }
    }
}

enum IOModeOption: String, ExpressibleByArgument, CaseIterable {
    case direct, nio

    var mode: IOMode { self == .nio ? .nio : .direct }
}

enum LogFormatOption: String, ExpressibleByArgument, CaseIterable {
    case text, json

    var format: LogFormat { self == .json ? .json : .text }
}

/// Options naming a running proxy's admin API (address and token from the configuration).
struct AdminOptions: ParsableArguments {
    @OptionGroup var config: ConfigOptions
    @Option(help: "The admin API's address (HOST:PORT), instead of the configuration's 'admin'.") var admin: String?

    func request(_ method: String, _ path: String, body: JSONValue? = nil) throws -> JSONValue {
        try AdminClient(configuration: config.loadIfPresent(), address: admin).request(method, path, body: body)
    }
}

/// Talks to a running proxy's admin API.
struct AdminClient {
    let configuration: Configuration?
    let address: String?

    func request(_ method: String, _ path: String, body: JSONValue? = nil) throws -> JSONValue {
        let addressText = address ?? configuration?.admin.description ?? "127.0.0.1:9901"
        guard var address = ListenAddress(parsing: addressText) else {
            throw UsageError("--admin: '\(addressText)' is not HOST:PORT")
        }
        if address.host == "0.0.0.0" { address.host = "127.0.0.1" }
        if address.host == "::" { address.host = "::1" }
        var request = HTTPRequest(method: method, target: path)
        request.headers.add(name: "Host", value: address.description)
        if let token = configuration?.adminToken {
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
        }
        if let body {
            request.body = body.serialized()
            request.headers.add(name: "Content-Type", value: "application/json")
        }
        let client = HTTPClient(base: BaseURL(host: address.host, port: address.port), timeout: 30)
        let response: HTTPResponse
        do {
            response = try client.send(request).response
        } catch {
            throw UsageError(
                "cannot reach the proxy's admin API at \(address): \(error.message) (is 'banyan proxy' running "
                    + "with this configuration?)")
        }
        let json = try? JSONParser.parse(response.body)
        guard response.status == 200, let json else {
            if case .string(let message)? = json?["error"] { throw UsageError(message) }
            throw UsageError("the admin API answered \(response.status): \(response.bodyText)")
        }
        return json
    }
}

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show every route's mode and live counters from a running proxy.")

    @OptionGroup var admin: AdminOptions
    @Option(help: "Output format: text or json.") var format: StatusFormat = .text

    func run() throws {
        let status = try admin.request("GET", "/api/routes")
        // A proxy whose state is not in PostgreSQL has no fleet (the admin API answers 404).
        let fleet = try? admin.request("GET", "/api/fleet")
        switch format {
        case .json:
            guard let fleet, case .object(var members) = status else {
                print(status.prettyText())
                return
            }
            members.append(.init(key: "fleet", value: fleet))
            print(JSONValue.object(members).prettyText())
        case .text:
            let typed: ProxyStatus
            let typedFleet: FleetStatus?
            do {
                typed = try ProxyStatus.decode(fromJSON: status.serialized())
                typedFleet = try fleet.map { try FleetStatus.decode(fromJSON: $0.serialized()) }
            } catch {
                throw UsageError("the admin API answered a status this banyan cannot read: \(error)")
            }
            print(StatusText.render(typed))
            if let typedFleet { print(StatusText.renderFleet(typedFleet, now: Date().timeIntervalSince1970)) }
        }
    }
}

enum StatusFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

struct RouteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "route", abstract: "Change a route of a running proxy.",
        subcommands: [RouteSetCommand.self, RoutePromoteCommand.self])
}

struct RoutePromoteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "promote",
        abstract: "Move a route one step along the promotion ladder; the next request uses it.",
        discussion: """
            The ladder is legacy → shadow → canary 1 → 5 → 25 → 50 → new unless banyan.yaml sets \
            'promote_steps'. A route on the last step is refused (exit 1).
            """)

    @Argument(help: "The route, e.g. 'GET /users/:id'.") var route: String
    @Option(help: "Why, kept in the event log.") var reason: String?
    @OptionGroup var admin: AdminOptions

    func run() throws {
        let result = try admin.request("POST", "/api/promote", body: changeBody(["route": route], reason: reason))
        print("\(result["route"].flatMap(\.stringValue) ?? route): \(result["mode"].flatMap(\.stringValue) ?? "?")")
        try NotPersisted.check(result)
    }
}

/// A change's JSON body, sent with `cause: cli` and the reason when given.
func changeBody(_ fields: [String: String], reason: String?, extra: [JSONMember] = []) -> JSONValue {
    var members = fields.sorted { $0.key < $1.key }.map { JSONMember(key: $0.key, value: .string($0.value)) }
    members += extra
    if let reason { members.append(.init(key: "reason", value: .string(reason))) }
    members.append(.init(key: "cause", value: .string("cli")))
    return .object(members)
}

struct RouteSetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set",
        abstract: "Set a route's mode; the next request uses it, and it survives a restart.",
        discussion: """
            ROUTE is the route as written in banyan.yaml ('GET /users/:id') or its pattern alone when only \
            one route has it. MODE is legacy, shadow, canary (with PERCENT) or new.
            """)

    @Argument(help: "The route, e.g. 'GET /users/:id'.") var route: String
    @Argument(help: "legacy, shadow, canary or new.") var mode: String
    @Argument(help: "The canary's percentage (0–100).") var percent: Double?
    @Option(help: "Why, kept in the event log.") var reason: String?
    @OptionGroup var admin: AdminOptions

    func validate() throws {
        guard RouteMode.names.contains(mode) else {
            throw ValidationError("'\(mode)' is not a mode; use one of \(RouteMode.names.joined(separator: ", "))")
        }
        if mode == "canary" {
            guard let percent, (0...100).contains(percent) else {
                throw ValidationError("canary needs a percentage from 0 to 100: banyan route set ROUTE canary 5")
            }
        } else if percent != nil {
            throw ValidationError("only canary takes a percentage")
        }
    }

    func run() throws {
        var extra: [JSONMember] = []
        if let percent, let number = JSONNumber(percent) { extra.append(.init(key: "percent", value: .number(number))) }
        let result = try admin.request(
            "POST", "/api/routes/mode", body: changeBody(["route": route, "mode": mode], reason: reason, extra: extra))
        print("\(result["route"].flatMap(\.stringValue) ?? route): \(result["mode"].flatMap(\.stringValue) ?? mode)")
        try NotPersisted.check(result)
    }
}

struct RollbackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract: "Send a route (or every route) back to legacy, from the next request on.")

    @Argument(help: "The route, e.g. 'GET /users/:id'.") var route: String?
    @Flag(help: "Roll back every route.") var all = false
    @Flag(help: "Also close the route's open upgrade tunnels (WebSocket); by default they stay open.")
    var closeTunnels = false
    @Option(help: "Why, kept in the event log.") var reason: String?
    @OptionGroup var admin: AdminOptions

    func validate() throws {
        if route == nil && !all { throw ValidationError("name a route, or pass --all") }
        if route != nil && all { throw ValidationError("name a route or pass --all, not both") }
    }

    func run() throws {
        var extra: [JSONMember] = all ? [.init(key: "all", value: .bool(true))] : []
        if closeTunnels { extra.append(.init(key: "close_tunnels", value: .bool(true))) }
        let body = changeBody(all ? [:] : ["route": route!], reason: reason ?? "rollback", extra: extra)
        let result = try admin.request("POST", "/api/rollback", body: body)
        if case .array(let routes)? = result["routes"] {
            for entry in routes { print("\(entry["route"].flatMap(\.stringValue) ?? "?"): legacy (rolled back)") }
        }
        try NotPersisted.check(result)
    }
}

/// A change the proxy applied but could not write to the state database (it is away): said
/// plainly, with exit status 3, so that an operator does not take it for a failure.
enum NotPersisted {
    /// The exit status of a change in force on the proxy and waiting for the state database.
    static let exitCode = ExitCode(3)

    static func check(_ result: JSONValue) throws {
        guard case .bool(false)? = result["persisted"] else { return }
        printError("note: " + (result["warning"]?.stringValue ?? "not persisted yet"))
        throw exitCode
    }
}

extension JSONValue {
    var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    var numberValue: Double? {
        if case .number(let number) = self { return number.doubleValue }
        return nil
    }
}

/// The human form of `banyan status`.
enum StatusText {
    static func render(_ status: ProxyStatus) -> String {
        var lines: [String] = []
        lines.append("legacy \(status.legacy)  candidate \(status.candidate)  in flight \(status.requestsInFlight)")
        let header = [
            "route", "mode", "file", "legacy req/err p50/p99 ms", "candidate req/err p50/p99 ms", "diff rate",
            "fallbacks",
        ]
        var rows: [[String]] = [header]
        for route in status.routes {
            let compared = route.shadowDiffs.compared
            let rate =
                compared == 0 ? "–" : String(format: "%.1f%% of %d", route.shadowDiffs.diffRate * 100, compared)
            rows.append([
                route.route, route.mode, route.fileMode == route.mode ? "" : route.fileMode, backend(route.legacy),
                backend(route.candidate), rate, String(route.fallbacks.values.reduce(0, +)),
            ])
        }
        var widths = Array(repeating: 0, count: header.count)
        for row in rows { for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) } }
        for row in rows {
            lines.append(
                row.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
                    .joined(separator: "  ").trimmingCharacters(in: .whitespaces))
        }
        lines += tunnelLines(status)
        return lines.joined(separator: "\n")
    }

    /// The fleet: which version each proxy applied, and when it was last seen.
    static func renderFleet(_ fleet: FleetStatus, now: Double) -> String {
        let newest = fleet.members.map(\.version).max() ?? fleet.applied
        let onNewest = fleet.members.filter { $0.version == newest }.count
        var lines = ["fleet: version \(newest) applied on \(onNewest)/\(fleet.members.count) proxies"]
        if !fleet.reachable {
            lines.append(
                "  the state database is unreachable from this proxy: serving with the modes in force ("
                    + (fleet.lastError ?? "?") + ")")
        }
        if fleet.pendingWrites > 0 {
            lines.append("  \(fleet.pendingWrites) change(s) in force here wait to be written")
        }
        for member in fleet.members {
            let seen = now - member.seenAt
            lines.append(
                "  \(member.proxy)  version \(member.version)  " + String(format: "seen %.1f s ago", max(0, seen)))
        }
        return lines.joined(separator: "\n")
    }

    /// Open upgrade tunnels (WebSocket), per route that has had any.
    static func tunnelLines(_ status: ProxyStatus) -> [String] {
        var lines = ["tunnels open \(status.tunnelsOpen ?? 0) (never shadowed)"]
        for route in status.routes {
            guard let tunnels = route.tunnels, tunnels.opened > 0 else { continue }
            let sides = ["legacy", "candidate"].compactMap { side -> String? in
                let open = tunnels.byBackend?[side]?.open ?? 0
                return open > 0 ? "\(side) \(open)" : nil
            }
            lines.append(
                "  \(route.route): open \(tunnels.open)" + (sides.isEmpty ? "" : " (\(sides.joined(separator: ", ")))")
                    + ", opened \(tunnels.opened), bytes to upstream \(tunnels.bytesToUpstream), to client "
                    + "\(tunnels.bytesToClient)")
        }
        return lines
    }

    private static func backend(_ value: BackendStatus) -> String {
        if value.requests == 0 { return "–" }
        return String(format: "%d/%d %.2f/%.2f", value.requests, value.errors, value.p50Ms, value.p99Ms)
    }
}
