/// The parameters a route pattern captured, in the order Express assigns them, already decoded.
///
/// A name appears once: when a pattern names a parameter twice, the first position is kept and a
/// later defined value replaces an earlier one, as Express's `req.params` does.
public struct RouteParameters: Sendable, Equatable, Sequence, CustomStringConvertible {
    /// One captured parameter.
    public struct Entry: Sendable, Equatable {
        public var name: String
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public private(set) var entries: [Entry]

    public init() { entries = [] }

    public init(_ pairs: [(String, String)]) {
        entries = []
        for (name, value) in pairs { set(name, value) }
    }

    /// The value of the parameter `name`, or nil when the pattern did not capture it.
    public subscript(name: String) -> String? {
        for entry in entries where entry.name == name { return entry.value }
        return nil
    }

    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }
    public var names: [String] { entries.map(\.name) }

    /// Adds `name`, or replaces its value where it is already present.
    public mutating func set(_ name: String, _ value: String) {
        if let index = entries.firstIndex(where: { $0.name == name }) {
            entries[index].value = value
        } else {
            entries.append(Entry(name: name, value: value))
        }
    }

    public func makeIterator() -> IndexingIterator<[Entry]> { entries.makeIterator() }

    public var description: String {
        "{" + entries.map { "\($0.name): \($0.value)" }.joined(separator: ", ") + "}"
    }
}
