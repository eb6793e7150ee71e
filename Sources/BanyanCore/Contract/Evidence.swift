/// How often something was seen, and the first few exchanges that showed it.
///
/// The exchange ids kept are the smallest ones by name, not the first ones seen, so that the same
/// traffic read in any order keeps the same evidence.
public struct Evidence: Sendable, Hashable {
    /// How many times it was seen.
    public private(set) var count: Int
    /// Up to ``limit`` exchange ids, ascending.
    public private(set) var ids: [String]

    /// How many exchange ids evidence keeps.
    public static let limit = 3

    /// Creates evidence from a count and exchange ids, as a contract file stores it.
    ///
    /// - Parameters:
    ///   - count: How many times it was seen.
    ///   - ids: Exchange ids; only the ``limit`` smallest are kept.
    public init(count: Int = 0, ids: [String] = []) {
        self.count = count
        self.ids = Array(Set(ids).sorted().prefix(Self.limit))
    }

    /// Whether it was never seen.
    public var isEmpty: Bool { count == 0 }

    /// Counts one more sighting in exchange `id`.
    public mutating func add(_ id: String) {
        count += 1
        keep(id)
    }

    mutating func keep(_ id: String) {
        if ids.count == Self.limit, let last = ids.last, id >= last { return }
        guard let index = ids.firstIndex(where: { $0 >= id }) else {
            ids.append(id)
            return
        }
        if ids[index] == id { return }
        ids.insert(id, at: index)
        if ids.count > Self.limit { ids.removeLast() }
    }

    /// Adds another evidence's sightings to this one.
    public mutating func merge(_ other: Evidence) {
        count += other.count
        for id in other.ids { keep(id) }
    }
}
