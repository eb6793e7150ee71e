import BanyanCore
import BanyanState

/// The JSON documents the admin API answers with (docs/proxy.md describes them).
enum AdminJSON {
    static func status(_ server: ProxyServer) -> JSONValue {
        let snapshot = server.engine.snapshot
        let failAt = snapshot.configuration.policy.failAt
        return .object([
            .init(key: "legacy", value: .string(snapshot.configuration.legacy.description)),
            .init(key: "candidate", value: .string(snapshot.configuration.candidate.description)),
            .init(key: "listen", value: .string("\(snapshot.configuration.listen.host):\(server.port)")),
            .init(key: "requestsInFlight", value: int(server.engine.requestsInFlight)),
            .init(key: "shadowsInFlight", value: int(server.engine.shadowsInFlight)),
            .init(key: "routes", value: .array(snapshot.routes.map { route($0, failAt: failAt) })),
            .init(key: "unmatched", value: backends(snapshot.unmatched.counters)),
            .init(key: "tunnels_open", value: int(server.tunnelsOpen)),
        ])
    }

    static func route(_ route: RouteRuntime, failAt: Severity) -> JSONValue {
        let counters = route.stats.counters
        var members: [JSONMember] = [
            .init(key: "route", value: .string(route.config.route)),
            .init(key: "mode", value: .string(route.mode.storageText)),
            .init(key: "fileMode", value: .string(route.fileMode.storageText)),
        ]
        if let override = route.override {
            members.append(
                .init(
                    key: "runtimeChange",
                    value: .object([
                        .init(key: "reason", value: .string(override.reason)),
                        .init(key: "changedAt", value: double(override.changedAt)),
                    ])))
        } else {
            members.append(.init(key: "runtimeChange", value: .null))
        }
        members.append(.init(key: "sticky", value: .string(route.config.sticky.description)))
        members.append(.init(key: "fallback", value: .bool(route.config.fallback)))
        if case .object(let stats) = backends(counters) { members += stats }
        let compared = counters.shadowCompared
        members.append(
            .init(
                key: "shadowDiffs",
                value: .object([
                    .init(key: "sent", value: int(counters.shadowSent)),
                    .init(key: "compared", value: int(compared)),
                    .init(key: "differing", value: int(counters.shadowDiffering)),
                    .init(key: "failing", value: int(counters.shadowFailing)),
                    .init(
                        key: "diffRate",
                        value: double(compared == 0 ? 0 : Double(counters.shadowDiffering) / Double(compared))),
                    .init(key: "failAt", value: .string(failAt.rawValue)),
                    .init(key: "timeouts", value: int(counters.shadowTimeouts)),
                    .init(key: "errors", value: int(counters.shadowErrors)),
                    .init(
                        key: "skipped",
                        value: .object(
                            counters.shadowSkipped.sorted { $0.key < $1.key }.map {
                                .init(key: $0.key, value: int($0.value))
                            })),
                ])))
        members.append(
            .init(
                key: "fallbacks",
                value: .object(
                    counters.fallbacks.sorted { $0.key < $1.key }.map { .init(key: $0.key, value: int($0.value)) })))
        members.append(.init(key: "tunnels", value: tunnels(counters)))
        return .object(members)
    }

    /// A route's upgrade tunnels, both backends together and each apart.
    static func tunnels(_ counters: RouteStats.Counters) -> JSONValue {
        func object(_ tunnels: RouteStats.TunnelCounters) -> [JSONMember] {
            [
                .init(key: "open", value: int(tunnels.open)),
                .init(key: "opened", value: int(tunnels.opened)),
                .init(key: "bytes_to_upstream", value: int(tunnels.bytesToUpstream)),
                .init(key: "bytes_to_client", value: int(tunnels.bytesToClient)),
            ]
        }
        return .object(
            object(counters.tunnels) + [
                .init(
                    key: "by_backend",
                    value: .object([
                        .init(key: "legacy", value: .object(object(counters.legacyTunnels))),
                        .init(key: "candidate", value: .object(object(counters.candidateTunnels))),
                    ]))
            ])
    }

    static func backends(_ counters: RouteStats.Counters) -> JSONValue {
        .object([
            .init(key: "legacy", value: backend(counters.legacy)),
            .init(key: "candidate", value: backend(counters.candidate)),
            .init(key: "shadow", value: backend(counters.shadow)),
        ])
    }

    static func backend(_ counters: RouteStats.BackendCounters) -> JSONValue {
        .object([
            .init(key: "requests", value: int(counters.requests)),
            .init(key: "errors", value: int(counters.errors)),
            .init(key: "p50Ms", value: milliseconds(counters.latency.value(atQuantile: 0.5))),
            .init(key: "p90Ms", value: milliseconds(counters.latency.value(atQuantile: 0.9))),
            .init(key: "p99Ms", value: milliseconds(counters.latency.value(atQuantile: 0.99))),
        ])
    }

    static func differences(aggregates: [DifferenceAggregate], totals: [ShadowTotals], server: ProxyServer)
        -> JSONValue
    {
        let failAt = server.engine.snapshot.configuration.policy.failAt
        return .object([
            .init(key: "failAt", value: .string(failAt.rawValue)),
            .init(
                key: "routes",
                value: .array(
                    totals.map { total in
                        .object([
                            .init(key: "route", value: .string(total.route)),
                            .init(key: "compared", value: int(total.compared)),
                            .init(key: "differing", value: int(total.differing)),
                            .init(key: "failing", value: int(total.failing)),
                        ])
                    })),
            .init(key: "differences", value: .array(aggregates.map(aggregate))),
        ])
    }

    static func aggregate(_ aggregate: DifferenceAggregate) -> JSONValue {
        .object([
            .init(key: "route", value: .string(aggregate.route)),
            .init(key: "kind", value: .string(aggregate.kind.rawValue)),
            .init(key: "location", value: .string(aggregate.location)),
            .init(key: "severity", value: .string(aggregate.severity.rawValue)),
            .init(key: "count", value: int(aggregate.count)),
            .init(key: "firstSeen", value: double(aggregate.firstSeen)),
            .init(key: "lastSeen", value: double(aggregate.lastSeen)),
            .init(key: "explanation", value: .string(aggregate.explanation)),
            .init(key: "policyReason", value: aggregate.policyReason.map(JSONValue.string) ?? .null),
            .init(
                key: "samples",
                value: .array(
                    aggregate.samples.map { sample in
                        .object([
                            .init(key: "method", value: .string(sample.method)),
                            .init(key: "target", value: .string(sample.target)),
                            .init(key: "legacyStatus", value: int(sample.legacyStatus)),
                            .init(key: "candidateStatus", value: int(sample.candidateStatus)),
                            .init(key: "legacyValue", value: sample.legacyValue.map(JSONValue.string) ?? .null),
                            .init(key: "candidateValue", value: sample.candidateValue.map(JSONValue.string) ?? .null),
                            .init(key: "legacyBody", value: .string(sample.legacyBody)),
                            .init(key: "candidateBody", value: .string(sample.candidateBody)),
                            .init(key: "at", value: double(sample.at)),
                        ])
                    })),
        ])
    }

    static func int(_ value: some BinaryInteger) -> JSONValue { .number(JSONNumber(Int(value))) }

    static func double(_ value: Double) -> JSONValue {
        JSONNumber((value * 1000).rounded() / 1000).map(JSONValue.number) ?? .null
    }

    static func milliseconds(_ microseconds: UInt64) -> JSONValue { double(Double(microseconds) / 1000) }
}
