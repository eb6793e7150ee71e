/// Where legacy's own answers to one request vary (request ids, timestamps): header names and
/// JSON paths whose differences are reported with severity `noise`.
///
/// Paths may be patterns (`$.items[*].updatedAt`, `$.meta.*`, `$.meta..*`); a path also covers
/// everything below it. The path `$` covers the whole body, including non-JSON bodies.
public struct NoiseProfile: Sendable, Hashable {
    /// Lower-case header names.
    public var headers: Set<String>
    /// JSON paths or path patterns.
    public var paths: Set<String>

    public init(headers: Set<String> = [], paths: Set<String> = []) {
        self.headers = Set(headers.map { $0.lowercased() })
        self.paths = paths
    }

    public var isEmpty: Bool { headers.isEmpty && paths.isEmpty }

    /// Every header and JSON leaf that differs between two or more of legacy's answers to the same request.
    public static func learn(from responses: [HTTPResponse]) -> NoiseProfile {
        var profile = NoiseProfile()
        guard let reference = responses.first else { return profile }
        // Every header counts here, even those the policy ignores by default.
        let engine = DiffEngine(policy: DifferencePolicy(ignoredHeaders: []))
        // Any pair that differs somewhere differs from the first answer there too.
        for other in responses.dropFirst() {
            for difference in engine.classify(legacy: reference, candidate: other) {
                if let header = difference.header {
                    profile.headers.insert(header)
                } else if let path = difference.path {
                    profile.paths.insert(path)
                } else if difference.kind == .bodyBytes || difference.kind == .bodyNotJSON {
                    profile.paths.insert("$")
                }
            }
        }
        return profile
    }

    /// Both profiles' headers and paths.
    public func merging(_ other: NoiseProfile) -> NoiseProfile {
        NoiseProfile(headers: headers.union(other.headers), paths: paths.union(other.paths))
    }

    /// Whether the difference lies at a noisy header or at or below a noisy path.
    public func contains(_ difference: Difference) -> Bool {
        if let header = difference.header { return headers.contains(header) }
        if difference.kind == .status { return false }
        guard let text = difference.path else { return paths.contains("$") }
        if paths.contains(text) { return true }
        guard let path = JSONPath(parsing: text) else { return false }
        return paths.contains { JSONPath(parsing: $0)?.contains(path) ?? false }
    }
}
