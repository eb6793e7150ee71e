/// An ordered list of header fields that keeps each name exactly as it was sent.
///
/// HTTP header names are case-insensitive, but the order and spelling on the wire are part of
/// what a recorded exchange shows, so both are kept; lookups ignore case.
public struct HTTPHeaders: Sendable, Hashable, Sequence {
    /// One header field as it appeared on the wire.
    public struct Field: Sendable, Hashable {
        /// The field name with the case it was sent in (`Content-Type`); compare with ``canonicalName``.
        public var name: String
        /// The field value as sent (`application/json; charset=utf-8`).
        public var value: String

        /// Creates a field from a name and a value, kept exactly as given.
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }

        /// The name in lower case, the form reports and policies use.
        public var canonicalName: String { name.lowercased() }
    }

    /// Every field in the order it was sent, repeated names included.
    public private(set) var fields: [Field]

    /// Creates a header block from fields in wire order.
    public init(_ fields: [Field] = []) {
        self.fields = fields
    }

    /// Creates a header block from `(name, value)` pairs in wire order.
    ///
    /// ```swift
    /// let headers = HTTPHeaders([("Content-Type", "application/json"), ("Set-Cookie", "a=1")])
    /// ```
    public init(_ pairs: [(String, String)]) {
        self.fields = pairs.map { Field(name: $0.0, value: $0.1) }
    }

    /// The number of fields, counting each repeated name once per line it was sent on.
    public var count: Int { fields.count }
    /// Whether the block has no field at all.
    public var isEmpty: Bool { fields.isEmpty }

    /// Iterates the fields in wire order.
    public func makeIterator() -> IndexingIterator<[Field]> { fields.makeIterator() }

    /// Appends a field, keeping any earlier field of the same name.
    public mutating func add(name: String, value: String) {
        fields.append(Field(name: name, value: value))
    }

    /// Replaces every field of this name with one field, placed where the first one was.
    public mutating func replaceOrAdd(name: String, value: String) {
        let lower = name.lowercased()
        if let index = fields.firstIndex(where: { $0.canonicalName == lower }) {
            var kept = fields[..<index].filter { $0.canonicalName != lower }
            kept.append(Field(name: name, value: value))
            kept += fields[(index + 1)...].filter { $0.canonicalName != lower }
            fields = kept
        } else {
            fields.append(Field(name: name, value: value))
        }
    }

    /// Removes every field of this name.
    public mutating func remove(name: String) {
        let lower = name.lowercased()
        fields.removeAll { $0.canonicalName == lower }
    }

    /// Every value sent under this name, in order.
    public func values(for name: String) -> [String] {
        let lower = name.lowercased()
        return fields.filter { $0.canonicalName == lower }.map(\.value)
    }

    /// The first value sent under this name.
    public subscript(name: String) -> String? {
        let lower = name.lowercased()
        return fields.first { $0.canonicalName == lower }?.value
    }

    /// Whether a field of this name is present.
    public func contains(_ name: String) -> Bool { self[name] != nil }

    /// The lower-cased names present, each once, in first-seen order.
    public var canonicalNames: [String] {
        var seen = Set<String>()
        return fields.compactMap { seen.insert($0.canonicalName).inserted ? $0.canonicalName : nil }
    }
}
