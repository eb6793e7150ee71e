import Testing

@testable import ShopCore

@Suite struct InflateTests {
    let text = Array("hello hello hello hello".utf8)
    let gzipped: [UInt8] = [
        31, 139, 8, 0, 0, 0, 0, 0, 2, 3, 203, 72, 205, 201, 201, 87, 200, 64, 39, 1, 227, 81, 61, 141, 23, 0, 0, 0,
    ]

    @Test func checksums() {
        #expect(Inflate.crc32(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(Inflate.adler32(Array("Wikipedia".utf8)) == 0x11E6_0398)
    }

    @Test func gunzip() throws {
        #expect(try Inflate.gunzip(gzipped) == text)
        #expect(try Inflate.gunzip(gzipped + gzipped) == text + text)
        #expect(try Inflate.gunzip(gzipped + [0, 0, 7]) == text)
        #expect(throws: Inflate.DataError.self) { try Inflate.gunzip(gzipped + Array("garbage".utf8)) }
        #expect(throws: Inflate.DataError.self) { try Inflate.gunzip(Array(gzipped.dropLast(3))) }
        #expect(throws: Inflate.DataError.self) { try Inflate.gunzip(text) }
    }

    @Test func zlibStreams() throws {
        let compressed: [UInt8] = [120, 156, 203, 72, 205, 201, 201, 87, 200, 64, 39, 1, 104, 3, 8, 177]
        #expect(try Inflate.zlibInflate(compressed) == text)
        #expect(try Inflate.zlibInflate([120, 1, 1, 3, 0, 252, 255, 97, 98, 99, 2, 77, 1, 39]) == Array("abc".utf8))
        #expect(throws: Inflate.DataError.self) { try Inflate.zlibInflate(Array(compressed.dropFirst(2))) }
    }
}
