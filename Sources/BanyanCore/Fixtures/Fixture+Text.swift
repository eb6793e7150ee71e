/// The fixture file format: an HTTP exchange as text, meant to be read in code review.
///
/// ```
/// ### banyan fixture 1
/// ### route: GET /users/:id
/// ### noise header: etag
/// ### request
/// GET /users/1 HTTP/1.1
/// Accept: application/json
///
/// ### response
/// HTTP/1.1 200 OK
/// Content-Type: application/json; charset=utf-8
///
/// {"id":1,"name":"Ada"}
/// ### end
/// ```
///
/// A body runs from the blank line after its headers to the newline before the next `###`
/// marker line. A body that is not UTF-8 text, or that holds a line starting with `### `, is
/// written in base64 under a `### … body: base64` marker.
extension Fixture {
    static let formatLine = "### banyan fixture 1"

    /// The fixture as the text of a file.
    public func text() -> String {
        var out = Self.formatLine + "\n"
        if let route { out += "### route: \(route)\n" }
        if let name { out += "### name: \(oneLine(name))\n" }
        if let recorded { out += "### recorded: \(oneLine(recorded))\n" }
        for header in noiseHeaders { out += "### noise header: \(header)\n" }
        for path in noisePaths { out += "### noise path: \(path)\n" }
        out += "### request\n"
        out += "\(request.method) \(request.target) HTTP/1.1\n"
        for field in request.headers { out += "\(field.name): \(oneLine(field.value))\n" }
        out += Self.bodyText(request.body, section: "request")
        out += "### response\n"
        let reason = response.reason.isEmpty ? "" : " \(response.reason)"
        out += "\(response.version) \(response.status)\(reason)\n"
        for field in response.headers { out += "\(field.name): \(oneLine(field.value))\n" }
        out += Self.bodyText(response.body, section: "response")
        out += "### end\n"
        return out
    }

    private func oneLine(_ text: String) -> String {
        String(text.map { $0 == "\n" || $0 == "\r" ? " " : $0 })
    }

    private static func bodyText(_ body: [UInt8], section: String) -> String {
        if body.isEmpty { return "\n" }
        let text = String(validating: body, as: UTF8.self)
        let safe =
            text.map { text in
                !text.contains("\0")
                    && !text.split(separator: "\n", omittingEmptySubsequences: false).contains {
                        $0.hasPrefix("###")
                    }
            } ?? false
        if let text, safe { return "\n" + text + "\n" }
        return "\n### \(section) body: base64\n" + Base64.encode(body) + "\n"
    }

    /// Reads a fixture from the text of a file, as ``text()`` writes it.
    ///
    /// - Parameters:
    ///   - text: The content of the fixture file.
    ///   - file: The file's name as the user gave it, for error messages.
    /// - Throws: ``FixtureError`` naming the file and the line that cannot be read.
    public init(parsing text: String, file: String) throws(FixtureError) {
        var reader = FixtureReader(text: text, file: file)
        self = try reader.read()
    }
}

private struct FixtureReader {
    let lines: [Substring]
    let file: String
    var index = 0

    init(text: String, file: String) {
        self.lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        self.file = file
    }

    func fail(_ message: String, line: Int? = nil) -> FixtureError {
        FixtureError(file: file, line: line ?? min(index + 1, lines.count), message: message)
    }

    mutating func read() throws(FixtureError) -> Fixture {
        guard lines.first.map({ $0.hasPrefix("### banyan fixture") }) == true else {
            throw fail("not a banyan fixture: the first line must be '\(Fixture.formatLine)'", line: 1)
        }
        guard lines[0] == Fixture.formatLine else {
            throw fail("unsupported fixture version '\(lines[0])'; this Banyan reads '\(Fixture.formatLine)'", line: 1)
        }
        index = 1
        var route: String?
        var name: String?
        var recorded: String?
        var noiseHeaders: [String] = []
        var noisePaths: [String] = []
        while index < lines.count, lines[index] != "### request" {
            let line = lines[index]
            if let value = field(line, "### route:") {
                route = value
            } else if let value = field(line, "### name:") {
                name = value
            } else if let value = field(line, "### recorded:") {
                recorded = value
            } else if let value = field(line, "### noise header:") {
                noiseHeaders.append(value.lowercased())
            } else if let value = field(line, "### noise path:") {
                guard value.hasPrefix("$") else { throw fail("a noise path must start with '$', found '\(value)'") }
                noisePaths.append(value)
            } else if !line.isEmpty {
                throw fail(
                    "unexpected line '\(line)' before '### request' (allowed: ### route:, ### name:, ### recorded:, "
                        + "### noise header:, ### noise path:)")
            }
            index += 1
        }
        guard index < lines.count else { throw fail("missing the '### request' section") }
        index += 1
        let (method, target) = try requestLine()
        let requestHeaders = try headers()
        let requestBody = try body(section: "request", until: "### response")
        guard index < lines.count else { throw fail("missing the '### response' section") }
        index += 1
        var response = try statusLine()
        response.headers = try headers()
        response.body = try body(section: "response", until: "### end")
        guard index < lines.count else { throw fail("missing the closing '### end' line") }
        index += 1
        while index < lines.count {
            guard lines[index].isEmpty else { throw fail("unexpected text after '### end'") }
            index += 1
        }
        return Fixture(
            route: route, name: name, recorded: recorded, noiseHeaders: noiseHeaders, noisePaths: noisePaths,
            request: HTTPRequest(method: method, target: target, headers: requestHeaders, body: requestBody),
            response: response)
    }

    func field(_ line: Substring, _ prefix: String) -> String? {
        guard line.hasPrefix(prefix) else { return nil }
        return line.dropFirst(prefix.count).trimmingWhitespace()
    }

    mutating func requestLine() throws(FixtureError) -> (String, String) {
        guard index < lines.count else { throw fail("missing the request line after '### request'") }
        let parts = lines[index].split(separator: " ")
        guard parts.count == 3, parts[2].hasPrefix("HTTP/"), parts[1].hasPrefix("/") || parts[1] == "*",
            parts[0].allSatisfy({ $0.isUppercase || $0 == "-" })
        else {
            throw fail("expected a request line like 'GET /users/1 HTTP/1.1', found '\(lines[index])'")
        }
        index += 1
        return (String(parts[0]), String(parts[1]))
    }

    mutating func statusLine() throws(FixtureError) -> HTTPResponse {
        guard index < lines.count else { throw fail("missing the status line after '### response'") }
        let line = lines[index]
        let parts = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/"), parts[1].count == 3, let status = Int(parts[1]),
            (100...999).contains(status)
        else {
            throw fail("expected a status line like 'HTTP/1.1 200 OK', found '\(line)'")
        }
        index += 1
        return HTTPResponse(status: status, reason: parts.count > 2 ? String(parts[2]) : "", version: String(parts[0]))
    }

    mutating func headers() throws(FixtureError) -> HTTPHeaders {
        var headers = HTTPHeaders()
        while index < lines.count, !lines[index].isEmpty {
            let line = lines[index]
            if line.hasPrefix("###") { return headers }
            guard let colon = line.firstIndex(of: ":"), colon != line.startIndex, !line[..<colon].contains(" ") else {
                throw fail("expected a header line 'Name: value' or a blank line, found '\(line)'")
            }
            headers.add(name: String(line[..<colon]), value: line[line.index(after: colon)...].trimmingWhitespace())
            index += 1
        }
        return headers
    }

    /// Reads from the blank line after the headers to the newline before `marker`.
    mutating func body(section: String, until marker: String) throws(FixtureError) -> [UInt8] {
        guard index < lines.count else { throw fail("missing '\(marker)'") }
        if lines[index] == marker { return [] }
        guard lines[index].isEmpty else { throw fail("expected a blank line before the \(section) body") }
        index += 1
        let start = index
        if index < lines.count, lines[index] == "### \(section) body: base64" {
            index += 1
            var encoded = ""
            while index < lines.count, lines[index] != marker {
                encoded += lines[index]
                index += 1
            }
            guard let bytes = Base64.decode(encoded) else {
                throw fail("the base64 \(section) body is not valid base64", line: start + 2)
            }
            guard index < lines.count else { throw fail("missing '\(marker)' after the \(section) body") }
            return bytes
        }
        while index < lines.count, lines[index] != marker {
            if lines[index].hasPrefix("### ") {
                throw fail("unexpected '\(lines[index])' in the \(section) body; expected '\(marker)'")
            }
            index += 1
        }
        guard index < lines.count else { throw fail("missing '\(marker)' after the \(section) body") }
        if index == start { return [] }
        return Array(lines[start..<index].joined(separator: "\n").utf8)
    }
}
