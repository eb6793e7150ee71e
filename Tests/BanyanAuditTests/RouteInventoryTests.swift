import BanyanCore
import Testing

@testable import BanyanAudit

struct RouteInventoryTests {
    @Test(arguments: [
        ([], "/", "/"),
        ([], "/users", "/users"),
        (["/api"], "/", "/api"),
        (["/api/"], "/users", "/api/users"),
        (["/"], "/users", "/users"),
        (["/api/v1", "/users"], "/:id", "/api/v1/users/:id"),
        (["/api", "/"], "/", "/api"),
        (["/users/:userId/posts"], "/:postId", "/users/:userId/posts/:postId"),
    ])
    func joinsMountPathsAsRequestsReachTheRoute(mounts: [String], path: String, expected: String) {
        #expect(RouteInventory.join(mounts: mounts, path: path) == expected)
    }

    @Test func expandsAlternativesMethodsAndDropsDuplicates() {
        let records = [
            ExpressRouteRecord(
                mounts: [[.pattern("/a"), .pattern("/b")]], paths: [.pattern("/x")], methods: ["GET", "POST"]),
            ExpressRouteRecord(mounts: [[.pattern("/a")]], paths: [.pattern("/x")], methods: ["GET"]),
            ExpressRouteRecord(mounts: [], paths: [.pattern("/items/:id(\\d+)")], methods: ["ALL"]),
        ]
        let inventory = RouteInventory(records: records, flavor: .express4Debian)
        #expect(
            inventory.routes == [
                "GET /a/x", "POST /a/x", "GET /b/x", "POST /b/x", "ALL /items/:id(\\d+)",
            ])
        #expect(inventory.entries[4].parameters == ["id"])
        #expect(inventory.entries[0].mounts == ["/a"])
    }

    @Test func reportsRegExpPathsAndBadPatternsInsteadOfWritingThem() {
        let records = [
            ExpressRouteRecord(mounts: [], paths: [.regexp("/^\\/regex\\/(\\d+)$/")], methods: ["GET"]),
            ExpressRouteRecord(mounts: [[.regexp("/^\\/v\\d/i")]], paths: [.pattern("/x")], methods: ["GET"]),
            ExpressRouteRecord(mounts: [], paths: [.pattern("/ok")], methods: ["GET"]),
        ]
        let inventory = RouteInventory(records: records, flavor: .express4Debian)
        #expect(inventory.routes == ["GET /ok"])
        #expect(
            inventory.unrepresentable.map(\.description) == [
                "GET /^\\/regex\\/(\\d+)$/", "GET /^\\/v\\d/i + /x",
            ])
        #expect(inventory.unrepresentable[0].reason.hasPrefix("the path /^\\/regex\\/(\\d+)$/ is a RegExp"))
    }

    @Test func leavesExpressInternalsOutOfTheMiddlewareList() {
        let inventory = RouteInventory(
            records: [],
            middleware: [
                ("query", [[.pattern("/")]]), ("expressInit", [[.pattern("/")]]),
                ("serveStatic", [[.pattern("/assets")]]),
            ], flavor: .express4)
        #expect(inventory.middleware == [.init(name: "serveStatic", mount: "/assets")])
    }

    @Test func tellsTheFlavourFromTheLoadedRelease() {
        #expect(RouteInventory.ExpressRelease(version: "4.18.2", pathToRegexp: "6.2.1").flavor == .express4Debian)
        #expect(RouteInventory.ExpressRelease(version: "4.21.2", pathToRegexp: "0.1.12").flavor == .express4)
        #expect(RouteInventory.ExpressRelease(version: "5.1.0", pathToRegexp: "8.2.0").flavor == .express5)
        #expect(RouteInventory.ExpressRelease(version: nil, pathToRegexp: nil).flavor == nil)
    }

    @Test func readsTheLoaderReportAndItsErrors() throws {
        let report: JSONValue = try JSONParser.parse(
            #"""
            {"express": [{"version": "4.18.2", "pathToRegexp": "6.2.1"}], "apps": 1, "routes": [
              {"mount": [[{"path": "/api"}]], "path": [{"path": "/users/:id"}], "methods": ["GET", "DELETE"]}],
             "mounts": [{"mount": [[{"path": "/"}]], "name": "jsonParser"}]}
            """#)
        let inventory = try ExpressRouteLoader.report(from: report, appPath: "app.js").inventory()
        #expect(inventory.flavor == .express4Debian)
        #expect(inventory.routes == ["GET /api/users/:id", "DELETE /api/users/:id"])
        #expect(inventory.middleware == [.init(name: "jsonParser", mount: "/")])

        let cases: [(String, String)] = [
            (
                #"{"error": {"kind": "no-app"}}"#,
                "app.js loaded Express but created no app (express() never ran); point --express at the file "
                    + "that calls express()"
            ),
            (
                #"{"error": {"kind": "threw", "message": "Error: boom"}}"#,
                "app.js threw while loading, so no routes could be read:\nError: boom\n"
                    + "(set the environment it needs, or point --express at the file that only builds the app)"
            ),
        ]
        for (text, message) in cases {
            do {
                _ = try ExpressRouteLoader.report(from: try JSONParser.parse(text), appPath: "app.js")
                Issue.record("accepted \(text)")
            } catch let error as RouteImportError {
                #expect(error.message == message)
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
    }

    @Test func rendersTextAndJSON() throws {
        let inventory = RouteInventory(
            records: [ExpressRouteRecord(mounts: [[.pattern("/api")]], paths: [.pattern("/:id")], methods: ["GET"])],
            express: .init(version: "4.18.2", pathToRegexp: "6.2.1"), flavor: .express4Debian)
        #expect(
            inventory.plainText()
                == "1 routes (Express 4.18.2, path-to-regexp 6.2.1; matched as express: 4-debian)\n"
                + "  GET /api/:id  params: id; router at /api")
        #expect(
            inventory.json.serializedText
                == #"{"express":{"version":"4.18.2","path_to_regexp":"6.2.1"},"flavor":"4-debian","routes":[{"route":"#
                + #""GET /api/:id","method":"GET","pattern":"/api/:id","params":["id"],"mounts":["/api"]}],"#
                + #""unrepresentable":[],"middleware":[]}"#)
    }
}
