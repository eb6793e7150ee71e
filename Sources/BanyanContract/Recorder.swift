import BanyanCore
import BanyanHTTP

/// Records the legacy service's answers as fixtures.
public struct Recorder: Sendable {
    public var target: BaseURL
    /// How many times each safe request is sent; what varies between the answers is noise.
    public var repeatCount: Int
    public var resolver: RouteResolver
    public var timeout: Double

    /// Methods sent more than once to learn noise. Others change state and are sent once.
    public static let repeatableMethods: Set<String> = ["GET", "HEAD", "OPTIONS"]

    public init(target: BaseURL, repeatCount: Int = 2, resolver: RouteResolver, timeout: Double = 10) {
        self.target = target
        self.repeatCount = max(1, repeatCount)
        self.resolver = resolver
        self.timeout = timeout
    }

    /// Sends every request in order and returns one fixture per request.
    public func record(_ specs: [RequestSpec], progress: ProgressLine? = nil) throws(HTTPClientError) -> [Fixture] {
        let client = HTTPClient(base: target, timeout: timeout)
        var fixtures: [Fixture] = []
        for spec in specs {
            let times = Self.repeatableMethods.contains(spec.request.method) ? repeatCount : 1
            var answers: [HTTPResponse] = []
            for _ in 0..<times { answers.append(try client.send(spec.request).response) }
            let noise = NoiseProfile.learn(from: answers)
            let detail = times > 1 ? "\(target), \(times) answers" : "\(target), sent once"
            fixtures.append(
                Fixture(
                    route: resolver.route(for: spec.request), name: spec.name, recorded: detail,
                    noiseHeaders: noise.headers.sorted(), noisePaths: noise.paths.sorted(), request: spec.request,
                    response: answers[0]))
            progress?.advance("\(spec.request.method) \(spec.request.target)")
        }
        progress?.finish()
        return fixtures
    }
}

/// Replays fixtures against the candidate and compares its answers with the recorded ones.
public struct Verifier: Sendable {
    public var target: BaseURL
    public var engine: DiffEngine
    public var timeout: Double

    public init(target: BaseURL, engine: DiffEngine, timeout: Double = 10) {
        self.target = target
        self.engine = engine
        self.timeout = timeout
    }

    /// Replays each fixture in order.
    ///
    /// - Throws: when the candidate cannot be reached at all; a failure on one exchange (a
    ///   timeout, a reset) is reported as that exchange's difference instead.
    public func verify(_ fixtures: [Fixture], progress: ProgressLine? = nil) throws(HTTPClientError) -> DiffReport {
        let client = HTTPClient(base: target, timeout: timeout)
        var exchanges: [ExchangeReport] = []
        for fixture in fixtures {
            let noise = NoiseProfile(headers: Set(fixture.noiseHeaders), paths: Set(fixture.noisePaths))
            let differences: [Difference]
            do {
                let answer = try client.send(fixture.request).response
                differences = engine.compare(
                    legacy: fixture.response, candidate: answer, route: fixture.route, noise: noise,
                    request: fixture.request)
            } catch {
                if error.isConnectFailure { throw error }
                differences = [Difference.noAnswer(legacyStatus: fixture.response.status, error: error)]
            }
            exchanges.append(
                ExchangeReport(
                    request: fixture.request, route: fixture.route, differences: differences,
                    failAt: engine.policy.failAt))
            progress?.advance("\(fixture.request.method) \(fixture.request.target)")
        }
        progress?.finish()
        return DiffReport(exchanges: exchanges)
    }
}

extension Difference {
    /// The difference reported when one side gave no usable answer.
    static func noAnswer(legacyStatus: Int, error: HTTPClientError) -> Difference {
        Difference(
            kind: .status, severity: .breaking, legacy: String(legacyStatus), candidate: "no answer",
            explanation: "candidate gave no usable answer: \(error.message)")
    }
}
