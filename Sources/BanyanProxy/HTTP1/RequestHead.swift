import BanyanCore

/// Why the proxy refused a request before forwarding anything: 400, 431 or 505, with a body
/// that says what was wrong.
public struct RequestRejection: Error, Sendable, Equatable, CustomStringConvertible {
    public var status: Int
    public var reason: String

    public init(status: Int, reason: String) {
        self.status = status
        self.reason = reason
    }

    static func bad(_ reason: String) -> RequestRejection { RequestRejection(status: 400, reason: reason) }

    public var description: String { "\(status): \(reason)" }
}

/// The byte ranges of one header field inside the head.
public struct HeaderFieldRange: Sendable, Equatable {
    /// The first byte of the line (the name) and the byte after its CRLF.
    public var lineStart: Int32
    public var lineEnd: Int32
    public var nameEnd: Int32
    /// The value without surrounding whitespace.
    public var valueStart: Int32
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
    /// `X-Forwarded-For`, `X-Forwarded-Proto`, `X-Forwarded-Host`: as `forwarded:` says.
    case forwardedFor
    case forwardedProto
    case forwardedHost
}

/// The parts of a request head the proxy needs to route, forward and keep framing unambiguous.
///
/// Everything else stays as bytes: fields are kept as ranges into the head and copied to the
/// upstream request unchanged, which is what keeps the data path close to a byte pipe.
public struct RequestHead: Sendable, Equatable {
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
    public var fields: [HeaderFieldRange]
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
        case incomplete
        case complete(RequestHead)
        case rejected(RequestRejection)
    }

    /// Node's `http.maxHeaderSize`: the request line and fields together.
    public static let defaultMaxHeadBytes = 16_384

    public static func parse(_ bytes: [UInt8], maxHeadBytes: Int = defaultMaxHeadBytes) -> Result {
        bytes.withUnsafeBytes { parse($0, maxHeadBytes: maxHeadBytes) }
    }

    /// Parses one head at the start of `p`.
    public static func parse(_ p: UnsafeRawBufferPointer, maxHeadBytes: Int = defaultMaxHeadBytes) -> Result {
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
        while i < count && p[i] > space && p[i] != 0x7F { i += 1 }
        if i == count { return tooLongOrIncomplete(count - start, maxHeadBytes) }
        if i == targetStart || p[i] != space {
            return .rejected(.bad("the request target is empty or holds a control character or a space"))
        }
        let targetEnd = i
        i += 1
        if count - i < 10 { return tooLongOrIncomplete(count - start, maxHeadBytes) }
        let minor: Int
        if matches(p, at: i, "HTTP/1.1") {
            minor = 1
        } else if matches(p, at: i, "HTTP/1.0") {
            minor = 0
        } else if matches(p, at: i, "HTTP/") {
            return .rejected(RequestRejection(status: 505, reason: "only HTTP/1.0 and HTTP/1.1 are served"))
        } else {
            return .rejected(.bad("the request line does not end with HTTP/1.1"))
        }
        i += 8
        if p[i] != cr || p[i + 1] != lf { return .rejected(.bad("the request line does not end with CRLF")) }
        i += 2
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
            if i - start > maxHeadBytes { return tooLarge }

            var role = FieldRole.plain
            let name = UnsafeRawBufferPointer(rebasing: p[lineStart..<nameEnd])
            let value = UnsafeRawBufferPointer(rebasing: p[valueStart..<valueEnd])
            switch name.count {
            case 4 where equalsLower(name, "host"):
                hostCount += 1
                hostIndex = fields.count
            case 14 where equalsLower(name, "content-length"):
                guard let parsed = parseContentLength(value) else {
                    return .rejected(.bad("Content-Length is not a number, or lists different numbers"))
                }
                if let contentLength, contentLength != parsed {
                    return .rejected(.bad("two different Content-Length values"))
                }
                contentLength = parsed
            case 17 where equalsLower(name, "transfer-encoding"):
                transferEncoding = true
                switch lastCoding(value) {
                case .chunkedLast:
                    if chunked { return .rejected(.bad("Transfer-Encoding applies chunked twice")) }
                    chunked = true
                case .other:
                    if chunked { return .rejected(.bad("Transfer-Encoding applies a coding after chunked")) }
                    return .rejected(.bad("Transfer-Encoding must end with chunked; other codings are not accepted"))
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
            default: break
            }
            fields.append(
                HeaderFieldRange(
                    lineStart: Int32(lineStart - start), lineEnd: Int32(i - start), nameEnd: Int32(nameEnd - start),
                    valueStart: Int32(valueStart - start), valueEnd: Int32(valueEnd - start), role: role))
        }
        if i - start > maxHeadBytes { return tooLarge }
        if transferEncoding && contentLength != nil {
            return .rejected(.bad("both Content-Length and Transfer-Encoding (the framing is ambiguous)"))
        }
        if transferEncoding && minor == 0 { return .rejected(.bad("Transfer-Encoding in an HTTP/1.0 request")) }
        if hostCount > 1 { return .rejected(.bad("more than one Host header")) }
        if hostCount == 0 && minor == 1 { return .rejected(.bad("an HTTP/1.1 request without a Host header")) }
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
        let method = String(decoding: UnsafeRawBufferPointer(rebasing: p[methodStart..<methodEnd]), as: UTF8.self)
        guard knownMethods.contains(method) else {
            return .rejected(.bad("unknown method '\(method)' (Node's HTTP parser refuses it too)"))
        }
        return .complete(
            RequestHead(
                method: method,
                target: String(decoding: UnsafeRawBufferPointer(rebasing: p[targetStart..<targetEnd]), as: UTF8.self),
                minorVersion: minor, length: i - start, requestLineEnd: requestLineEnd, leadingBytes: start,
                fields: fields, framing: framing, keepAlive: keepAlive, forwardedFor: forwardedFor, host: hostIndex,
                upgrade: minor == 1 && connectionUpgrade && upgradeField && !offersH2C))
    }

    private static let tooLarge = Result.rejected(
        RequestRejection(status: 431, reason: "the request line and headers exceed 16 KiB"))

    private static func tooLongOrIncomplete(_ received: Int, _ limit: Int) -> Result {
        received > limit
            ? .rejected(
                RequestRejection(status: 431, reason: "the request line and headers exceed \(limit / 1024) KiB"))
            : .incomplete
    }

    private static func parseContentLength(_ value: UnsafeRawBufferPointer) -> Int? {
        // A list of identical values ("5, 5") is accepted as one (RFC 9110 §8.6).
        var result: Int?
        var current = 0
        var digits = 0
        func close() -> Bool {
            guard digits > 0 else { return false }
            if let result, result != current { return false }
            result = current
            current = 0
            digits = 0
            return true
        }
        for byte in value {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                guard digits < 15 else { return nil }
                current = current * 10 + Int(byte - UInt8(ascii: "0"))
                digits += 1
            case comma:
                guard close() else { return nil }
            case space, tab:
                continue
            default:
                return nil
            }
        }
        guard close() else { return nil }
        return result
    }

    private enum LastCoding { case chunkedLast, other }

    private static func lastCoding(_ value: UnsafeRawBufferPointer) -> LastCoding {
        var last: UnsafeRawBufferPointer?
        var chunkedBeforeLast = false
        forEachToken(value) { token in
            if let previous = last, equalsLower(previous, "chunked") { chunkedBeforeLast = true }
            last = token
        }
        guard let last, !chunkedBeforeLast, equalsLower(last, "chunked") else { return .other }
        return .chunkedLast
    }
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
