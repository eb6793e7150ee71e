import BanyanContract
import BanyanCore
import Testing

@Suite("routes, probes and portions")
struct RouteResolverTests {
    static func route(_ text: String) -> RouteConfig {
        let parts = text.split(separator: " ", maxSplits: 1)
        return RouteConfig(route: text, method: String(parts[0]), pattern: String(parts[1]))
    }

    static let resolver = RouteResolver(
        routes: [route("GET /users/new"), route("GET /users/:id"), route("POST /users/:id"), route("ALL /admin/*")],
        flavor: .express4)

    @Test(
        "the first configured route that matches, as Express would pick it",
        arguments: [
            ("GET", "/users/new", "GET /users/new"), ("GET", "/users/7", "GET /users/:id"),
            ("POST", "/users/7", "POST /users/:id"), ("DELETE", "/admin/x/y", "ALL /admin/*"),
            ("GET", "/users/7?x=1", "GET /users/:id"),
        ])
    func routeFor(method: String, target: String, route: String) {
        #expect(Self.resolver.route(for: HTTPRequest(method: method, target: target)) == route)
    }

    @Test("no route: nil")
    func noRoute() {
        #expect(Self.resolver.route(for: HTTPRequest(method: "DELETE", target: "/users/7")) == nil)
        #expect(Self.resolver.route(for: HTTPRequest(method: "GET", target: "/orders")) == nil)
    }

    @Test(
        "an example path for a pattern: parameters become 1, a wildcard x",
        arguments: [("/users/:id", "/users/1"), ("/files/*", "/files/x"), ("/", "/"), ("", "/"), ("/a/:b/c", "/a/1/c")])
    func examplePath(pattern: String, path: String) {
        #expect(ProbeCatalog.examplePath(for: pattern) == path)
    }

    @Test(
        "a portion of a recording by position",
        arguments: [
            (ContractSource.Portion.all, 10, 0..<10), (.head(percent: 30), 10, 0..<3), (.tail(percent: 30), 10, 7..<10),
            (.head(percent: 50), 3, 0..<1), (.tail(percent: 50), 3, 1..<3),
        ])
    func portion(portion: ContractSource.Portion, count: Int, range: Range<Int>) {
        #expect(portion.range(count: count) == range)
    }
}
