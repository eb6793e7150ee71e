import Testing

@testable import BanyanCore

/// The parser's and the diff engine's fast paths give what the plain definitions give.
@Suite struct FastPathTests {
    /// Strings are scanned eight bytes at a time: put the special byte at every offset of a word.
    @Test func stringsWithEscapesAndControlCharactersAtEveryOffset() throws {
        for length in 0..<40 {
            let plain = String(repeating: "é", count: length / 3) + String(repeating: "a", count: length)
            #expect(try JSONParser.parse("\"\(plain)\"") == .string(plain))
            #expect(try JSONParser.parse("[\"\(plain)\\n\(plain)\"]") == .array([.string(plain + "\n" + plain)]))
            #expect(throws: JSONParseError.self) { try JSONParser.parse("\"\(plain)\u{1F}\(plain)\"") }
            #expect(throws: JSONParseError.self) { try JSONParser.parse("\"\(plain)") }
        }
    }

    @Test func deepAndWideContainersKeepTheirOrder() throws {
        let elements = (0..<300).map { "{\"k\($0)\":[\($0),{\"x\":\"\($0)\"}]}" }
        let parsed = try JSONParser.parse("[" + elements.joined(separator: ",") + "]")
        guard case .array(let items) = parsed else {
            Issue.record("not an array")
            return
        }
        #expect(items.count == 300)
        #expect(items[299] == ["k299": [299, ["x": "299"]]])
        #expect(parsed.serializedText == "[" + elements.joined(separator: ",") + "]")
    }

    /// Member lists that do not line up, or repeat a key, take the general path.
    @Test func duplicateKeysInTheSameOrderStillCountOnce() {
        #expect(bodyDifferences(#"{"a":1,"a":2,"b":3}"#, #"{"a":5,"a":2,"b":3}"#).isEmpty)
        #expect(bodyDifferences(#"{"a":1,"a":2,"b":3}"#, #"{"a":1,"a":4,"b":3}"#).map(\.path) == ["$.a"])
        // `K` and the Kelvin sign are one string to Swift, two keys to `JSON.parse`.
        #expect(!Keys.hasDuplicates([JSONMember(key: "K", value: 1), JSONMember(key: "\u{212A}", value: 2)]))
        #expect(Keys.hasDuplicates([JSONMember(key: "\u{212A}", value: 1), JSONMember(key: "\u{212A}", value: 2)]))
        #expect(!Keys.hasDuplicates((0..<70).map { JSONMember(key: "k\($0)", value: 1) }))
        #expect(Keys.hasDuplicates((0..<70).map { JSONMember(key: "k\($0 % 69)", value: 1) }))
    }

    @Test func reorderOfLongArraysIsShownTruncated() {
        let values = (0..<500).map { "\"élément \($0)\"" }
        let legacy = "[" + values.joined(separator: ",") + "]"
        let candidate = "[" + values.reversed().joined(separator: ",") + "]"
        let differences = bodyDifferences(legacy, candidate)
        #expect(differences.map(\.kind) == [.bodyArrayOrder])
        #expect(differences.first?.legacy == String(legacy.prefix(200)) + "…")
        #expect(differences.first?.candidate == String(candidate.prefix(200)) + "…")
    }

    @Test func longArraysThatAreNotPermutationsCompareElementByElement() {
        let legacy = (0..<40).map { "{\"id\":\($0),\"n\":\($0)}" }
        let candidate = (0..<40).map { "{\"id\":\($0),\"n\":\($0 + 1)}" }
        let differences = bodyDifferences(
            "[" + legacy.joined(separator: ",") + "]", "[" + candidate.joined(separator: ",") + "]")
        #expect(differences.count == 40)
        #expect(differences.allSatisfy { $0.kind == .bodyValue })
    }
}
