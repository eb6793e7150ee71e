import BanyanCore
import BanyanProxy
import Foundation
import Testing

/// The proxy's shadow comparisons go through the same diff engine as `verify`: on the reference
/// workload, the careful ports show nothing at `risky` or above there either.
@Suite("shadow comparisons of the careful ports", .serialized)
struct ShadowPrecisionTests {
    @Test(arguments: Port.allCases)
    func carefulPortShowsNothingAtRiskyOrAbove(_ port: Port) async throws {
        let configuration = try ContractTests.exampleConfiguration()
        let legacy = try ServiceProcess.legacy()
        let candidate = try port.start()
        let routes = configuration.routes.filter { $0.method == "GET" }.map(\.route)
        #expect(routes.count == 7)
        try await withTestProxy(
            legacy: legacy.base, candidate: candidate.base, routes: routes,
            configure: { routes in for index in routes.indices { routes[index].mode = .shadow } },
            policy: configuration.policy
        ) { proxy in
            let requests = try ContractTests.exampleRequests().map(\.request).filter { $0.method == "GET" }
            #expect(requests.count == 14)
            for request in requests { _ = try await proxy.send(request) }
            try await proxy.server.settleShadows()
            let alarms = try await proxy.server.store.differenceAggregates().filter { $0.severity >= .risky }
            #expect(alarms.map { "\($0.route) \($0.kind) \($0.location): \($0.explanation)" } == [])
            let totals = try await proxy.server.store.shadowTotals()
            #expect(totals.reduce(0) { $0 + $1.compared } == requests.count)
        }
    }
}
