import BanyanConfig
import BanyanContract
import BanyanCore
import BanyanHTTP
import Foundation
import SharedTestSupport
import Testing

/// Record from the Express service, then verify and probe the ports: a correct port (Swift or Rust)
/// shows nothing above `cosmetic`, the naive Swift one every listed mistake with its kind and
/// location.
@Suite("wire contract on the reference workload", .serialized)
struct ContractTests {
    static func exampleConfiguration() throws -> Configuration {
        try ConfigurationLoader.load(path: repositoryRoot.appendingPathComponent("Examples/banyan.yaml").path)
    }

    static func exampleRequests() throws -> [RequestSpec] {
        try RequestSource.load(path: repositoryRoot.appendingPathComponent("Examples/requests.http").path)
    }

    static func naiveRequests() throws -> [(ReferenceWorkloadTests.NaiveMistake, RequestSpec)] {
        try ReferenceWorkloadTests.naiveMistakes().map { mistake in
            (mistake, RequestSpec(name: mistake.id, request: mistake.httpRequest, source: mistake.id))
        }
    }

    static func record(_ specs: [RequestSpec], from legacy: ServiceProcess) throws -> [Fixture] {
        let configuration = try exampleConfiguration()
        let resolver = RouteResolver(routes: configuration.routes, flavor: configuration.express)
        return try Recorder(target: legacy.base, repeatCount: 2, resolver: resolver).record(specs)
    }

    /// The most severe difference in a report, or nil when there is none.
    static func worst(_ report: DiffReport) -> Severity? {
        report.exchanges.flatMap(\.differences).map(\.severity).max()
    }

    @Test func recordWritesOneReadableFixturePerRequest() throws {
        let legacy = try ServiceProcess.legacy()
        let specs = try Self.exampleRequests()
        let fixtures = try Self.record(specs, from: legacy)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("banyan-fixtures-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let paths = try FixtureStore.write(fixtures, to: folder)
        #expect(paths.count == specs.count)
        #expect(paths.first?.hasSuffix("/get-health/001-get-health.fixture") == true)
        let reread = try FixtureStore.read(folder)
        #expect(reread.map(\.fixture) == fixtures)
        #expect(fixtures.map(\.route).contains(nil) == false)
        let user = try #require(fixtures.first { $0.request.target == "/users/1" })
        #expect(user.route == "GET /users/:id")
        #expect(user.response.status == 200)
        #expect(user.response.headers["content-type"] == "application/json; charset=utf-8")
        #expect(user.response.bodyText == #"{"id":1,"name":"Ada","email":"ada@example.com"}"#)
    }

    @Test(arguments: Port.allCases)
    func correctPortPassesVerification(_ candidate: Port) throws {
        let legacy = try ServiceProcess.legacy()
        let fixtures = try Self.record(Self.exampleRequests(), from: legacy)
        let port = try candidate.start()
        let policy = try Self.exampleConfiguration().policy
        let report = try Verifier(target: port.base, engine: DiffEngine(policy: policy)).verify(fixtures)
        #expect(report.passed, "\(report.plainText())")
        #expect((Self.worst(report) ?? .noise) <= .cosmetic, "\(report.plainText())")
        // The only cosmetic differences are the ones the port documents.
        let cosmetic = Set(report.exchanges.flatMap(\.differences).map { "\($0.kind) \($0.header ?? $0.path ?? "")" })
        #expect(
            cosmetic.isSubset(of: [
                "header.missing x-powered-by", "body.value $.computedBy", "header.value etag",
                "header.value content-length",
            ]))
    }

    @Test func naivePortFailsWithEveryListedMistake() throws {
        let legacy = try ServiceProcess.legacy()
        let pairs = try Self.naiveRequests()
        let fixtures = try Self.record(pairs.map(\.1), from: legacy)
        let naive = try ServiceProcess.port(naive: true)
        let report = try Verifier(target: naive.base, engine: DiffEngine()).verify(fixtures)
        #expect(!report.passed)
        for ((mistake, _), exchange) in zip(pairs, report.exchanges) {
            let found = exchange.differences.contains { difference in
                difference.kind.rawValue == mistake.kind
                    && (mistake.path == nil || difference.path == mistake.path)
                    && (mistake.header == nil || difference.header == mistake.header)
            }
            let got = exchange.differences.map { "\($0.kind) \($0.path ?? $0.header ?? "")" }
            let place = mistake.path ?? mistake.header ?? "-"
            #expect(found, "\(mistake.id): expected \(mistake.kind) at \(place); got \(got)")
        }
    }

    @Test func probesFindNothingOnTheCorrectPortAndTheMistakesOfTheNaiveOne() throws {
        let configuration = try Self.exampleConfiguration()
        let resolver = RouteResolver(routes: configuration.routes, flavor: configuration.express)
        let examples = try Self.exampleRequests()
        var probes: [Probe] = []
        for route in configuration.routes {
            let example = examples.first { resolver.route(for: $0.request) == route.route }?.request
            let path = example?.path ?? ProbeCatalog.examplePath(for: route.pattern)
            probes += ProbeCatalog.probes(
                for: route, example: example, allowedMethods: resolver.allowedMethods(path: path))
        }
        #expect(probes.count > 100)

        let legacy = try ServiceProcess.legacy()
        let port = try ServiceProcess.port()
        let engine = DiffEngine(policy: configuration.policy)
        let correct = try Prober(legacy: legacy.base, candidate: port.base, engine: engine).run(probes)
        #expect(correct.passed, "\(correct.plainText())")

        let legacyAgain = try ServiceProcess.legacy()
        let naive = try ServiceProcess.port(naive: true)
        let report = try Prober(legacy: legacyAgain.base, candidate: naive.base, engine: engine).run(probes)
        let failing = Set(report.exchanges.filter { !$0.passed }.map { "\($0.probe ?? "") \($0.route ?? "")" })
        #expect(failing.contains("trailing-slash GET /users/:id"))
        #expect(failing.contains("non-numeric-param GET /users/:id"))
    }
}
