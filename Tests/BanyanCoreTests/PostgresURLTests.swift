import Testing

@testable import BanyanCore

@Suite("PostgreSQL URLs")
struct PostgresURLTests {
    @Test(
        "each part is read as written, %-escapes decoded, absent parts nil",
        arguments: [
            (
                "postgres://app:s%3Ac%40ret@db.internal:6543/shop?schema=shop_v2&host=/run/postgresql",
                PostgresURL(
                    user: "app", password: "s:c@ret", host: "db.internal", port: 6543, database: "shop",
                    parameters: [
                        .init(name: "schema", value: "shop_v2"), .init(name: "host", value: "/run/postgresql"),
                    ])
            ),
            ("postgresql://db/banyan", PostgresURL(host: "db", database: "banyan")),
            ("postgres://app@/shop", PostgresURL(user: "app", database: "shop")),
            ("postgres://", PostgresURL()),
            ("postgres://[::1]:5433/x", PostgresURL(host: "::1", port: 5433, database: "x")),
            ("postgres://app:@h/d", PostgresURL(user: "app", password: "", host: "h", database: "d")),
            ("postgres://h?schema=a", PostgresURL(host: "h", parameters: [.init(name: "schema", value: "a")])),
        ])
    func parts(_ text: String, _ expected: PostgresURL) throws {
        #expect(try PostgresURL(parsing: text) == expected)
    }

    @Test(
        "a malformed URL names the problem, its password hidden",
        arguments: [
            (
                "mysql://db/x",
                "'mysql://db/x': it is not a PostgreSQL URL; write postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE"
            ),
            ("postgres://u:pw@h:0/d", "'postgres://u:***@h:0/d': port '0' is not a number from 1 to 65535"),
            ("postgres://h:+80/d", "'postgres://h:+80/d': port '+80' is not a number from 1 to 65535"),
            ("postgres://h:/d", "'postgres://h:/d': port '' is not a number from 1 to 65535"),
            ("postgres://u%zz@h/d", "'postgres://u%zz@h/d': the user has a malformed %-escape"),
            ("postgres://u:p%4@h/d", "'postgres://u:***@h/d': the password has a malformed %-escape"),
            ("postgres://h/d%e9", "'postgres://h/d%e9': the database has a malformed %-escape"),
            ("postgres://[::1/d", "'postgres://[::1/d': an IPv6 host is written [ADDRESS] or [ADDRESS]:PORT"),
            ("postgres://h/d?a=1&b", "'postgres://h/d?a=1&b': query parameter 'b' has no value; write NAME=VALUE"),
        ])
    func errors(_ text: String, _ message: String) {
        do {
            _ = try PostgresURL(parsing: text)
            Issue.record("'\(text)' was accepted")
        } catch {
            #expect(error.description == message)
        }
    }

    @Test("the description and hidingPassword never show the password")
    func hiding() throws {
        #expect(
            try PostgresURL(parsing: "postgresql://app:secret@[::1]:6000/shop?schema=s").description
                == "postgres://app:***@[::1]:6000/shop?schema=s")
        #expect(PostgresURL.hidingPassword("postgres://app:se@cret@h/d") == "postgres://app:***@h/d")
        #expect(PostgresURL.hidingPassword("postgres://app@h/d?password=x") == "postgres://app@h/d?password=x")
        #expect(PostgresURL.hidingPassword("sqlite:a:b@c") == "sqlite:a:b@c")
    }
}
