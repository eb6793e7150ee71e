import BanyanCore
import Testing

@Suite("HAR files")
struct HARParserTests {
    static let har = """
        {"log": {"version": "1.2", "creator": {"name": "Firefox", "version": "133"}, "entries": [
          {"request": {"method": "GET", "url": "http://localhost:3000/users/1?x=1", "httpVersion": "HTTP/1.1",
            "headers": [{"name": "Host", "value": "localhost:3000"}, {"name": "Accept", "value": "application/json"},
                        {"name": "Accept-Encoding", "value": "gzip"}, {"name": ":authority", "value": "localhost"}],
            "queryString": [{"name": "x", "value": "1"}]}},
          {"request": {"method": "post", "url": "https://api.example.com/users", "headers": [],
            "postData": {"mimeType": "application/json", "text": "{\\"name\\":\\"Grace\\"}"}}}
        ]}}
        """

    @Test func readsMethodsTargetsHeadersAndBodies() throws {
        let specs = try HARParser.parse(Array(Self.har.utf8), file: "session.har")
        #expect(specs.map(\.request.method) == ["GET", "POST"])
        #expect(specs.map(\.request.target) == ["/users/1?x=1", "/users"])
        #expect(specs[0].request.headers == HTTPHeaders([("Accept", "application/json")]))
        #expect(specs[1].request.headers == HTTPHeaders([("Content-Type", "application/json")]))
        #expect(specs[1].request.body == Array(#"{"name":"Grace"}"#.utf8))
        #expect(specs.map(\.source) == ["session.har#log.entries[0].request", "session.har#log.entries[1].request"])
    }

    @Test(arguments: [
        (
            String(HARParserTests.har.prefix(120)),
            "session.har:2: not a HAR file: invalid JSON (expected ',' or '}' after object member, found end of input, column 31)"
        ),
        (#"{"entries": []}"#, "session.har: not a HAR file: there is no 'log.entries' list"),
        (#"{"log": {"entries": []}}"#, "session.har: the HAR file has no entries"),
        (
            #"{"log": {"entries": [{"request": {"url": "/a"}}]}}"#,
            "session.har: log.entries[0].request: missing 'method'"
        ),
        (
            #"{"log": {"entries": [{"request": {"method": "GET", "url": "/a", "headers": [{"name": "A"}]}}]}}"#,
            "session.har: log.entries[0].request: headers[0] needs a 'name' and a 'value' string"
        ),
    ])
    func malformedFilesNameTheFileAndPlace(text: String, expected: String) {
        do {
            _ = try HARParser.parse(Array(text.utf8), file: "session.har")
            Issue.record("expected an error")
        } catch {
            #expect(error.description == expected)
        }
    }
}
