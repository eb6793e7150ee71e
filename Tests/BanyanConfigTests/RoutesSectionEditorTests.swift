import BanyanConfig
import Testing

struct RoutesSectionEditorTests {
    @Test func keepsModesCommentsAndTheRestOfTheFileAndInsertsInTheAppsOrder() throws {
        let yaml = """
            # the shop
            legacy: http://127.0.0.1:3000
            candidate: http://127.0.0.1:8080
            routes:
              # the hot path, in canary since May
              - route: GET /price/:symbol
                mode: canary
                percent: 5   # ramping
              - route: POST /old
                mode: shadow

            # what to compare
            policy:
              fail_at: risky
            """
        let result = try RoutesSectionEditor.merge(
            routes: ["GET /health", "GET /price/:symbol", "GET /users/:id(\\d+)", "POST /old"], into: yaml + "\n")
        #expect(
            result.text == """
                # the shop
                legacy: http://127.0.0.1:3000
                candidate: http://127.0.0.1:8080
                routes:
                  - route: GET /health
                    mode: legacy
                  # the hot path, in canary since May
                  - route: GET /price/:symbol
                    mode: canary
                    percent: 5   # ramping
                  - route: 'GET /users/:id(\\d+)'
                    mode: legacy
                  - route: POST /old
                    mode: shadow

                # what to compare
                policy:
                  fail_at: risky

                """)
        #expect(result.added == ["GET /health", "GET /users/:id(\\d+)"])
        #expect(result.kept == ["GET /price/:symbol", "POST /old"])
        #expect(result.notServed == [])
        // The result reads back with the modes as they were.
        let configuration = try ConfigurationLoader.parse(yaml: result.text)
        #expect(
            configuration.routes.map(\.route) == [
                "GET /health", "GET /price/:symbol", "GET /users/:id(\\d+)", "POST /old",
            ])
        #expect(configuration.routes.map(\.mode.name) == ["legacy", "canary", "legacy", "shadow"])
    }

    @Test func reportsEntriesTheAppNoLongerServesAndKeepsThem() throws {
        let yaml = "legacy: http://a:1\ncandidate: http://b:2\nroutes:\n- route: GET /gone\n  mode: new\n"
        let result = try RoutesSectionEditor.merge(routes: ["GET /here"], into: yaml)
        #expect(result.notServed == ["GET /gone"])
        #expect(
            result.text
                == "legacy: http://a:1\ncandidate: http://b:2\nroutes:\n- route: GET /here\n  mode: legacy\n"
                + "- route: GET /gone\n  mode: new\n")
    }

    @Test func addsARoutesSectionWhenThereIsNone() throws {
        let result = try RoutesSectionEditor.merge(
            routes: ["GET /a", "ALL /b"], into: "legacy: http://a:1\ncandidate: http://b:2\n\n")
        #expect(
            result.text
                == "legacy: http://a:1\ncandidate: http://b:2\n\nroutes:\n  - route: GET /a\n    mode: legacy\n"
                + "  - route: ALL /b\n    mode: legacy\n")
        let empty = try RoutesSectionEditor.merge(routes: ["GET /a"], into: "routes: []  # none yet\nlegacy: x\n")
        #expect(empty.text == "routes:  # none yet\n  - route: GET /a\n    mode: legacy\nlegacy: x\n")
    }

    @Test func refusesAFlowStyleRoutesList() {
        do {
            _ = try RoutesSectionEditor.merge(routes: ["GET /a"], into: "legacy: x\nroutes: [{route: GET /b}]\n")
            Issue.record("edited a flow-style list")
        } catch {
            #expect(
                error.description
                    == "line 2: 'routes:' is written in flow style; write it as a block list (one '- route: …' per "
                    + "line) so routes import can add to it")
        }
    }

    @Test func writesANewFileThatLoads() throws {
        let text = RoutesSectionEditor.newFile(routes: ["GET /health", "DELETE /cache/:key?"], express: "4-debian")
        let configuration = try ConfigurationLoader.parse(yaml: text)
        #expect(configuration.express == .express4Debian)
        #expect(configuration.routes.map(\.route) == ["GET /health", "DELETE /cache/:key?"])
    }
}
