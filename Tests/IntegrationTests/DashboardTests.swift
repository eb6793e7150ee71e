import BanyanConfig
import BanyanCore
import BanyanHTTP
import BanyanProxy
import Foundation
import SharedTestSupport
import Testing

/// The dashboard in a real browser, `/metrics` through the reference parser, and the read-only token.
@Suite("dashboard and metrics", .serialized)
struct DashboardTests {
    static let token = "operator-s3cret"
    static let readToken = "reader-s3cret"

    /// Every POST of the admin API, with a body it would accept from an operator.
    static let changes: [(String, String)] = [
        ("/api/routes/mode", #"{"route": "GET /health", "mode": "new"}"#),
        ("/api/promote", #"{"route": "GET /health"}"#),
        ("/api/rollback", #"{"route": "GET /users"}"#),
        ("/api/rollback", #"{"all": true}"#),
        ("/api/reload", "{}"),
    ]

    @Test("the dashboard shows every route and a sample pair, follows changes live, rolls back from the page")
    func dashboardInChromium() async throws {
        let chromium = try findExecutable("chromium")
        let python = try findExecutable("python3")
        let legacy = try ServiceProcess.legacy()
        let candidate = try ServiceProcess.port(naive: true)
        var configuration = try ConfigurationLoader.load(
            path: repositoryRoot.appendingPathComponent("Examples/banyan.yaml").path)
        configuration.legacy = legacy.base
        configuration.candidate = candidate.base
        configuration.listen = ListenAddress(host: "127.0.0.1", port: 0)
        configuration.admin = ListenAddress(host: "127.0.0.1", port: 0)
        configuration.adminToken = Self.token
        configuration.adminReadToken = Self.readToken
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("banyan-dashboard-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        configuration.state = "sqlite:\(folder.path)/state.sqlite"
        for index in configuration.routes.indices {
            configuration.routes[index].mode =
                configuration.routes[index].route == "GET /users" ? .canary(percent: 50) : .shadow
        }
        try await withProxyServer(configuration: configuration) { server in
            let client = HTTPClient(base: BaseURL(host: "127.0.0.1", port: server.port), timeout: 15)
            let requests = ReferenceWorkloadTests.requests.filter { MethodSemantics.isIdempotent($0.method) }
            try await blocking { for request in requests { _ = try client.send(request) } }
            try await server.settleShadows()

            let screenshot = folder.appendingPathComponent("dashboard.png")
            let settings: [String: Any] = [
                "chromium": chromium, "admin": "http://127.0.0.1:\(server.adminPort)", "token": Self.token,
                "readToken": Self.readToken, "routeCount": configuration.routes.count, "liveRoute": "GET /health",
                "sampleRoute": "GET /users/:id", "rollbackRoute": "GET /users", "promoteRoute": "GET /orders/:id",
                "reason": "candidate answers differ", "screenshot": screenshot.path,
            ]
            let settingsFile = folder.appendingPathComponent("settings.json")
            try JSONSerialization.data(withJSONObject: settings).write(to: settingsFile)
            let driver = repositoryRoot.appendingPathComponent("Tests/Scripts/dashboard-browser.py").path
            let run = try await blocking { try runToEnd(python, [driver, settingsFile.path], timeLimit: 240) }
            try #require(run.status == 0, "the browser driver failed:\n\(run.error)")
            let report = try #require(
                try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any])

            // Every configured route, with the counts the admin API has.
            let status = try JSONDecoder().decode(
                ProxyStatus.self, from: Data(try await adminGet(server, "/api/routes").utf8))
            let rows = try #require(report["rows"] as? [[String: Any]])
            #expect(rows.map { $0["route"] as? String } == configuration.routes.map(\.route))
            for route in status.routes {
                let row = rows.first { $0["route"] as? String == route.route }
                #expect(
                    row?["requests"] as? String == "\(route.legacy.requests)/\(route.candidate.requests)",
                    "\(route.route)")
                #expect(row?["compared"] as? Int == Int(route.shadowDiffs.compared), "\(route.route)")
            }
            let served = status.routes.reduce(0) { $0 + $1.legacy.requests + $1.candidate.requests }
            #expect(served + status.unmatched.legacy.requests == UInt64(requests.count))
            #expect(report["role"] as? String == "operator")
            // A change made through the API reached the open page within a second.
            let live = try #require(report["liveMilliseconds"] as? Int)
            #expect(live < 1000)

            // The route page: differences by kind, the sample side by side with the differing lines marked.
            let page = try #require(report["routePage"] as? [String: Any])
            #expect(page["title"] as? String == "Differences of GET /users/:id")
            let sides = try #require(page["sides"] as? [String])
            #expect(sides.count == 2)
            #expect(sides.first?.hasPrefix("legacy: ") == true)
            #expect(sides.last?.hasPrefix("candidate: ") == true)
            #expect((page["differingLines"] as? Int ?? 0) > 0)
            let stored = try await server.store.differenceAggregates().filter { $0.route == "GET /users/:id" }
            let major = stored.filter { $0.severity > .cosmetic }.map(\.kind.rawValue)
            #expect(page["kinds"] as? [String] == major)
            #expect(page["kindsWithMinor"] as? [String] == stored.map(\.kind.rawValue))

            // The rollback made on the page, with the keyboard: in force, and in the event log as the page's.
            #expect(report["confirmText"] as? String == "Roll back GET /users from canary 50% to legacy?")
            #expect(status.route(named: "GET /users")?.mode == "legacy")
            let events = try await server.store.events(limit: 5)
            #expect(events.first?.route == "GET /users")
            #expect(events.first?.cause == "page")
            #expect(events.first?.reason == "candidate answers differ")
            #expect(events.first?.from == "canary:50")
            #expect(
                (report["firstEvent"] as? [String])?.suffix(3) == [
                    "canary 50% → legacy", "page", "candidate answers differ",
                ])
            #expect(report["operatorErrors"] as? [String] == [])

            // The read-only token: the same page, and both changes tried from it refused.
            let messages = try #require(report["readOnlyMessages"] as? [String])
            #expect(messages.count == 2)
            #expect(messages.allSatisfy { $0.hasPrefix("Not changed: 403: this token can read but not change") })
            #expect(status.route(named: "GET /orders/:id")?.mode == "shadow")
            let readErrors = try #require(report["readOnlyErrors"] as? [String])
            #expect(readErrors.count == 2)
            #expect(readErrors.allSatisfy { $0.contains("403") })

            let png = try Data(contentsOf: screenshot)
            #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
            if let keep = ProcessInfo.processInfo.environment["BANYAN_DASHBOARD_SCREENSHOT"] {
                try? FileManager.default.removeItem(atPath: keep)
                try FileManager.default.copyItem(atPath: screenshot.path, toPath: keep)
            }
            withExtendedLifetime((legacy, candidate)) {}
        }
    }

    @Test("a read-only token reads everything and gets 403 on every change; no token gets 401")
    func readOnlyToken() async throws {
        try await withRecordingUpstream { upstream in
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("banyan-readonly-\(UUID())")
            let configuration = Configuration(
                legacy: upstream.base, candidate: upstream.base, listen: ListenAddress(host: "127.0.0.1", port: 0),
                admin: ListenAddress(host: "127.0.0.1", port: 0), adminToken: Self.token,
                adminReadToken: Self.readToken,
                state: "sqlite:\(folder.path)/state.sqlite",
                routes: [
                    RouteConfig(route: "GET /health", method: "GET", pattern: "/health", mode: .shadow),
                    RouteConfig(route: "GET /users", method: "GET", pattern: "/users", mode: .canary(percent: 5)),
                ])
            try await withProxyServer(configuration: configuration) { server in
                let admin = HTTPClient(base: BaseURL(host: "127.0.0.1", port: server.adminPort))
                func send(_ method: String, _ path: String, _ body: String?, token: String?) async throws -> Int {
                    var request = HTTPRequest(method: method, target: path)
                    if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
                    if let body {
                        request.headers.add(name: "Content-Type", value: "application/json")
                        request.body = Array(body.utf8)
                    }
                    let prepared = request
                    return try await blocking { try admin.send(prepared).response.status }
                }
                var refused: [Int] = []
                for (path, body) in Self.changes {
                    refused.append(try await send("POST", path, body, token: Self.readToken))
                }
                #expect(refused == Array(repeating: 403, count: Self.changes.count))
                var anonymous: [Int] = []
                for (path, body) in Self.changes { anonymous.append(try await send("POST", path, body, token: nil)) }
                #expect(anonymous == Array(repeating: 401, count: Self.changes.count))
                for path in [
                    "/", "/dashboard.js", "/metrics", "/api/routes", "/api/events", "/api/differences", "/api/whoami",
                ] {
                    #expect(try await send("GET", path, nil, token: Self.readToken) == 200, "\(path)")
                }
                #expect(try await send("GET", "/api/routes", nil, token: nil) == 401)
                #expect(server.engine.snapshot.routes.map(\.mode) == [.shadow, .canary(percent: 5)])
                #expect(try await server.store.events(limit: 10).isEmpty)
                // The operator's token changes, and says so in the event log with the cause it gave.
                #expect(
                    try await send(
                        "POST", "/api/promote", #"{"route": "GET /users", "cause": "cli"}"#, token: Self.token)
                        == 200)
                #expect(server.engine.snapshot.routes.map(\.mode) == [.shadow, .canary(percent: 25)])
                let event = try await server.store.events(limit: 1).first
                #expect(event?.cause == "cli")
                #expect(event?.from == "canary:5")
                #expect(event?.to == "canary:25")
            }
        }
    }

    @Test("/metrics parses with prometheus_client and counts each request once, by route, backend and status class")
    func metricsMatchTheRequestsSent() async throws {
        let python = try findExecutable("python3")
        try await withRecordingUpstream { upstream in
            try await withTestProxy(
                legacy: upstream.base, candidate: upstream.base, routes: ["GET /a", "GET /b/:id"],
                configure: { routes in routes[1].mode = .new }
            ) { proxy in
                let sent: [(String, Int)] = [("/a", 7), ("/b/1", 5), ("/elsewhere", 3)]
                for (target, count) in sent { for _ in 0..<count { _ = try await proxy.get(target) } }
                let first = try await scrape(proxy.server, python: python)
                let expected = [
                    "GET /a|legacy|2xx": 7.0, "GET /b/:id|candidate|2xx": 5.0, "(unmatched)|legacy|2xx": 3.0,
                ]
                #expect(first["banyan_requests_total"] == expected)
                #expect(
                    first["banyan_request_duration_seconds_count"] == [
                        "GET /a|legacy": 7, "GET /b/:id|candidate": 5, "(unmatched)|legacy": 3,
                    ])
                // A second scrape after more requests adds only those.
                for _ in 0..<4 { _ = try await proxy.get("/a") }
                let second = try await scrape(proxy.server, python: python)
                #expect(second["banyan_requests_total"]?["GET /a|legacy|2xx"] == 11)
                #expect(second["banyan_requests_total"]?["GET /b/:id|candidate|2xx"] == 5)
                // A runtime change is counted by cause.
                try await proxy.server.setMode(route: "GET /a", mode: .shadow, reason: "test", cause: "cli")
                let third = try await scrape(proxy.server, python: python)
                #expect(third["banyan_mode_changes_total"] == ["GET /a|cli": 1])
            }
        }
    }

    /// `/metrics` read by prometheus_client: each sample's labels (route, backend, status_class, cause;
    /// those present, joined by `|`) to its value, by sample name.
    private func scrape(_ server: ProxyServer, python: String) async throws -> [String: [String: Double]] {
        let text = try await adminGet(server, "/metrics")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("banyan-metrics-\(UUID()).txt")
        try Data(text.utf8).write(to: file)
        let script = """
            import json, sys
            from prometheus_client.parser import text_string_to_metric_families
            out = {}
            for family in text_string_to_metric_families(open(sys.argv[1]).read()):
                for sample in family.samples:
                    keys = [sample.labels[k] for k in ("route", "backend", "status_class", "cause") if k in sample.labels]
                    if sample.name.endswith("_bucket"):
                        continue
                    out.setdefault(sample.name, {})["|".join(keys)] = sample.value
            print(json.dumps(out))
            """
        let run = try await blocking { try runToEnd(python, ["-c", script, file.path], timeLimit: 120) }
        try #require(run.status == 0, "prometheus_client could not parse /metrics:\n\(run.error)\n\(text)")
        let decoded = try JSONDecoder().decode([String: [String: Double]].self, from: Data(run.output.utf8))
        return decoded
    }

    private func adminGet(_ server: ProxyServer, _ path: String) async throws -> String {
        let response = await AdminAPI(server: server).handle(
            AdminRequest(
                method: "GET", path: path,
                authorization: server.engine.snapshot.configuration.adminToken.map { "Bearer \($0)" }))
        return response.text
    }
}
