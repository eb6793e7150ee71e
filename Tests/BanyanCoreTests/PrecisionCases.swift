@testable import BanyanCore

/// One pair of answers to one request, for the precision suite.
struct PrecisionPair: CustomStringConvertible, Sendable {
    var name: String
    var legacy: HTTPResponse
    var candidate: HTTPResponse
    var request: HTTPRequest

    var description: String { name }

    /// A request to `api.example.com`, as the proxy, `verify` and `probe` pass it to the engine.
    static func request(_ method: String = "GET", _ target: String = "/users/1") -> HTTPRequest {
        HTTPRequest(method: method, target: target, headers: HTTPHeaders([("Host", "api.example.com")]))
    }

    /// A 200 answer with these headers (and `Content-Type: application/json; charset=utf-8` unless one is given).
    static func answer(_ headers: [(String, String)], body: String = #"{"id":1}"#, status: Int = 200) -> HTTPResponse {
        var fields = headers
        if !headers.contains(where: { $0.0.lowercased() == "content-type" }) {
            fields.insert(("Content-Type", "application/json; charset=utf-8"), at: 0)
        }
        return HTTPResponse(status: status, headers: HTTPHeaders(fields), body: Array(body.utf8))
    }

    /// Two answers that differ in one header only.
    static func header(
        _ name: String, _ legacy: String, _ candidate: String, request: HTTPRequest = request(),
        body: String = #"{"id":1}"#
    ) -> PrecisionPair {
        PrecisionPair(
            name: "\(name): \(legacy) | \(candidate)", legacy: answer([(name, legacy)], body: body),
            candidate: answer([(name, candidate)], body: body), request: request)
    }

    /// Two JSON answers that differ in their body text only.
    static func body(_ legacy: String, _ candidate: String) -> PrecisionPair {
        PrecisionPair(
            name: "body: \(legacy) | \(candidate)", legacy: answer([], body: legacy),
            candidate: answer([], body: candidate),
            request: request())
    }
}

/// The same instant in the three HTTP date formats, and one hour later.
enum Dates {
    static let imf = "Sun, 06 Dec 2026 10:00:00 GMT"
    static let rfc850 = "Sunday, 06-Dec-26 10:00:00 GMT"
    static let asctime = "Sun Dec  6 10:00:00 2026"
    static let hourLater = "Sun, 06 Dec 2026 11:00:00 GMT"
}

/// Pairs of answers no client can tell apart: the engine must report nothing at `risky` or above.
let indistinguishablePairs: [PrecisionPair] = [
    // Media types (RFC 9110 §8.3.1).
    .header("Content-Type", "application/json; charset=utf-8", "application/json; charset=UTF-8"),
    .header("Content-Type", "application/json; charset=utf-8", "application/json;charset=utf-8"),
    .header("Content-Type", "application/json; charset=utf-8", "Application/JSON; charset=utf-8"),
    .header("Content-Type", "application/json; charset=utf-8", "application/json; Charset=utf-8"),
    .header("Content-Type", "text/plain; charset=utf-8", #"text/plain; charset="utf-8""#, body: "plain"),
    .header(
        "Content-Type", "multipart/mixed; boundary=b1; charset=utf-8", "multipart/mixed; charset=utf-8; boundary=b1",
        body: "--b1--"),
    // Lists (RFC 9110 §5.6.1, RFC 9111 §5.2).
    .header("Cache-Control", "no-store, no-cache", "no-cache,no-store"),
    .header("Cache-Control", "public, max-age=60", #"max-age="60", public"#),
    .header("Cache-Control", "max-age=60", "Max-Age=60"),
    .header("Cache-Control", "no-store", "no-store, no-store"),
    .header("Cache-Control", #"no-cache="Set-Cookie, X-Id""#, #"no-cache="x-id, set-cookie""#),
    .header("Vary", "Accept-Encoding, Origin", "origin, accept-encoding"),
    PrecisionPair(
        name: "Vary on two lines | one line", legacy: PrecisionPair.answer([("Vary", "Origin"), ("Vary", "Accept")]),
        candidate: PrecisionPair.answer([("Vary", "Origin, Accept")]), request: PrecisionPair.request()),
    .header("Allow", "GET, HEAD, POST", "POST,GET,HEAD"),
    .header("Allow", "GET, HEAD", "get, head"),
    .header("Access-Control-Allow-Methods", "GET,POST", "POST, GET"),
    .header("Access-Control-Allow-Headers", "Content-Type, Authorization", "authorization,content-type"),
    .header("Access-Control-Expose-Headers", "X-Total-Count", "x-total-count"),
    // Cookies (RFC 6265 §5.2).
    .header("Set-Cookie", "sid=abc; Path=/; HttpOnly", "sid=abc; HttpOnly; Path=/"),
    .header("Set-Cookie", "sid=abc; Path=/; HttpOnly", "sid=abc; path=/; httponly"),
    .header("Set-Cookie", "sid=abc; Domain=.example.com; Path=/", "sid=abc; Domain=example.com; Path=/"),
    .header("Set-Cookie", "sid=abc; Domain=Example.COM; Path=/", "sid=abc; Domain=example.com; Path=/"),
    .header("Set-Cookie", "sid=abc; Path=/; SameSite=Lax", "sid=abc; Path=/; SameSite=lax"),
    .header("Set-Cookie", "sid=abc; Path=/; SameSite=Lax", "sid=abc ; Path=/ ;SameSite=Lax"),
    PrecisionPair(
        name: "Set-Cookie Max-Age | Expires an hour after Date",
        legacy: PrecisionPair.answer([("Date", Dates.imf), ("Set-Cookie", "sid=abc; Max-Age=3600; Path=/")]),
        candidate: PrecisionPair.answer([
            ("Date", Dates.imf), ("Set-Cookie", "sid=abc; Path=/; Expires=\(Dates.hourLater)"),
        ]),
        request: PrecisionPair.request()),
    PrecisionPair(
        name: "Set-Cookie Express's Max-Age and Expires | Max-Age alone",
        legacy: PrecisionPair.answer([
            ("Date", Dates.imf), ("Set-Cookie", "sid=abc; Max-Age=3600; Path=/; Expires=\(Dates.hourLater)"),
        ]),
        candidate: PrecisionPair.answer([("Date", Dates.imf), ("Set-Cookie", "sid=abc; Path=/; Max-Age=3600")]),
        request: PrecisionPair.request()),
    PrecisionPair(
        name: "Set-Cookie two cookies in another order",
        legacy: PrecisionPair.answer([("Set-Cookie", "a=1; Path=/"), ("Set-Cookie", "b=2; Path=/")]),
        candidate: PrecisionPair.answer([("Set-Cookie", "b=2; Path=/"), ("Set-Cookie", "a=1; Path=/")]),
        request: PrecisionPair.request()),
    PrecisionPair(
        name: "Set-Cookie default path | the same path written out",
        legacy: PrecisionPair.answer([("Set-Cookie", "sid=abc")]),
        candidate: PrecisionPair.answer([("Set-Cookie", "sid=abc; Path=/users")]),
        request: PrecisionPair.request("POST", "/users/login")),
    // Dates (RFC 9110 §5.6.7).
    .header("Expires", Dates.imf, Dates.rfc850),
    .header("Expires", Dates.imf, Dates.asctime),
    .header("Last-Modified", Dates.imf, Dates.rfc850),
    .header("Expires", "0", "-1"),
    // Location (RFC 3986 §5.2).
    .header("Location", "/users/2", "http://api.example.com/users/2"),
    .header("Location", "/users/2", "https://API.example.com/users/2"),
    .header("Location", "/users/2", "2"),
    .header("Location", "/users/2", "./2"),
    .header("Location", "/users/2", "/users/./x/../2"),
    // Framing: the decoded bodies are equal.
    PrecisionPair(
        name: "Content-Length | chunked", legacy: PrecisionPair.answer([("Content-Length", "8")]),
        candidate: PrecisionPair.answer([("Transfer-Encoding", "chunked")]), request: PrecisionPair.request()),
    PrecisionPair(
        name: "Content-Length | none (close-delimited)", legacy: PrecisionPair.answer([("Content-Length", "8")]),
        candidate: PrecisionPair.answer([]), request: PrecisionPair.request()),
    PrecisionPair(
        name: "header name case",
        legacy: PrecisionPair.answer([("Cache-Control", "no-store"), ("X-Total-Count", "3")]),
        candidate: PrecisionPair.answer([("cache-control", "no-store"), ("x-total-count", "3")]),
        request: PrecisionPair.request()),
    // JSON text (RFC 8259): what `JSON.parse` returns is the same.
    .body(#"{"name":"\u00e9"}"#, #"{"name":"é"}"#),
    .body(#"{"name":"\u00E9"}"#, #"{"name":"\u00e9"}"#),
    .body(#"{"url":"http:\/\/x\/y"}"#, #"{"url":"http://x/y"}"#),
    .body(#"{"a":"\u0041"}"#, #"{"a":"A"}"#),
    .body(#"{"a":"\n"}"#, #"{"a":"\u000a"}"#),
    .body(#"{"e":"\ud83d\ude00"}"#, #"{"e":"😀"}"#),
    .body(#"{"\u0061":1}"#, #"{"a":1}"#),
    .body(#"{"a":1,"b":{"c":2,"d":3}}"#, #"{"b":{"d":3,"c":2},"a":1}"#),
    .body(
        #"{"items":[{"id":1,"n":"x"}]}"#,
        "{\n  \"items\": [\n    {\n      \"id\": 1,\n      \"n\": \"x\"\n    }\n  ]\n}\n"),
    .body(#"[{"id":1,"tags":["a"]},{"id":2,"tags":[]}]"#, #"[ {"tags":["a"],"id":1} , {"tags":[],"id":2} ]"#),
]

/// Pairs that differ in a way some client notices, one for each rule of the precision suite.
let distinguishablePairs: [PrecisionPair] = [
    .header("Content-Type", "application/json; charset=utf-8", "text/plain; charset=utf-8"),
    .header("Content-Type", "application/json; charset=utf-8", "application/json; charset=iso-8859-1"),
    .header("Content-Type", "application/json; charset=utf-8", "application/json"),
    .header("Cache-Control", "no-store", "max-age=60"),
    .header("Cache-Control", "max-age=60", "max-age=600"),
    .header("Vary", "Accept-Encoding, Origin", "Accept-Encoding"),
    .header("Allow", "GET, HEAD", "GET, HEAD, DELETE"),
    .header("Access-Control-Allow-Methods", "GET, POST, DELETE", "GET, POST"),
    .header("Access-Control-Allow-Headers", "Content-Type", "Content-Type, X-Debug"),
    .header("Access-Control-Allow-Origin", "https://shop.example.com", "HTTPS://shop.example.com"),
    PrecisionPair(
        name: "Access-Control-Allow-Origin missing",
        legacy: PrecisionPair.answer([("Access-Control-Allow-Origin", "*")]),
        candidate: PrecisionPair.answer([]), request: PrecisionPair.request()),
    .header("Set-Cookie", "sid=abc; Path=/", "sid=abd; Path=/"),
    .header("Set-Cookie", "sid=abc; Path=/; HttpOnly", "sid=abc; Path=/"),
    .header("Set-Cookie", "sid=abc; Path=/", "sid=abc; Path=/; Secure"),
    .header("Set-Cookie", "sid=abc; Path=/; SameSite=Strict", "sid=abc; Path=/; SameSite=Lax"),
    .header("Set-Cookie", "sid=abc; Path=/", "sid=abc; Path=/api"),
    .header("Set-Cookie", "sid=abc; Domain=example.com; Path=/", "sid=abc; Path=/"),
    .header("Set-Cookie", "sid=abc; Path=/; Max-Age=3600", "sid=abc; Path=/; Max-Age=60"),
    .header("Set-Cookie", "sid=abc; Path=/; Max-Age=0", "sid=abc; Path=/"),
    .header("Set-Cookie", "sid=abc; Path=/; Priority=High", "sid=abc; Path=/"),
    PrecisionPair(
        name: "Set-Cookie one cookie fewer, one more",
        legacy: PrecisionPair.answer([("Set-Cookie", "a=1; Path=/"), ("Set-Cookie", "b=2; Path=/")]),
        candidate: PrecisionPair.answer([("Set-Cookie", "a=1; Path=/"), ("Set-Cookie", "c=3; Path=/")]),
        request: PrecisionPair.request()),
    .header("Expires", Dates.imf, Dates.hourLater),
    .header("Last-Modified", Dates.imf, "yesterday"),
    .header("Location", "/users/2", "/users/3"),
    .header("Location", "/users/2", "http://127.0.0.1:8080/users/2"),
    .header("Location", "/users/2", "/users/2?x=1"),
    PrecisionPair(
        name: "HEAD: Content-Length is the only body information",
        legacy: PrecisionPair.answer([("Content-Length", "8")], body: ""),
        candidate: PrecisionPair.answer([("Content-Length", "9")], body: ""),
        request: PrecisionPair.request("HEAD")),
    PrecisionPair(
        name: "Content-Length following a body difference", legacy: PrecisionPair.answer([("Content-Length", "8")]),
        candidate: PrecisionPair.answer([("Content-Length", "8")], body: #"{"id":2}"#), request: PrecisionPair.request()
    ),
    .body(#"{"name":"caf\u00e9"}"#, #"{"name":"cafe\u0301"}"#),
    .body(#"{"unit":"K"}"#, #"{"unit":"\u212a"}"#),
    .body(#"{"caf\u00e9":1}"#, #"{"cafe\u0301":1}"#),
    .body(#"{"caf\u00e9":1,"cafe\u0301":2}"#, #"{"cafe\u0301":2,"caf\u00e9":1}"#),
    .body(#"{"caf\u00e9":1,"cafe\u0301":2}"#, #"{"caf\u00e9":1,"cafe\u0301":3}"#),
    .body(#"{"tags":["a","b"],"n":["é"]}"#, #"{"tags":["a","b"],"n":["e\u0301"]}"#),
    .body(#"["B","a","\ud83d\ude00","\uff5e"]"#, #"["B","a","\uff5e","\ud83d\ude00"]"#),
]
