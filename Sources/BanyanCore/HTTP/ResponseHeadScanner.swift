/// What can be wrong in a response head, as ``ResponseHeadScanner`` and ``ResponseFraming`` find
/// it; each reader words it for its own users.
public enum ResponseHeadProblem: Error, Sendable, Hashable {
    /// The answer does not start with `HTTP/1.0 ` or `HTTP/1.1 `.
    case notHTTP1
    /// The status is not three digits.
    case statusNotThreeDigits
    /// A header line with no colon, or with nothing before it.
    case fieldWithoutColon
    /// A header line that starts with a space or a tab (obsolete line folding).
    case obsoleteFolding
    /// A CR that is not immediately followed by LF.
    case bareCR
    /// A field name with a byte that is not an RFC 9110 token character (the byte).
    case fieldNameNotToken(UInt8)
    /// A control byte other than HTAB in a field value (the byte).
    case controlInValue(UInt8)
    /// A control byte other than HTAB in the reason phrase (the byte).
    case controlInReason(UInt8)
    /// A Content-Length that is not a number.
    case contentLengthNotANumber
    /// Two Content-Length fields with different values.
    case conflictingContentLengths
}

/// Reads an HTTP/1.x response head in place, a line at a time, without allocating: the status
/// line, then each header field as byte ranges, then the empty line. A line ends at LF, with or
/// without CR before it; a value has its surrounding spaces and tabs removed.
///
/// The line syntax is RFC 9112's, so that a head every strict parser reads the same way is the
/// only kind that gets through: a field name is a token, a field value and the reason phrase hold
/// no control byte but HTAB (obs-text, 0x80–0xFF, is allowed), and a CR is allowed only right
/// before the LF that ends a line. A bare LF line end is accepted.
///
/// The proxy's `ResponseHeadParser`, the bench's `ResponseFramer` and ``HTTPResponseParser`` all
/// read heads with it and decide framing with ``ResponseFraming``; they differ only in what they
/// keep.
public enum ResponseHeadScanner {
    /// What the status line holds.
    public enum StatusLine: Sendable, Equatable {
        /// The line has not ended yet.
        case incomplete
        case invalid(ResponseHeadProblem)
        /// `HTTP/1.minorVersion status reason`; the first header line starts at `next`.
        case valid(minorVersion: Int, status: Int, reason: Range<Int>, next: Int)
    }

    /// One line after the status line.
    public enum Line: Sendable, Equatable {
        /// The line has not ended yet.
        case incomplete
        case invalid(ResponseHeadProblem)
        /// A header field; the next line starts at `next`.
        case field(name: Range<Int>, value: Range<Int>, next: Int)
        /// The empty line that ends the head; the body starts at `next`.
        case end(next: Int)
    }

    /// Reads the status line at the start of `p`.
    @inlinable
    public static func statusLine(_ p: UnsafeRawBufferPointer) -> StatusLine {
        let count = p.count
        var lineEnd = 0
        while lineEnd < count && p[lineEnd] != 10 { lineEnd += 1 }
        // "HTTP/1.1 200" is 12 bytes; a shorter line is not a status line once it has ended.
        if count < 12 { return lineEnd < count ? .invalid(.notHTTP1) : .incomplete }
        guard isHTTP1(p), p[7] == 48 || p[7] == 49, p[8] == 32 else { return .invalid(.notHTTP1) }
        var status = 0
        for offset in 9..<12 {
            let byte = p[offset]
            guard byte >= 48 && byte <= 57 else { return .invalid(.statusNotThreeDigits) }
            status = status * 10 + Int(byte - 48)
        }
        if count > 12 && p[12] != 32 && p[12] != 13 && p[12] != 10 { return .invalid(.statusNotThreeDigits) }
        // The reason phrase: HTAB, SP, VCHAR and obs-text; a CR only right before the LF.
        var index = 12
        while index < lineEnd {
            let byte = p[index]
            if !isFieldContent(byte) {
                if byte == 13 {
                    if index + 1 == lineEnd { break }
                    return .invalid(.bareCR)
                }
                return .invalid(.controlInReason(byte))
            }
            index += 1
        }
        guard lineEnd < count else { return .incomplete }
        var reasonEnd = lineEnd
        if reasonEnd > 12 && p[reasonEnd - 1] == 13 { reasonEnd -= 1 }
        let reasonStart = Swift.min(13, reasonEnd)
        return .valid(
            minorVersion: Int(p[7] - 48), status: status, reason: reasonStart..<reasonEnd, next: lineEnd + 1)
    }

    /// Whether `byte` is an RFC 9110 tchar: two 64-bit masks, one bit for each ASCII byte.
    @inlinable
    public static func isTokenCharacter(_ byte: UInt8) -> Bool {
        // !#$%&'*+-. 0-9 in the low half; A-Z ^_` a-z |~ in the high half.
        byte < 64
            ? (0x03FF_6CFA_0000_0000 as UInt64) >> UInt64(byte) & 1 == 1
            : byte < 128 && (0x57FF_FFFF_C7FF_FFFE as UInt64) >> UInt64(byte &- 64) & 1 == 1
    }

    /// Whether `byte` may appear in a field value or the reason phrase: HTAB, SP, VCHAR and
    /// obs-text, that is anything but the other control bytes and DEL.
    @inlinable
    public static func isFieldContent(_ byte: UInt8) -> Bool {
        (byte >= 32 && byte != 127) || byte == 9
    }

    @inlinable
    static func isHTTP1(_ p: UnsafeRawBufferPointer) -> Bool {
        p[0] == 72 && p[1] == 84 && p[2] == 84 && p[3] == 80 && p[4] == 47 && p[5] == 49 && p[6] == 46  // "HTTP/1."
    }

    /// Reads the line that starts at `start`: a header field or the empty line.
    @inlinable
    public static func line(_ p: UnsafeRawBufferPointer, at start: Int) -> Line {
        let count = p.count
        var i = start
        guard i < count else { return .incomplete }
        switch p[i] {
        case 10: return .end(next: i + 1)
        case 13:
            guard i + 1 < count else { return .incomplete }
            return p[i + 1] == 10 ? .end(next: i + 2) : .invalid(.bareCR)
        case 32, 9: return .invalid(.obsoleteFolding)
        default: break
        }
        while i < count && isTokenCharacter(p[i]) { i += 1 }
        guard i < count else { return .incomplete }
        switch p[i] {
        case 58: guard i > start else { return .invalid(.fieldWithoutColon) }
        case 10: return .invalid(.fieldWithoutColon)
        case 13:
            guard i + 1 < count else { return .incomplete }
            return .invalid(p[i + 1] == 10 ? .fieldWithoutColon : .bareCR)
        default:
            // A line with no colon at all is named for that, not for its first odd byte.
            let odd = p[i]
            while i < count && p[i] != 58 && p[i] != 10 { i += 1 }
            return .invalid(i < count && p[i] == 10 ? .fieldWithoutColon : .fieldNameNotToken(odd))
        }
        let nameEnd = i
        i += 1
        while i < count && (p[i] == 32 || p[i] == 9) { i += 1 }
        let valueStart = i
        while i < count && isFieldContent(p[i]) { i += 1 }
        guard i < count else { return .incomplete }
        var valueEnd = i
        switch p[i] {
        case 10: break
        case 13:
            guard i + 1 < count else { return .incomplete }
            guard p[i + 1] == 10 else { return .invalid(.bareCR) }
            i += 1
        default: return .invalid(.controlInValue(p[i]))
        }
        while valueEnd > valueStart && (p[valueEnd - 1] == 32 || p[valueEnd - 1] == 9) { valueEnd -= 1 }
        return .field(name: start..<nameEnd, value: valueStart..<valueEnd, next: i + 1)
    }
}

/// The fields of a response head that decide how its body is delimited and whether the
/// connection stays open after it (RFC 9112 §6.3 and §9.3), noted one field at a time.
public struct ResponseFraming: Sendable, Equatable {
    /// The status code of the status line (200, 101, 304, …).
    public let status: Int
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    public let minorVersion: Int
    /// The Content-Length value, once one was read; nil when the head has none.
    public var contentLength: Int?
    /// Whether Transfer-Encoding ends with `chunked` (the last coding of its last field).
    public var chunked = false
    /// Whether a Transfer-Encoding field ended with another coding (or none): without `chunked`
    /// last, the body runs to the close, whatever Content-Length says.
    public var unchunkedCoding = false
    /// Whether Connection says `close`.
    public var saysClose = false
    /// Whether Connection says `keep-alive`.
    public var saysKeepAlive = false

    /// Which of the framing fields a field is.
    public enum Field: Sendable, Equatable {
        case contentLength, transferEncoding, connection, other
    }

    /// The framing of a head with this status line and, so far, no fields.
    public init(status: Int, minorVersion: Int) {
        self.status = status
        self.minorVersion = minorVersion
    }

    /// Whether this is an interim answer (1xx other than 101): the final one follows it.
    public var isInterim: Bool { status >= 100 && status < 200 && status != 101 }

    /// Notes one header field, returning which framing field it is.
    @inlinable
    public mutating func note(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) throws(ResponseHeadProblem)
        -> Field
    {
        switch name.count {
        case 14 where equalsLower(name, "content-length"):
            var parsed = 0
            for byte in value {
                guard byte >= 48 && byte <= 57, parsed < 1 << 50 else { throw .contentLengthNotANumber }
                parsed = parsed * 10 + Int(byte - 48)
            }
            if let contentLength, contentLength != parsed { throw .conflictingContentLengths }
            contentLength = parsed
            return .contentLength
        case 17 where equalsLower(name, "transfer-encoding"):
            var last: UnsafeRawBufferPointer?
            forEachToken(value) { last = $0 }
            // Several fields are one list: the last field's last coding is the final one.
            chunked = last.map { equalsLower($0, "chunked") } ?? false
            if !chunked { unchunkedCoding = true }
            return .transferEncoding
        case 10 where equalsLower(name, "connection"):
            forEachToken(value) { token in
                if equalsLower(token, "close") {
                    saysClose = true
                } else if equalsLower(token, "keep-alive") {
                    saysKeepAlive = true
                }
            }
            return .connection
        default:
            return .other
        }
    }

    /// How the body is delimited (RFC 9112 §6.3): no body for an answer to HEAD, a 1xx, a 204 or
    /// a 304; then chunked; then, with a Transfer-Encoding that does not end with chunked,
    /// everything until the connection closes (Transfer-Encoding overrides Content-Length); then
    /// Content-Length, and otherwise everything until the connection closes.
    @inlinable
    public func framing(requestIsHead: Bool) -> BodyFraming {
        if requestIsHead || (status >= 100 && status < 200) || status == 204 || status == 304 { return .none }
        if chunked { return .chunked }
        if unchunkedCoding { return .untilClose }
        if let contentLength { return contentLength == 0 ? .none : .length(contentLength) }
        return .untilClose
    }

    /// Whether the connection closes after a body delimited by `framing`: when the body runs to
    /// the close, Connection says `close`, a coding other than chunked is used, chunking and a
    /// length are both given, or HTTP/1.0 does not say `keep-alive`.
    @inlinable
    public func closes(after framing: BodyFraming) -> Bool {
        if framing == .untilClose || saysClose || unchunkedCoding { return true }
        if framing == .chunked && contentLength != nil { return true }
        return minorVersion == 0 && !saysKeepAlive
    }
}
