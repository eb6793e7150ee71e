import BanyanCore
import Testing

@testable import BanyanAudit

@Suite("Whether inserting the proxy keeps req.ip and req.protocol")
struct TrustProxyAdviceTests {
    @Test(
        "per trust proxy setting and forwarded: choice",
        arguments: [
            (TrustProxySetting.off, ForwardedHeaders(), false, true, 1),
            (.all, ForwardedHeaders(), true, true, 0),
            (.all, ForwardedHeaders(forwardedFor: .append), true, true, 0),
            (.all, ForwardedHeaders(proto: .set), true, false, 1),
            (.hops(1), ForwardedHeaders(), true, true, 0),
            (.hops(1), ForwardedHeaders.passThrough, true, true, 0),
            (.hops(1), ForwardedHeaders(forwardedFor: .append), false, true, 1),
            (.hops(2), ForwardedHeaders(forwardedFor: .append, proto: .set), false, false, 2),
            (.addresses(["loopback"]), ForwardedHeaders(), true, true, 0),
            (.addresses(["10.0.0.0/8"]), ForwardedHeaders(), false, false, 1),
        ] as [(TrustProxySetting, ForwardedHeaders, Bool, Bool, Int)])
    func judges(setting: TrustProxySetting, forwarded: ForwardedHeaders, ip: Bool, proto: Bool, changes: Int) {
        let advice = TrustProxyAdvice(setting: setting, forwarded: forwarded, proxyAddress: "127.0.0.1")
        #expect(advice.keepsIP == ip)
        #expect(advice.keepsProtocol == proto)
        #expect(advice.changes.count == changes)
    }

    @Test("the exact change for a hop count behind append, and for an address list")
    func exactChanges() {
        #expect(
            TrustProxyAdvice(setting: .hops(1), forwarded: ForwardedHeaders(forwardedFor: .append), proxyAddress: nil)
                .changes == [
                    "x_forwarded_for: append adds a hop: set app.set('trust proxy', 2), or forwarded: "
                        + "{ x_forwarded_for: preserve } in banyan.yaml"
                ])
        #expect(
            TrustProxyAdvice(
                setting: .addresses(["10.0.0.0/8"]), forwarded: ForwardedHeaders(), proxyAddress: "127.0.0.1"
            )
            .changes == [
                "the app does not trust Banyan's address 127.0.0.1: set app.set('trust proxy', '10.0.0.0/8, 127.0.0.1')"
            ])
        let unknown = TrustProxyAdvice(setting: .function, forwarded: ForwardedHeaders(), proxyAddress: "127.0.0.1")
        #expect(unknown.keepsIP == nil)
        #expect(unknown.summary == "trust proxy a function: req.ip cannot tell, req.protocol cannot tell")
    }
}
