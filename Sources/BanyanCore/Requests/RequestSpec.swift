/// A request read from a `.http` or HAR file, with where it came from.
public struct RequestSpec: Sendable, Hashable {
    /// The name given in the file (`### get a user`, `# @name getUser`), if any.
    public var name: String?
    /// The request; its target is a path relative to the service's base URL.
    public var request: HTTPRequest
    /// `file:line` (or `file#entries[3]` for HAR) for messages.
    public var source: String

    /// Creates a request read from a file.
    ///
    /// - Parameters:
    ///   - name: The name the file gives the request, if any.
    ///   - request: The request, its target relative to the base URL.
    ///   - source: Where it was read, `file:line`, for messages.
    public init(name: String? = nil, request: HTTPRequest, source: String) {
        self.name = name
        self.request = request
        self.source = source
    }
}

/// An input file that cannot be read (a request file, a fixture), located by file and line.
public struct FileProblem: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file as the user named it on the command line or in banyan.yaml.
    public var file: String
    /// 1-based line, when the problem has one.
    public var line: Int?
    /// What is wrong, in words that say what to fix (`missing 'url'`).
    public var message: String

    /// Creates a problem located in a file.
    ///
    /// - Parameters:
    ///   - file: The file as the user named it.
    ///   - line: The 1-based line, when the problem has one.
    ///   - message: What is wrong.
    public init(file: String, line: Int? = nil, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    /// `file:line: message`, or `file: message` without a line.
    public var description: String {
        if let line { return "\(file):\(line): \(message)" }
        return "\(file): \(message)"
    }
}

/// A `.http` or HAR file that cannot be read.
public typealias RequestFileError = FileProblem

/// Turns an absolute or relative URL from a request file into a target path.
///
/// `http://api.example.com/users?limit=2` becomes `/users?limit=2`; a relative `/users` stays.
func targetPath(fromURL url: String) -> String? {
    if url.hasPrefix("/") { return url }
    for scheme in ["http://", "https://"] where url.lowercased().hasPrefix(scheme) {
        let rest = url.dropFirst(scheme.count)
        guard let slash = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) else { return "/" }
        let path = String(rest[slash...])
        return path.hasPrefix("?") ? "/" + path : path
    }
    return nil
}
