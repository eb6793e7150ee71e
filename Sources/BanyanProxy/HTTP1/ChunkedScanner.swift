import BanyanCore

/// Finds where a chunked body ends (RFC 9112 §7.1) without copying it, and reports where its
/// data lies, for a client that cannot read chunked coding (HTTP/1.0).
///
/// The body is forwarded as received; the scanner only follows it, buffer by buffer as they
/// arrive, so the proxy knows when a request or an answer is complete and the connection free for
/// the next one. It keeps its place between calls to ``scan(_:onData:)``: a size line or CRLF
/// may be split across buffers.
public struct ChunkedScanner: Sendable, Equatable {
    enum State: Sendable, Equatable {
        case size, extensionName, extensionNameEnd, extensionValueStart, extensionToken, extensionQuoted,
            extensionEscape, extensionAfterName, extensionValueEnd, sizeLF, data, dataCR, dataLF, trailerStart,
            trailerName, trailerValue,
            trailerLF, finalLF, done
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
    /// The trailer field name read so far, lower-cased, up to 24 bytes (enough for the framing
    /// and routing fields a trailer may not carry).
    var trailerName = TrailerName()

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
                } else if digits > 0 && byte == semicolon {
                    state = .extensionName
                } else if byte == space || byte == tab {
                    throw Malformed(reason: "whitespace in a chunk size line")
                } else if digits > 0 && byte == cr {
                    state = .sizeLF
                } else if byte == lf {
                    throw Malformed(reason: "a chunk size line does not end with CRLF")
                } else {
                    throw Malformed(reason: "a chunk size is not hexadecimal")
                }
                index += 1
            // chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] ) (RFC 9112 §7.1.1).
            // A sender must not send the whitespace (BWS, RFC 9110 §5.6.3) and Node's parser refuses
            // it, so it is refused here rather than forwarded to be read two ways.
            case .extensionName:
                let byte = p[index]
                if isTokenByte(byte) {
                    state = .extensionNameEnd
                } else {
                    throw Malformed(reason: "a chunk extension without a name")
                }
                index += 1
            case .extensionNameEnd:
                let byte = p[index]
                if isTokenByte(byte) {
                    index += 1
                    continue
                }
                state = .extensionAfterName
            case .extensionAfterName:
                let byte = p[index]
                if byte == UInt8(ascii: "=") {
                    state = .extensionValueStart
                } else if byte == cr {
                    state = .sizeLF
                } else if byte == semicolon {
                    state = .extensionName
                } else {
                    throw Malformed(reason: "an invalid character in a chunk extension")
                }
                index += 1
            case .extensionValueStart:
                let byte = p[index]
                if byte == quote {
                    state = .extensionQuoted
                } else if isTokenByte(byte) {
                    state = .extensionToken
                } else {
                    throw Malformed(reason: "a chunk extension's value is neither a token nor a quoted string")
                }
                index += 1
            case .extensionToken:
                if isTokenByte(p[index]) {
                    index += 1
                } else {
                    state = .extensionValueEnd
                }
            case .extensionQuoted:
                let byte = p[index]
                if byte == quote {
                    state = .extensionValueEnd
                } else if byte == backslash {
                    state = .extensionEscape
                } else if !isQuotedTextByte(byte) {
                    throw Malformed(reason: "a control character in a chunk extension's quoted value")
                }
                index += 1
            case .extensionEscape:
                guard isQuotedTextByte(p[index]) || p[index] == quote || p[index] == backslash else {
                    throw Malformed(reason: "a control character in a chunk extension's quoted value")
                }
                state = .extensionQuoted
                index += 1
            case .extensionValueEnd:
                let byte = p[index]
                if byte == cr {
                    state = .sizeLF
                } else if byte == semicolon {
                    state = .extensionName
                } else {
                    throw Malformed(reason: "an invalid character in a chunk extension")
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
                let byte = p[index]
                if byte == cr {
                    state = .finalLF
                } else if byte == lf {
                    throw Malformed(reason: "a bare LF after the last chunk")
                } else if isTokenByte(byte) {
                    trailerName = TrailerName()
                    trailerName.append(byte)
                    state = .trailerName
                } else {
                    throw Malformed(reason: "a trailer line does not start with a field name")
                }
                index += 1
            case .trailerName:
                let byte = p[index]
                if isTokenByte(byte) {
                    trailerName.append(byte)
                } else if byte == colon {
                    if trailerName.isForbidden {
                        throw Malformed(reason: "a trailer carries Content-Length, Transfer-Encoding or Host")
                    }
                    state = .trailerValue
                } else {
                    throw Malformed(reason: "an invalid character in a trailer field name")
                }
                index += 1
            case .trailerValue:
                let byte = p[index]
                if byte == cr {
                    state = .trailerLF
                } else if byte < space && byte != tab || byte == 0x7F {
                    throw Malformed(reason: "a control character in a trailer field value")
                }
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

/// The start of a trailer field's name, lower-cased, held without allocating.
struct TrailerName: Sendable, Equatable {
    private var bytes: (UInt64, UInt64, UInt64) = (0, 0, 0)
    private var count = 0

    mutating func append(_ byte: UInt8) {
        defer { count += 1 }
        guard count < 24 else { return }
        let value = UInt64(asciiLower(byte)) << UInt64(8 * (count % 8))
        switch count / 8 {
        case 0: bytes.0 |= value
        case 1: bytes.1 |= value
        default: bytes.2 |= value
        }
    }

    static func == (left: TrailerName, right: TrailerName) -> Bool {
        left.count == right.count && left.bytes.0 == right.bytes.0 && left.bytes.1 == right.bytes.1
            && left.bytes.2 == right.bytes.2
    }

    /// Whether it names a field that frames or routes the message, which a trailer may not
    /// carry (RFC 9110 §6.5.1): a recipient that merges trailers into the head would act on it.
    var isForbidden: Bool {
        self == Self.contentLength || self == Self.transferEncoding || self == Self.host
    }

    private static func named(_ name: StaticString) -> TrailerName {
        var result = TrailerName()
        for offset in 0..<name.utf8CodeUnitCount { result.append(name.utf8Start[offset]) }
        return result
    }

    private static let contentLength = named("content-length")
    private static let transferEncoding = named("transfer-encoding")
    private static let host = named("host")
}

/// qdtext of RFC 9110 §5.6.4: TAB, SP, visible characters other than `"` and `\`, and obs-text.
@inline(__always)
private func isQuotedTextByte(_ byte: UInt8) -> Bool {
    byte == tab || byte == space || (byte >= 0x21 && byte != quote && byte != backslash && byte != 0x7F)
}

private let semicolon = UInt8(ascii: ";")
private let quote = UInt8(ascii: "\"")
private let backslash = UInt8(ascii: "\\")

@inline(__always)
private func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
    default: nil
    }
}
