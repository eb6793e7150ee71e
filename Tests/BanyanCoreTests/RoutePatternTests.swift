import BanyanCore
import Testing

@Suite("Route patterns against the case table")
struct RouteCaseTableTests {
    @Test("the table is large enough and every case is well formed")
    func tableShape() {
        #expect(RouteCase.all.count >= 60)
        for routeCase in RouteCase.all {
            #expect(routeCase.path.hasPrefix("/"), "\(routeCase.testDescription)")
            let differs = routeCase.flavors?["4-debian"].map { $0 != routeCase.expect } ?? false
            if differs {
                #expect(routeCase.source?.contains("express-wire.md") == true, "\(routeCase.testDescription)")
            }
        }
    }

    @Test("each flavour answers what its Express answers", arguments: RouteCase.checks)
    func matches(check: RouteCheck) throws {
        let expectation = check.expectation
        var patterns: [RoutePattern] = []
        do {
            for source in check.routeCase.allPatterns {
                patterns.append(try RoutePattern(source, flavor: check.flavor))
            }
        } catch {
            #expect(expectation.registerError == true, "unexpected registration error: \(error.message)")
            return
        }
        #expect(expectation.registerError != true, "expected registration to fail")
        guard expectation.registerError != true else { return }

        let routes = patterns.map { Route(method: "GET", pattern: $0) }
        let table = RouteTable(routes.enumerated().map { ($0.element, $0.offset) })
        let found = table.match(method: "GET", path: check.routeCase.path)

        if expectation.status == 400 {
            #expect(
                found?.result == .malformedParameter(name: expectation.param ?? "", raw: expectation.raw ?? ""))
        } else if expectation.match == true {
            let parameters = try #require(found?.parameters)
            #expect(
                Dictionary(uniqueKeysWithValues: parameters.entries.map { ($0.name, $0.value) }) == expectation.params)
            #expect(parameters.count == expectation.params?.count)
            if let route = expectation.route { #expect(found?.value == route) }
        } else {
            #expect(found == nil)
        }
    }

    @Test("the fast path and the regex agree", arguments: RouteCase.checks)
    func fastPathAgrees(check: RouteCheck) {
        for source in check.routeCase.allPatterns {
            guard let pattern = try? RoutePattern(source, flavor: check.flavor) else { continue }
            for path in [check.routeCase.path] + Self.variations(of: check.routeCase.path) {
                #expect(pattern.match(path) == pattern.matchUsingRegex(path), "\(source) ← \(path)")
            }
        }
    }

    static func variations(of path: String) -> [String] {
        [path + "/", path + "//", path.uppercased(), "/" + path, path + "#", path + "?", path + "/x", ""]
    }

    @Test("simple patterns take the fast path, others the regex")
    func fastPathSelection() throws {
        for flavor in ExpressFlavor.allCases {
            #expect(try RoutePattern("/users/:id", flavor: flavor).usesFastPath)
            #expect(try RoutePattern("/users/:id/posts/:postId/", flavor: flavor).usesFastPath)
            #expect(try RoutePattern("/a-b_c~d/v1.2", flavor: flavor).usesFastPath)
            #expect(try !RoutePattern("/", flavor: flavor).usesFastPath)
            #expect(try !RoutePattern("/files/:name.:ext", flavor: flavor).usesFastPath)
            #expect(try !RoutePattern("/flights/:from-:to", flavor: flavor).usesFastPath)
            #expect(try !RoutePattern("/café", flavor: flavor).usesFastPath)
        }
        #expect(try !RoutePattern("/opt/:id?").usesFastPath)
        #expect(try !RoutePattern("/re/:id(\\d+)").usesFastPath)
        #expect(try !RoutePattern("/wild/*").usesFastPath)
    }
}
