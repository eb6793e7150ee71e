import BanyanCore

/// Everything wrong with one configuration file, each problem located by line and key.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    /// One mistake in the file.
    public struct Problem: Sendable, Hashable, CustomStringConvertible {
        /// 1-based line; nil when the problem concerns the file as a whole.
        public var line: Int?
        public var column: Int?
        /// The key path (`routes[1].mode`); empty for the document itself.
        public var key: String
        /// What is wrong and what is allowed.
        public var message: String

        public var description: String {
            key.isEmpty ? message : "\(key): \(message)"
        }
    }

    /// The file as named by the user.
    public var file: String
    public var problems: [Problem]

    public init(file: String, problems: [Problem]) {
        self.file = file
        self.problems = problems
    }

    /// One line per problem: `banyan.yaml:7:11: routes[1].mode: unknown mode 'canery'; …`.
    public var description: String {
        problems.map { problem in
            var location = file
            if let line = problem.line {
                location += ":\(line)"
                if let column = problem.column { location += ":\(column)" }
            }
            return "\(location): \(problem)"
        }.joined(separator: "\n")
    }
}

/// The closest of `candidates` to `word`, when it is close enough to be a likely typo.
func suggestion(for word: String, in candidates: [String]) -> String? {
    let scored = candidates.map { ($0, editDistance(word.lowercased(), $0.lowercased())) }
    guard let best = scored.min(by: { $0.1 < $1.1 }) else { return nil }
    return best.1 <= max(2, word.count / 3) && best.1 < word.count ? best.0 : nil
}

func editDistance(_ lhs: String, _ rhs: String) -> Int {
    let left = Array(lhs)
    let right = Array(rhs)
    if left.isEmpty { return right.count }
    if right.isEmpty { return left.count }
    var previous = Array(0...right.count)
    for (i, leftCharacter) in left.enumerated() {
        var current = [i + 1] + Array(repeating: 0, count: right.count)
        for (j, rightCharacter) in right.enumerated() {
            let substitution = previous[j] + (leftCharacter == rightCharacter ? 0 : 1)
            current[j + 1] = min(previous[j + 1] + 1, current[j] + 1, substitution)
        }
        previous = current
    }
    return previous[right.count]
}
