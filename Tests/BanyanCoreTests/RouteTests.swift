import BanyanCore
import Testing

@Suite("Route(parsing:) and RouteTable")
struct RouteTests {
    @Test func parsesMethodAndPattern() throws {
        let route = try Route(parsing: "GET /users/:id", flavor: .express4)
        #expect(route.method == "GET")
        #expect(route.pattern.source == "/users/:id")
        #expect(route.pattern.parameterNames == ["id"])
        #expect(route.source == "GET /users/:id")
        #expect(try Route(parsing: "M-SEARCH /x", flavor: .express4).method == "M-SEARCH")
        #expect(try Route(parsing: "ALL /x", flavor: .express5).method == "ALL")
    }

    @Test(arguments: [
        ("get /users", ExpressFlavor.express4, "method 'get' is not upper case at column 1: write it as 'GET'"),
        (
            "FOO /users", .express4,
            "unknown method 'FOO' at column 1: Node's HTTP parser rejects it before Express sees it; use GET, POST, "
                + "PUT, PATCH, DELETE, HEAD, OPTIONS, ALL or another method Node accepts"
        ),
        ("/users", .express4, "route '/users' has no method: write it as 'GET /users' (method, one space, pattern)"),
        ("GET", .express4, "route 'GET' has no pattern: write it as 'METHOD /path' (method, one space, pattern)"),
        ("GET users", .express4, "the pattern must start with '/' at column 5: write 'GET /users'"),
        (
            "GET  /users", .express4,
            "more than one space after the method at column 5: write exactly one space between method and pattern"
        ),
        ("GET /users/(x", .express4, "unbalanced '(' at column 12: every '(' needs a matching ')'"),
        ("GET /users/x)", .express4, "unbalanced ')' at column 13"),
        (
            "GET /wild/*", .express4Debian,
            "'*' is not allowed in Express 4 (Debian) patterns at column 11: path-to-regexp 6 rejects it; "
                + "write '(.*)' to match the rest of the path"
        ),
        (
            "GET /re/:id((\\d)+)", .express4Debian,
            "a capturing group inside a parameter pattern at column 13: path-to-regexp 6 allows only "
                + "non-capturing groups '(?:…)' there"
        ),
        (
            "GET /a/:", .express4Debian,
            "':' without a parameter name at column 8: a name is letters, digits and '_'; write '\\:' for a literal colon"
        ),
        (
            "GET /opt/:id?", .express5,
            "'?' is not allowed in Express 5 patterns at column 13: Express 5 writes an optional part in braces: "
                + "'/:id?' becomes '{/:id}'"
        ),
        (
            "GET /wild/*", .express5,
            "missing parameter name at column 12: Express 5 needs a name after ':' and '*' (for example '*rest')"
        ),
        ("GET /a{/:b", .express5, "unclosed '{': every '{' needs a matching '}'"),
    ])
    func parseErrors(text: String, flavor: ExpressFlavor, message: String) {
        #expect(throws: RoutePatternError.self) { try Route(parsing: text, flavor: flavor) }
        do {
            _ = try Route(parsing: text, flavor: flavor)
        } catch {
            #expect(error.message == message)
        }
    }

    private func table(_ routes: [String], flavor: ExpressFlavor = .express4) throws -> RouteTable<Int> {
        var table = RouteTable<Int>()
        for (index, text) in routes.enumerated() {
            table.append(try Route(parsing: text, flavor: flavor), value: index)
        }
        return table
    }

    @Test func firstRegisteredMatchWins() throws {
        let routes = try table(["GET /order/:x", "GET /order/special", "GET /order/special"])
        let found = try #require(routes.match(method: "GET", path: "/order/special"))
        #expect(found.value == 0)
        #expect(found.parameters == RouteParameters([("x", "special")]))
        #expect(routes.match(method: "GET", path: "/nope") == nil)
    }

    @Test func methodsHeadAndAll() throws {
        let routes = try table(["POST /users", "GET /users", "ALL /any/:id", "HEAD /only-head", "DELETE /users"])
        #expect(routes.match(method: "POST", path: "/users")?.value == 0)
        #expect(routes.match(method: "GET", path: "/users")?.value == 1)
        #expect(routes.match(method: "HEAD", path: "/users")?.value == 1)
        #expect(routes.match(method: "DELETE", path: "/users")?.value == 4)
        #expect(routes.match(method: "PUT", path: "/users") == nil)
        #expect(routes.match(method: "PROPFIND", path: "/any/7")?.parameters?["id"] == "7")
        #expect(routes.match(method: "HEAD", path: "/only-head")?.value == 3)
        #expect(routes.match(method: "GET", path: "/only-head") == nil)
    }

    @Test func malformedParameterStopsTheSearchWhateverTheMethod() throws {
        let routes = try table(["POST /m/:id", "GET /m/%ZZ"])
        let found = try #require(routes.match(method: "GET", path: "/m/%ZZ"))
        #expect(found.value == 0)
        #expect(found.result == .malformedParameter(name: "id", raw: "%ZZ"))
        #expect(routes.allowedMethods(path: "/m/%ZZ") == [])
    }

    @Test func matchIndexAgreesWithMatch() throws {
        for flavor in [ExpressFlavor.express4, .express4Debian, .express5] {
            let routes = try table(
                [
                    "POST /m/:id", "GET /users/:id", "GET /users/:id/orders/:order", "GET /Static/Path",
                    "ALL /any/:id", "GET /files/:name.:ext", "GET /m/%ZZ",
                ], flavor: flavor)
            let paths = [
                "/users/1", "/users/1/", "/USERS/abc", "/users/", "/users/1/orders/2", "/users/1/orders",
                "/static/path", "/static/path/", "/static/paths", "/any/x", "/m/%ZZ", "/m/%41", "/m/%E2%82",
                "/users/a%20b", "/users/%zz", "/files/a.txt", "/users/a#b", "/users/a?b", "/nope", "/", "",
            ]
            for method in ["GET", "HEAD", "POST", "PUT"] {
                for path in paths {
                    #expect(
                        routes.matchIndex(method: method, path: path)
                            == routes.match(method: method, path: path)?.index,
                        "\(flavor) \(method) \(path)")
                }
            }
        }
        let routes = try table(["POST /m/:id", "GET /m/:id"])
        #expect(routes.matchIndex(method: "GET", path: "/m/%ZZ") == 0)
        #expect(routes.matchIndex(method: "GET", path: "/m/%41") == 1)
        #expect(routes.matchIndex(method: "GET", path: "/m/%E2%82") == 0)
    }

    @Test func allowedMethods() throws {
        let routes = try table(["GET /json", "POST /json", "GET /json", "PUT /users/:id", "ALL /json", "OPTIONS /o"])
        #expect(routes.allowedMethods(path: "/json") == ["GET", "HEAD", "POST"])
        #expect(routes.allowedMethods(path: "/JSON/") == ["GET", "HEAD", "POST"])
        #expect(routes.allowedMethods(path: "/users/1") == ["PUT"])
        #expect(routes.allowedMethods(path: "/o") == ["OPTIONS"])
        #expect(routes.allowedMethods(path: "/nope") == [])
    }

    @Test func parameterOrderAndUnmatchedOptionals() throws {
        let pattern = try RoutePattern("/a/:x/:y?/v(\\d+)")
        #expect(pattern.parameterNames == ["x", "y", "0"])
        #expect(pattern.match("/a/1/v2") == .matched(RouteParameters([("x", "1"), ("0", "2")])))
        #expect(pattern.match("/a/1/2/v3") == .matched(RouteParameters([("x", "1"), ("y", "2"), ("0", "3")])))
        // path-to-regexp 0.1.7 turns "/(" into "/(?:", so a group right after a slash captures nothing.
        #expect(try RoutePattern("/b/(\\d+)").parameterNames == [])
    }

    @Test func express5Syntax() throws {
        let optional = try RoutePattern("/opt{/:id}", flavor: .express5)
        #expect(optional.match("/opt") == .matched(RouteParameters()))
        #expect(optional.match("/opt/5/") == .matched(RouteParameters([("id", "5")])))
        let wildcard = try RoutePattern("/files/*path", flavor: .express5)
        #expect(wildcard.match("/files/a%2Fb/c") == .matched(RouteParameters([("path", "a/b/c")])))
        #expect(wildcard.match("/files/a/%ZZ") == .malformedParameter(name: "path", raw: "%ZZ"))
        #expect(wildcard.match("/files") == .noMatch)
        let quoted = try RoutePattern("/q/:\"a b\"", flavor: .express5)
        #expect(quoted.parameterNames == ["a b"])
        #expect(try RoutePattern("/", flavor: .express5).match("//") == .matched(RouteParameters()))
    }

    @Test func debianOnlyForms() throws {
        let repeated = try RoutePattern("/files/:path*", flavor: .express4Debian)
        #expect(repeated.match("/files/a/b") == .matched(RouteParameters([("path", "a/b")])))
        #expect(repeated.match("/files") == .matched(RouteParameters()))
        #expect(try RoutePattern("/", flavor: .express4Debian).match("//") == .matched(RouteParameters()))
        #expect(try RoutePattern("/", flavor: .express4).match("//") == .noMatch)
    }
}
