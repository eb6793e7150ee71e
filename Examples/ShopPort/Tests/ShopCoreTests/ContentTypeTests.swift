import Testing

@testable import ShopCore

@Suite struct ContentTypeTests {
    @Test func parsesLikeTheContentTypePackage() {
        #expect(ContentType.parse("Application/JSON; Charset=\"UTF-8\"")?.type == "application/json")
        #expect(ContentType.parse("application/json; charset=\"a\\\"b\"")?.parameters["charset"] == "a\"b")
        #expect(ContentType.parse("application/json; charset=a; charset=b")?.parameters["charset"] == "b")
        #expect(ContentType.parse(" application/json ")?.type == "application/json")
        for invalid in ["application/json;", "application/json; charset", "application/json; x=a b", "json", "a/b/c"] {
            #expect(ContentType.parse(invalid) == nil)
        }
        #expect(ContentType.parse(".a/json")?.isValidMediaType == false)
    }

    @Test func charsets() {
        #expect(Charset.decode(Array("é".utf8), charset: "UTF-8") == "é")
        #expect(Charset.decode([0xFE, 0xFF, 0x00, 0xE9], charset: "utf-16") == "\u{FEFF}é")
        #expect(Charset.decode([0x7B, 0x00, 0x7D, 0x00], charset: "utf-16") == "{}")
        #expect(Charset.decode([0x00, 0x7B, 0x00, 0x7D], charset: "utf-16") == "{}")
        #expect(Charset.decode(Array("a+-b+AOk-".utf8), charset: "utf-7") == "a+bé")
        #expect(Charset.decode(Array("a&-b&AOk-".utf8), charset: "utf-7-imap") == "a&bé")
        #expect(Charset.decode([], charset: "utf-9") == nil)
    }
}
