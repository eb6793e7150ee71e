import BanyanCore

/// Why the proxy refused a request before forwarding anything (400, 414, 417, 431, 501 or 505),
/// with a body that says what was wrong.
///
/// The client gets `status` with `reason` as the body and `connection: close`; nothing reaches an
/// upstream.
public struct RequestRejection: Error, Sendable, Equatable, CustomStringConvertible {
    /// The status the client gets: 400 (malformed or ambiguous), 414 (target too long), 417
    /// (an expectation other than 100-continue), 431 (head too large), 501 (a transfer coding
    /// other than chunked) or 505 (an HTTP version other than 1.0 and 1.1).
    public var status: Int
    /// What was wrong, in one sentence the client can act on ("two different Content-Length
    /// values").
    public var reason: String

    /// A rejection with `status` and `reason`.
    public init(status: Int, reason: String) {
        self.status = status
        self.reason = reason
    }

    static func bad(_ reason: String) -> RequestRejection { RequestRejection(status: 400, reason: reason) }

    /// The status and the reason, as `400: a header line is folded (obs-fold, RFC 9112 §5.2)`.
    public var description: String { "\(status): \(reason)" }

    /// The reason phrase of the status line the proxy answers with.
    public var reasonPhrase: String {
        switch status {
        case 414: "URI Too Long"
        case 417: "Expectation Failed"
        case 431: "Request Header Fields Too Large"
        case 501: "Not Implemented"
        case 505: "HTTP Version Not Supported"
        default: "Bad Request"
        }
    }
}

/// The sizes a request head may reach before the proxy refuses it.
public struct HeadLimits: Sendable, Equatable {
    /// The request line and fields together, in bytes (431 beyond): Node's `http.maxHeaderSize`.
    public var headBytes: Int
    /// The request target, in bytes (414 beyond): nginx's `large_client_header_buffers` line size.
    public var targetBytes: Int
    /// Header fields (431 beyond): HAProxy's `tune.http.maxhdr` is 101.
    public var fields: Int

    /// Limits as given; the defaults are 16 KiB of head, an 8 KiB target and 100 fields.
    public init(headBytes: Int = 16_384, targetBytes: Int = 8_192, fields: Int = 100) {
        self.headBytes = headBytes
        self.targetBytes = targetBytes
        self.fields = fields
    }
}

/// The byte ranges of one header field inside the head.
///
/// Offsets count from the first byte of the request line (after any leading empty lines the
/// parser skipped, ``RequestHead/leadingBytes``); `Int32` keeps the ranges of a field in 20 bytes.
public struct HeaderFieldRange: Sendable, Equatable {
    /// The first byte of the line, where the name starts.
    public var lineStart: Int32
    /// The byte after the line's CRLF: the next line starts here.
    public var lineEnd: Int32
    /// The byte after the name: the colon.
    public var nameEnd: Int32
    /// The value without surrounding whitespace: its first byte …
    public var valueStart: Int32
    /// … and the byte after its last one (equal to ``valueStart`` for an empty value).
    public var valueEnd: Int32
    /// What the proxy does with the field.
    public var role: FieldRole

    /// Whether a proxy must not forward it as a plain field (RFC 9110 §7.6.1: Connection and the
    /// fields it names, Keep-Alive, Proxy-Connection, TE, Upgrade); an upgrade request keeps
    /// Connection and Upgrade.
    public var isHopByHop: Bool { role == .hopByHop || role == .connection || role == .upgrade }
}

/// The fields of a request head the proxy treats apart from the rest.
public enum FieldRole: UInt8, Sendable, Equatable {
    /// Forwarded as received.
    case plain
    /// Dropped (Keep-Alive, Proxy-Connection, TE, the fields Connection names).
    case hopByHop
    /// `Connection`: dropped, except on an upgrade request.
    case connection
    /// `Upgrade`: dropped, except on an upgrade request.
    case upgrade
    /// `X-Forwarded-For`: kept, appended to or replaced as `forwarded:` says.
    case forwardedFor
    /// `X-Forwarded-Proto`: kept or replaced as `forwarded:` says.
    case forwardedProto
    /// `X-Forwarded-Host`: kept or replaced as `forwarded:` says.
    case forwardedHost
}

/// The parts of a request head the proxy needs to route, forward and keep framing unambiguous.
///
/// Everything else stays as bytes: fields are kept as ranges into the head and copied to the
/// upstream request unchanged, which is what keeps the data path close to a byte pipe.
public struct RequestHead: Sendable, Equatable {
    /// The method as sent, case kept (`GET`); one Node's parser accepts, or the head is refused.
    public var method: String
    /// The request target as sent (`/users/1?x=2`).
    public var target: String
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    public var minorVersion: Int
    /// The number of bytes from the start of the request line to the end of the empty line.
    public var length: Int
    /// Where the request line ends (after its CRLF); fields start here.
    public var requestLineEnd: Int
    /// Leading empty lines skipped before the request line (RFC 9112 §2.2).
    public var leadingBytes: Int
    /// Every header field in the order received, with what the proxy does with each.
    public var fields: [HeaderFieldRange]
    /// How the request body is delimited: `none`, `length(n)` or `chunked` (a request never runs
    /// until the close).
    public var framing: BodyFraming
    /// Whether the client wants the connection kept open after the response.
    public var keepAlive: Bool
    /// The index of the last X-Forwarded-For field, to which `append` adds the peer's address.
    public var forwardedFor: Int?
    /// The index of the Host field (an HTTP/1.0 request may have none; the upstream request must).
    public var host: Int?
    /// Whether the request asks to switch protocols (HTTP/1.1, `Connection: upgrade` and an
    /// `Upgrade` field that does not offer `h2c`, which RFC 9113 §3.1 retired and the proxy strips).
    public var upgrade: Bool

    /// Whether the request names its Host.
    public var hasHost: Bool { host != nil }

    /// The target without its query string.
    public var path: Substring {
        if let mark = target.firstIndex(of: "?") { return target[..<mark] }
        return target[...]
    }
}

/// Parses request heads strictly: anything a second parser (the upstream's, or a cache's) could
/// read differently is refused with 400, and a head over the limit with 431.
public enum RequestHeadParser {
    /// The result of looking at the bytes received so far.
    public enum Result: Sendable, Equatable {
        /// The head has not ended yet and nothing so far is wrong: read more and parse again.
        case incomplete
        /// A whole head, valid; the body (if any) starts at `leadingBytes + length`.
        case complete(RequestHead)
        /// The head is refused; answer with the rejection and close.
        case rejected(RequestRejection)
    }

    /// Parses one head at the start of `bytes`: the form tests use.
    ///
    /// - Parameters:
    ///   - bytes: what the client sent so far, from the start of a request.
    ///   - limits: the sizes beyond which the head is refused (414 or 431).
    /// - Returns: `incomplete`, `complete` with the head, or `rejected` with the status and reason.
    public static func parse(_ bytes: [UInt8], limits: HeadLimits = HeadLimits()) -> Result {
        bytes.withUnsafeBytes { parse($0, limits: limits) }
    }

    /// Parses one head at the start of `p`, without copying it: the form the data path uses on
    /// the bytes NIO read.
    ///
    /// Up to four empty lines before the request line are skipped (RFC 9112 §2.2). Bytes after the
    /// head are not looked at.
    ///
    /// - Parameters:
    ///   - p: what the client sent so far, from the start of a request.
    ///   - limits: the sizes beyond which the head is refused (414 or 431), even before it is complete.
    /// - Returns: `incomplete` until the empty line ending the head has arrived, `complete` with the
    ///   head, or `rejected` with the status and reason as soon as the bytes cannot start a valid head.
    public static func parse(_ p: UnsafeRawBufferPointer, limits: HeadLimits = HeadLimits()) -> Result {
        let maxHeadBytes = limits.headBytes
        let count = p.count
        var start = 0
        // RFC 9112 §2.2: ignore at least one empty line before the request line.
        while start + 1 < count && p[start] == cr && p[start + 1] == lf && start < 8 { start += 2 }
        var i = start
        // Request line: method SP target SP HTTP-version CRLF.
        let methodStart = i
        while i < count && isTokenByte(p[i]) { i += 1 }
        if i == count { return tooLongOrIncomplete(count - start, maxHeadBytes) }
        if i == methodStart || p[i] != space {
            return .rejected(.bad("the request line is not 'METHOD target HTTP/1.1'"))
        }
        let methodEnd = i
        i += 1
        let targetStart = i
        while i < count && p[i] > space && p[i] < 0x7F && p[i] != hash { i += 1 }
        if i - targetStart > limits.targetBytes {
            return .rejected(
                RequestRejection(status: 414, reason: "the request target exceeds \(limits.targetBytes) bytes"))
        }
        if i == count { return tooLongOrIncomplete(count - start, maxHeadBytes) }
        if p[i] == hash { return .rejected(.bad("the request target holds '#' (a fragment is never sent)")) }
        if p[i] >= 0x80 {
            return .rejected(.bad("the request target holds a byte outside ASCII; percent-encode it (RFC 3986)"))
        }
        if i == targetStart || p[i] != space {
            return .rejected(.bad("the request target is empty or holds a control character or a space"))
        }
        let targetEnd = i
        i += 1
        if count - i < 10 { return tooLongOrIncomplete(count - start, maxHeadBytes) }
        // HTTP-version = "HTTP/" DIGIT "." DIGIT, then CRLF (RFC 9112 §2.3).
        guard matches(p, at: i, "HTTP/"), isDigit(p[i + 5]), p[i + 6] == dot, isDigit(p[i + 7]) else {
            return .rejected(.bad("the request line does not end with HTTP/1.1"))
        }
        if p[i + 8] != cr || p[i + 9] != lf { return .rejected(.bad("the request line does not end with CRLF")) }
        let minor: Int
        switch (p[i + 5], p[i + 7]) {
        case (UInt8(ascii: "1"), UInt8(ascii: "1")): minor = 1
        case (UInt8(ascii: "1"), UInt8(ascii: "0")): minor = 0
        default: return .rejected(RequestRejection(status: 505, reason: "only HTTP/1.0 and HTTP/1.1 are served"))
        }
        i += 10
        let requestLineEnd = i - start

        var fields: [HeaderFieldRange] = []
        fields.reserveCapacity(16)
        var contentLength: Int?
        var chunked = false
        var transferEncoding = false
        var closeRequested = false
        var keepAliveRequested = false
        var hostCount = 0
        var hostIndex: Int?
        var contentLengthCount = 0
        var expectation = false
        var connectionNames: [String] = []
        var forwardedFor: Int?
        var connectionUpgrade = false
        var upgradeField = false
        var offersH2C = false
        while true {
            if i >= count { return tooLongOrIncomplete(count - start, maxHeadBytes) }
            let lineStart = i
            let first = p[i]
            if first == cr {
                if i + 1 >= count { return tooLongOrIncomplete(count - start, maxHeadBytes) }
                if p[i + 1] != lf { return .rejected(.bad("a bare CR in the header section")) }
                i += 2
                break
            }
            if first == lf { return .rejected(.bad("header lines end with a bare LF, not CRLF")) }
            if first == space || first == tab {
                return .rejected(.bad("a header line is folded (obs-fold, RFC 9112 §5.2)"))
            }
            while i < count && isTokenByte(p[i]) { i += 1 }
            if i == count { return tooLongOrIncomplete(count - start, maxHeadBytes) }
            let nameEnd = i
            if nameEnd == lineStart && p[i] == colon { return .rejected(.bad("a header line with an empty name")) }
            if p[i] != colon {
                if p[i] == space || p[i] == tab {
                    return .rejected(.bad("whitespace between a header name and its colon"))
                }
                return .rejected(.bad("an invalid character in a header name"))
            }
            i += 1
            while i < count && (p[i] == space || p[i] == tab) { i += 1 }
            let valueStart = i
            var valueEnd = i
            while i < count {
                let byte = p[i]
                if byte == cr { break }
                if byte == lf { return .rejected(.bad("header lines end with a bare LF, not CRLF")) }
                if byte < space && byte != tab || byte == 0x7F {
                    return .rejected(.bad("an invalid character in a header value"))
                }
                i += 1
                if byte != space && byte != tab { valueEnd = i }
            }
            if i + 1 >= count { return tooLongOrIncomplete(count - start, maxHeadBytes) }
            if p[i + 1] != lf { return .rejected(.bad("a bare CR in a header value")) }
            i += 2
            if i - start > maxHeadBytes { return tooLongOrIncomplete(i - start, maxHeadBytes) }

            if fields.count == limits.fields {
                return .rejected(
                    RequestRejection(status: 431, reason: "more than \(limits.fields) header fields"))
            }
            var role = FieldRole.plain
            let name = UnsafeRawBufferPointer(rebasing: p[lineStart..<nameEnd])
            let value = UnsafeRawBufferPointer(rebasing: p[valueStart..<valueEnd])
            switch name.count {
            case 4 where equalsLower(name, "host"):
                hostCount += 1
                hostIndex = fields.count
                if !isValidHost(value) {
                    return .rejected(.bad("Host is not a host name or address with an optional port"))
                }
            case 14 where equalsLower(name, "content-length"):
                contentLengthCount += 1
                if contentLengthCount > 1 { return .rejected(.bad("more than one Content-Length header")) }
                guard let parsed = parseContentLength(value) else {
                    return .rejected(.bad("Content-Length is not a decimal number"))
                }
                contentLength = parsed
            case 17 where equalsLower(name, "transfer-encoding"):
                if transferEncoding { return .rejected(.bad("more than one Transfer-Encoding header")) }
                transferEncoding = true
                switch codings(value) {
                case .chunked:
                    chunked = true
                case .empty:
                    return .rejected(.bad("Transfer-Encoding is empty"))
                case .chunkedNotLast:
                    return .rejected(.bad("Transfer-Encoding applies chunked before another coding, or twice"))
                case .other:
                    return .rejected(
                        RequestRejection(status: 501, reason: "Transfer-Encoding other than chunked is not supported"))
                }
            case 6 where equalsLower(name, "expect"):
                if expectation {
                    return .rejected(RequestRejection(status: 417, reason: "more than one Expect header"))
                }
                expectation = true
                if !equalsLower(value, "100-continue") {
                    return .rejected(RequestRejection(status: 417, reason: "Expect is not 100-continue"))
                }
            case 10 where equalsLower(name, "connection"):
                role = .connection
                forEachToken(value) { token in
                    if equalsLower(token, "close") {
                        closeRequested = true
                    } else if equalsLower(token, "keep-alive") {
                        keepAliveRequested = true
                    } else if equalsLower(token, "upgrade") {
                        connectionUpgrade = true
                    } else {
                        connectionNames.append(String(decoding: token, as: UTF8.self).lowercased())
                    }
                }
            case 10 where equalsLower(name, "keep-alive"): role = .hopByHop
            case 16 where equalsLower(name, "proxy-connection"): role = .hopByHop
            case 2 where equalsLower(name, "te"): role = .hopByHop
            case 7 where equalsLower(name, "upgrade"):
                role = .upgrade
                upgradeField = true
                forEachToken(value) { token in
                    if equalsLower(token, "h2c") { offersH2C = true }
                }
            case 17 where equalsLower(name, "x-forwarded-proto"): role = .forwardedProto
            case 16 where equalsLower(name, "x-forwarded-host"): role = .forwardedHost
            case 15 where equalsLower(name, "x-forwarded-for"):
                role = .forwardedFor
                forwardedFor = fields.count
            case 4, 14, 17:
                // Some servers read `_` as `-`: `Transfer_Encoding` would frame the body for them.
                if equalsLowerDashed(name, "host") || equalsLowerDashed(name, "content-length")
                    || equalsLowerDashed(name, "transfer-encoding")
                {
                    return .rejected(.bad("a header named like Host, Content-Length or Transfer-Encoding with '_'"))
                }
            default: break
            }
            fields.append(
                HeaderFieldRange(
                    lineStart: Int32(lineStart - start), lineEnd: Int32(i - start), nameEnd: Int32(nameEnd - start),
                    valueStart: Int32(valueStart - start), valueEnd: Int32(valueEnd - start), role: role))
        }
        if i - start > maxHeadBytes { return tooLongOrIncomplete(i - start, maxHeadBytes) }
        if transferEncoding && contentLength != nil {
            return .rejected(.bad("both Content-Length and Transfer-Encoding (the framing is ambiguous)"))
        }
        if transferEncoding && minor == 0 { return .rejected(.bad("Transfer-Encoding in an HTTP/1.0 request")) }
        if hostCount > 1 { return .rejected(.bad("more than one Host header")) }
        if hostCount == 0 && minor == 1 { return .rejected(.bad("an HTTP/1.1 request without a Host header")) }
        let target = UnsafeRawBufferPointer(rebasing: p[targetStart..<targetEnd])
        let method = String(decoding: UnsafeRawBufferPointer(rebasing: p[methodStart..<methodEnd]), as: UTF8.self)
        if let problem = targetProblem(
            target, method: method,
            host: hostIndex.map { index in
                UnsafeRawBufferPointer(
                    rebasing: p[(start + Int(fields[index].valueStart))..<(start + Int(fields[index].valueEnd))])
            })
        {
            return .rejected(.bad(problem))
        }
        if !connectionNames.isEmpty {
            // Fields the Connection header names are hop-by-hop too (RFC 9110 §7.6.1).
            for index in fields.indices where !fields[index].isHopByHop {
                let field = fields[index]
                let fieldName = UnsafeRawBufferPointer(
                    rebasing: p[(start + Int(field.lineStart))..<(start + Int(field.nameEnd))])
                if connectionNames.contains(where: { equalsLowerString(fieldName, $0) }) {
                    fields[index].role = .hopByHop
                    if forwardedFor == index { forwardedFor = fields[..<index].lastIndex { $0.role == .forwardedFor } }
                }
            }
        }
        let framing: BodyFraming =
            chunked ? .chunked : (contentLength.map { $0 == 0 ? BodyFraming.none : .length($0) } ?? .none)
        let keepAlive = minor == 1 ? !closeRequested : (keepAliveRequested && !closeRequested)
        guard knownMethods.contains(method) else {
            return .rejected(.bad("unknown method '\(method)' (Node's HTTP parser refuses it too)"))
        }
        return .complete(
            RequestHead(
                method: method,
                target: String(decoding: target, as: UTF8.self),
                minorVersion: minor, length: i - start, requestLineEnd: requestLineEnd, leadingBytes: start,
                fields: fields, framing: framing, keepAlive: keepAlive, forwardedFor: forwardedFor, host: hostIndex,
                upgrade: minor == 1 && connectionUpgrade && upgradeField && !offersH2C))
    }

    private static func tooLongOrIncomplete(_ received: Int, _ limit: Int) -> Result {
        received > limit
            ? .rejected(
                RequestRejection(status: 431, reason: "the request line and headers exceed \(limit / 1024) KiB"))
            : .incomplete
    }

    /// Content-Length = 1*DIGIT (RFC 9110 §8.6), surrounding whitespace already trimmed; no list,
    /// sign, space or other character inside, and at most 15 digits.
    private static func parseContentLength(_ value: UnsafeRawBufferPointer) -> Int? {
        guard !value.isEmpty, value.count <= 15 else { return nil }
        var result = 0
        for byte in value {
            guard isDigit(byte) else { return nil }
            result = result * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return result
    }

    private enum Codings { case chunked, empty, chunkedNotLast, other }

    /// What a Transfer-Encoding value asks for: the proxy forwards exactly `chunked` and nothing
    /// else, as nginx does (other codings get 501, RFC 9112 §6.1).
    private static func codings(_ value: UnsafeRawBufferPointer) -> Codings {
        var count = 0
        var chunkedAt: Int?
        var valid = true
        forEachToken(value) { token in
            count += 1
            if equalsLower(token, "chunked") {
                if chunkedAt != nil { valid = false }
                chunkedAt = count
            }
        }
        if count == 0 { return .empty }
        if !valid || (chunkedAt != nil && chunkedAt != count) { return .chunkedNotLast }
        return count == 1 && chunkedAt == 1 ? .chunked : .other
    }

    /// Host = uri-host [ ":" port ] (RFC 9112 §3.2): a name of letters, digits, `-`, `.`, `_`,
    /// `~` and `%`, or a bracketed IPv6 literal, then an optional decimal port. User info, a
    /// path, a list or whitespace inside is refused: two parsers could take a different host
    /// from it. An empty value is allowed (a target without an authority).
    static func isValidHost(_ value: UnsafeRawBufferPointer) -> Bool {
        var index = 0
        let count = value.count
        if count == 0 { return true }
        if value[0] == UInt8(ascii: "[") {
            while index < count && value[index] != UInt8(ascii: "]") {
                let byte = value[index]
                if index > 0 && !(isHexDigit(byte) || byte == colon || byte == dot) { return false }
                index += 1
            }
            guard index < count else { return false }
            index += 1
        } else {
            while index < count && value[index] != colon {
                let byte = value[index]
                guard
                    isAlphanumeric(byte) || byte == UInt8(ascii: "-") || byte == dot || byte == UInt8(ascii: "_")
                        || byte == UInt8(ascii: "~") || byte == UInt8(ascii: "%")
                else { return false }
                index += 1
            }
            if index == 0 { return false }
        }
        if index == count { return true }
        guard value[index] == colon else { return false }
        index += 1
        guard count - index <= 5 else { return false }
        while index < count {
            guard isDigit(value[index]) else { return false }
            index += 1
        }
        return true
    }

    /// What is wrong with a request target, if anything (RFC 9112 §3.2): origin-form (`/path?q`),
    /// absolute-form (`http://host/path`, whose authority must agree with Host), or `*` for
    /// OPTIONS. Authority-form (CONNECT) is not served.
    static func targetProblem(_ target: UnsafeRawBufferPointer, method: String, host: UnsafeRawBufferPointer?)
        -> String?
    {
        if target[0] == UInt8(ascii: "/") { return nil }
        if target.count == 1 && target[0] == UInt8(ascii: "*") {
            return method == "OPTIONS" ? nil : "the request target '*' is for OPTIONS only"
        }
        let schemeLength: Int
        if target.count > 7 && equalsLower(UnsafeRawBufferPointer(rebasing: target[0..<7]), "http://") {
            schemeLength = 7
        } else if target.count > 8 && equalsLower(UnsafeRawBufferPointer(rebasing: target[0..<8]), "https://") {
            schemeLength = 8
        } else {
            return "the request target is not a path ('/…') or an absolute http URL"
        }
        var end = schemeLength
        while end < target.count && target[end] != UInt8(ascii: "/") && target[end] != UInt8(ascii: "?") { end += 1 }
        let authority = UnsafeRawBufferPointer(rebasing: target[schemeLength..<end])
        guard !authority.isEmpty, isValidHost(authority) else {
            return "the authority of the absolute request target is not a host with an optional port"
        }
        guard let host else { return nil }
        guard authority.count == host.count,
            zip(authority, host).allSatisfy({ asciiLower($0) == asciiLower($1) })
        else { return "the absolute request target names another host than the Host header" }
        return nil
    }
}

@inline(__always)
func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

@inline(__always)
func isHexDigit(_ byte: UInt8) -> Bool {
    isDigit(byte) || (asciiLower(byte) >= UInt8(ascii: "a") && asciiLower(byte) <= UInt8(ascii: "f"))
}

@inline(__always)
func isAlphanumeric(_ byte: UInt8) -> Bool {
    isDigit(byte) || (asciiLower(byte) >= UInt8(ascii: "a") && asciiLower(byte) <= UInt8(ascii: "z"))
}

/// The methods Node's HTTP parser accepts (`http.METHODS` of Node 20).
private let knownMethods: Set<String> = Route.knownMethods.subtracting(["ALL"])

let cr: UInt8 = 13
let lf: UInt8 = 10
let space: UInt8 = 32
let tab: UInt8 = 9
let colon: UInt8 = 58
let colon8: UInt8 = 58
let comma: UInt8 = 44
let dot: UInt8 = 46
let hash: UInt8 = 35

/// RFC 9110 tchar: the characters of a token (method, header name).
@inline(__always)
func isTokenByte(_ byte: UInt8) -> Bool {
    tokenTable[Int(byte)]
}

private let tokenTable: [Bool] = (0..<256).map { value in
    let byte = UInt8(value)
    switch byte {
    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
        UInt8(ascii: "0")...UInt8(ascii: "9"):
        return true
    default:
        return "!#$%&'*+-.^_`|~".utf8.contains(byte)
    }
}

@inline(__always)
func matches(_ p: UnsafeRawBufferPointer, at index: Int, _ literal: StaticString) -> Bool {
    let length = literal.utf8CodeUnitCount
    guard index + length <= p.count else { return false }
    let base = literal.utf8Start
    for offset in 0..<length where p[index + offset] != base[offset] { return false }
    return true
}

func equalsLowerString(_ bytes: UnsafeRawBufferPointer, _ lower: String) -> Bool {
    var utf8 = lower.utf8.makeIterator()
    for byte in bytes {
        guard let other = utf8.next(), asciiLower(byte) == other else { return false }
    }
    return utf8.next() == nil
}

/// Whether `bytes` equals `lower` (given in lower case) ignoring ASCII case, with `_` read as `-`.
private func equalsLowerDashed(_ bytes: UnsafeRawBufferPointer, _ lower: StaticString) -> Bool {
    let length = lower.utf8CodeUnitCount
    guard bytes.count == length else { return false }
    let base = lower.utf8Start
    for offset in 0..<length {
        let byte = bytes[offset] == UInt8(ascii: "_") ? UInt8(ascii: "-") : asciiLower(bytes[offset])
        if byte != base[offset] { return false }
    }
    return true
}
