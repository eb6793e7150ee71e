import BanyanAudit
import BanyanConfig
import BanyanCore
import BanyanHTTP
import Foundation
import SharedTestSupport
import Testing

/// `routes import` against real Express apps run by node, checked against requests to the same
/// apps, and `plan --measure` on the reference workload.
struct InventoryTests {
    static let nestedApp = "Tests/Scripts/express-apps/nested-routers.js"

    /// Runs banyan with Debian's Express where node finds it.
    static func banyan(_ arguments: [String]) throws -> CommandLineTests.Result {
        try CommandLineTests.banyan(arguments, environment: ["NODE_PATH": "/usr/share/nodejs"])
    }

    static func loader() throws -> ExpressRouteLoader {
        ExpressRouteLoader(node: try findExecutable("node"), environment: ["NODE_PATH": "/usr/share/nodejs"])
    }

    /// Each route of the nested test app and the handler that answers it.
    static let nestedRoutes: [(route: String, handler: String)] = [
        ("GET /", "root"),
        ("ALL /ping", "ping"),
        ("GET /items", "items-list"),
        ("POST /items", "items-create"),
        ("GET /orders/:id(\\d+)", "order-by-number"),
        ("GET /orders/:code([A-Z]{3}-\\d{2})", "order-by-code"),
        ("GET /files/:name.:ext", "file"),
        ("GET /legacy/a", "legacy"),
        ("GET /legacy/b", "legacy"),
        ("GET /api/v1/status", "api-status"),
        ("GET /api/v1/users", "users-list"),
        ("POST /api/v1/users", "users-create"),
        ("GET /api/v1/users/:userId(\\d+)", "user"),
        ("PUT /api/v1/users/:userId(\\d+)", "user-replace"),
        ("DELETE /api/v1/users/:userId(\\d+)", "user-delete"),
        ("PATCH /api/v1/users/:userId/avatar", "user-avatar"),
        ("GET /api/v1/users/:userId/posts", "posts-list"),
        ("GET /api/v1/users/:userId/posts/:postId", "post"),
        ("GET /admin/dashboard", "admin-dashboard"),
        ("DELETE /admin/cache/:key?", "admin-cache"),
    ]

    @Test func listsEveryRouteOfTheNestedAppInOrder() throws {
        let inventory = try Self.loader().load(appPath: Self.nestedApp).inventory()
        #expect(inventory.express == .init(version: "4.18.2", pathToRegexp: "6.2.1"))
        #expect(inventory.flavor == .express4Debian)
        #expect(inventory.routes == Self.nestedRoutes.map(\.route))
        #expect(
            inventory.entries.first { $0.route == "GET /api/v1/users/:userId/posts/:postId" }?.parameters
                == ["userId", "postId"])
        #expect(inventory.unrepresentable.map(\.description) == ["GET /^\\/regex\\/(\\d+)$/"])
        #expect(
            inventory.middleware == [
                .init(name: "jsonParser", mount: "/"), .init(name: "serveStatic", mount: "/assets"),
                .init(name: "<anonymous>", mount: "/"),
            ])
    }

    /// Requests to the running app: for each, the handler Express chose must be the one the imported
    /// routes name (first match wins in both), and a path no imported route matches must reach no
    /// handler in Express either.
    @Test func theImportedRoutesMatchWhatTheRunningAppServes() throws {
        let inventory = try Self.loader().load(appPath: Self.nestedApp).inventory()
        let handlers = Dictionary(Self.nestedRoutes.map { ($0.route, $0.handler) }, uniquingKeysWith: { a, _ in a })
        var table = RouteTable<String>()
        for entry in inventory.entries {
            table.append(try Route(parsing: entry.route, flavor: inventory.flavor), value: handlers[entry.route] ?? "?")
        }
        let app = try ServiceProcess(
            name: "nested-routers", executable: try findExecutable("node"), arguments: [Self.nestedApp],
            environment: ["NODE_PATH": "/usr/share/nodejs", "PORT": "{port}"])
        let probes: [(String, String)] = [
            ("GET", "/"), ("GET", "/ping"), ("PURGE", "/ping"), ("POST", "/ping"), ("GET", "/items"),
            ("POST", "/items"), ("PUT", "/items"), ("GET", "/orders/42"), ("GET", "/orders/ABC-12"),
            ("GET", "/orders/abc"), ("GET", "/files/report.pdf"), ("GET", "/files/report"), ("GET", "/legacy/a"),
            ("GET", "/legacy/b"), ("GET", "/legacy/c"), ("GET", "/API/V1/STATUS"), ("GET", "/api/v1/status/"),
            ("GET", "/api/v1/users"), ("POST", "/api/v1/users/"), ("GET", "/api/v1/users/7"),
            ("PUT", "/api/v1/users/7"), ("DELETE", "/api/v1/users/7"), ("GET", "/api/v1/users/x7"),
            ("PATCH", "/api/v1/users/x7/avatar"), ("GET", "/api/v1/users/7/posts"),
            ("GET", "/api/v1/users/7/posts/99"), ("GET", "/api/v1/users/7/posts/99/extra"),
            ("GET", "/admin/dashboard"), ("DELETE", "/admin/cache"), ("DELETE", "/admin/cache/k1"),
            ("GET", "/admin/cache/k1"), ("GET", "/nothing"),
        ]
        var covered = Set<String>()
        for (method, path) in probes {
            let response = try app.client.send(HTTPRequest(method: method, target: path))
            let body = try JSONParser.parse(response.response.body)
            let expressHandler: String? = if case .string(let name) = body["handler"] { name } else { nil }
            let match = table.match(method: method, path: path)
            #expect(match?.value == expressHandler, "\(method) \(path)")
            if let match { covered.insert(match.route.source) }
        }
        // Every imported route was exercised by at least one request.
        #expect(covered == Set(inventory.routes))
    }

    @Test func listsTheReferenceServiceExactly() throws {
        let inventory = try Self.loader().load(appPath: "Examples/shop-legacy/server.js").inventory()
        let configured = try ConfigurationLoader.load(path: "Examples/banyan.yaml").routes.map(\.route)
        #expect(inventory.routes == configured)
        #expect(inventory.routes.count == 11)
        #expect(inventory.unrepresentable.isEmpty)
    }

    @Test func theCommandWritesBanyanYamlKeepingModes() throws {
        let config = try CommandLineTests.temporaryFile(
            "banyan.yaml",
            "legacy: http://127.0.0.1:3000\ncandidate: http://127.0.0.1:8080\nexpress: 4-debian\nroutes:\n"
                + "  - route: GET /price/:symbol\n    mode: shadow  # comparing\n")
        let result = try Self.banyan([
            "routes", "import", "--express", "Examples/shop-legacy/server.js", "--config", config,
        ])
        #expect(result.status == 0, "\(result.error)")
        let written = try String(contentsOfFile: config, encoding: .utf8)
        #expect(
            written.contains(
                "  - route: GET /price/:symbol\n    mode: shadow  # comparing\n  - route: POST /checkout\n"))
        let configuration = try ConfigurationLoader.load(path: config)
        #expect(configuration.routes.count == 11)
        #expect(configuration.routes.filter { $0.mode == .shadow }.map(\.route) == ["GET /price/:symbol"])
        #expect(result.output.contains("added 10 routes (mode legacy), kept 1 existing entries as they were"))
        let json = try Self.banyan([
            "routes", "import", "--express", "Examples/shop-legacy/server.js", "--config", config, "--dry-run",
            "--format", "json",
        ])
        let report = try JSONParser.parse(json.output)
        #expect(report["config"]?["added"] == [])
        #expect(report["routes"]?[7]?["route"] == "GET /price/:symbol")
    }

    @Test(arguments: [
        (
            "Tests/Scripts/express-apps/throws-on-load.js",
            "error: Tests/Scripts/express-apps/throws-on-load.js threw while loading, so no routes could be read:\n"
                + "Error: DATABASE_URL is not set\n"
        ),
        (
            "Tests/Scripts/express-apps/no-app.js",
            "error: Tests/Scripts/express-apps/no-app.js loaded Express but created no app (express() never ran)"
        ),
        (
            "Tests/Scripts/express-apps/no-express.js",
            "error: Tests/Scripts/express-apps/no-express.js did not load Express (require('express') never ran)"
        ),
        ("Tests/Scripts/express-apps/missing.js", "error: Tests/Scripts/express-apps/missing.js: no such file"),
    ])
    func explainsAFileThatDoesNotProduceAnApp(file: String, message: String) throws {
        let config = try CommandLineTests.temporaryFile("banyan.yaml", "legacy: http://a:1\ncandidate: http://b:2\n")
        let result = try Self.banyan(["routes", "import", "--express", file, "--config", config])
        #expect(result.status == 2)
        #expect(result.error.hasPrefix(message), "\(result.error)")
        #expect(try String(contentsOfFile: config, encoding: .utf8) == "legacy: http://a:1\ncandidate: http://b:2\n")
    }

    @Test func explainsThatExpressIsNotInstalledWhereNodeLooks() throws {
        let result = try CommandLineTests.banyan(
            ["routes", "import", "--express", Self.nestedApp, "--dry-run"], environment: ["NODE_PATH": "/nonexistent"])
        #expect(result.status == 2)
        #expect(
            result.error
                == "error: \(Self.nestedApp) requires Express, which node cannot find from there: run 'npm install' in "
                + "the app's folder, or set NODE_PATH to where Express is installed (Debian's node-express: "
                + "/usr/share/nodejs)\n")
    }

    @Test func explainsAMissingNode() throws {
        let result = try Self.banyan([
            "routes", "import", "--express", Self.nestedApp, "--node", "/nonexistent/node", "--dry-run",
        ])
        #expect(result.status == 2)
        #expect(
            result.error
                == "error: cannot run '/nonexistent/node': routes import loads the app with Node.js; install it "
                + "(scripts/setup.sh does) or name it with --node\n")
    }

    @Test func auditsARealPackageJSONInEveryFormat() throws {
        let file = "Tests/BanyanAuditTests/Data/package-json/realworld-conduit/package.json"
        let text = try CommandLineTests.banyan(["audit", file])
        #expect(text.status == 0)
        #expect(text.output.hasPrefix("19 production dependencies of conduit-node\n  rust: 12 direct, 7 partial"))
        let json = try JSONParser.parse(try CommandLineTests.banyan(["audit", file, "--format", "json"]).output)
        #expect(json["summary"]?["swift"]?["none"] == 2)
        let markdown = try CommandLineTests.banyan(["audit", file, "--format", "markdown", "--target", "rust"])
        #expect(markdown.output.contains("| `mongoose` | 5.4.10 | orm | `mongodb` (mature): "))
    }

    /// The reference workload with its store waiting like a database: the CPU-bound price route comes
    /// first, ahead of /health, and the store-backed routes are marked I/O-bound with the reason.
    @Test func planOnTheReferenceWorkloadPutsThePriceRouteFirst() throws {
        let legacy = try ServiceProcess(
            name: "shop-legacy", executable: try findExecutable("node"), arguments: ["Examples/shop-legacy/server.js"],
            environment: [
                "NODE_PATH": "/usr/share/nodejs", "NODE_ENV": "production", "PORT": "{port}", "HOST": "127.0.0.1",
                "SHOP_STORE_LATENCY_MS": "20",
            ])
        let saved = try CommandLineTests.temporaryFile("measurements.json", "")
        let result = try CommandLineTests.banyan([
            "plan", "--measure", "http://127.0.0.1:\(legacy.port)", "--requests", "Examples/requests.http",
            "--config", "Examples/banyan.yaml", "--minimum-seconds", "0.3", "--save", saved, "--format", "json",
            "--pid", String(legacy.pid),
        ])
        #expect(result.status == 0, "\(result.error)")
        let plan = try JSONParser.parse(result.output)
        guard case .array(let routes) = plan["routes"], case .array(let order) = plan["order"] else {
            Issue.record("no routes in \(result.output)")
            return
        }
        #expect(order.first == "GET /price/:symbol")
        let price = try #require(routes.first { $0["route"] == "GET /price/:symbol" })
        #expect(price["verdict"] == "migrate_now")
        #expect(price["profile"] == "cpu-bound")
        if case .string(let goal) = price["goal"] {
            #expect(goal.hasPrefix("cut p99 of GET /price/:symbol from "))
        } else {
            Issue.record("no goal for the price route")
        }
        let priceIndex = try #require(routes.firstIndex { $0["route"] == "GET /price/:symbol" })
        let healthIndex = try #require(routes.firstIndex { $0["route"] == "GET /health" })
        #expect(priceIndex < healthIndex)
        for route in ["GET /users", "GET /users/:id", "GET /orders/:id", "POST /articles"] {
            let entry = try #require(routes.first { $0["route"] == .string(route) }, "\(route)")
            #expect(entry["verdict"] == "dont", "\(route)")
            #expect(entry["profile"] == "io-bound", "\(route)")
            if case .string(let reason) = entry["reason"] {
                #expect(reason.hasPrefix("I/O-bound: "), "\(route)")
                #expect(reason.hasSuffix("the rest is waiting (database, network), which a rewrite does not shorten"))
            }
        }
        // The saved measurements are the documented input format and plan the same way again (with the
        // same banyan.yaml, whose routes without traffic, like the WebSocket GET /live, are listed too).
        let again = try CommandLineTests.banyan([
            "plan", "--measurements", saved, "--config", "Examples/banyan.yaml", "--format", "json",
        ])
        #expect(again.status == 0)
        #expect(try JSONParser.parse(again.output)["order"] == plan["order"])
    }
}

/// `plan --repo --handlers`: contract churn from git history and the packages the handler files use.
struct PlanChurnTests {
    @Test func countsRecentCommitsToTheHandlerFilesAndHoldsAChurningRouteBack() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("banyan-churn-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        func git(_ arguments: [String]) throws {
            let run = try runToEnd(
                try findExecutable("git"),
                ["-C", folder.path, "-c", "user.name=t", "-c", "user.email=t@example.com"] + arguments)
            #expect(run.status == 0, "git \(arguments): \(run.error)")
        }
        try git(["init", "-q"])
        for index in 1...7 {
            try Data("const twilio = require('twilio');\n// \(index)\n".utf8).write(
                to: folder.appendingPathComponent("feed.js"))
            try git(["add", "."])
            try git(["commit", "-q", "-m", "feed \(index)"])
        }
        try Data("require('express');\n".utf8).write(to: folder.appendingPathComponent("price.js"))
        try git(["add", "."])
        try git(["commit", "-q", "-m", "price"])
        let handlers = try CommandLineTests.temporaryFile(
            "handlers.json", #"{"GET /feed": ["feed.js"], "GET /price/:symbol": "price.js"}"#)
        let measurements = try CommandLineTests.temporaryFile(
            "m.json",
            #"{"routes": [{"route": "GET /feed", "p50_ms": 9, "p99_ms": 30, "cpu_seconds_per_request": 0.006},"#
                + #"{"route": "GET /price/:symbol", "p50_ms": 3, "p99_ms": 6, "cpu_seconds_per_request": 0.0025}]}"#)
        let result = try CommandLineTests.banyan([
            "plan", "--measurements", measurements, "--repo", folder.path, "--handlers", handlers, "--package",
            "Examples/shop-legacy/package.json", "--format", "json",
        ])
        #expect(result.status == 0, "\(result.error)")
        let plan = try JSONParser.parse(result.output)
        #expect(plan["order"] == ["GET /price/:symbol", "GET /feed"])
        #expect(plan["routes"]?[0]?["churn"]?["commits"] == 1)
        #expect(plan["routes"]?[1]?["churn"]?["commits"] == 7)
        #expect(plan["routes"]?[1]?["verdict"] == "later")
        #expect(
            plan["routes"]?[1]?["reason"]
                == "contract still churning: 7 commits to its handler files in 90 days (CPU-bound otherwise: 6 ms CPU per request)"
        )
    }
}
