/// Where legacy's own answers to one request vary (request ids, timestamps): header names and
/// JSON paths whose differences are reported with severity `noise`.
///
/// Paths may be patterns (`$.items[*].updatedAt`, `$.meta.*`, `$.meta..*`); a path also covers
/// everything below it. The path `$` covers the whole body, including non-JSON bodies.
///
/// A profile is learned by asking legacy the same request more than once (``learn(from:)``), and
/// handed to ``DiffEngine/compare(legacy:candidate:route:noise:request:)``: a difference there is
/// what legacy itself does, so it is never reported as breaking.
public struct NoiseProfile: Sendable, Hashable {
    /// The noisy header names, lower case; a difference in one of them is noise whatever its kind.
    public var headers: Set<String>
    /// The noisy JSON paths or path patterns, each covering everything below it.
    public var paths: Set<String>

    /// Creates a profile from header names and JSON paths.
    ///
    /// - Parameters:
    ///   - headers: Noisy header names, in any case (they are stored lower case).
    ///   - paths: Noisy JSON paths or path patterns; `$` for the whole body.
    public init(headers: Set<String> = [], paths: Set<String> = []) {
        self.headers = Set(headers.map { $0.lowercased() })
        self.paths = paths
    }

    /// Whether the profile names no header and no path, so that it turns nothing into noise.
    public var isEmpty: Bool { headers.isEmpty && paths.isEmpty }

    /// Learns where legacy's answers to one request vary: every header and JSON leaf that differs
    /// between two or more of them.
    ///
    /// Every header is compared here, even those the policy never compares. A status difference is
    /// not learned: a status is never noise. When the bodies are not JSON and differ, the whole
    /// body (`$`) is noisy.
    ///
    /// - Parameter responses: Legacy's answers to the same request; fewer than two teach nothing.
    /// - Returns: The profile; empty when the answers agree.
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

    /// A profile with both profiles' headers and paths, as when noise learned in two sessions is
    /// combined.
    ///
    /// - Parameter other: The profile to merge with this one.
    /// - Returns: The union of the two.
    public func merging(_ other: NoiseProfile) -> NoiseProfile {
        NoiseProfile(headers: headers.union(other.headers), paths: paths.union(other.paths))
    }

    /// Whether a difference lies at a noisy header or at or below a noisy path.
    ///
    /// A `status` difference is never noise; `body.not_json` and `body.bytes` are noise only when
    /// the profile holds `$`.
    ///
    /// - Parameter difference: A difference the engine found.
    public func contains(_ difference: Difference) -> Bool {
        if let header = difference.header { return headers.contains(header) }
        if difference.kind == .status { return false }
        guard let text = difference.path else { return paths.contains("$") }
        if paths.contains(text) { return true }
        guard let path = JSONPath(parsing: text) else { return false }
        return paths.contains { JSONPath(parsing: $0)?.contains(path) ?? false }
    }
}
