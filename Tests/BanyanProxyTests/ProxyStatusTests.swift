import BanyanState
import Foundation
import Testing

@testable import BanyanProxy

/// The admin API's status answers and what `banyan status` decodes from them.
@Suite("Proxy status JSON")
struct ProxyStatusTests {
    static func backend(_ requests: UInt64) -> BackendStatus {
        BackendStatus(requests: requests, errors: requests / 10, p50Ms: 0.25, p90Ms: 1.5, p99Ms: 12.345)
    }

    static let status = ProxyStatus(
        legacy: "http://127.0.0.1:3000", candidate: "http://127.0.0.1:8080", listen: "127.0.0.1:8000",
        requestsInFlight: 2, shadowsInFlight: 1, tunnelsOpen: 1,
        routes: [
            RouteStatus(
                route: "GET /users/:id", mode: "canary:25", fileMode: "shadow",
                runtimeChange: .init(reason: "route set", changedAt: 1_780_000_000.5), sticky: "header:x-user",
                fallback: true, legacy: backend(40), candidate: backend(12), shadow: backend(30),
                shadowDiffs: ShadowDiffStatus(
                    sent: 30, compared: 28, differing: 3, failing: 1, diffRate: 0.107, failAt: "risky", timeouts: 1,
                    errors: 1, skipped: ["busy": 2]),
                fallbacks: ["connect": 1, "5xx": 2],
                tunnels: TunnelStatus(
                    open: 1, opened: 2, bytesToUpstream: 10, bytesToClient: 20,
                    byBackend: [
                        "legacy": TunnelStatus(
                            open: 1, opened: 2, bytesToUpstream: 10, bytesToClient: 20, byBackend: nil),
                        "candidate": TunnelStatus(
                            open: 0, opened: 0, bytesToUpstream: 0, bytesToClient: 0, byBackend: nil),
                    ]),
                table: "users", dataPhase: "dual_write"),
            RouteStatus(
                route: "POST /orders", mode: "legacy", fileMode: "legacy", runtimeChange: nil, sticky: "none",
                fallback: false, legacy: backend(0), candidate: backend(0), shadow: backend(0),
                shadowDiffs: ShadowDiffStatus(
                    sent: 0, compared: 0, differing: 0, failing: 0, diffRate: 0, failAt: "risky", timeouts: 0,
                    errors: 0, skipped: [:]),
                fallbacks: [:], tunnels: nil, table: nil, dataPhase: nil),
        ],
        unmatched: BackendsStatus(legacy: backend(5), candidate: backend(0), shadow: backend(0)))

    @Test("GET /api/routes as the admin API writes it decodes to the same status, pretty or on one line")
    func statusRoundTrip() throws {
        #expect(try ProxyStatus.decode(fromJSON: Array(Self.status.jsonText().utf8)) == Self.status)
        #expect(try ProxyStatus.decode(fromJSON: Array(Self.status.jsonText(pretty: false).utf8)) == Self.status)
        var withoutTunnels = Self.status
        withoutTunnels.tunnelsOpen = nil
        #expect(try ProxyStatus.decode(fromJSON: Array(withoutTunnels.jsonText().utf8)) == withoutTunnels)
    }

    @Test("GET /api/fleet as the admin API writes it (snake_case) decodes to the same fleet")
    func fleetRoundTrip() throws {
        let fleet = FleetStatus(
            proxy: "10.0.0.1:8000", applied: 7, reachable: false, listening: true, lastError: "connection refused",
            pendingWrites: 2, droppedWrites: 1,
            members: [
                FleetMember(proxy: "10.0.0.1:8000", version: 7, seenAt: 1_780_000_000.25, startedAt: 1_779_990_000),
                FleetMember(proxy: "10.0.0.2:8000", version: 6, seenAt: 1_780_000_001.5, startedAt: 1_779_990_100),
            ])
        let json = try AdminAPI.snakeCaseJSON(fleet)
        #expect(json.contains("\"pending_writes\" : 2"))
        #expect(try FleetStatus.decode(fromJSON: Array(json.utf8)) == fleet)
    }

    @Test("a status without a key names the key")
    func missingKey() throws {
        #expect {
            try ProxyStatus.decode(fromJSON: Array(#"{"legacy": "x"}"#.utf8))
        } throws: { error in
            "\(error)".contains("candidate")
        }
    }
}
