/// Why a response could not be read off the wire.
public struct HTTPParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, in a sentence a report can show (`the connection closed in the middle of the response`).
    public var message: String

    /// Creates an error that says what went wrong.
    public init(_ message: String) {
        self.message = message
    }

    /// The message.
    public var description: String { message }
}

/// Reads one HTTP/1.x response from bytes as they arrive, whole: the head with the shared
/// ``ResponseHeadScanner`` and ``ResponseFraming``, and the body kept and de-chunked.
///
/// Pure: it owns no socket. Feed it what was read with ``append(_:)``, ask ``next()`` for a
/// complete response, and call ``finish()`` when the peer closed (a response without framing
/// ends at the close). Interim `1xx` responses are skipped, as clients do.
public struct HTTPResponseParser: Sendable {
    private var buffer: [UInt8] = []
    private var start = 0
    private let requestMethod: String
    /// The largest head accepted, in bytes.
    public var maximumHeadSize = 1 << 20

    /// The bytes of every response returned so far and of the one in progress, as received.
    public private(set) var rawBytesConsumed: [UInt8] = []

    /// Creates a parser for the response to a request sent with this method.
    ///
    /// The method decides the framing: the response to a `HEAD` has no body whatever its
    /// `content-length` says.
    ///
    /// - Parameter requestMethod: The method of the request the response answers, in any case.
    public init(requestMethod: String) {
        self.requestMethod = requestMethod.uppercased()
    }

    /// The bytes received after the last response returned (after a `101`, the new protocol's).
    public var unconsumed: ArraySlice<UInt8> { buffer[start...] }

    /// Adds bytes as they were read from the connection; call ``next()`` after each read.
    public mutating func append(_ bytes: some Sequence<UInt8>) {
        buffer.append(contentsOf: bytes)
    }

    /// Returns the response once it is complete, or nil when more bytes are needed.
    public mutating func next() throws(HTTPParseError) -> HTTPResponse? {
        try parse(atEOF: false)
    }

    /// Returns the response when the connection closed, or throws when it closed too early.
    public mutating func finish() throws(HTTPParseError) -> HTTPResponse {
        if let response = try parse(atEOF: true) { return response }
        if buffer.count == start { throw HTTPParseError("the connection closed before a response arrived") }
        throw HTTPParseError("the connection closed in the middle of the response")
    }

    private mutating func parse(atEOF: Bool) throws(HTTPParseError) -> HTTPResponse? {
        while true {
            guard let headEnd = findHeadEnd() else {
                if buffer.count - start > maximumHeadSize {
                    throw HTTPParseError("the response head is larger than \(maximumHeadSize) bytes")
                }
                return nil
            }
            let bodyStart = headEnd + 4
            let head = buffer[start..<bodyStart].withUnsafeBytes { head in
                Result { () throws(HTTPParseError) in try parseHead(head) }
            }
            var (response, framing) = try head.get()
            if framing.isInterim {
                rawBytesConsumed.append(contentsOf: buffer[start..<bodyStart])
                start = bodyStart
                continue
            }
            guard
                let (body, end) = try parseBody(
                    framing.framing(requestIsHead: requestMethod == "HEAD"), from: bodyStart, atEOF: atEOF)
            else { return nil }
            response.body = body
            rawBytesConsumed.append(contentsOf: buffer[start..<end])
            start = end
            return response
        }
    }

    private func findHeadEnd() -> Int? {
        guard buffer.count - start >= 4 else { return nil }
        var index = start
        while index + 3 < buffer.count {
            if buffer[index] == 13 && buffer[index + 1] == 10 && buffer[index + 2] == 13 && buffer[index + 3] == 10 {
                return index
            }
            index += 1
        }
        return nil
    }

    /// Reads a whole head (its empty line included) with the shared ``ResponseHeadScanner``.
    private func parseHead(_ p: UnsafeRawBufferPointer) throws(HTTPParseError) -> (HTTPResponse, ResponseFraming) {
        func text(_ range: Range<Int>) -> String {
            String(decoding: UnsafeRawBufferPointer(rebasing: p[range]), as: UTF8.self)
        }
        /// The line that starts at `start`, without its line end.
        func line(at start: Int) -> String {
            var end = start
            while end < p.count && p[end] != 10 { end += 1 }
            if end > start && p[end - 1] == 13 { end -= 1 }
            return text(start..<end)
        }
        var framing: ResponseFraming
        var index: Int
        let reason: Range<Int>
        switch ResponseHeadScanner.statusLine(p) {
        case .incomplete, .invalid: throw HTTPParseError("malformed status line '\(line(at: 0))'")
        case .valid(let minor, let status, let reasonRange, let next):
            framing = ResponseFraming(status: status, minorVersion: minor)
            reason = reasonRange
            index = next
        }
        var headers = HTTPHeaders()
        var invalidLength = false
        fields: while true {
            switch ResponseHeadScanner.line(p, at: index) {
            case .end, .incomplete: break fields
            case .invalid(.obsoleteFolding):
                throw HTTPParseError("obsolete line folding in response header line '\(line(at: index))'")
            case .invalid: throw HTTPParseError("malformed response header line '\(line(at: index))'")
            case .field(let name, let value, let next):
                headers.add(name: text(name), value: text(value))
                do {
                    _ = try framing.note(
                        name: UnsafeRawBufferPointer(rebasing: p[name]),
                        value: UnsafeRawBufferPointer(rebasing: p[value]))
                } catch {
                    invalidLength = true
                }
                index = next
            }
        }
        if invalidLength {
            let lengths = Set(headers.values(for: "content-length"))
            throw HTTPParseError("invalid content-length '\(lengths.sorted().joined(separator: ", "))'")
        }
        let response = HTTPResponse(
            status: framing.status, reason: text(reason), version: "HTTP/1.\(framing.minorVersion)", headers: headers)
        return (response, framing)
    }

    private func parseBody(_ framing: BodyFraming, from bodyStart: Int, atEOF: Bool) throws(HTTPParseError) -> (
        [UInt8], Int
    )? {
        switch framing {
        case .none:
            // A 101 has no body: what follows it is the new protocol's (see `unconsumed`).
            return ([], bodyStart)
        case .chunked:
            return try parseChunked(from: bodyStart)
        case .length(let length):
            guard buffer.count - bodyStart >= length else {
                if atEOF { throw HTTPParseError("the connection closed before the whole body arrived") }
                return nil
            }
            return (Array(buffer[bodyStart..<(bodyStart + length)]), bodyStart + length)
        case .untilClose:
            guard atEOF else { return nil }
            return (Array(buffer[bodyStart...]), buffer.count)
        }
    }

    private func parseChunked(from bodyStart: Int) throws(HTTPParseError) -> ([UInt8], Int)? {
        var body: [UInt8] = []
        var index = bodyStart
        while true {
            guard let lineEnd = findCRLF(from: index) else { return nil }
            let sizeText = String(decoding: buffer[index..<lineEnd], as: UTF8.self)
            let sizeField = sizeText.split(separator: ";", maxSplits: 1).first.map { $0.trimmingWhitespace() } ?? ""
            guard let size = Int(sizeField, radix: 16), size >= 0 else {
                throw HTTPParseError("invalid chunk size '\(sizeText)'")
            }
            index = lineEnd + 2
            if size == 0 {
                // Trailer fields, then an empty line.
                while true {
                    guard let trailerEnd = findCRLF(from: index) else { return nil }
                    let isEmpty = trailerEnd == index
                    index = trailerEnd + 2
                    if isEmpty { return (body, index) }
                }
            }
            guard buffer.count >= index + size + 2 else { return nil }
            body.append(contentsOf: buffer[index..<(index + size)])
            index += size
            guard buffer[index] == 13, buffer[index + 1] == 10 else {
                throw HTTPParseError("chunk of \(size) bytes is not followed by CRLF")
            }
            index += 2
        }
    }

    private func findCRLF(from index: Int) -> Int? {
        var cursor = index
        while cursor + 1 < buffer.count {
            if buffer[cursor] == 13 && buffer[cursor + 1] == 10 { return cursor }
            cursor += 1
        }
        return nil
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces and tabs.
    func trimmingWhitespace() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first == " " || first == "\t" { scalars.removeFirst() }
        while let last = scalars.last, last == " " || last == "\t" { scalars.removeLast() }
        return String(scalars)
    }
}
