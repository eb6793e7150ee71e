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
    public var request: HTTPRequest
    public var response: HTTPResponse

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
