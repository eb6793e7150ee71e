import BanyanCore
import Testing

@Suite("fixture files")
struct FixtureTests {
    static let order = Fixture(
        route: "GET /orders/:id",
        name: "an order",
        recorded: "http://127.0.0.1:3000, 2 answers",
        noiseHeaders: ["x-request-id"],
        noisePaths: ["$.servedAt"],
        request: HTTPRequest(
            method: "GET", target: "/orders/ord_123", headers: HTTPHeaders([("Accept", "application/json")])),
        response: HTTPResponse(
            status: 200, reason: "OK",
            headers: HTTPHeaders([
                ("X-Powered-By", "Express"), ("Content-Type", "application/json; charset=utf-8"),
                ("Content-Length", "25"),
            ]),
            body: Array(#"{"id":"ord_123","a":"b"}"#.utf8) + [10]))

    @Test func writesReadableText() {
        #expect(
            Self.order.text() == """
                ### banyan fixture 1
                ### route: GET /orders/:id
                ### name: an order
                ### recorded: http://127.0.0.1:3000, 2 answers
                ### noise header: x-request-id
                ### noise path: $.servedAt
                ### request
                GET /orders/ord_123 HTTP/1.1
                Accept: application/json

                ### response
                HTTP/1.1 200 OK
                X-Powered-By: Express
                Content-Type: application/json; charset=utf-8
                Content-Length: 25

                {"id":"ord_123","a":"b"}

                ### end

                """)
    }

    @Test(arguments: [
        [UInt8](), Array("no newline".utf8), Array("two\nlines\n\n".utf8), Array("### end\nlooks like a marker".utf8),
        [0, 255, 254, 10, 13], Array("\r\n".utf8),
    ])
    func roundTripsEveryBody(body: [UInt8]) throws {
        var fixture = Self.order
        fixture.response.body = body
        fixture.request = HTTPRequest(method: "POST", target: "/x?y=1", body: body)
        let parsed = try Fixture(parsing: fixture.text(), file: "f.fixture")
        #expect(parsed == fixture)
    }

    @Test func binaryBodiesAreBase64() {
        var fixture = Self.order
        fixture.response.body = [0, 1, 2, 255]
        #expect(fixture.text().contains("\n### response body: base64\nAAEC/w==\n### end\n"))
    }

    @Test(arguments: [
        ("", "f.fixture:1: not a banyan fixture: the first line must be '### banyan fixture 1'"),
        (
            "### banyan fixture 2\n",
            "f.fixture:1: unsupported fixture version '### banyan fixture 2'; this Banyan reads '### banyan fixture 1'"
        ),
        (
            "### banyan fixture 1\n### rout: x\n",
            "f.fixture:2: unexpected line '### rout: x' before '### request' (allowed: ### route:, ### name:, ### recorded:, ### noise header:, ### noise path:)"
        ),
        (
            "### banyan fixture 1\n### request\nGET /a\n",
            "f.fixture:3: expected a request line like 'GET /users/1 HTTP/1.1', found 'GET /a'"
        ),
        (
            "### banyan fixture 1\n### request\nGET /a HTTP/1.1\n\n### response\nHTTP/1.1 2OO OK\n",
            "f.fixture:6: expected a status line like 'HTTP/1.1 200 OK', found 'HTTP/1.1 2OO OK'"
        ),
        (
            "### banyan fixture 1\n### request\nGET /a HTTP/1.1\nAccept json\n",
            "f.fixture:4: expected a header line 'Name: value' or a blank line, found 'Accept json'"
        ),
        (
            "### banyan fixture 1\n### request\nGET /a HTTP/1.1\n\n### response\nHTTP/1.1 200 OK\n\n{}\n",
            "f.fixture:9: missing '### end' after the response body"
        ),
        (
            "### banyan fixture 1\n### request\nGET /a HTTP/1.1\n\n### response\nHTTP/1.1 200 OK\n\n### response body: base64\n!!\n### end\n",
            "f.fixture:9: the base64 response body is not valid base64"
        ),
    ])
    func handEditedMistakesNameTheLine(text: String, expected: String) {
        do {
            _ = try Fixture(parsing: text, file: "f.fixture")
            Issue.record("expected an error for \(expected)")
        } catch {
            #expect(error.description == expected)
        }
    }
}
