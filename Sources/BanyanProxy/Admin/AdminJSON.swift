import BanyanCore
import BanyanState

/// The stored differences the admin API answers with (docs/proxy.md describes them); the live
/// status is ``ProxyStatus``.
enum AdminJSON {
    static func differences(aggregates: [DifferenceAggregate], totals: [ShadowTotals], failAt: Severity) -> JSONValue {
        .object([
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
                            .init(key: "requestId", value: sample.requestID.map(JSONValue.string) ?? .null),
                            .init(key: "origin", value: .string(sample.origin.rawValue)),
                            .init(key: "legacyStatus", value: int(sample.legacyStatus)),
                            .init(key: "candidateStatus", value: int(sample.candidateStatus)),
                            .init(key: "legacyHeaders", value: .string(sample.legacyHeaders)),
                            .init(key: "candidateHeaders", value: .string(sample.candidateHeaders)),
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
}
