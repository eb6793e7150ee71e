import BanyanCore

/// Finds where one HTTP/1.1 response ends in the bytes a connection reads, without building the
/// response: the load generator needs only the status and the end, and a full decoder would cost
/// more than the trivial servers it must outrun. The head is read with BanyanCore's
/// `ResponseHeadScanner` and `ResponseFraming`, as the proxy's is; what is its own is following
/// the body across reads without keeping it.
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
        var framing: ResponseFraming
        var index: Int
        switch ResponseHeadScanner.statusLine(head) {
        case .incomplete: return Self.describe(.notHTTP1)
        case .invalid(let problem): return Self.describe(problem)
        case .valid(let minor, let code, _, let next):
            framing = ResponseFraming(status: code, minorVersion: minor)
            index = next
        }
        fields: while true {
            switch ResponseHeadScanner.line(head, at: index) {
            case .incomplete: return "a response head that does not end with an empty line"
            case .invalid(let problem): return Self.describe(problem)
            case .end: break fields
            case .field(let name, let value, let next):
                do {
                    _ = try framing.note(
                        name: UnsafeRawBufferPointer(rebasing: head[name]),
                        value: UnsafeRawBufferPointer(rebasing: head[value]))
                } catch {
                    return Self.describe(error)
                }
                index = next
            }
        }
        status = framing.status
        if framing.isInterim {
            state = .head
            return nil
        }
        let body = framing.framing(requestIsHead: !expectsBody)
        closes = framing.closes(after: body)
        switch body {
        case .none: state = .body(remaining: 0)
        case .length(let length): state = .body(remaining: length)
        case .chunked: state = .chunkSize
        case .untilClose: state = .untilClose
        }
        return nil
    }

    private static func describe(_ problem: ResponseHeadProblem) -> String {
        switch problem {
        case .notHTTP1: "not an HTTP/1.x status line"
        case .statusNotThreeDigits: "a status code that is not three digits"
        case .fieldWithoutColon: "a header line without a colon"
        case .obsoleteFolding: "a header line folded onto the next"
        case .bareCR: "a CR not followed by LF in the response head"
        case .fieldNameNotToken(let byte): "a header field name with a byte that is not a token character (\(byte))"
        case .controlInValue(let byte): "a header field value with a control byte (\(byte))"
        case .controlInReason(let byte): "a reason phrase with a control byte (\(byte))"
        case .contentLengthNotANumber: "a Content-Length that is not a number"
        case .conflictingContentLengths: "two different Content-Length values"
        }
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
