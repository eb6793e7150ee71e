import Testing

@testable import ShopCore

@Suite struct SHA1Tests {
    func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }

    @Test func knownVectors() {
        #expect(hex(SHA1.digest(Array("abc".utf8))) == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(hex(SHA1.digest([])) == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
        let long = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
        #expect(hex(SHA1.digest(Array(long.utf8))) == "84983e441c3bd26ebaae4aa1f95129e5e54670f1")
        let million = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        #expect(hex(SHA1.digest(million)) == "34aa973cd4c4daa4f61eeb2bdbad27316534016f")
    }

    @Test func expressETags() {
        #expect(expressWeakETag([]) == "W/\"0-2jmj7l5rSw0yVb/vlWAYkK/YBwk\"")
        #expect(expressWeakETag(Array(#"{"hello":"world"}"#.utf8)) == "W/\"11-IkjuL6CqqtmReFMfkkvwC0sKj04\"")
        #expect(expressWeakETag(Array("GET,HEAD,POST".utf8)) == "W/\"d-bMedpZYGrVt1nR4x+qdNZ2GqyRo\"")
    }

    @Test func base64Padding() {
        #expect(base64Encode(Array("f".utf8)) == "Zg==")
        #expect(base64Encode(Array("fo".utf8)) == "Zm8=")
        #expect(base64Encode(Array("foo".utf8)) == "Zm9v")
    }
}
