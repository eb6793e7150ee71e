import BanyanCore

/// The parts of an upstream response head the proxy needs: the status, how the body is
/// delimited, whether the upstream connection stays open, and which lines to pass on.
///
/// Byte offsets count from the first byte of the status line.
public struct ResponseHead: Sendable, Equatable {
    /// The three-digit status code (`200`, `101`, `304`).
    public var status: Int
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    public var minorVersion: Int
    /// Bytes from the status line to the end of the empty line.
    public var length: Int
    /// Where the status line ends (after its CRLF).
    public var statusLineEnd: Int
    /// The header lines to pass on, as byte ranges (hop-by-hop fields left out, except
    /// Connection and Keep-Alive, which tell the client what the upstream does with its
    /// connection, and on a 101 Upgrade).
    public var keptLines: [Range<Int>]
    /// The Connection and Keep-Alive lines among `keptLines` (the first of each), left out when the
    /// proxy closes a connection the upstream keeps open (it then says `connection: close` itself).
    /// Two optionals rather than an array: no allocation per response.
    public var connectionLine: Range<Int>?
    /// The first Keep-Alive line among `keptLines`, left out with ``connectionLine``; nil when
    /// there is none, and on a 101.
    public var keepAliveLine: Range<Int>?
    /// Whether Connection said `close`.
    public var saysClose = false
    /// Whether Connection said `keep-alive`.
    public var saysKeepAlive = false
    /// How the body is delimited: `none` for a HEAD answer, 1xx, 204 and 304 whatever the fields
    /// say; `chunked`; `length(n)`; or `untilClose` when the answer gives neither.
    public var framing: BodyFraming
    /// Whether the upstream connection may carry another request after this response.
    public var reusable: Bool

    /// Whether this is an interim (1xx) response other than 101; the final one follows it.
    public var isInterim: Bool { status >= 100 && status < 200 && status != 101 }
}

/// Parses upstream response heads. The line syntax is RFC 9112's (BanyanCore's
/// `ResponseHeadScanner`: token field names, no control byte but HTAB in a value or the reason
/// phrase, CR only before LF), bare LF line ends aside, and framing is decided exactly as RFC 9112
/// §6.3 says (`ResponseFraming`), so that a broken upstream cannot desynchronise a pooled
/// connection or the client. What it adds: the lines to pass on, hop-by-hop fields left out, and
/// the two framing repairs RFC 9110 and 9112 allow, each passed on in a form every parser reads the
/// same way: a Content-Length repeated with the same value goes on once, and one given beside
/// Transfer-Encoding does not go on at all.
public enum ResponseHeadParser {
    /// The result of looking at the bytes received so far.
    public enum Result: Sendable, Equatable {
        /// The head has not ended yet: read more and parse again.
        case incomplete
        /// A whole head; the body starts at its ``ResponseHead/length``.
        case complete(ResponseHead)
        /// The head cannot be read as HTTP/1.x (no `HTTP/1.x` status line, a field without a
        /// colon, a field name that is not a token, a control byte in a field value or the reason
        /// phrase, a CR not followed by LF, two different Content-Length values) or exceeds
        /// ``maxHeadBytes``; the reason says which. The proxy treats it as a reset before an answer: a fallback where the route
        /// allows one, a 502 otherwise.
        case invalid(String)
    }

    /// The largest response head accepted, status line and fields together: 64 KiB.
    public static let maxHeadBytes = 65_536

    /// Parses one response head at the start of `bytes`: the form tests use.
    ///
    /// - Parameters:
    ///   - bytes: what the upstream sent so far, from the start of a response.
    ///   - requestMethod: the method of the request it answers; an answer to `HEAD` has no body.
    /// - Returns: `incomplete`, `complete` with the head, or `invalid` with the reason.
    public static func parse(_ bytes: [UInt8], requestMethod: String) -> Result {
        bytes.withUnsafeBytes { parse($0, isHead: requestMethod == "HEAD") }
    }

    /// Parses one response head at the start of `p`, without copying it: the form the data path
    /// uses on the bytes NIO read.
    ///
    /// Bare LF line ends are accepted: the upstream is trusted to speak HTTP.
    ///
    /// - Parameters:
    ///   - p: what the upstream sent so far, from the start of a response.
    ///   - isHead: whether the request was `HEAD`, whose answer has no body whatever its fields say.
    /// - Returns: `incomplete`, `complete` with the head, or `invalid` with the reason.
    public static func parse(_ p: UnsafeRawBufferPointer, isHead: Bool) -> Result {
        let count = p.count
        var framing: ResponseFraming
        var i: Int
        switch ResponseHeadScanner.statusLine(p) {
        case .incomplete: return count > maxHeadBytes ? .invalid("the upstream head exceeds 64 KiB") : .incomplete
        case .invalid(let problem): return .invalid(describe(problem))
        case .valid(let minor, let status, _, let next):
            framing = ResponseFraming(status: status, minorVersion: minor)
            i = next
        }
        let status = framing.status
        let statusLineEnd = i
        var kept: [Range<Int>] = []
        kept.reserveCapacity(16)
        var connectionLine: Range<Int>?
        var keepAliveLine: Range<Int>?
        var connectionNames: [(Int, Int)] = []
        var contentLengthKept = false
        fields: while true {
            let lineStart = i
            let nameRange: Range<Int>
            let valueRange: Range<Int>
            switch ResponseHeadScanner.line(p, at: i) {
            case .incomplete: return count > maxHeadBytes ? .invalid("the upstream head exceeds 64 KiB") : .incomplete
            case .invalid(let problem): return .invalid(describe(problem))
            case .end(let next):
                i = next
                break fields
            case .field(let name, let value, let next):
                nameRange = name
                valueRange = value
                i = next
            }
            let name = UnsafeRawBufferPointer(rebasing: p[nameRange])
            let value = UnsafeRawBufferPointer(rebasing: p[valueRange])
            var hopByHop = false
            var repeatedLength = false
            do {
                switch try framing.note(name: name, value: value) {
                case .connection:
                    forEachToken(value) { token in
                        guard !equalsLower(token, "close") && !equalsLower(token, "keep-alive") else { return }
                        let base = token.baseAddress! - p.baseAddress!
                        connectionNames.append((base, base + token.count))
                    }
                    if connectionLine == nil && status != 101 { connectionLine = lineStart..<i }
                case .contentLength:
                    // The same value again (a different one is refused): RFC 9110 §8.6 lets a
                    // recipient keep one, and one is what a strict client reads without doubt.
                    repeatedLength = contentLengthKept
                    contentLengthKept = true
                // Transfer-Encoding is re-sent as received: the body is forwarded in its coding.
                case .transferEncoding: break
                case .other:
                    switch name.count {
                    case 10 where equalsLower(name, "keep-alive"):
                        if keepAliveLine == nil && status != 101 { keepAliveLine = lineStart..<i }
                    case 16 where equalsLower(name, "proxy-connection"): hopByHop = true
                    case 7 where equalsLower(name, "upgrade"): hopByHop = true
                    case 2 where equalsLower(name, "te"): hopByHop = true
                    default: break
                    }
                }
            } catch {
                return .invalid(describe(error))
            }
            // A 101 passes its Connection and Upgrade on: they tell the client what it switched to.
            if !repeatedLength && (!hopByHop || status == 101) { kept.append(lineStart..<i) }
        }
        if !connectionNames.isEmpty && status != 101 {
            // Fields that Connection names are hop-by-hop too (they may come before it).
            kept.removeAll { line in
                var nameEnd = line.lowerBound
                while p[nameEnd] != colon { nameEnd += 1 }
                let name = UnsafeRawBufferPointer(rebasing: p[line.lowerBound..<nameEnd])
                return connectionNames.contains { range in
                    equalsLowerBytes(name, UnsafeRawBufferPointer(rebasing: p[range.0..<range.1]))
                }
            }
        }
        if (framing.chunked || framing.unchunkedCoding) && framing.contentLength != nil {
            // Both framing fields: Transfer-Encoding wins (chunked, or the body runs to the close),
            // and an intermediary must not pass the Content-Length on (RFC 9112 §6.3), or a client
            // could frame the body by it.
            kept.removeAll { line in
                var nameEnd = line.lowerBound
                while p[nameEnd] != colon { nameEnd += 1 }
                return equalsLower(UnsafeRawBufferPointer(rebasing: p[line.lowerBound..<nameEnd]), "content-length")
            }
        }
        let bodyFraming = framing.framing(requestIsHead: isHead)
        return .complete(
            ResponseHead(
                status: status, minorVersion: framing.minorVersion, length: i, statusLineEnd: statusLineEnd,
                keptLines: kept, connectionLine: connectionLine, keepAliveLine: keepAliveLine,
                saysClose: framing.saysClose, saysKeepAlive: framing.saysKeepAlive, framing: bodyFraming,
                reusable: !framing.closes(after: bodyFraming)))
    }

    /// The problem in the words the proxy logs and answers with.
    static func describe(_ problem: ResponseHeadProblem) -> String {
        switch problem {
        case .notHTTP1: "the upstream answer does not start with HTTP/1.x"
        case .statusNotThreeDigits: "the upstream status is not three digits"
        case .fieldWithoutColon: "an upstream header line without a colon"
        case .obsoleteFolding: "an upstream header line folded onto the next (obsolete line folding)"
        case .bareCR: "a CR not followed by LF in the upstream head"
        case .fieldNameNotToken(let byte):
            "an upstream header field name holds a byte that is not a token character (\(hexByte(byte)))"
        case .controlInValue(let byte): "an upstream header field value holds a control byte (\(hexByte(byte)))"
        case .controlInReason(let byte): "the upstream reason phrase holds a control byte (\(hexByte(byte)))"
        case .contentLengthNotANumber: "the upstream Content-Length is not a number"
        case .conflictingContentLengths: "the upstream sent two different Content-Length values"
        }
    }

    /// `0x0A` for 10: a byte as the reasons name it.
    static func hexByte(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        return "0x" + String(decoding: [digits[Int(byte >> 4)], digits[Int(byte & 15)]], as: UTF8.self)
    }
}

func equalsLowerBytes(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
    guard a.count == b.count else { return false }
    for index in 0..<a.count where asciiLower(a[index]) != asciiLower(b[index]) { return false }
    return true
}
