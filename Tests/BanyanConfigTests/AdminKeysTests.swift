import BanyanConfig
import BanyanCore
import Testing

@Suite("banyan.yaml: dashboard, request id and promotion keys")
struct AdminKeysTests {
    static let base = "legacy: http://127.0.0.1:3000\ncandidate: http://127.0.0.1:8080\n"

    @Test func readsTheKeys() throws {
        let configuration = try ConfigurationLoader.parse(
            yaml: Self.base + """
                admin_token: op
                admin_read_token: look
                request_id: true
                promote_steps: [shadow, canary 10, "canary 50%", new]
                routes:
                  - route: GET /users/:id
                    table: users
                """)
        #expect(configuration.adminToken == "op")
        #expect(configuration.adminReadToken == "look")
        #expect(configuration.requestID)
        #expect(configuration.promotion.steps == [.shadow, .canary(percent: 10), .canary(percent: 50), .new])
        #expect(configuration.routes.first?.table == "users")
    }

    @Test func defaults() throws {
        let configuration = try ConfigurationLoader.parse(yaml: Self.base)
        #expect(configuration.adminReadToken == nil)
        #expect(!configuration.requestID)
        #expect(configuration.promotion == .standard)
    }

    static let mistakes: [(String, String)] = [
        (
            "admin_read_token: look\n",
            "banyan.yaml:3:19: admin_read_token: a read-only token needs 'admin_token' too; without one the admin "
                + "API is open to anyone who reaches it"
        ),
        (
            "admin_token: same\nadmin_read_token: same\n",
            "banyan.yaml:4:19: admin_read_token: the read-only token must differ from 'admin_token'"
        ),
        (
            "request_id: yes please\n",
            "banyan.yaml:3:13: request_id: 'yes please' is not a boolean; allowed: true, false"
        ),
        (
            "promote_steps: [shadow, canary lots]\n",
            "banyan.yaml:3:25: promote_steps[1]: 'canary lots' is not a step; allowed: shadow, canary PERCENT "
                + "(0 to 100), new"
        ),
        (
            "promote_steps: [canary 50, canary 5]\n",
            "banyan.yaml:3:16: promote_steps: each step must send more to the candidate than the one before "
                + "(shadow, then canary percentages in increasing order, then new)"
        ),
    ]

    @Test(arguments: mistakes)
    func namesLineAndKey(yaml: String, expected: String) {
        #expect(throws: ConfigurationError.self) { try ConfigurationLoader.parse(yaml: Self.base + yaml) }
        do {
            _ = try ConfigurationLoader.parse(yaml: Self.base + yaml)
        } catch {
            #expect(error.description == expected)
        }
    }
}
