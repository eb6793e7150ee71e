/// Finds where a chunked body ends (RFC 9112 §7.1) without copying it, and reports where its
/// data lies, for a client that cannot read chunked coding (HTTP/1.0).
///
/// The body is forwarded as received; the scanner only follows it, buffer by buffer as they
/// arrive, so the proxy knows when a request or an answer is complete and the connection free for
/// the next one. It keeps its place between calls to ``scan(_:onData:)``: a size line or CRLF
/// may be split across buffers.
public struct ChunkedScanner: Sendable, Equatable {
    enum State: Sendable, Equatable {
        case size, extensions, sizeLF, data, dataCR, dataLF, trailerStart, trailer, trailerLF, finalLF, done
    }

    /// Why a chunked body was refused.
    public struct Malformed: Error, Sendable, Equatable {
        /// What was wrong, in words for the client's 400 or the log ("a chunk size is not
        /// hexadecimal").
        public var reason: String
    }

    var state = State.size
    var remaining: UInt64 = 0
    var digits = 0

    /// A scanner at the start of a body: it expects the first chunk's size line.
    public init() {}

    /// Whether the last chunk and the trailer section have been seen.
    public var isComplete: Bool { state == .done }

    /// Scans `p`; returns how many bytes belong to the body (all of them unless it ends inside).
    /// `onData` receives the ranges of chunk data, in order.
    ///
    /// - Parameters:
    ///   - p: the next bytes of the body, following those scanned before.
    ///   - onData: called with each range of `p` that is chunk data (no sizes, extensions, CRLFs
    ///     or trailers), in order; a chunk split across buffers gives one range per buffer.
    /// - Returns: how many bytes of `p` belong to the body; fewer than `p.count` only when the body
    ///   ended inside `p` (``isComplete`` is then true) and the rest is the next message.
    /// - Throws: ``Malformed`` when the bytes are not chunked coding (a size that is not
    ///   hexadecimal or has more than 15 digits, data longer than its size, a bare LF where CRLF
    ///   belongs); the scanner is then of no further use.
    public mutating func scan(
        _ p: UnsafeRawBufferPointer,
        onData: (Range<Int>) -> Void = { _ in }
    ) throws(Malformed) -> Int {
        var index = 0
        let count = p.count
        while index < count {
            switch state {
            case .size:
                let byte = p[index]
                if let value = hexValue(byte) {
                    guard digits < 15 else { throw Malformed(reason: "a chunk size is too large") }
                    remaining = remaining << 4 | UInt64(value)
                    digits += 1
                } else if digits > 0 && (byte == UInt8(ascii: ";") || byte == space || byte == tab) {
                    state = .extensions
                } else if digits > 0 && byte == cr {
                    state = .sizeLF
                } else if byte == lf {
                    throw Malformed(reason: "a chunk size line does not end with CRLF")
                } else {
                    throw Malformed(reason: "a chunk size is not hexadecimal")
                }
                index += 1
            case .extensions:
                let byte = p[index]
                if byte == cr {
                    state = .sizeLF
                } else if byte == lf || byte == 0 {
                    throw Malformed(reason: "a bare LF in a chunk extension")
                }
                index += 1
            case .sizeLF:
                guard p[index] == lf else { throw Malformed(reason: "a chunk size line does not end with CRLF") }
                index += 1
                state = remaining == 0 ? .trailerStart : .data
            case .data:
                let take = Int(min(UInt64(count - index), remaining))
                onData(index..<(index + take))
                index += take
                remaining -= UInt64(take)
                if remaining == 0 { state = .dataCR }
            case .dataCR:
                guard p[index] == cr else { throw Malformed(reason: "chunk data is longer than its size") }
                index += 1
                state = .dataLF
            case .dataLF:
                guard p[index] == lf else { throw Malformed(reason: "chunk data does not end with CRLF") }
                index += 1
                state = .size
                digits = 0
            case .trailerStart:
                if p[index] == cr {
                    state = .finalLF
                } else if p[index] == lf {
                    throw Malformed(reason: "a bare LF after the last chunk")
                } else {
                    state = .trailer
                }
                index += 1
            case .trailer:
                if p[index] == cr { state = .trailerLF } else if p[index] == lf { throw Malformed(reason: "a bare LF") }
                index += 1
            case .trailerLF:
                guard p[index] == lf else { throw Malformed(reason: "a trailer line does not end with CRLF") }
                index += 1
                state = .trailerStart
            case .finalLF:
                guard p[index] == lf else { throw Malformed(reason: "the chunked body does not end with CRLF") }
                index += 1
                state = .done
                return index
            case .done:
                return index
            }
        }
        return index
    }
}

@inline(__always)
private func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
    default: nil
    }
}
