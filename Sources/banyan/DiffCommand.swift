import ArgumentParser
import BanyanContract
import BanyanCore
import BanyanHTTP
import Foundation

struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Compare two responses (two files or two URLs), or show the proxy's shadow differences.",
        discussion: """
            With --proxy, shows the differences a running 'banyan proxy' found between legacy's answers and \
            the candidate's shadow answers, aggregated per route, kind and place with sample exchanges \
            (--format json gives the diff report's shape, plus the aggregates). \
            Otherwise each side is a URL or a file. For two URLs the same request (-X, -H, --data) is sent to both. \
            A file may be a fixture (its recorded response is used), a raw HTTP response (starting with \
            'HTTP/'), or a body on its own (JSON when it parses as JSON). The first side is legacy, the \
            second the candidate. Exit status as for verify.
            """
    )

    @Argument(help: "Legacy: a URL or a file.") var legacy: String?
    @Argument(help: "Candidate: a URL or a file.") var candidate: String?
    @Flag(help: "Show the shadow differences stored by the running proxy (its admin API).") var proxy = false
    @Option(name: .customLong("admin"), help: "With --proxy: the admin API's address (HOST:PORT).")
    var adminAddress: String?
    @Option(name: [.customShort("X"), .customLong("method")], help: "The method, for URLs.") var method = "GET"
    @Option(name: [.customShort("H"), .customLong("header")], help: "A request header 'Name: value', for URLs.")
    var headers: [String] = []
    @Option(name: [.customShort("d"), .customLong("data")], help: "The request body, for URLs.") var data: String?
    @Option(help: "The route the request belongs to, for policy rules that name one (GET /users/:id).")
    var route: String?
    @Option(help: "Output format: text, json or junit.") var format: ReportFormat = .text
    @Option(help: "Seconds allowed for each answer.") var timeout: Double = 10
    @OptionGroup var config: ConfigOptions

    func validate() throws {
        if proxy {
            if legacy != nil || candidate != nil { throw ValidationError("--proxy takes no files or URLs") }
        } else if legacy == nil || candidate == nil {
            throw ValidationError("name two sides (legacy, then candidate), or pass --proxy")
        }
    }

    func run() throws {
        if proxy {
            let configuration = try config.loadIfPresent()
            let document = try AdminClient(configuration: configuration, address: adminAddress).request(
                "GET", "/api/differences")
            let view = ProxyDifferences(document: document)
            switch format {
            case .text: print(view.plainText())
            case .json: print(view.jsonText())
            case .junit: print(view.report.junitXML(suiteName: "banyan diff --proxy"))
            }
            if !view.report.passed { throw ExitCode(1) }
            return
        }
        guard let legacy, let candidate else { return }
        let policy = try config.loadIfPresent()?.policy ?? .default
        var request = HTTPRequest(method: method.uppercased(), target: "/")
        for header in headers {
            guard let colon = header.firstIndex(of: ":") else {
                throw UsageError("-H: '\(header)' is not 'Name: value'")
            }
            request.headers.add(
                name: String(header[..<colon]),
                value: header[header.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        if let data { request.body = Array(data.utf8) }
        let (legacyResponse, legacyRequest) = try load(legacy, request: request)
        let (candidateResponse, _) = try load(candidate, request: request)
        let differences = DiffEngine(policy: policy).compare(
            legacy: legacyResponse, candidate: candidateResponse, route: route, request: legacyRequest)
        let report = DiffReport(exchanges: [
            ExchangeReport(request: legacyRequest, route: route, differences: differences, failAt: policy.failAt)
        ])
        try finish(report, format: format, suiteName: "banyan diff")
    }

    /// The response a side names, and the request it answers.
    private func load(_ side: String, request: HTTPRequest) throws -> (HTTPResponse, HTTPRequest) {
        if side.hasPrefix("http://") {
            guard let url = BaseURL(parsing: side) else { throw UsageError("'\(side)' is not an http URL") }
            var routed = request
            let (base, target) = splitURL(url)
            routed.target = target
            do {
                return (try HTTPClient(base: base, timeout: timeout).send(routed).response, routed)
            } catch {
                throw UsageError(error.message)
            }
        }
        guard let data = FileManager.default.contents(atPath: side) else {
            throw UsageError("\(side): no such file (give a file or an http:// URL)")
        }
        let bytes = Array(data)
        if bytes.starts(with: Array("### banyan fixture".utf8)) {
            do {
                let fixture = try Fixture(parsing: String(decoding: bytes, as: UTF8.self), file: side)
                return (fixture.response, fixture.request)
            } catch {
                throw UsageError(error.description)
            }
        }
        if bytes.starts(with: Array("HTTP/".utf8)) {
            var normalized = bytes
            if !bytes.contains(13) {
                // A response saved by hand with bare newlines: restore CRLF in the head only.
                normalized = Array(
                    String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "\n", with: "\r\n").utf8)
            }
            var parser = HTTPResponseParser(requestMethod: request.method)
            parser.append(normalized)
            do throws(HTTPParseError) {
                if let response = try parser.next() { return (response, request) }
                return (try parser.finish(), request)
            } catch {
                throw UsageError("\(side): not a valid HTTP response: \(error.message)")
            }
        }
        let isJSON = (try? JSONParser.parse(bytes)) != nil
        let contentType = isJSON ? "application/json; charset=utf-8" : "application/octet-stream"
        return (
            HTTPResponse(status: 200, reason: "OK", headers: HTTPHeaders([("Content-Type", contentType)]), body: bytes),
            HTTPRequest(method: "GET", target: "/" + (side as NSString).lastPathComponent)
        )
    }

    private func splitURL(_ url: BaseURL) -> (BaseURL, String) {
        var base = url
        base.pathPrefix = ""
        return (base, url.pathPrefix.isEmpty ? "/" : url.pathPrefix)
    }
}
