import BanyanConfig
import BanyanCore
import Testing

@Suite("banyan.yaml")
struct ConfigurationLoaderTests {
    static let valid = """
        legacy: http://127.0.0.1:3000
        candidate: http://127.0.0.1:8080/v2/
        express: 4-debian
        listen: 0.0.0.0:8000
        admin: 127.0.0.1:9901
        state: sqlite:.banyan/state.sqlite
        routes:
          - route: GET /users/:id
            mode: canary
            percent: 5
            sticky: header:X-User-Id
            fallback: true
            timeout: 800ms
          - route: GET /price/:symbol
            mode: shadow
            shadow: { sample: 0.5, timeout: 500ms, concurrency: 16 }
          - route: POST /users
          - route: GET /orders/:id
            mode: new
            sticky: param:id
        policy:
          fail_at: breaking
          ignore:
            - header: X-Request-Id
              reason: generated per request
            - path: $.meta.generatedAt
              route: GET /reports/:id
          downgrade:
            - kind: header.missing
              header: x-powered-by
              to: noise
              reason: no client reads it
          ignore_headers: [x-trace]
          compare_headers: [date]
        """

    @Test func readsEveryField() throws {
        let configuration = try ConfigurationLoader.parse(yaml: Self.valid)
        #expect(configuration.legacy == BaseURL(host: "127.0.0.1", port: 3000))
        #expect(configuration.candidate == BaseURL(host: "127.0.0.1", port: 8080, pathPrefix: "/v2"))
        #expect(configuration.express == .express4Debian)
        #expect(configuration.listen == ListenAddress(host: "0.0.0.0", port: 8000))
        #expect(
            configuration.routes.map(\.route) == [
                "GET /users/:id", "GET /price/:symbol", "POST /users", "GET /orders/:id",
            ])
        #expect(configuration.routes.map(\.mode) == [.canary(percent: 5), .shadow, .legacy, .new])
        #expect(configuration.routes.map(\.line) == [8, 14, 17, 18])
        #expect(configuration.routes[0].sticky == .header("x-user-id"))
        #expect(configuration.routes[0].fallback)
        #expect(configuration.routes.map(\.timeout) == [0.8, 30, 30, 30])
        #expect(configuration.routes[1].shadow == ShadowSettings(sample: 0.5, timeout: 0.5, concurrency: 16))
        #expect(configuration.routes[2].method == "POST")
        #expect(configuration.routes[2].pattern == "/users")
        #expect(configuration.routes[3].sticky == .param("id"))
        #expect(configuration.policy.failAt == .breaking)
        #expect(
            configuration.policy.ignore == [
                PolicyRule(header: "x-request-id", reason: "generated per request"),
                PolicyRule(path: "$.meta.generatedAt", route: "GET /reports/:id"),
            ])
        #expect(
            configuration.policy.downgrade == [
                DowngradeRule(
                    rule: PolicyRule(kind: .headerMissing, header: "x-powered-by", reason: "no client reads it"),
                    to: .noise)
            ])
        #expect(configuration.policy.ignoredHeaders.contains("x-trace"))
        #expect(!configuration.policy.ignoredHeaders.contains("date"))
        #expect(configuration.policy.ignoredHeaders.contains("connection"))
    }

    @Test func refusesATimeoutThatIsNotADuration() {
        #expect(throws: ConfigurationError.self) {
            try ConfigurationLoader.parse(
                yaml: "legacy: http://a:1\ncandidate: http://b:2\nroutes:\n  - route: GET /a\n    timeout: soon\n")
        }
        do {
            _ = try ConfigurationLoader.parse(
                yaml: "legacy: http://a:1\ncandidate: http://b:2\nroutes:\n  - route: GET /a\n    timeout: soon\n")
        } catch {
            #expect(
                error.description
                    == "banyan.yaml:5:14: routes[0].timeout: 'soon' is not a duration; write it like 2s or 500ms")
        }
    }

    @Test("io: nio is read; io defaults to direct")
    func readsTheSocketIO() throws {
        let nio = try ConfigurationLoader.parse(yaml: "legacy: http://a:1\ncandidate: http://b:2\nio: nio\n")
        #expect(nio.io == .nio)
        let direct = try ConfigurationLoader.parse(yaml: "legacy: http://a:1\ncandidate: http://b:2\nio: direct\n")
        #expect(direct.io == .direct)
    }

    @Test("limits: every key is read; the rest keep their defaults")
    func readsLimits() throws {
        let yaml = """
            legacy: http://a:1
            candidate: http://b:2
            limits:
              buffer_per_connection: 64KiB
              head_timeout: 5s
              body_timeout: 30s
              idle_timeout: 75s
              connect_timeout: 500ms
              response_timeout: 10s
              send_timeout: 20s
              tunnel_idle_timeout: 2m
              max_header_fields: 50
              max_head_size: 8KiB
              max_uri_length: 4096
              max_connections: 500

            """
        let limits = try ConfigurationLoader.parse(yaml: yaml).limits
        #expect(
            limits
                == ProxyLimits(
                    bufferPerConnection: 65_536, headTimeout: 5, bodyTimeout: 30, idleTimeout: 75, connectTimeout: 0.5,
                    responseTimeout: 10, sendTimeout: 20, tunnelIdleTimeout: 120, maxHeaderFields: 50,
                    maxHeadSize: 8_192,
                    maxURILength: 4_096, maxConnections: 500))
        let defaults = try ConfigurationLoader.parse(yaml: "legacy: http://a:1\ncandidate: http://b:2\n").limits
        #expect(defaults == ProxyLimits())
        #expect(defaults.bufferPerConnection == 262_144)
        #expect(defaults.headTimeout == 60)
        #expect(defaults.maxConnections == 10_000)
    }

    @Test func appliesDefaults() throws {
        let configuration = try ConfigurationLoader.parse(
            yaml: "legacy: http://localhost:3000\ncandidate: http://localhost:8080\n")
        #expect(configuration.express == .express4)
        #expect(configuration.io == .direct)
        #expect(configuration.admin == ListenAddress(host: "127.0.0.1", port: 9901))
        #expect(configuration.state == "sqlite:.banyan/state.sqlite")
        #expect(configuration.servedByHeader == "served-by")
        #expect(configuration.routes.isEmpty)
        #expect(configuration.policy == .default)
    }

    /// Each mistake a user makes, with the exact line, column, key and message they see.
    static let mistakes: [(name: String, yaml: String, expected: String)] = [
        (
            "unknown mode",
            "routes:\n  - route: GET /users/:id\n    mode: canery\n",
            "banyan.yaml:5:11: routes[0].mode: unknown mode 'canery'; allowed: legacy, shadow, canary, new "
                + "(did you mean 'canary'?)"
        ),
        (
            "percentage above 100",
            "routes:\n  - route: GET /users/:id\n    mode: canary\n    percent: 140\n",
            "banyan.yaml:6:14: routes[0].percent: 140 is outside 0–100; a canary sends that percentage of "
                + "requests to the candidate"
        ),
        (
            "negative percentage",
            "routes:\n  - route: GET /users/:id\n    mode: canary\n    percent: -1\n",
            "banyan.yaml:6:14: routes[0].percent: -1 is outside 0–100; a canary sends that percentage of "
                + "requests to the candidate"
        ),
        (
            "percentage that is not a number",
            "routes:\n  - route: GET /users/:id\n    mode: canary\n    percent: half\n",
            "banyan.yaml:6:14: routes[0].percent: 'half' is not a number; allowed: a percentage from 0 to 100"
        ),
        (
            "canary without a percentage",
            "routes:\n  - route: GET /users/:id\n    mode: canary\n",
            "banyan.yaml:5:11: routes[0].percent: mode 'canary' needs 'percent' (0 to 100)"
        ),
        (
            "percentage on another mode",
            "routes:\n  - route: GET /users/:id\n    mode: shadow\n    percent: 5\n",
            "banyan.yaml:6:14: routes[0].percent: 'percent' only applies to mode 'canary' (this route is shadow)"
        ),
        (
            "duplicate route",
            "routes:\n  - route: GET /users/:id\n  - route: GET /Users/:id/\n",
            "banyan.yaml:5:12: routes[1].route: duplicate route 'GET /Users/:id/': the same route is already "
                + "configured at line 4 (Express matches paths case-insensitively and ignores a trailing slash)"
        ),
        (
            "unknown key with a hint",
            "routes:\n  - route: GET /users/:id\n    mdoe: shadow\n",
            "banyan.yaml:5:5: routes[0].mdoe: unknown key 'mdoe'; allowed here: route, mode, percent, sticky, "
                + "fallback, shadow, shadow_non_idempotent, timeout, guard, table (did you mean 'mode'?)"
        ),
        (
            "sticky parameter the route lacks",
            "routes:\n  - route: GET /price/:symbol\n    mode: new\n    sticky: param:sym\n",
            "banyan.yaml:6:13: routes[0].sticky: the route has no parameter ':sym' (it has :symbol)"
        ),
        (
            "unknown severity",
            "policy:\n  fail_at: riksy\n",
            "banyan.yaml:4:12: policy.fail_at: unknown severity 'riksy'; allowed: noise, cosmetic, risky, "
                + "breaking (did you mean 'risky'?)"
        ),
        (
            "unknown difference kind",
            "policy:\n  ignore:\n    - kind: body.nul_vs_absent\n",
            "banyan.yaml:5:13: policy.ignore[0].kind: unknown difference kind 'body.nul_vs_absent'; allowed: "
                + DifferenceKind.allowedValues + " (did you mean 'body.null_vs_absent'?)"
        ),
        (
            "rule that selects nothing",
            "policy:\n  ignore:\n    - reason: because\n",
            "banyan.yaml:5:7: policy.ignore[0]: the rule selects nothing; give at least one of kind, header, "
                + "path or route"
        ),
        (
            "JSON path not from the root",
            "policy:\n  ignore:\n    - path: items[0]\n",
            "banyan.yaml:5:13: policy.ignore[0].path: 'items[0]' is not a JSON path; write it from the root, "
                + "like $.items[*].sku"
        ),
        (
            "invalid YAML",
            "routes:\n  - route: GET /a\n   mode: x\n",
            "banyan.yaml:5:4: not valid YAML: did not find expected '-' indicator"
        ),
        (
            "admin off loopback without a token",
            "admin: 0.0.0.0:9901\n",
            "banyan.yaml:3:8: admin: the admin API listens on 0.0.0.0, which is reachable from other machines; "
                + "set 'admin_token' (clients then send 'Authorization: Bearer TOKEN') or listen on 127.0.0.1"
        ),
        (
            "unknown Express flavour",
            "express: 6\n",
            "banyan.yaml:3:10: express: unknown Express flavour '6'; allowed: 4, 4-debian, 5"
        ),
        (
            "a limit that is not a duration",
            "limits:\n  head_timeout: soon\n",
            "banyan.yaml:4:17: limits.head_timeout: 'soon' is not a duration; write it like 60s, 500ms or 10m"
        ),
        (
            "a buffer bound below 16 KiB",
            "limits:\n  buffer_per_connection: 1KiB\n",
            "banyan.yaml:4:26: limits.buffer_per_connection: '1KiB' is not a size of 16384 bytes or more; write it "
                + "like 256KiB, 1MiB or 65536"
        ),
        (
            "an unknown limit",
            "limits:\n  header_timeout: 5s\n",
            "banyan.yaml:4:3: limits.header_timeout: unknown key 'header_timeout'; allowed here: "
                + "buffer_per_connection, head_timeout, body_timeout, idle_timeout, connect_timeout, response_timeout, "
                + "send_timeout, tunnel_idle_timeout, max_header_fields, max_head_size, max_uri_length, "
                + "max_connections (did you mean 'head_timeout'?)"
        ),
        (
            "unknown socket I/O",
            "io: epoll\n",
            "banyan.yaml:3:5: io: unknown socket I/O 'epoll'; allowed: direct, nio"
        ),
        (
            "a PostgreSQL state URL without a database",
            "state: postgres://banyan@db.internal:5432/\n",
            "banyan.yaml:3:8: state: 'postgres://banyan@db.internal:5432/' names no database; write "
                + "postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?schema=NAME]"
        ),
        (
            "a PostgreSQL state URL with a bad port, password hidden",
            "state: postgres://banyan:s3cret@db.internal:54x2/shop\n",
            "banyan.yaml:3:8: state: 'postgres://banyan:***@db.internal:54x2/shop': port '54x2' is not a number "
                + "from 1 to 65535"
        ),
        (
            "shadow timeout without a unit",
            "routes:\n  - route: GET /a\n    mode: shadow\n    shadow: { timeout: soon }\n",
            "banyan.yaml:6:24: routes[0].shadow.timeout: 'soon' is not a duration; write it like 2s or 500ms"
        ),
        (
            "a forwarded word other than transparent",
            "forwarded: opaque\n",
            "banyan.yaml:3:12: forwarded: 'opaque' is not a forwarded setting; write 'transparent' or a mapping of "
                + "x_forwarded_for, x_forwarded_proto, x_forwarded_host, trusted"
        ),
        (
            "a forwarded choice that does not exist",
            "forwarded:\n  x_forwarded_proto: append\n",
            "banyan.yaml:4:22: forwarded.x_forwarded_proto: 'append' is not a choice here; allowed: preserve, set"
        ),
        (
            "a trusted peer that is not an address",
            "forwarded:\n  trusted: [10.0.0.0/8, lb.internal]\n",
            "banyan.yaml:4:25: forwarded.trusted: 'lb.internal' is not an address or CIDR range; write it like "
                + "10.0.0.5, 10.0.0.0/8 or fc00::/7"
        ),
    ]

    static let guardMistakes: [(String, String, String)] = [
        (
            "unknown guard key",
            "guard:\n  min_sample: 100\n",
            "banyan.yaml:4:3: guard.min_sample: unknown key 'min_sample'; allowed here: enabled, observe, "
                + "min_samples, window, confidence, failure_margin, latency_factor, latency_floor, latency_margin, "
                + "difference_rate, consecutive_failures, compare, trip_to, cooldown, promote_after, "
                + "promote_min_time (did you mean 'min_samples'?)"
        ),
        (
            "a margin that is not a share",
            "routes:\n  - route: GET /a\n    guard: { failure_margin: 5 }\n",
            "banyan.yaml:5:30: routes[0].guard.failure_margin: '5' is not a share from 0 to 1; write it like 0.01 "
                + "or 1%"
        ),
        (
            "a cooldown with nowhere to gather fresh samples",
            "guard:\n  cooldown: 10m\n",
            "banyan.yaml:4:13: guard.cooldown: a cooldown needs fresh samples to clear the route, which only "
                + "'trip_to: shadow' gathers; add 'trip_to: shadow' or remove 'cooldown'"
        ),
        (
            "a guard that is neither a flag nor a mapping",
            "routes:\n  - route: GET /a\n    guard: sometimes\n",
            "banyan.yaml:5:12: routes[0].guard: 'sometimes' is not a guard setting; allowed: false, true, or a "
                + "mapping of enabled, observe, min_samples, window, confidence, failure_margin, latency_factor, "
                + "latency_floor, latency_margin, difference_rate, consecutive_failures, compare, trip_to, "
                + "cooldown, promote_after, promote_min_time"
        ),
        (
            "a route's compare that is not a boolean",
            "routes:\n  - route: GET /a\n    mode: canary\n    percent: 5\n    guard: { compare: always }\n",
            "banyan.yaml:7:23: routes[0].guard.compare: 'always' is not a boolean; allowed: true, false"
        ),
        (
            "a default compare that is not a boolean",
            "guard:\n  compare: 1\n",
            "banyan.yaml:4:12: guard.compare: '1' is not a boolean; allowed: true, false"
        ),
        (
            "a confidence of 1",
            "guard:\n  confidence: 1\n",
            "banyan.yaml:4:15: guard.confidence: '1' is not a share strictly between 0 and 1; write it like 0.01 "
                + "or 1%"
        ),
    ]

    @Test(arguments: guardMistakes)
    func guardMistakesNameLineAndKey(name: String, yaml: String, expected: String) {
        namesLineAndKey(name: name, yaml: yaml, expected: expected)
    }

    @Test("the top-level guard gives every route its defaults; a route's own guard overrides them")
    func guardSettings() throws {
        let yaml = """
            legacy: http://127.0.0.1:3000
            candidate: http://127.0.0.1:8080
            guard:
              min_samples: 100
              window: 30s
              trip_to: shadow
              cooldown: 10m
            routes:
              - route: GET /a
                mode: canary
                percent: 5
              - route: GET /b
                mode: new
                guard: { observe: true, failure_margin: 2%, consecutive_failures: 0, promote_after: 5000 }
              - route: GET /c
                guard: false
            """
        let configuration = try ConfigurationLoader.parse(yaml: yaml)
        var expectedA = GuardSettings()
        expectedA.minSamples = 100
        expectedA.window = 30
        expectedA.tripTo = .shadow
        expectedA.cooldown = 600
        #expect(configuration.routes[0].guardSettings == expectedA)
        var expectedB = expectedA
        expectedB.observe = true
        expectedB.failureMargin = 0.02
        expectedB.consecutiveFailures = 0
        expectedB.promoteAfterSamples = 5000
        #expect(configuration.routes[1].guardSettings == expectedB)
        var expectedC = expectedA
        expectedC.enabled = false
        #expect(configuration.routes[2].guardSettings == expectedC)
    }

    @Test("compare: true at the top is every route's default; a route's own guard turns it off")
    func guardCompare() throws {
        let yaml = """
            legacy: http://127.0.0.1:3000
            candidate: http://127.0.0.1:8080
            guard:
              compare: true
            routes:
              - route: GET /a
                mode: canary
                percent: 5
              - route: GET /b
                mode: canary
                percent: 5
                guard: { compare: false }
            """
        let configuration = try ConfigurationLoader.parse(yaml: yaml)
        #expect(configuration.routes.map(\.guardSettings.compare) == [true, false])
        #expect(GuardSettings().compare == false)
    }

    @Test("without a guard section every route gets the documented defaults")
    func guardDefaults() throws {
        let configuration = try ConfigurationLoader.parse(yaml: Self.valid)
        #expect(configuration.routes.allSatisfy { $0.guardSettings == GuardSettings() })
        #expect(GuardSettings().minSamples == 200)
        #expect(GuardSettings().consecutiveFailures == 5)
        #expect(GuardSettings().enabled)
    }

    @Test("forwarded: transparent, a mapping, and the default")
    func readsForwarded() throws {
        let head = "legacy: http://127.0.0.1:3000\ncandidate: http://127.0.0.1:8080\n"
        #expect(try ConfigurationLoader.parse(yaml: head).forwarded == ForwardedHeaders())
        #expect(try ConfigurationLoader.parse(yaml: head + "forwarded: transparent\n").forwarded == .passThrough)
        let mapped = try ConfigurationLoader.parse(
            yaml: head
                + "forwarded:\n  x_forwarded_for: append\n  x_forwarded_host: set\n  trusted: [10.1.0.0/16, '::1']\n"
        ).forwarded
        #expect(mapped.forwardedFor == .append)
        #expect(mapped.proto == .preserve)
        #expect(mapped.host == .set)
        #expect(mapped.trusted.map(\.description) == ["10.1.0.0/16", "::1"])
        #expect(mapped.trustedGiven)
        #expect(mapped.trusts("10.1.200.3"))
        #expect(!mapped.trusts("10.2.0.1"))
        #expect(mapped.trusts("::1"))
    }

    @Test(arguments: mistakes)
    func namesLineAndKey(name: String, yaml: String, expected: String) {
        let text = "legacy: http://127.0.0.1:3000\ncandidate: http://127.0.0.1:8080\n" + yaml
        #expect(throws: ConfigurationError.self, "\(name)") { try ConfigurationLoader.parse(yaml: text) }
        do {
            _ = try ConfigurationLoader.parse(yaml: text)
        } catch {
            #expect(error.description == expected, "\(name)")
        }
    }

    @Test func reportsEveryProblemInLineOrder() {
        let yaml = """
            candidate: ftp://x
            policy:
              fail_at: never
            routes:
              - route: GET /a
                mode: sideways
            """
        do {
            _ = try ConfigurationLoader.parse(yaml: yaml, file: "conf/banyan.yaml")
            Issue.record("expected an error")
        } catch {
            #expect(error.problems.map(\.key) == ["legacy", "candidate", "policy.fail_at", "routes[0].mode"])
            #expect(error.problems.map(\.line) == [nil, 1, 3, 6])
            let firstLine = error.description.split(separator: "\n").first.map(String.init)
            #expect(
                firstLine
                    == "conf/banyan.yaml: legacy: missing 'legacy': the base URL of the Express service, like "
                    + "http://127.0.0.1:3000")
        }
    }

    @Test func missingFileSaysSo() {
        do {
            _ = try ConfigurationLoader.load(path: "/nonexistent/banyan.yaml")
            Issue.record("expected an error")
        } catch {
            #expect(
                error.description
                    == "/nonexistent/banyan.yaml: no such file (create one, or name another with --config)")
        }
    }
}
