/// The parameters a route pattern captured, in the order Express assigns them, already decoded.
///
/// A name appears once: when a pattern names a parameter twice, the first position is kept and a
/// later defined value replaces an earlier one, as Express's `req.params` does.
public struct RouteParameters: Sendable, Equatable, Sequence, CustomStringConvertible {
    /// One captured parameter.
    public struct Entry: Sendable, Equatable {
        /// The parameter's name in the pattern (`id` for `:id`), or its position (`"0"`) for an unnamed group.
        public var name: String
        /// The captured path segment after `decodeURIComponent` (`caf%C3%A9` becomes `café`).
        public var value: String

        /// Creates a captured parameter from its name and decoded value.
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// The parameters in the order Express assigns them, each name once.
    public private(set) var entries: [Entry]

    /// Creates an empty set, as a pattern without parameters captures.
    public init() { entries = [] }

    /// Creates parameters from `(name, value)` pairs, with the same rule for repeated names as a match.
    ///
    /// A name given twice keeps its first position and takes the later value.
    public init(_ pairs: [(String, String)]) {
        entries = []
        for (name, value) in pairs { set(name, value) }
    }

    /// The value of the parameter `name`, or nil when the pattern did not capture it.
    public subscript(name: String) -> String? {
        for entry in entries where entry.name == name { return entry.value }
        return nil
    }

    /// The number of distinct parameter names.
    public var count: Int { entries.count }
    /// Whether the route captured no parameter.
    public var isEmpty: Bool { entries.isEmpty }
    /// The parameter names in Express's order.
    public var names: [String] { entries.map(\.name) }

    /// Adds `name`, or replaces its value where it is already present.
    public mutating func set(_ name: String, _ value: String) {
        if let index = entries.firstIndex(where: { $0.name == name }) {
            entries[index].value = value
        } else {
            entries.append(Entry(name: name, value: value))
        }
    }

    /// Iterates the parameters in Express's order.
    public func makeIterator() -> IndexingIterator<[Entry]> { entries.makeIterator() }

    /// The parameters as `{id: 7, format: json}`, for logs and explanations.
    public var description: String {
        "{" + entries.map { "\($0.name): \($0.value)" }.joined(separator: ", ") + "}"
    }
}
