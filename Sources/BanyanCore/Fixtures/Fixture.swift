/// One recorded exchange with the legacy service: the contract a candidate is verified against.
public struct Fixture: Sendable, Hashable {
    /// The configured route the request matched (`GET /users/:id`), if any.
    public var route: String?
    /// The request's name from the request file, if any.
    public var name: String?
    /// Where and how it was recorded (`http://127.0.0.1:3000, 2 answers`).
    public var recorded: String?
    /// Header names (lower case) whose values varied between legacy answers to the same request.
    public var noiseHeaders: [String]
    /// JSON paths whose values varied between legacy answers to the same request.
    public var noisePaths: [String]
    /// The request as it was sent to legacy and is replayed to the candidate.
    public var request: HTTPRequest
    /// Legacy's answer: the contract the candidate's answer is compared with.
    public var response: HTTPResponse

    /// Creates a fixture from a recorded exchange and what the recording learned about it.
    ///
    /// - Parameters:
    ///   - route: The configured route the request matched.
    ///   - name: The request's name in the request file.
    ///   - recorded: Where and how it was recorded.
    ///   - noiseHeaders: Header names whose values varied between legacy answers.
    ///   - noisePaths: JSON paths whose values varied between legacy answers.
    ///   - request: The request sent.
    ///   - response: Legacy's answer.
    public init(
        route: String? = nil,
        name: String? = nil,
        recorded: String? = nil,
        noiseHeaders: [String] = [],
        noisePaths: [String] = [],
        request: HTTPRequest,
        response: HTTPResponse
    ) {
        self.route = route
        self.name = name
        self.recorded = recorded
        self.noiseHeaders = noiseHeaders
        self.noisePaths = noisePaths
        self.request = request
        self.response = response
    }
}

/// A fixture file that cannot be read, located by file and line.
public typealias FixtureError = FileProblem
