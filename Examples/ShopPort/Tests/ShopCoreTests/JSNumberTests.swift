import Testing

@testable import ShopCore

@Suite struct JSNumberTests {
    static let cases: [(Double, String)] = [
        (1.0, "1"), (-0.0, "0"), (3600.0, "3600"), (0.1 + 0.2, "0.30000000000000004"), (1e15, "1000000000000000"),
        (1e16, "10000000000000000"), (1e20, "100000000000000000000"), (1e21, "1e+21"), (1.5e300, "1.5e+300"),
        (0.000001, "0.000001"), (1e-7, "1e-7"), (1.25e-7, "1.25e-7"), (123.456, "123.456"), (-2.5, "-2.5"),
        (9_007_199_254_740_992 + 1, "9007199254740992"), (Double.leastNonzeroMagnitude, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
        (190.0666667166459, "190.0666667166459"), (100, "100"), (0.001, "0.001"),
    ]

    @Test(arguments: cases)
    func formatsLikeV8(value: Double, expected: String) {
        #expect(JSNumber.format(value) == expected)
    }

    @Test func nonFinite() {
        #expect(JSNumber.format(.nan) == "NaN")
        #expect(JSNumber.format(-.infinity) == "-Infinity")
        #expect(JSNumber.jsonFormat(.infinity) == "null")
    }

    @Test func stringToNumber() {
        #expect(JSNumber.parse("") == 0)
        #expect(JSNumber.parse("  12 ") == 12)
        #expect(JSNumber.parse("0x10") == 16)
        #expect(JSNumber.parse("0b11") == 3)
        #expect(JSNumber.parse("0o17") == 15)
        #expect(JSNumber.parse("1e1") == 10)
        #expect(JSNumber.parse(".5") == 0.5)
        #expect(JSNumber.parse("5.") == 5)
        #expect(JSNumber.parse("-Infinity") == -.infinity)
        #expect(JSNumber.parse("abc").isNaN)
        #expect(JSNumber.parse("-0x10").isNaN)
        #expect(JSNumber.parse("1,2").isNaN)
        #expect(JSNumber.parse("infinity").isNaN)
        #expect(JSNumber.parse("1e").isNaN)
        #expect(JSNumber.parse("\u{A0}7\u{FEFF}") == 7)
    }

    @Test func sliceEnd() {
        #expect(JSNumber.sliceEnd(.nan, count: 12) == 0)
        #expect(JSNumber.sliceEnd(10, count: 12) == 10)
        #expect(JSNumber.sliceEnd(2.9, count: 12) == 2)
        #expect(JSNumber.sliceEnd(-2, count: 12) == 10)
        #expect(JSNumber.sliceEnd(-100, count: 12) == 0)
        #expect(JSNumber.sliceEnd(.infinity, count: 12) == 12)
        #expect(JSNumber.sliceEnd(-.infinity, count: 12) == 0)
    }

    @Test func trim() {
        #expect(JSNumber.trim("\u{2028} a b\u{3000}\t") == "a b")
        #expect(JSNumber.trim("   ").isEmpty)
    }
}

@Suite struct JSONTests {
    @Test func writesLikeJSONStringify() throws {
        let value = try JSONParser.parse(
            #"{"b":1,"2":"two","10":"ten","a":[true,null,1.0,-0,"\/<\u0001\n"],"-1":0,"01":1}"#)
        #expect(
            JSONWriter.string(value)
                == #"{"2":"two","10":"ten","b":1,"a":[true,null,1,0,"/<\u0001\n"],"-1":0,"01":1}"#)
    }

    @Test func duplicateKeysLastWinsFirstPosition() throws {
        let value = try JSONParser.parse(#"{"a":1,"b":2,"a":3}"#)
        #expect(JSONWriter.string(value) == #"{"a":3,"b":2}"#)
    }

    @Test func rejectsWhatJSONParseRejects() {
        for text in ["{a:1}", "{\"a\":", "[1,]", "01", "1.", "\"\u{01}\"", "{\"a\":1}x", "'a'", "[1e]"] {
            #expect(throws: JSONParser.SyntaxError.self) { try JSONParser.parse(text) }
        }
    }

    @Test func numbersAreDoubles() throws {
        #expect(JSONWriter.string(try JSONParser.parse("12345678901234567890")) == "12345678901234567000")
        #expect(try JSONParser.parse("1e400") == .number(.infinity))
        #expect(JSONWriter.string(try JSONParser.parse("[1e400]")) == "[null]")
    }

    @Test func surrogatePairs() throws {
        #expect(try JSONParser.parse(#""\ud83d\ude00""#) == .string("😀"))
    }
}

@Suite struct LoneSurrogateTests {
    @Test func survivesParseAndStringify() throws {
        let text = #"{"\ud800":1,"\ud801":2,"a":"x\udc00\ud83d","b":"\udbff\udfff"}"#
        #expect(
            JSONWriter.string(try JSONParser.parse(text)) == #"{"\ud800":1,"\ud801":2,"a":"x\udc00\ud83d","b":"􏿿"}"#)
        // Text reaches the parser through Charset.decode, which marks a genuine U+10FFFF.
        let genuine = Charset.decode(Array("[\"\u{10FFFF}\"]".utf8), charset: "utf-8")!
        #expect(JSONWriter.string(try JSONParser.parse(genuine)) == "[\"\u{10FFFF}\"]")
    }

    @Test func utf16TextKeepsThem() throws {
        let text = Charset.decode([0x22, 0x00, 0x00, 0xD8, 0x22, 0x00], charset: "utf-16le")!
        #expect(JSONWriter.string(try JSONParser.parse(text)) == #""\ud800""#)
    }
}
