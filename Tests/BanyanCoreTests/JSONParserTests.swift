import Testing

@testable import BanyanCore

@Suite struct JSONParserTests {
    @Test(arguments: [
        "null", "true", "false", "0", "-0", "1.0", "1e21", "1E+21", "-1.5e-7", "\"\"", "\"a\\\"b\"", "[]", "{}",
        "[1,[2,[3]]]", "{\"a\":{\"b\":[true,false,null]}}", " \t\r\n[ 1 , 2 ]\n ",
        "12345678901234567890123", "{\"a\":1,\"a\":2}",
    ])
    func acceptsValidJSON(_ text: String) throws {
        _ = try JSONParser.parse(text)
    }

    @Test(arguments: [
        ("", "expected a JSON value, found end of input", 0, 1, 1),
        ("   ", "expected a JSON value, found end of input", 3, 1, 4),
        ("{\"a\":1,}", "expected a string key after ',', found '}'", 7, 1, 8),
        ("[1,]", "expected a JSON value, found ']'", 3, 1, 4),
        ("{\n  \"a\": 1,\n  \"b\": 2 \"c\"\n}", "expected ',' or '}' after object member, found '\"'", 21, 3, 10),
        ("{\"a\" 1}", "expected ':' after object key, found '1'", 5, 1, 6),
        ("{a:1}", "expected a string key or '}', found 'a'", 1, 1, 2),
        ("[1 2]", "expected ',' or ']' after array element, found '2'", 3, 1, 4),
        ("[1", "expected ',' or ']' after array element, found end of input", 2, 1, 3),
        ("01", "leading zeros are not allowed in numbers", 1, 1, 2),
        ("-", "expected a digit after '-', found end of input", 1, 1, 2),
        ("1.", "expected a digit after '.', found end of input", 2, 1, 3),
        ("1e+", "expected a digit in the exponent, found end of input", 3, 1, 4),
        (".5", "expected a JSON value, found '.'", 0, 1, 1),
        ("+1", "expected a JSON value, found '+'", 0, 1, 1),
        ("tru", "invalid literal, expected 'true'", 0, 1, 1),
        ("nul1", "invalid literal, expected 'null'", 0, 1, 1),
        ("NaN", "expected a JSON value, found 'N'", 0, 1, 1),
        ("\"abc", "unterminated string", 0, 1, 1),
        ("\"a\\", "unterminated string", 0, 1, 1),
        ("\"a\nb\"", "control character 0x0a must be escaped in a string", 2, 1, 3),
        ("\"\\x\"", "invalid escape '\\x' in string", 1, 1, 2),
        ("\"\\u12G4\"", "invalid \\u escape: expected 4 hex digits", 1, 1, 2),
        ("{\"a\":1}x", "unexpected 'x' after the JSON value", 7, 1, 8),
        ("[1] [2]", "unexpected '[' after the JSON value", 4, 1, 5),
        ("[\"é\", x]", "expected a JSON value, found 'x'", 7, 1, 7),
        ("\u{1}", "expected a JSON value, found byte 0x01", 0, 1, 1),
        ("'a'", "expected a JSON value, found '''", 0, 1, 1),
    ])
    func refusesInvalidJSON(_ text: String, message: String, offset: Int, line: Int, column: Int) {
        #expect(throws: JSONParseError(message: message, offset: offset, line: line, column: column)) {
            try JSONParser.parse(text)
        }
    }

    @Test func errorDescriptionNamesLineAndColumn() {
        do {
            _ = try JSONParser.parse("{\n  \"a\": 1,\n  \"b\": 2 \"c\"\n}")
            Issue.record("parsed")
        } catch {
            #expect(error.description == "expected ',' or '}' after object member, found '\"' at line 3, column 10")
        }
    }

    @Test func keepsNumberLexemes() throws {
        let value = try JSONParser.parse("[1, 1.0, -0, 1e21, 1e+21, 1E21, 9007199254740993, 0.10]")
        let lexemes: [String] =
            if case .array(let elements) = value {
                elements.compactMap { if case .number(let n) = $0 { n.lexeme } else { nil } }
            } else { [] }
        #expect(lexemes == ["1", "1.0", "-0", "1e21", "1e+21", "1E21", "9007199254740993", "0.10"])
        #expect(value.serializedText == "[1,1.0,-0,1e21,1e+21,1E21,9007199254740993,0.10]")
    }

    @Test func keepsDuplicateKeysInOrder() throws {
        let value = try JSONParser.parse(#"{"b":1,"a":2,"b":3}"#)
        #expect(
            value
                == .object([
                    JSONMember(key: "b", value: 1), JSONMember(key: "a", value: 2), JSONMember(key: "b", value: 3),
                ]))
        #expect(value["b"] == 3)
        #expect(value.serializedText == #"{"b":1,"a":2,"b":3}"#)
    }

    @Test func skipsALeadingByteOrderMark() throws {
        #expect(try JSONParser.parse([0xEF, 0xBB, 0xBF] + Array("{\"a\":1}".utf8)) == ["a": 1])
        // Only at the start.
        #expect(throws: JSONParseError.self) { try JSONParser.parse(Array(" ".utf8) + [0xEF, 0xBB, 0xBF, 0x31]) }
    }

    @Test func refusesDeepNestingWithoutOverflowingTheStack() {
        let deep = [UInt8](repeating: UInt8(ascii: "["), count: 100_000)
        #expect(throws: JSONParseError(message: "nesting deeper than 512 levels", offset: 512, line: 1, column: 513)) {
            try JSONParser.parse(deep)
        }
        let allowed = String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
        #expect((try? JSONParser.parse(allowed)) != nil)
        let objects = String(repeating: "{\"a\":", count: 513) + "1" + String(repeating: "}", count: 513)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(objects) }
    }

    @Test(arguments: [
        (#""\u00e9\u2713""#, "é✓"),
        (#""\ud83d\ude00""#, "😀"),
        (#""\uD83D\uDE00x""#, "😀x"),
        (#""\ud800""#, "\u{FFFD}"),
        (#""\udc00a""#, "\u{FFFD}a"),
        (#""\ud800\u0041""#, "\u{FFFD}A"),
        (#""\ud800\ud800\udc00""#, "\u{FFFD}𐀀"),
        (#""a\/b\\c\"d\b\f\n\r\t""#, "a/b\\c\"d\u{8}\u{C}\n\r\t"),
        (#""\u0000""#, "\u{0}"),
        ("\"h\u{e9}llo\"", "héllo"),
    ])
    func decodesEscapes(_ text: String, expected: String) throws {
        #expect(try JSONParser.parse(text) == .string(expected))
    }

    @Test func decodesInvalidUTF8AsReplacementCharacters() throws {
        #expect(try JSONParser.parse([0x22, 0x61, 0xFF, 0x22]) == .string("a\u{FFFD}"))
    }

    @Test func parsesNonContiguousCollections() throws {
        let bytes = "[true,{\"k\":\"v\"}]".utf8
        #expect(try JSONParser.parse(bytes) == [true, ["k": "v"]])
    }
}

@Suite struct JSONWriterTests {
    @Test func escapesStringsAsV8Does() {
        let value: JSONValue = ["a/b": "</script>\u{1}\u{1f}\u{7f}é\u{2028}\"\\\n"]
        #expect(value.serializedText == "{\"a/b\":\"</script>\\u0001\\u001f\u{7f}é\u{2028}\\\"\\\\\\n\"}")
    }

    @Test func prettyPrintsLikeExpressJSONSpaces() throws {
        let value = try JSONParser.parse(#"{"a":[1,{"b":null}],"c":{},"d":[]}"#)
        #expect(
            value.prettyText() == """
                {
                  "a": [
                    1,
                    {
                      "b": null
                    }
                  ],
                  "c": {},
                  "d": []
                }
                """)
    }
}

@Suite struct JSONNumberTests {
    /// express-wire.md §7: what V8 writes for each double.
    @Test(arguments: [
        (1.0, "1"), (-0.0, "0"), (0.0, "0"), (1e15, "1000000000000000"), (1e16, "10000000000000000"),
        (1e20, "100000000000000000000"), (1e21, "1e+21"), (0.000001, "0.000001"), (1e-7, "1e-7"),
        (0.1 + 0.2, "0.30000000000000004"), (Double("9007199254740993")!, "9007199254740992"),
        (Double("12345678901234567890")!, "12345678901234567000"), (123.456, "123.456"), (-1.5, "-1.5"),
        (Double.leastNonzeroMagnitude, "5e-324"), (1.7976931348623157e308, "1.7976931348623157e+308"),
        (1.5e-7, "1.5e-7"),
        (Double("123456789012345680000")!, "123456789012345680000"), (0.00001234, "0.00001234"), (2.5e21, "2.5e+21"),
        (Double.infinity, "Infinity"), (-Double.infinity, "-Infinity"), (Double.nan, "NaN"),
    ])
    func rendersDoublesAsV8(_ value: Double, expected: String) {
        #expect(JSONNumber.jsString(of: value) == expected)
    }

    @Test(arguments: [
        ("1", 1.0), ("1.0", 1.0), ("-0", -0.0), ("1e21", 1e21), ("9007199254740993", 9007199254740992),
        ("1e400", Double.infinity), ("-1e400", -Double.infinity), ("1e-400", 0),
    ])
    func readsDoublesAsJSONParse(_ lexeme: String, expected: Double) {
        #expect(JSONNumber(lexeme)!.doubleValue == expected)
    }

    @Test func jsStringOfALexemeIsWhatJavaScriptPrintsAfterParsing() {
        #expect(JSONNumber("1.0")!.jsString == "1")
        #expect(JSONNumber("12345678901234567890")!.jsString == "12345678901234567000")
        #expect(JSONNumber("1e400")!.jsString == "Infinity")
    }

    @Test(arguments: [
        ("1", "1.0", true), ("1e21", "1e+21", true), ("1e21", "1E21", true), ("-0", "0", true), ("0.0", "-0.0", true),
        ("100", "1e2", true), ("0.001", "1e-3", true), ("1.50", "1.5", true), ("1", "2", false),
        ("9007199254740993", "9007199254740992", false), ("-1", "1", false), ("10", "1", false),
    ])
    func comparesDecimalValues(_ a: String, _ b: String, same: Bool) {
        #expect(JSONNumber(a)!.isSameNumber(as: JSONNumber(b)!) == same)
    }

    @Test func exposesExactIntegerDigits() {
        #expect(JSONNumber("9007199254740993")!.integerDigits == "9007199254740993")
        #expect(JSONNumber("1e21")!.integerDigits == "1000000000000000000000")
        #expect(JSONNumber("-0")!.integerDigits == "0")
        #expect(JSONNumber("-1.50e2")!.integerDigits == "-150")
        #expect(JSONNumber("1.5")!.integerDigits == nil)
        #expect(JSONNumber("1.0")!.isInteger)
        #expect(!JSONNumber("0.5")!.isInteger)
        #expect(JSONNumber("9007199254740992")!.isExactInJavaScript)
        #expect(!JSONNumber("9007199254740993")!.isExactInJavaScript)
    }

    @Test func validatesLexemes() {
        #expect(JSONNumber("01") == nil)
        #expect(JSONNumber("1.") == nil)
        #expect(JSONNumber("+1") == nil)
        #expect(JSONNumber("-0.0e-0") != nil)
        #expect(JSONNumber(1e21)?.lexeme == "1e+21")
        #expect(JSONNumber(Double.nan) == nil)
    }
}

@Suite struct JSONPathTests {
    @Test func writesIdentifiersAfterDotsAndOtherKeysInBrackets() {
        let path = JSONPath().appending(key: "items").appending(index: 0).appending(key: "a b")
            .appending(key: "1x").appending(key: "q\"")
        #expect(path.description == #"$.items[0]["a b"]["1x"]["q\""]"#)
    }

    @Test(arguments: [
        "$", "$.items[0].sku", #"$["a b"].c"#, "$.items[*].sku", "$.meta.*", "$.meta..*", #"$["q\"]"].x"#,
    ])
    func parsesWhatItWrites(_ text: String) {
        #expect(JSONPath(parsing: text)?.description == text)
    }

    @Test(arguments: ["", "items", "$.", "$[", "$[x]", "$..a", "$.a..*.b", #"$["a"#])
    func refusesMalformedPaths(_ text: String) {
        #expect(JSONPath(parsing: text) == nil)
    }

    @Test(arguments: [
        ("$.items[*].sku", "$.items[3].sku", true), ("$.items[*].sku", "$.items.sku", false),
        ("$.meta.*", "$.meta.generatedAt", true), ("$.meta.*", "$.meta.a.b", false), ("$.meta.*", "$.meta", false),
        ("$.meta..*", "$.meta.a.b", true), ("$.meta..*", "$.meta[0]", true), ("$.meta..*", "$.meta", false),
        ("$.a", "$.a", true), ("$.a", "$.a.b", false), ("$.*", "$[0]", false),
    ])
    func matchesPatterns(_ pattern: String, _ path: String, matches: Bool) {
        #expect(JSONPath(parsing: pattern)!.matches(JSONPath(parsing: path)!) == matches)
    }
}
