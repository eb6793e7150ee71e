import BanyanCore
import Testing

@Suite("Trusted peers of forwarded headers")
struct ForwardedHeadersTests {
    @Test(
        "addresses inside and outside ranges",
        arguments: [
            ("10.0.0.0/8", "10.255.3.4", true), ("10.0.0.0/8", "11.0.0.1", false),
            ("172.16.0.0/12", "172.31.255.255", true), ("172.16.0.0/12", "172.32.0.1", false),
            ("192.168.1.7", "192.168.1.7", true), ("192.168.1.7", "192.168.1.8", false),
            ("0.0.0.0/0", "203.0.113.9", true), ("127.0.0.0/8", "::ffff:127.0.0.1", true),
            ("fc00::/7", "fd12:3456::1", true), ("fc00::/7", "fe80::1", false), ("fe80::/10", "fe80::1%eth0", true),
            ("::1", "::1", true), ("::1", "127.0.0.1", false), ("2001:db8::/32", "2001:db8:0:0:1:0:0:1", true),
            ("10.0.0.0/8", "unknown", false),
        ])
    func contains(range: String, address: String, expected: Bool) throws {
        let parsed = try #require(AddressRange(parsing: range))
        #expect(
            ForwardedHeaders(trusted: [parsed], trustedGiven: true).trusts(address) == expected,
            "\(address) in \(range)")
    }

    @Test(
        "what is not an address or a range", arguments: ["10.0.0", "10.0.0.256/8", "10.0.0.0/33", "::1::2", "lb", ""])
    func refuses(text: String) {
        #expect(AddressRange(parsing: text) == nil)
    }

    @Test("by default loopback, link-local and private peers are trusted, public ones not")
    func defaults() {
        let forwarded = ForwardedHeaders()
        #expect(["127.0.0.1", "10.1.2.3", "172.20.0.5", "192.168.0.10", "::1", "fd00::5"].allSatisfy(forwarded.trusts))
        #expect(!forwarded.trusts("203.0.113.9"))
        #expect(!forwarded.trusts("2001:db8::1"))
        #expect(forwarded.forwardedFor == .preserve && forwarded.proto == .preserve && forwarded.host == .preserve)
    }
}
