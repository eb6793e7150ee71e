/// Finds where one HTTP/1.1 response ends in the bytes a connection reads, without building the
/// response: the load generator needs only the status and the end, and a full decoder would cost
/// more than the trivial servers it must outrun.
///
/// Handles `Content-Length`, `Transfer-Encoding: chunked` (with trailers), bodies that end with the
/// connection, interim 1xx answers, and answers to HEAD. One response at a time (no pipelining).
public struct ResponseFramer: Sendable {
    /// What ``consume(_:)`` found.
    public enum Outcome: Sendable, Hashable {
        /// The bytes so far do not finish the response.
        case needMore
        /// The response ended after `consumed` bytes of this input; `closes` when the server said
        /// `Connection: close`.
        case complete(status: Int, consumed: Int, closes: Bool)
        /// The bytes are not an HTTP/1.1 response.
        case malformed(String)
    }

    private enum State: Sendable, Hashable {
        case head
        case body(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd(remaining: Int)
        case trailers
        case untilClose
    }

    private var state = State.head
    private var line: [UInt8] = []
    private var headBytes: [UInt8] = []
    private var status = 0
    private var closes = false
    private var expectsBody = true
    /// The largest head accepted, as in common servers.
    public static let maximumHeadSize = 64 * 1024

    public init() {}

    /// Prepares for the response to the next request; a HEAD request's answer has no body.
    public mutating func reset(expectsBody: Bool) {
        state = .head
        line.removeAll(keepingCapacity: true)
        headBytes.removeAll(keepingCapacity: true)
        status = 0
        closes = false
        self.expectsBody = expectsBody
    }

    /// Whether the response in progress ends only when the connection closes.
    public var endsWithClose: Bool { state == .untilClose }

    /// The status of the response whose body is being read (0 while in the head).
    public var currentStatus: Int { status }

    /// Reads bytes; call again with the rest after `.complete` only for a new response.
    public mutating func consume(_ bytes: UnsafeRawBufferPointer) -> Outcome {
        var index = 0
        let count = bytes.count
        while index < count {
            switch state {
            case .head:
                // Fast path: the whole head is in this read.
                let start = index
                var end = -1
                if headBytes.isEmpty {
                    var i = index
                    while i + 3 < count {
                        if bytes[i + 3] == 10 && bytes[i + 2] == 13 && bytes[i + 1] == 10 && bytes[i] == 13 {
                            end = i + 4
                            break
                        }
                        i += 1
                    }
                }
                if end >= 0 {
                    if let problem = parseHead(UnsafeRawBufferPointer(rebasing: bytes[start..<end])) {
                        return .malformed(problem)
                    }
                    index = end
                } else {
                    // Slow path: collect the head across reads.
                    var found = false
                    while index < count {
                        headBytes.append(bytes[index])
                        index += 1
                        let n = headBytes.count
                        if n >= 4 && headBytes[n - 1] == 10 && headBytes[n - 2] == 13 && headBytes[n - 3] == 10
                            && headBytes[n - 4] == 13
                        {
                            found = true
                            break
                        }
                    }
                    if headBytes.count > Self.maximumHeadSize {
                        return .malformed("a response head longer than \(Self.maximumHeadSize) bytes")
                    }
                    guard found else { return .needMore }
                    let problem = headBytes.withUnsafeBytes { parseHead($0) }
                    headBytes.removeAll(keepingCapacity: true)
                    if let problem { return .malformed(problem) }
                }
                if state == .head {
                    // An interim answer (100 Continue): the real one follows.
                    continue
                }
                if case .body(let remaining) = state, remaining == 0 {
                    return .complete(status: status, consumed: index, closes: closes)
                }
            case .body(let remaining):
                let take = Swift.min(remaining, count - index)
                index += take
                if take == remaining { return .complete(status: status, consumed: index, closes: closes) }
                state = .body(remaining: remaining - take)
            case .chunkSize:
                guard let sizeLine = readLine(bytes, &index) else { return .needMore }
                var size = 0
                var digits = 0
                for byte in sizeLine {
                    guard let digit = hexValue(byte) else { break }
                    size = size &* 16 &+ digit
                    digits += 1
                    if digits > 15 { return .malformed("a chunk size over 15 hex digits") }
                }
                guard digits > 0 else { return .malformed("a chunk size that is not hexadecimal") }
                state = size == 0 ? .trailers : .chunkData(remaining: size)
            case .chunkData(let remaining):
                let take = Swift.min(remaining, count - index)
                index += take
                state = take == remaining ? .chunkDataEnd(remaining: 2) : .chunkData(remaining: remaining - take)
            case .chunkDataEnd(let remaining):
                let take = Swift.min(remaining, count - index)
                index += take
                state = take == remaining ? .chunkSize : .chunkDataEnd(remaining: remaining - take)
            case .trailers:
                guard let trailer = readLine(bytes, &index) else { return .needMore }
                if trailer.isEmpty { return .complete(status: status, consumed: index, closes: closes) }
            case .untilClose:
                return .needMore
            }
        }
        return .needMore
    }

    /// The connection closed: a body that runs until the close is complete now.
    public mutating func connectionClosed() -> Outcome {
        if state == .untilClose { return .complete(status: status, consumed: 0, closes: true) }
        return .malformed("the connection closed before the response ended")
    }

    private mutating func readLine(_ bytes: UnsafeRawBufferPointer, _ index: inout Int) -> [UInt8]? {
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if byte == 10 {
                if line.last == 13 { line.removeLast() }
                let complete = line
                line.removeAll(keepingCapacity: true)
                return complete
            }
            line.append(byte)
            if line.count > 4096 { return nil }
        }
        return nil
    }

    /// Reads the status line and the framing headers; sets the next state. Returns a problem or nil.
    private mutating func parseHead(_ head: UnsafeRawBufferPointer) -> String? {
        // "HTTP/1.1 200 …"
        guard head.count >= 12, head[0] == UInt8(ascii: "H"), head[4] == UInt8(ascii: "/"), head[8] == 32 else {
            return "not an HTTP/1.x status line"
        }
        var code = 0
        for i in 9..<12 {
            let byte = head[i]
            guard byte >= 48 && byte <= 57 else { return "a status code that is not three digits" }
            code = code * 10 + Int(byte - 48)
        }
        status = code
        let http10 = head[7] == UInt8(ascii: "0")
        var contentLength = -1
        var chunked = false
        var keepAlive = false
        closes = false
        // Header lines: from after the first CRLF to the blank line.
        var lineStart = 0
        while lineStart < head.count && head[lineStart] != 10 { lineStart += 1 }
        lineStart += 1
        while lineStart < head.count {
            var lineEnd = lineStart
            while lineEnd < head.count && head[lineEnd] != 10 { lineEnd += 1 }
            let contentEnd = lineEnd > lineStart && head[lineEnd - 1] == 13 ? lineEnd - 1 : lineEnd
            if contentEnd > lineStart {
                var colon = lineStart
                while colon < contentEnd && head[colon] != UInt8(ascii: ":") { colon += 1 }
                if colon < contentEnd {
                    let name = UnsafeRawBufferPointer(rebasing: head[lineStart..<colon])
                    var valueStart = colon + 1
                    while valueStart < contentEnd && (head[valueStart] == 32 || head[valueStart] == 9) {
                        valueStart += 1
                    }
                    let value = UnsafeRawBufferPointer(rebasing: head[valueStart..<contentEnd])
                    if equalsIgnoringCase(name, "content-length") {
                        var length = 0
                        for byte in value where byte != 32 {
                            guard byte >= 48 && byte <= 57 else { return "a Content-Length that is not a number" }
                            length = length &* 10 &+ Int(byte - 48)
                        }
                        contentLength = length
                    } else if equalsIgnoringCase(name, "transfer-encoding") {
                        chunked = containsIgnoringCase(value, "chunked")
                    } else if equalsIgnoringCase(name, "connection") {
                        if containsIgnoringCase(value, "close") { closes = true }
                        if containsIgnoringCase(value, "keep-alive") { keepAlive = true }
                    }
                }
            }
            lineStart = lineEnd + 1
        }
        if http10 && !keepAlive { closes = true }
        if code >= 100 && code < 200 && code != 101 {
            state = .head
            return nil
        }
        if !expectsBody || code == 204 || code == 304 {
            state = .body(remaining: 0)
        } else if chunked {
            state = .chunkSize
        } else if contentLength >= 0 {
            state = .body(remaining: contentLength)
        } else {
            state = .untilClose
            closes = true
        }
        return nil
    }
}

private func hexValue(_ byte: UInt8) -> Int? {
    switch byte {
    case 48...57: Int(byte - 48)
    case 65...70: Int(byte - 55)
    case 97...102: Int(byte - 87)
    default: nil
    }
}

private func equalsIgnoringCase(_ bytes: UnsafeRawBufferPointer, _ lowercase: StaticString) -> Bool {
    guard bytes.count == lowercase.utf8CodeUnitCount else { return false }
    let expected = lowercase.utf8Start
    for i in 0..<bytes.count where bytes[i] | 0x20 != expected[i] {
        return false
    }
    return true
}

private func containsIgnoringCase(_ bytes: UnsafeRawBufferPointer, _ lowercase: StaticString) -> Bool {
    let n = lowercase.utf8CodeUnitCount
    guard bytes.count >= n else { return false }
    let expected = lowercase.utf8Start
    outer: for start in 0...(bytes.count - n) {
        for i in 0..<n where bytes[start + i] | 0x20 != expected[i] {
            continue outer
        }
        return true
    }
    return false
}
