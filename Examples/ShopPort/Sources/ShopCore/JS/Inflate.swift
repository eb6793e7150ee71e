/// DEFLATE (RFC 1951) decoding with the zlib (RFC 1950) and gzip (RFC 1952) wrappers, so that
/// `Content-Encoding: gzip` / `deflate` request bodies are accepted as body-parser accepts them.
public enum Inflate {
    public struct DataError: Error, Equatable {}

    /// `zlib.createGunzip()`: one or more gzip members; CRC-32 and length are checked. As in Node,
    /// bytes after a member must be another member, unless they start with a zero byte (padding).
    public static func gunzip(_ data: [UInt8]) throws(DataError) -> [UInt8] {
        var out: [UInt8] = []
        var offset = 0
        repeat {
            offset = try gunzipMember(data, from: offset, into: &out)
        } while offset < data.count && data[offset] != 0
        return out
    }

    /// `zlib.createInflate()`: a zlib stream; the Adler-32 is checked.
    public static func zlibInflate(_ data: [UInt8]) throws(DataError) -> [UInt8] {
        guard data.count >= 2 else { throw DataError() }
        let cmf = Int(data[0])
        let flg = Int(data[1])
        guard cmf & 0x0F == 8, cmf >> 4 <= 7, (cmf * 256 + flg) % 31 == 0, flg & 0x20 == 0 else { throw DataError() }
        var reader = BitReader(data: data, position: 2)
        var out: [UInt8] = []
        try inflate(&reader, into: &out)
        let end = reader.bytePosition
        guard end + 4 <= data.count else { throw DataError() }
        let expected = data[end..<end + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        guard adler32(out) == expected else { throw DataError() }
        return out
    }

    private static func gunzipMember(_ data: [UInt8], from start: Int, into out: inout [UInt8]) throws(DataError)
        -> Int
    {
        guard start + 10 <= data.count, data[start] == 0x1F, data[start + 1] == 0x8B, data[start + 2] == 8 else {
            throw DataError()
        }
        let flags = data[start + 3]
        var p = start + 10
        if flags & 0x04 != 0 {
            guard p + 2 <= data.count else { throw DataError() }
            p += 2 + Int(data[p]) + Int(data[p + 1]) << 8
        }
        for bit in [UInt8(0x08), 0x10] where flags & bit != 0 {
            while p < data.count && data[p] != 0 { p += 1 }
            p += 1
        }
        if flags & 0x02 != 0 { p += 2 }
        guard p <= data.count else { throw DataError() }
        var reader = BitReader(data: data, position: p)
        var member: [UInt8] = []
        try inflate(&reader, into: &member)
        let end = reader.bytePosition
        guard end + 8 <= data.count else { throw DataError() }
        func le32(_ i: Int) -> UInt32 {
            UInt32(data[i]) | UInt32(data[i + 1]) << 8 | UInt32(data[i + 2]) << 16 | UInt32(data[i + 3]) << 24
        }
        guard crc32(member) == le32(end), UInt32(truncatingIfNeeded: member.count) == le32(end + 4) else {
            throw DataError()
        }
        out.append(contentsOf: member)
        return end + 8
    }

    struct BitReader {
        let data: [UInt8]
        var position: Int
        var bitBuffer: UInt32 = 0
        var bitCount = 0

        init(data: [UInt8], position: Int) {
            self.data = data
            self.position = position
        }

        mutating func bits(_ n: Int) throws(DataError) -> Int {
            while bitCount < n {
                guard position < data.count else { throw DataError() }
                bitBuffer |= UInt32(data[position]) << UInt32(bitCount)
                position += 1
                bitCount += 8
            }
            let value = Int(bitBuffer & ((1 << UInt32(n)) - 1))
            bitBuffer >>= UInt32(n)
            bitCount -= n
            return value
        }

        mutating func alignToByte() {
            bitBuffer = 0
            bitCount = 0
        }

        /// The first byte not consumed (unused bits of a partly read byte are dropped).
        var bytePosition: Int { position - bitCount / 8 }
    }

    struct Huffman {
        var counts = [Int](repeating: 0, count: 16)
        var symbols: [Int] = []

        init(lengths: [Int]) throws(DataError) {
            for length in lengths { counts[length] += 1 }
            counts[0] = 0
            var left = 1
            for len in 1..<16 {
                left <<= 1
                left -= counts[len]
                if left < 0 { throw DataError() }
            }
            var offsets = [Int](repeating: 0, count: 16)
            for len in 1..<15 { offsets[len + 1] = offsets[len] + counts[len] }
            symbols = [Int](repeating: 0, count: lengths.count)
            for (symbol, length) in lengths.enumerated() where length != 0 {
                symbols[offsets[length]] = symbol
                offsets[length] += 1
            }
        }

        func decode(_ reader: inout BitReader) throws(DataError) -> Int {
            var code = 0
            var first = 0
            var index = 0
            for len in 1..<16 {
                code |= try reader.bits(1)
                let count = counts[len]
                if code - count < first { return symbols[index + (code - first)] }
                index += count
                first += count
                first <<= 1
                code <<= 1
            }
            throw DataError()
        }
    }

    static let lengthBase = [
        3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115,
        131, 163, 195, 227, 258,
    ]
    static let lengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    static let distBase = [
        1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
        2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
    ]
    static let distExtra = [
        0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12,
        13, 13,
    ]

    static func inflate(_ reader: inout BitReader, into out: inout [UInt8]) throws(DataError) {
        var last = false
        while !last {
            last = try reader.bits(1) == 1
            switch try reader.bits(2) {
            case 0:
                reader.alignToByte()
                let p = reader.position
                guard p + 4 <= reader.data.count else { throw DataError() }
                let len = Int(reader.data[p]) | Int(reader.data[p + 1]) << 8
                let nlen = Int(reader.data[p + 2]) | Int(reader.data[p + 3]) << 8
                guard len == ~nlen & 0xFFFF, p + 4 + len <= reader.data.count else { throw DataError() }
                out.append(contentsOf: reader.data[(p + 4)..<(p + 4 + len)])
                reader.position = p + 4 + len
            case 1:
                var lengths = [Int](repeating: 8, count: 288)
                for i in 144..<256 { lengths[i] = 9 }
                for i in 256..<280 { lengths[i] = 7 }
                try codes(
                    &reader, &out, try Huffman(lengths: lengths), try Huffman(lengths: [Int](repeating: 5, count: 30)))
            case 2:
                let (lit, dist) = try dynamicTables(&reader)
                try codes(&reader, &out, lit, dist)
            default:
                throw DataError()
            }
        }
    }

    static func dynamicTables(_ reader: inout BitReader) throws(DataError) -> (Huffman, Huffman) {
        let nlen = try reader.bits(5) + 257
        let ndist = try reader.bits(5) + 1
        let ncode = try reader.bits(4) + 4
        guard nlen <= 286, ndist <= 30 else { throw DataError() }
        let order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]
        var codeLengths = [Int](repeating: 0, count: 19)
        for i in 0..<ncode { codeLengths[order[i]] = try reader.bits(3) }
        let codeTable = try Huffman(lengths: codeLengths)
        var lengths: [Int] = []
        while lengths.count < nlen + ndist {
            let symbol = try codeTable.decode(&reader)
            switch symbol {
            case 0..<16:
                lengths.append(symbol)
            case 16:
                guard let previous = lengths.last else { throw DataError() }
                lengths += [Int](repeating: previous, count: 3 + (try reader.bits(2)))
            case 17:
                lengths += [Int](repeating: 0, count: 3 + (try reader.bits(3)))
            default:
                lengths += [Int](repeating: 0, count: 11 + (try reader.bits(7)))
            }
        }
        guard lengths.count == nlen + ndist, lengths[256] != 0 else { throw DataError() }
        return (try Huffman(lengths: Array(lengths[0..<nlen])), try Huffman(lengths: Array(lengths[nlen...])))
    }

    static func codes(_ reader: inout BitReader, _ out: inout [UInt8], _ lit: Huffman, _ dist: Huffman)
        throws(DataError)
    {
        while true {
            let symbol = try lit.decode(&reader)
            if symbol < 256 {
                out.append(UInt8(symbol))
            } else if symbol == 256 {
                return
            } else {
                let index = symbol - 257
                guard index < 29 else { throw DataError() }
                let length = lengthBase[index] + (try reader.bits(lengthExtra[index]))
                let d = try dist.decode(&reader)
                guard d < 30 else { throw DataError() }
                let distance = distBase[d] + (try reader.bits(distExtra[d]))
                guard distance <= out.count else { throw DataError() }
                let start = out.count - distance
                for i in 0..<length { out.append(out[start + i]) }
            }
        }
    }

    public static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    public static func adler32(_ bytes: [UInt8]) -> UInt32 {
        var a: UInt32 = 1
        var b: UInt32 = 0
        for byte in bytes {
            a = (a + UInt32(byte)) % 65521
            b = (b + a) % 65521
        }
        return b << 16 | a
    }
}
