/// Reads requests from a HAR 1.2 file, as browsers' developer tools export it.
///
/// Each `log.entries[].request` becomes a request: method, the URL's path and query, headers and
/// `postData.text`. Headers that belong to the connection rather than the request (HTTP/2
/// pseudo-headers, `host`, `content-length`, `connection`, `accept-encoding`) are dropped: Banyan
/// sets the framing itself and compares uncompressed bodies.
public enum HARParser {
    static let droppedHeaders: Set<String> = [
        "host", "content-length", "connection", "keep-alive", "accept-encoding", "transfer-encoding", "upgrade",
    ]

    /// Reads every entry of a HAR file as a request.
    ///
    /// - Parameters:
    ///   - bytes: The file's content.
    ///   - file: The file's name as the user gave it, for error messages and each request's ``RequestSpec/source``.
    /// - Returns: One request per entry, in the file's order.
    /// - Throws: ``RequestFileError`` when the file is not JSON (with the line), has no `log.entries`,
    ///   has no entry, or has an entry without a method or an http(s) URL (naming `entries[N]`).
    public static func parse(_ bytes: [UInt8], file: String) throws(RequestFileError) -> [RequestSpec] {
        let document: JSONValue
        do {
            document = try JSONParser.parse(bytes)
        } catch {
            throw RequestFileError(
                file: file, line: error.line,
                message: "not a HAR file: invalid JSON (\(error.message), column \(error.column))")
        }
        guard case .array(let entries)? = document["log"]?["entries"] else {
            throw RequestFileError(file: file, message: "not a HAR file: there is no 'log.entries' list")
        }
        var specs: [RequestSpec] = []
        for (index, entry) in entries.enumerated() {
            let place = "log.entries[\(index)].request"
            func fail(_ message: String) -> RequestFileError {
                RequestFileError(file: file, message: "\(place): \(message)")
            }
            guard let request = entry["request"] else { throw fail("missing") }
            guard case .string(let method)? = request["method"], !method.isEmpty else {
                throw fail("missing 'method'")
            }
            guard case .string(let url)? = request["url"] else { throw fail("missing 'url'") }
            guard let target = targetPath(fromURL: url) else {
                throw fail("'url' is not an http(s) URL or a path: '\(url)'")
            }
            var headers = HTTPHeaders()
            if case .array(let fields)? = request["headers"] {
                for (fieldIndex, field) in fields.enumerated() {
                    guard case .string(let name)? = field["name"], case .string(let value)? = field["value"] else {
                        throw fail("headers[\(fieldIndex)] needs a 'name' and a 'value' string")
                    }
                    if name.hasPrefix(":") || droppedHeaders.contains(name.lowercased()) { continue }
                    headers.add(name: name, value: value)
                }
            }
            var body: [UInt8] = []
            if let postData = request["postData"] {
                if case .string(let text)? = postData["text"] {
                    body = Array(text.utf8)
                } else if case .array(let params)? = postData["params"], !params.isEmpty {
                    throw fail("postData.params (multipart or form fields without 'text') is not supported")
                }
                if !headers.contains("content-type"), case .string(let mime)? = postData["mimeType"], !mime.isEmpty {
                    headers.add(name: "Content-Type", value: mime)
                }
            }
            specs.append(
                RequestSpec(
                    name: nil,
                    request: HTTPRequest(method: method.uppercased(), target: target, headers: headers, body: body),
                    source: "\(file)#\(place)"))
        }
        if specs.isEmpty { throw RequestFileError(file: file, message: "the HAR file has no entries") }
        return specs
    }
}
