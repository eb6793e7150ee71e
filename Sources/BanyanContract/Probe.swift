import BanyanCore
import BanyanHTTP

/// One edge-case request derived from a route: the kind of request a naive port answers differently.
public struct Probe: Sendable, Hashable {
    /// A stable name used in reports (`trailing-slash`).
    public var name: String
    /// The route it was derived from, as configured.
    public var route: String
    public var request: HTTPRequest

    public init(name: String, route: String, request: HTTPRequest) {
        self.name = name
        self.route = route
        self.request = request
    }
}

/// Derives probes from routes. Pure: sends nothing.
public enum ProbeCatalog {
    /// Every probe name with what it checks, for `banyan probe --list`.
    public static let descriptions: [(name: String, checks: String)] = [
        ("baseline", "the example request itself"),
        ("trailing-slash", "Express matches /users/1/ like /users/1 (non-strict routing)"),
        ("upper-case-path", "Express matches paths case-insensitively"),
        ("double-slash", "Express does not normalise //users/1: it answers 404"),
        ("encoded-param", "parameters are percent-decoded after matching (%31 is 1)"),
        ("non-numeric-param", "a typed id turns 'abc' into 400 where Express's Number() lookup answers 404"),
        ("malformed-escape", "%ZZ in a parameter is a 400 HTML page in Express"),
        ("encoded-slash", "a%2Fb matches one segment and decodes to a/b"),
        ("head", "HEAD is answered from the GET route, headers without a body"),
        ("options", "OPTIONS gets an automatic 200 with Allow"),
        ("unregistered-method", "a method no route handles gets Express's 404 page, not 405"),
        ("query-array", "?tag=a&tag=b is an array in Express's query parser"),
        ("query-nested", "?a[b]=c is a nested object in Express's query parser"),
        ("malformed-json", "express.json() answers malformed JSON with a 400 HTML page"),
        ("wrong-content-type", "express.json() skips a text/plain body: the handler sees {}"),
        ("empty-body", "an empty JSON body is {} to the handler"),
        ("oversized-body", "express.json() refuses bodies over 100kb (102400 bytes) with 413"),
    ]

    static let bodyMethods: Set<String> = ["POST", "PUT", "PATCH"]

    /// The probes for one route.
    ///
    /// - Parameters:
    ///   - example: a concrete request for the route (from a request file or a fixture); without
    ///     one, every parameter is given the value `1` and a body route gets `{}`.
    ///   - allowedMethods: what the route table serves on the example's path.
    public static func probes(for route: RouteConfig, example: HTTPRequest?, allowedMethods: [String]) -> [Probe] {
        let method = route.method == "ALL" ? "GET" : route.method
        let base =
            example
            ?? HTTPRequest(
                method: method, target: examplePath(for: route.pattern),
                headers: bodyMethods.contains(method)
                    ? HTTPHeaders([("Content-Type", "application/json")]) : HTTPHeaders(),
                body: bodyMethods.contains(method) ? Array("{}".utf8) : [])
        let path = base.path
        let query = base.query.map { "?" + $0 } ?? ""
        var probes: [Probe] = []
        func add(_ name: String, _ request: HTTPRequest) {
            probes.append(Probe(name: name, route: route.route, request: request))
        }
        func with(target: String? = nil, method: String? = nil, headers: HTTPHeaders? = nil, body: [UInt8]? = nil)
            -> HTTPRequest
        {
            HTTPRequest(
                method: method ?? base.method, target: target ?? base.target, headers: headers ?? base.headers,
                body: body ?? base.body)
        }
        add("baseline", base)
        if path != "/" { add("trailing-slash", with(target: path + "/" + query)) }
        let upper = path.uppercased()
        if upper != path { add("upper-case-path", with(target: upper + query)) }
        add("double-slash", with(target: "/" + path + query))
        let paramIndexes = parameterSegmentIndexes(route.pattern)
        var segments = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        if let index = paramIndexes.first, index < segments.count, let first = segments[index].utf8.first {
            let original = segments[index]
            segments[index] = percentEncoded(first) + String(decoding: original.utf8.dropFirst(), as: UTF8.self)
            add("encoded-param", with(target: segments.joined(separator: "/") + query))
            for (name, value) in [
                ("non-numeric-param", "abc"), ("malformed-escape", "%ZZ"), ("encoded-slash", "a%2Fb"),
            ] {
                segments[index] = value
                add(name, with(target: segments.joined(separator: "/") + query))
            }
            segments[index] = original
        }
        if base.method == "GET" { add("head", with(method: "HEAD", headers: HTTPHeaders(), body: [])) }
        add("options", with(method: "OPTIONS", headers: HTTPHeaders(), body: []))
        if let unused = ["PATCH", "PUT", "DELETE", "POST"].first(where: { !allowedMethods.contains($0) }) {
            add("unregistered-method", with(method: unused, headers: HTTPHeaders(), body: []))
        }
        let separator = query.isEmpty ? "?" : "&"
        add("query-array", with(target: base.target + separator + "tag=a&tag=b"))
        add("query-nested", with(target: base.target + separator + "a%5Bb%5D=c"))
        if bodyMethods.contains(base.method) {
            let json = HTTPHeaders([("Content-Type", "application/json")])
            add("malformed-json", with(headers: json, body: Array(#"{"name":"#.utf8)))
            let plain = HTTPHeaders([("Content-Type", "text/plain")])
            add("wrong-content-type", with(headers: plain, body: base.body.isEmpty ? Array("{}".utf8) : base.body))
            add("empty-body", with(headers: json, body: []))
            let padding = String(repeating: "x", count: 102_401 - #"{"pad":""}"#.utf8.count)
            add("oversized-body", with(headers: json, body: Array(#"{"pad":"\#(padding)"}"#.utf8)))
        }
        return probes
    }

    /// A concrete path for a pattern: every parameter becomes `1`, a wildcard `x`.
    public static func examplePath(for pattern: String) -> String {
        let segments = pattern.split(separator: "/", omittingEmptySubsequences: false).map { segment -> String in
            if segment.hasPrefix(":") || segment.hasPrefix("(") || segment.hasPrefix("{") { return "1" }
            if segment.contains("*") { return "x" }
            return String(segment)
        }
        let path = segments.joined(separator: "/")
        return path.isEmpty ? "/" : path
    }

    /// The positions (after splitting on `/`) of segments that are a single parameter.
    static func parameterSegmentIndexes(_ pattern: String) -> [Int] {
        pattern.split(separator: "/", omittingEmptySubsequences: false).enumerated().compactMap { index, segment in
            segment.hasPrefix(":") && !segment.dropFirst().contains(where: { $0 == ":" || $0 == "." || $0 == "-" })
                ? index : nil
        }
    }

    private static func percentEncoded(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return "%" + String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 0x0F)])
    }
}

/// Sends probes to both sides and compares the answers.
public struct Prober: Sendable {
    public var legacy: BaseURL
    public var candidate: BaseURL
    public var engine: DiffEngine
    public var timeout: Double

    public init(legacy: BaseURL, candidate: BaseURL, engine: DiffEngine, timeout: Double = 10) {
        self.legacy = legacy
        self.candidate = candidate
        self.engine = engine
        self.timeout = timeout
    }

    /// Sends each probe to legacy (twice for safe methods, to learn noise) and to the candidate.
    public func run(_ probes: [Probe], progress: ProgressLine? = nil) throws(HTTPClientError) -> DiffReport {
        let legacyClient = HTTPClient(base: legacy, timeout: timeout)
        let candidateClient = HTTPClient(base: candidate, timeout: timeout)
        var exchanges: [ExchangeReport] = []
        for probe in probes {
            let repeats = Recorder.repeatableMethods.contains(probe.request.method) ? 2 : 1
            var answers: [HTTPResponse] = []
            for _ in 0..<repeats { answers.append(try legacyClient.send(probe.request).response) }
            let differences: [Difference]
            do {
                let answer = try candidateClient.send(probe.request).response
                differences = engine.compare(
                    legacy: answers[0], candidate: answer, route: probe.route,
                    noise: NoiseProfile.learn(from: answers), request: probe.request)
            } catch {
                if error.isConnectFailure { throw error }
                differences = [Difference.noAnswer(legacyStatus: answers[0].status, error: error)]
            }
            exchanges.append(
                ExchangeReport(
                    request: probe.request, route: probe.route, probe: probe.name, differences: differences,
                    failAt: engine.policy.failAt))
            progress?.advance("\(probe.name) \(probe.request.method) \(probe.request.target.prefix(40))")
        }
        progress?.finish()
        return DiffReport(exchanges: exchanges)
    }
}
