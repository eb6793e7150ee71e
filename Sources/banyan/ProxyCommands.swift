import ArgumentParser
import BanyanConfig
import BanyanCore
import BanyanHTTP
import BanyanProxy
import Foundation

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

    func run() async throws {
        guard let configuration = try config.loadIfPresent() else {
            throw UsageError("no banyan.yaml here; name the configuration with --config")
        }
        var settings = ProxySettings()
        settings.threads = threads
        do {
            try await ProxyService.run(
                configuration: configuration, configPath: config.path ?? ConfigurationLoader.defaultFileName,
                settings: settings, log: { printError($0) })
        } catch let error as ProxyError {
            throw UsageError(error.description)
        }
    }
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
            print(StatusText.render(status))
            if let fleet { print(StatusText.renderFleet(fleet, now: Date().timeIntervalSince1970)) }
        }
    }
}

enum StatusFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

struct RouteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "route", abstract: "Change a route of a running proxy.", subcommands: [RouteSetCommand.self])
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
        var members: [JSONMember] = [
            .init(key: "route", value: .string(route)), .init(key: "mode", value: .string(mode)),
        ]
        if let percent, let number = JSONNumber(percent) {
            members.append(.init(key: "percent", value: .number(number)))
        }
        let result = try admin.request("POST", "/api/routes/mode", body: .object(members))
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
    @OptionGroup var admin: AdminOptions

    func validate() throws {
        if route == nil && !all { throw ValidationError("name a route, or pass --all") }
        if route != nil && all { throw ValidationError("name a route or pass --all, not both") }
    }

    func run() throws {
        let body: JSONValue = .object(
            (all ? [.init(key: "all", value: .bool(true))] : [.init(key: "route", value: .string(route!))])
                + (closeTunnels ? [.init(key: "close_tunnels", value: .bool(true))] : []))
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
    static func render(_ status: JSONValue) -> String {
        var lines: [String] = []
        lines.append(
            "legacy \(status["legacy"]?.stringValue ?? "?")  candidate \(status["candidate"]?.stringValue ?? "?")  "
                + "in flight \(Int(status["requestsInFlight"]?.numberValue ?? 0))")
        let header = [
            "route", "mode", "file", "legacy req/err p50/p99 ms", "candidate req/err p50/p99 ms", "diff rate",
            "fallbacks",
        ]
        var rows: [[String]] = [header]
        if case .array(let routes)? = status["routes"] {
            for route in routes {
                let mode = route["mode"]?.stringValue ?? "?"
                let file = route["fileMode"]?.stringValue ?? "?"
                let shadow = route["shadowDiffs"]
                let compared = Int(shadow?["compared"]?.numberValue ?? 0)
                let rate =
                    compared == 0
                    ? "–" : String(format: "%.1f%% of %d", (shadow?["diffRate"]?.numberValue ?? 0) * 100, compared)
                var fallbacks = 0
                if case .object(let members)? = route["fallbacks"] {
                    fallbacks = members.reduce(0) { $0 + Int($1.value.numberValue ?? 0) }
                }
                rows.append([
                    route["route"]?.stringValue ?? "?", mode, file == mode ? "" : file,
                    backend(route["legacy"]), backend(route["candidate"]), rate, String(fallbacks),
                ])
            }
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
    static func renderFleet(_ fleet: JSONValue, now: Double) -> String {
        let applied = Int(fleet["applied"]?.numberValue ?? -1)
        var members: [JSONValue] = []
        if case .array(let list)? = fleet["members"] { members = list }
        let newest = members.compactMap { $0["version"]?.numberValue }.max().map(Int.init) ?? applied
        let onNewest = members.filter { Int($0["version"]?.numberValue ?? -1) == newest }.count
        var lines = ["fleet: version \(newest) applied on \(onNewest)/\(members.count) proxies"]
        if case .bool(false)? = fleet["reachable"] {
            lines.append(
                "  the state database is unreachable from this proxy: serving with the modes in force ("
                    + (fleet["last_error"]?.stringValue ?? "?") + ")")
        }
        let pending = Int(fleet["pending_writes"]?.numberValue ?? 0)
        if pending > 0 { lines.append("  \(pending) change(s) in force here wait to be written") }
        for member in members {
            let seen = now - (member["seen_at"]?.numberValue ?? now)
            lines.append(
                "  \(member["proxy"]?.stringValue ?? "?")  version \(Int(member["version"]?.numberValue ?? -1))  "
                    + String(format: "seen %.1f s ago", max(0, seen)))
        }
        return lines.joined(separator: "\n")
    }

    /// Open upgrade tunnels (WebSocket), per route that has had any.
    static func tunnelLines(_ status: JSONValue) -> [String] {
        var lines = ["tunnels open \(Int(status["tunnels_open"]?.numberValue ?? 0)) (never shadowed)"]
        guard case .array(let routes)? = status["routes"] else { return lines }
        for route in routes {
            guard let tunnels = route["tunnels"], Int(tunnels["opened"]?.numberValue ?? 0) > 0 else { continue }
            var sides: [String] = []
            for side in ["legacy", "candidate"] {
                let open = Int(tunnels["by_backend"]?[side]?["open"]?.numberValue ?? 0)
                if open > 0 { sides.append("\(side) \(open)") }
            }
            lines.append(
                "  \(route["route"]?.stringValue ?? "?"): open \(Int(tunnels["open"]?.numberValue ?? 0))"
                    + (sides.isEmpty ? "" : " (\(sides.joined(separator: ", ")))")
                    + ", opened \(Int(tunnels["opened"]?.numberValue ?? 0)), bytes to upstream "
                    + "\(Int(tunnels["bytes_to_upstream"]?.numberValue ?? 0)), to client "
                    + "\(Int(tunnels["bytes_to_client"]?.numberValue ?? 0))")
        }
        return lines
    }

    private static func backend(_ value: JSONValue?) -> String {
        guard let value else { return "–" }
        let requests = Int(value["requests"]?.numberValue ?? 0)
        if requests == 0 { return "–" }
        return String(
            format: "%d/%d %.2f/%.2f", requests, Int(value["errors"]?.numberValue ?? 0),
            value["p50Ms"]?.numberValue ?? 0,
            value["p99Ms"]?.numberValue ?? 0)
    }
}
