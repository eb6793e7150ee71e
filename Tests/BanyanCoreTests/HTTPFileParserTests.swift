import BanyanCore
import Testing

@Suite(".http request files")
struct HTTPFileParserTests {
    @Test func readsRequestsNamesHeadersBodiesAndVariables() throws {
        let text = """
            @base = http://localhost:3000
            @user = 1

            ### get a user
            GET {{base}}/users/{{user}} HTTP/1.1
            Accept: application/json

            ###
            # @name createUser
            POST /users
            Content-Type: application/json

            {"name": "Grace",
             "email": "grace@example.com"}


            ###
            /health

            ### list
            GET /users
              ?limit=2
              &sort=id
            > {% client.test("ok", () => {}) %}
            """
        let specs = try HTTPFileParser.parse(text, file: "api.http")
        #expect(specs.map(\.name) == ["get a user", "createUser", nil, "list"])
        #expect(specs.map(\.request.method) == ["GET", "POST", "GET", "GET"])
        #expect(specs.map(\.request.target) == ["/users/1", "/users", "/health", "/users?limit=2&sort=id"])
        #expect(specs.map(\.source) == ["api.http:5", "api.http:10", "api.http:18", "api.http:21"])
        #expect(specs[0].request.headers == HTTPHeaders([("Accept", "application/json")]))
        #expect(specs[1].request.bodyText == "{\"name\": \"Grace\",\n \"email\": \"grace@example.com\"}")
        #expect(specs[3].request.body.isEmpty)
    }

    @Test(arguments: [
        (
            "GET /a\nbad header line\n",
            "f.http:2: expected a header line 'Name: value' or a blank line before the body, found 'bad header line'"
        ),
        (
            "get /a\n",
            "f.http:1: expected a request line like 'GET /users/1', found 'get /a' (write the method in upper case)"
        ),
        (
            "GET /a b c\n",
            "f.http:1: expected 'METHOD URL [HTTP/1.1]', found 'GET /a b c' (encode spaces in URLs as %20)"
        ),
        ("GET {{host}}/a\n", "f.http:1: unknown variable 'host' (define it with '@host = value'; defined: none)"),
        (
            "POST /a\n\n< ./body.json\n",
            "f.http:3: bodies read from files ('< ./body.json') are not supported; paste the body inline"
        ),
        ("# only a comment\n", "f.http: no requests found (a request starts with a line like 'GET /users/1')"),
        ("GET ftp://x/a\n", "f.http:1: 'ftp://x/a' is neither a path starting with '/' nor an http(s) URL"),
    ])
    func namesTheLineOfEachMistake(text: String, expected: String) {
        #expect(throws: RequestFileError.self) { try HTTPFileParser.parse(text, file: "f.http") }
        do {
            _ = try HTTPFileParser.parse(text, file: "f.http")
        } catch {
            #expect(error.description == expected)
        }
    }
}

extension HTTPRequest {
    var bodyText: String { String(decoding: body, as: UTF8.self) }
}
