/// Reads requests from a `.http` file, the format of VS Code's REST Client and JetBrains' HTTP Client.
///
/// Requests are separated by lines starting with `###` (the rest of the line names the request).
/// Each has optional comment lines (`#` or `//`), a request line (`GET /users/1` or
/// `GET http://host/users/1 HTTP/1.1`; a bare URL means GET), optional query continuation lines
/// starting with `?` or `&`, header lines, a blank line, and a body up to the next separator.
/// File variables (`@host = http://localhost:3000`) are substituted where `{{host}}` appears.
public enum HTTPFileParser {
    static let methods: Set<String> = [
        "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT", "PROPFIND", "PROPPATCH",
        "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK", "SEARCH", "PURGE", "REPORT", "MERGE", "NOTIFY", "SUBSCRIBE",
        "UNSUBSCRIBE", "LINK", "UNLINK", "QUERY",
    ]

    /// Reads every request of a `.http` file.
    ///
    /// - Parameters:
    ///   - text: The file's content.
    ///   - file: The file's name as the user gave it, for error messages and each request's source.
    /// - Returns: The requests in the file's order, file variables substituted.
    /// - Throws: ``RequestFileError`` naming the line of the first request that cannot be read, or
    ///   saying that the file holds no request.
    public static func parse(_ text: String, file: String) throws(RequestFileError) -> [RequestSpec] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.hasSuffix("\r") ? String(line.dropLast()) : String(line)
        }
        var variables: [String: String] = [:]
        var specs: [RequestSpec] = []
        var blockStart = 0
        var blockName: String?
        for index in 0...lines.count {
            let isSeparator = index < lines.count && lines[index].hasPrefix("###")
            guard isSeparator || index == lines.count else { continue }
            if let spec = try parseBlock(
                lines, from: blockStart, to: index, name: blockName, variables: &variables, file: file)
            {
                specs.append(spec)
            }
            if index < lines.count {
                let name = lines[index].dropFirst(3).trimmingWhitespace()
                blockName = name.isEmpty ? nil : name
                blockStart = index + 1
            }
        }
        if specs.isEmpty {
            throw RequestFileError(
                file: file, message: "no requests found (a request starts with a line like 'GET /users/1')")
        }
        return specs
    }

    private static func parseBlock(
        _ lines: [String],
        from start: Int,
        to end: Int,
        name: String?,
        variables: inout [String: String],
        file: String
    ) throws(RequestFileError) -> RequestSpec? {
        var name = name
        var index = start
        // Comments, variable definitions and blank lines before the request line.
        while index < end {
            let line = lines[index].trimmingWhitespace()
            if line.isEmpty {
                index += 1
            } else if line.hasPrefix("#") || line.hasPrefix("//") {
                let comment = line.drop { $0 == "#" || $0 == "/" }.trimmingWhitespace()
                if comment.hasPrefix("@name ") { name = comment.dropFirst("@name ".count).trimmingWhitespace() }
                index += 1
            } else if line.hasPrefix("@"), let equals = line.firstIndex(of: "=") {
                let key = line[line.index(after: line.startIndex)..<equals].trimmingWhitespace()
                variables[key] = try substitute(
                    line[line.index(after: equals)...].trimmingWhitespace(), variables, file: file, line: index + 1)
                index += 1
            } else {
                break
            }
        }
        guard index < end else { return nil }
        let requestLineNumber = index + 1
        let requestLine = try substitute(lines[index].trimmingWhitespace(), variables, file: file, line: index + 1)
        let parts = requestLine.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        var method = "GET"
        var url: String
        if parts.count >= 2, methods.contains(parts[0]) {
            method = parts[0]
            url = parts[1]
            if parts.count > 3 || (parts.count == 3 && !parts[2].hasPrefix("HTTP/")) {
                throw RequestFileError(
                    file: file, line: requestLineNumber,
                    message: "expected 'METHOD URL [HTTP/1.1]', found '\(requestLine)' (encode spaces in URLs as %20)")
            }
        } else if parts.count == 1 && (parts[0].hasPrefix("/") || parts[0].lowercased().hasPrefix("http")) {
            url = parts[0]
        } else {
            let lowerMethod = parts.first.map { methods.contains($0.uppercased()) } ?? false
            let hint = lowerMethod ? " (write the method in upper case)" : ""
            throw RequestFileError(
                file: file, line: requestLineNumber,
                message: "expected a request line like 'GET /users/1', found '\(requestLine)'\(hint)")
        }
        index += 1
        while index < end, let first = lines[index].trimmingWhitespace().first, first == "?" || first == "&" {
            url += try substitute(lines[index].trimmingWhitespace(), variables, file: file, line: index + 1)
            index += 1
        }
        guard let target = targetPath(fromURL: url) else {
            throw RequestFileError(
                file: file, line: requestLineNumber,
                message: "'\(url)' is neither a path starting with '/' nor an http(s) URL")
        }
        var headers = HTTPHeaders()
        while index < end, !lines[index].trimmingWhitespace().isEmpty {
            let line = try substitute(lines[index], variables, file: file, line: index + 1)
            if isResponseHandler(line) {
                index = end
                break
            }
            if line.hasPrefix("#") || line.hasPrefix("//") {
                index += 1
                continue
            }
            guard let colon = line.firstIndex(of: ":"), colon != line.startIndex,
                !line[..<colon].contains(" ")
            else {
                throw RequestFileError(
                    file: file, line: index + 1,
                    message: "expected a header line 'Name: value' or a blank line before the body, found '\(line)'")
            }
            headers.add(name: String(line[..<colon]), value: line[line.index(after: colon)...].trimmingWhitespace())
            index += 1
        }
        var bodyLines: [String] = []
        if index < end { index += 1 }
        while index < end {
            let line = lines[index]
            if isResponseHandler(line) { break }
            if line.hasPrefix("< ") {
                throw RequestFileError(
                    file: file, line: index + 1,
                    message: "bodies read from files ('\(line)') are not supported; paste the body inline")
            }
            bodyLines.append(try substitute(line, variables, file: file, line: index + 1))
            index += 1
        }
        while let last = bodyLines.last, last.trimmingWhitespace().isEmpty { bodyLines.removeLast() }
        let body = Array(bodyLines.joined(separator: "\n").utf8)
        return RequestSpec(
            name: name,
            request: HTTPRequest(method: method, target: target, headers: headers, body: body),
            source: "\(file):\(requestLineNumber)")
    }

    /// JetBrains response handlers and output redirections: they end a request.
    private static func isResponseHandler(_ line: String) -> Bool {
        line.hasPrefix("> ") || line.hasPrefix(">> ") || line.hasPrefix("<> ")
    }

    private static func substitute(
        _ text: String,
        _ variables: [String: String],
        file: String,
        line: Int
    ) throws(RequestFileError) -> String {
        guard text.contains("{{") else { return text }
        var result = ""
        var rest = Substring(text)
        while let open = rest.firstRange(of: "{{") {
            result += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].firstRange(of: "}}") else {
                throw RequestFileError(file: file, line: line, message: "'{{' without a closing '}}'")
            }
            let key = rest[open.upperBound..<close.lowerBound].trimmingWhitespace()
            guard let value = variables[key] else {
                let known = variables.keys.sorted().joined(separator: ", ")
                throw RequestFileError(
                    file: file, line: line,
                    message:
                        "unknown variable '\(key)' (define it with '@\(key) = value'; defined: \(known.isEmpty ? "none" : known))"
                )
            }
            result += value
            rest = rest[close.upperBound...]
        }
        return result + rest
    }
}
